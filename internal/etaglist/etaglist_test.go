package etaglist

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNext(t *testing.T) {
	tests := []struct {
		in, member, rest string
	}{
		{`"a"`, `"a"`, ""},
		{`"a", "b"`, `"a"`, ` "b"`},
		{` , "a" ,"b"`, `"a"`, `"b"`},
		{`W/"a,b", "c"`, `W/"a,b"`, ` "c"`},
		{"*", "*", ""},
		{"\t\"a\"\t", `"a"`, ""},
		{",,", "", ""},
		{"", "", ""},
		{`"unterminated, "x"`, `"unterminated, "x"`, ""},
	}
	for _, tt := range tests {
		member, rest := Next(tt.in)
		assert.Equal(t, tt.member, member, "%q", tt.in)
		assert.Equal(t, tt.rest, rest, "%q", tt.in)
	}
	var member string
	assert.Zero(t, testing.AllocsPerRun(100, func() { member, _ = Next(`"a", W/"b"`) }))
	assert.Equal(t, `"a"`, member)
}
