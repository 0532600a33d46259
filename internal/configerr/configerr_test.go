package configerr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestList(t *testing.T) {
	inner := New("auth")
	inner.Add("Keys[0]", "empty secret")
	inner.Add("", "no key")

	tests := []struct {
		name  string
		build func(*List)
		want  []string
	}{
		{name: "no problems", build: func(*List) {}, want: nil},
		{
			name:  "one field",
			build: func(l *List) { l.Add(Index("Resources", 0)+".Limit", "must be at least 1") },
			want:  []string{"ratelimit: Resources[0].Limit: must be at least 1"},
		},
		{
			name:  "formatted",
			build: func(l *List) { l.Addf("Status", "%d is neither 403 nor 429", 500) },
			want:  []string{"ratelimit: Status: 500 is neither 403 nor 429"},
		},
		{
			name:  "nested config errors are renamed, not prefixed twice",
			build: func(l *List) { l.Nested("Tokens", inner.Err()) },
			want:  []string{"ratelimit: Tokens.Keys[0]: empty secret", "ratelimit: Tokens: no key"},
		},
		{
			name:  "a foreign error keeps its text under the field",
			build: func(l *List) { l.Nested("Store", fmt.Errorf("dial: refused")) },
			want:  []string{"ratelimit: Store: dial: refused"},
		},
		{name: "nil nested error", build: func(l *List) { l.Nested("Store", nil) }, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New("ratelimit")
			tt.build(l)
			err := l.Err()
			if tt.want == nil {
				assert.NoError(t, err)
				assert.Zero(t, l.Len())
				return
			}
			require.Error(t, err)
			assert.Equal(t, len(tt.want), l.Len())
			var got []string
			for _, e := range flatten(err) {
				var ce *Error
				require.True(t, errors.As(e, &ce), "every problem is an *Error")
				assert.Equal(t, "ratelimit", ce.Package)
				got = append(got, e.Error())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
