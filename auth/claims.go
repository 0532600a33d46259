package auth

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeClaims reads the claims object of a token the fast path took
// (see verify.go) without reflection: the string claims are sliced from
// one copy of the payload, and "aud" lands in a small array inside c, so
// a token Sign wrote costs one allocation instead of a dozen. It handles
// what Sign writes (strings without escapes, numbers, "aud" as a string
// or an array of strings, null) and reports false for anything else: an
// escape, a value of an unexpected type, a key that names a claim only
// case-insensitively, invalid UTF-8 or invalid JSON. encoding/json, which
// stays the reference, then decides.
func decodeClaims(payload []byte, c *rawClaims) bool {
	if !utf8.Valid(payload) {
		return false // encoding/json would turn the bad bytes into U+FFFD
	}
	d := claimsDecoder{s: string(payload)}
	return d.object(func(key string) bool {
		switch key {
		case "iss":
			return d.stringClaim(&c.Issuer)
		case "sub":
			return d.stringClaim(&c.Subject)
		case "jti":
			return d.stringClaim(&c.ID)
		case "sid":
			return d.stringClaim(&c.Session)
		case "scope":
			return d.stringClaim(&c.Scope)
		case "token_type":
			v := string(c.Type)
			ok := d.stringClaim(&v)
			c.Type = TokenType(v)
			return ok
		case "exp":
			return d.numberClaim(&c.ExpiresAt)
		case "nbf":
			return d.numberClaim(&c.NotBefore)
		case "iat":
			return d.numberClaim(&c.IssuedAt)
		case "aud":
			return d.audience(c)
		}
		// encoding/json matches keys case-insensitively: a key that names
		// a claim only so is its to decide.
		return !namesAny(key, claimNames) && d.skipValue(0)
	})
}

var claimNames = []string{"iss", "sub", "jti", "sid", "scope", "token_type", "exp", "nbf", "iat", "aud"}

// namesAny reports whether key is one of names in another case (or the
// same).
func namesAny(key string, names []string) bool {
	for _, name := range names {
		if strings.EqualFold(key, name) {
			return true
		}
	}
	return false
}

// object reads a JSON object whose keys are strings without escapes, and
// nothing after it: member is called with each key and d at its value,
// reads the value and reports whether it could. It reports false for
// anything else, as soon as member does.
func (d *claimsDecoder) object(member func(key string) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return d.end()
	}
	for {
		key, ok := d.plainString()
		if !ok || !d.consume(':') || !member(key) {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume('}') && d.end()
	}
}

type claimsDecoder struct {
	s string
	i int
}

func (d *claimsDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips white space and c, reporting whether c was there.
func (d *claimsDecoder) consume(c byte) bool {
	d.space()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *claimsDecoder) end() bool {
	d.space()
	return d.i == len(d.s)
}

// plainString reads a string without escapes or control characters.
func (d *claimsDecoder) plainString() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	// The string and index in locals: the loop runs once per byte of
	// every claim.
	s, start := d.s, d.i
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			d.i = i + 1
			return s[start:i], true
		case c == '\\' || c < 0x20:
			d.i = i
			return "", false
		}
	}
	d.i = len(s)
	return "", false
}

// null reads a JSON null, which leaves a claim as it was (as
// encoding/json does).
func (d *claimsDecoder) null() bool {
	d.space()
	if strings.HasPrefix(d.s[d.i:], "null") {
		d.i += len("null")
		return true
	}
	return false
}

func (d *claimsDecoder) stringClaim(dst *string) bool {
	if d.null() {
		return true
	}
	v, ok := d.plainString()
	if ok {
		*dst = v
	}
	return ok
}

func (d *claimsDecoder) numberClaim(dst *float64) bool {
	if d.null() {
		return true
	}
	d.space()
	start := d.i
	if !d.number() {
		return false
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return false
	}
	*dst = f
	return true
}

// number scans a JSON number (RFC 8259 §6).
func (d *claimsDecoder) number() bool {
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	d.i = i
	return true
}

// audience reads "aud": a string, an array of strings, or null.
func (d *claimsDecoder) audience(c *rawClaims) bool {
	if d.null() {
		c.Audience, c.audienceLen = nil, 0
		return true
	}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '"' {
		v, ok := d.plainString()
		c.audienceBuf[0] = v
		c.Audience, c.audienceLen = nil, 1
		return ok
	}
	if !d.consume('[') {
		return false
	}
	n := 0
	if !d.consume(']') {
		for {
			v, ok := d.plainString()
			if !ok || n == len(c.audienceBuf) {
				return false // more audiences than a token of ours has
			}
			c.audienceBuf[n] = v
			n++
			if d.consume(',') {
				continue
			}
			if !d.consume(']') {
				return false
			}
			break
		}
	}
	c.Audience, c.audienceLen = nil, n
	if n == 0 {
		c.Audience = audience{} // [] is an empty list, not an absent claim
	}
	return true
}

// skipValue skips any JSON value of a claim this package does not read,
// nested at most 32 deep.
func (d *claimsDecoder) skipValue(depth int) bool {
	if depth > 32 {
		return false
	}
	d.space()
	if d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		return d.skipString()
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		d.i++
		if d.consume(closing) {
			return true
		}
		for {
			if c == '{' {
				if _, ok := d.anyString(); !ok || !d.consume(':') {
					return false
				}
			}
			if !d.skipValue(depth + 1) {
				return false
			}
			if d.consume(',') {
				continue
			}
			return d.consume(closing)
		}
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	for _, literal := range []string{"true", "false", "null"} {
		if strings.HasPrefix(d.s[d.i:], literal) {
			d.i += len(literal)
			return true
		}
	}
	return false
}

// skipString skips a string that may hold escapes, checking them as
// RFC 8259 §7 does: one of \" \\ \/ \b \f \n \r \t, or \u and four hex
// digits.
func (d *claimsDecoder) skipString() bool {
	d.i++ // the opening quote
	for d.i < len(d.s) {
		switch ch := d.s[d.i]; {
		case ch == '"':
			d.i++
			return true
		case ch < 0x20:
			return false
		case ch == '\\':
			if d.i+1 >= len(d.s) {
				return false
			}
			switch d.s[d.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				if d.i+6 > len(d.s) {
					return false
				}
				for _, h := range []byte(d.s[d.i+2 : d.i+6]) {
					if !isHex(h) {
						return false
					}
				}
				d.i += 6
			default:
				return false
			}
			continue
		}
		d.i++
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// anyString skips a string that may hold escapes (an object key of a
// skipped value).
func (d *claimsDecoder) anyString() (struct{}, bool) {
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return struct{}{}, false
	}
	return struct{}{}, d.skipValue(0)
}
