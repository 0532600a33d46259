package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseAuthorization(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		value   string
		want    credentials
		wantErr error
	}{
		{"empty", "", credentials{}, nil},
		{"only whitespace", " \t ", credentials{}, nil},
		{"RFC 6750 2.1: Bearer", "Bearer abc.def.ghi", credentials{scheme: schemeToken, token: "abc.def.ghi"}, nil},
		{"GitHub's token scheme", "token abc", credentials{scheme: schemeToken, token: "abc"}, nil},
		{"RFC 9110 11.1: case-insensitive scheme", "BEARER abc", credentials{scheme: schemeToken, token: "abc"}, nil},
		{"RFC 9110 11.4: several spaces after the scheme", "Bearer   abc", credentials{scheme: schemeToken, token: "abc"}, nil},
		{"RFC 9110 5.5: surrounding whitespace", " Bearer abc\t", credentials{scheme: schemeToken, token: "abc"}, nil},
		{"RFC 9110 11.2: token68 padding", "Bearer abc==", credentials{scheme: schemeToken, token: "abc=="}, nil},
		{"RFC 7617 2: Basic", "Basic " + b64("alice:s3cret"), credentials{scheme: schemeBasic, user: "alice", password: "s3cret"}, nil},
		{"RFC 7617 2: a colon in the password", "basic " + b64("alice:a:b"), credentials{scheme: schemeBasic, user: "alice", password: "a:b"}, nil},
		{"Basic without padding", "Basic " + strings.TrimRight(b64("alice:pw"), "="), credentials{scheme: schemeBasic, user: "alice", password: "pw"}, nil},
		{"Basic with an empty password", "Basic " + b64("alice:"), credentials{scheme: schemeBasic, user: "alice", password: ""}, nil},
		{"Basic UTF-8 (RFC 7617 2.1)", "Basic " + b64("zoë:pässword"), credentials{scheme: schemeBasic, user: "zoë", password: "pässword"}, nil},
		{"Basic without a colon", "Basic " + b64("alice"), credentials{}, errMalformed},
		{"Basic with an empty user", "Basic " + b64(":pw"), credentials{}, errMalformed},
		{"Basic that is not base64", "Basic !!!", credentials{}, errMalformed},
		{"Basic with bad padding", "Basic " + b64("alice:pw") + "==", credentials{}, errMalformed},
		{"scheme alone", "Bearer", credentials{}, errMalformed},
		{"scheme and spaces", "Bearer   ", credentials{}, errMalformed},
		{"a token with a space", "Bearer abc def", credentials{}, errMalformed},
		{"a token with a comma", "Bearer abc,def", credentials{}, errMalformed},
		{"auth-params instead of token68", `Bearer realm="x"`, credentials{}, errMalformed},
		{"padding in the middle", "Bearer ab=c", credentials{}, errMalformed},
		{"only padding", "Bearer ==", credentials{}, errMalformed},
		{"Digest", "Digest username=alice", credentials{}, errUnsupportedScheme},
		{"a bare token", "abc.def.ghi", credentials{}, errUnsupportedScheme},
		// RFC 9110 §11.1: scheme names are case-insensitive ASCII; Unicode
		// folding would take the Kelvin sign for "k" and the long s for "s".
		{"the Kelvin sign is not k", "to\u212aen abc.def.ghi", credentials{}, errUnsupportedScheme},
		{"the long s is not s", "Ba\u017fic " + base64.StdEncoding.EncodeToString([]byte("a:b")), credentials{}, errUnsupportedScheme},
		{"too large", "Bearer " + strings.Repeat("a", 4096), credentials{}, errHeaderTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuthorization(tt.value, 4096)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantErr, err)
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, input := range []string{
		"", "Bearer abc.def.ghi", "token abc", "Basic YWxpY2U6czNjcmV0", "basic YWxpY2U6",
		"Bearer  a==", "Digest x", "Bearer a b", "Basic Og==", "Basic YWxpY2U", " \tBEARER x\t",
	} {
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, value string) {
		c, err := parseAuthorization(value, 512)
		if err != nil {
			if c != (credentials{}) {
				t.Fatalf("an error with credentials: %+v", c)
			}
			return
		}
		if len(value) > 512 {
			t.Fatalf("accepted %d bytes over the cap", len(value))
		}
		switch c.scheme {
		case schemeNone:
			if strings.Trim(value, " \t") != "" {
				t.Fatalf("%q parsed as no credentials", value)
			}
		case schemeToken:
			if !isToken68(c.token) || !strings.HasSuffix(strings.TrimRight(value, " \t"), c.token) {
				t.Fatalf("token %q from %q", c.token, value)
			}
		case schemeBasic:
			if c.user == "" || strings.Contains(c.user, ":") {
				t.Fatalf("user %q from %q", c.user, value)
			}
			// Re-encoding gives back the same credentials.
			again, err := parseAuthorization("Basic "+base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password)), 1<<20)
			if err != nil || again != c {
				t.Fatalf("round trip of %+v: %+v, %v", c, again, err)
			}
		}
	})
}
