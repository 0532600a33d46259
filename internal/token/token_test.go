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
