package token

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"X-RateLimit-Limit": true, "application": true, "!#$%&'*+-.^_`|~09azAZ": true,
		"": false, "a b": false, "a,b": false, "a/b": false, `a"b`: false, "a:b": false, "é": false, "a\x00": false,
	} {
		assert.Equal(t, want, Valid(s), "%q", s)
	}
}

func TestEqualFold(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"token", "token", true},
		{"TOKEN", "token", true},
		{"Bearer", "bEARER", true},
		{"", "", true},
		{"to\u212aen", "token", false}, // the Kelvin sign is not "k"
		{"ba\u017fic", "basic", false}, // the long s is not "s"
		{"tokens", "token", false},
		{"tok", "token", false},
		{"[", "{", false}, // '[' + 32 is '{': only letters fold
		{"@", "`", false},
		{"\xff", "\xdf", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EqualFold(tt.a, tt.b), "%q %q", tt.a, tt.b)
		assert.Equal(t, tt.want, EqualFold(tt.b, tt.a), "%q %q", tt.b, tt.a)
	}
	assert.True(t, HasPrefixFold("Application/JSON", "application/"))
	assert.False(t, HasPrefixFold("appl", "application/"))
	assert.False(t, HasPrefixFold("\u212aey", "key"))
}

func FuzzEqualFold(f *testing.F) {
	f.Add("token", "TOKEN")
	f.Add("to\u212aen", "token")
	f.Fuzz(func(t *testing.T, a, b string) {
		got := EqualFold(a, b)
		// The reference: lower-case ASCII letters only, then compare.
		lower := func(s string) string {
			out := []byte(s)
			for i, c := range out {
				if 'A' <= c && c <= 'Z' {
					out[i] = c + 'a' - 'A'
				}
			}
			return string(out)
		}
		if want := lower(a) == lower(b); got != want {
			t.Fatalf("EqualFold(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}
