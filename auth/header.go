package auth

import (
	"encoding/base64"
	"errors"
	"strings"

	httptoken "github.com/myblog/apikit/internal/token"
)

// scheme is an Authorization scheme apikit understands.
type scheme uint8

const (
	schemeNone  scheme = iota // no credentials
	schemeToken               // "Bearer <t>" (RFC 6750) or GitHub's "token <t>"
	schemeBasic               // "Basic <base64(user:password)>" (RFC 7617)
)

// credentials is a parsed Authorization header.
type credentials struct {
	scheme   scheme
	token    string
	user     string
	password string
}

var (
	errHeaderTooLarge    = errors.New("authorization header too large")
	errUnsupportedScheme = errors.New("unsupported authorization scheme")
	errMalformed         = errors.New("malformed authorization header")
)

// parseAuthorization parses one Authorization field value:
//
//	credentials = auth-scheme [ 1*SP token68 ]      (RFC 9110 §11.4)
//
// Scheme names are case-insensitive (RFC 9110 §11.1). Only token68
// credentials are accepted: Bearer, token and Basic all use that form.
// A value longer than maxBytes is refused before any parsing, so a client
// cannot make us decode or verify an arbitrarily large token.
func parseAuthorization(value string, maxBytes int) (credentials, error) {
	if len(value) > maxBytes {
		return credentials{}, errHeaderTooLarge
	}
	value = strings.Trim(value, " \t")
	if value == "" {
		return credentials{}, nil
	}
	name, rest, _ := strings.Cut(value, " ")
	rest = strings.TrimLeft(rest, " ")
	var c credentials
	switch {
	case httptoken.EqualFold(name, "bearer"), httptoken.EqualFold(name, "token"):
		c.scheme = schemeToken
	case httptoken.EqualFold(name, "basic"):
		c.scheme = schemeBasic
	default:
		return credentials{}, errUnsupportedScheme
	}
	if !isToken68(rest) {
		return credentials{}, errMalformed
	}
	if c.scheme == schemeToken {
		c.token = rest
		return c, nil
	}
	decoded, err := decodeBasic(rest)
	if err != nil {
		return credentials{}, errMalformed
	}
	// RFC 7617 §2: the user-id cannot contain a colon; the password may.
	user, password, found := strings.Cut(decoded, ":")
	if !found || user == "" {
		return credentials{}, errMalformed
	}
	c.user, c.password = user, password
	return c, nil
}

func decodeBasic(s string) (string, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		// Some clients drop the padding.
		enc = base64.RawStdEncoding
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// isToken68 reports whether s is a token68 (RFC 9110 §11.2):
//
//	token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
func isToken68(s string) bool {
	i := 0
	for i < len(s) && token68Chars[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// token68Chars are the characters of token68 before its padding: a table,
// since a token is a few hundred of them checked on every request.
var token68Chars = func() (t [256]bool) {
	for c := range 256 {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] = true
		}
		switch c {
		case '-', '.', '_', '~', '+', '/':
			t[c] = true
		}
	}
	return t
}()
