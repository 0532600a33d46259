package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fastPathNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func fastPathTokens(t testing.TB, keys ...Key) *Tokens {
	if len(keys) == 0 {
		keys = []Key{{Secret: []byte("0123456789abcdef0123456789abcdef")}}
	}
	tokens, err := NewTokens(TokenConfig{
		Issuer: "https://api.myblog.com",
		Keys:   keys,
		Leeway: 30 * time.Second,
		Now:    func() time.Time { return fastPathNow },
	})
	require.NoError(t, err)
	return tokens
}

// signRaw signs payload as it is, with the header Sign writes for the
// first key, so the fast path takes it.
func signRaw(t testing.TB, tokens *Tokens, payload []byte) string {
	k := &tokens.keys[0]
	input := k.header + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := k.method.Sign(input, k.sign)
	require.NoError(t, err)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// verifySlow is the general parser's verdict on token.
func verifySlow(tokens *Tokens, token string, want TokenType) error {
	claims := new(Claims)
	if _, err := tokens.parser.ParseWithClaims(token, claims, tokens.keyFor); err != nil {
		return err
	}
	if claims.Subject == "" || claims.ID == "" {
		return errors.New("no subject or token id")
	}
	if claims.Type != want {
		return ErrWrongTokenType
	}
	return nil
}

func TestFastPathTakesOwnTokensOnly(t *testing.T) {
	tokens := fastPathTokens(t)
	own, _, err := tokens.Sign(Access, "u-1", "s", nil)
	require.NoError(t, err)
	var c rawClaims
	assert.NoError(t, tokens.verifyFast(own, Access, &c), "a token Sign wrote")

	// The same claims under a header written in another order: valid,
	// but not byte for byte ours, so the general parser decides.
	_, payload, _ := strings.Cut(own, ".")
	payload, _, _ = strings.Cut(payload, ".")
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`))
	input := header + "." + payload
	sig, err := jwt.SigningMethodHS256.Sign(input, tokens.keys[0].sign)
	require.NoError(t, err)
	reordered := input + "." + base64.RawURLEncoding.EncodeToString(sig)
	assert.ErrorIs(t, tokens.verifyFast(reordered, Access, &c), errFallback)
	got, err := tokens.Verify(reordered, Access)
	require.NoError(t, err, "the general parser accepts it")
	assert.Equal(t, "u-1", got.Subject)

	assert.ErrorIs(t, tokens.verifyFast(strings.Repeat("a", maxFastTokenBytes+1), Access, &c), errFallback)
	assert.ErrorIs(t, tokens.verifyFast(own+".extra", Access, &c), errFallback)
}

func TestFastPathAgreesWithParser(t *testing.T) {
	tokens := fastPathTokens(t)
	now := fastPathNow.Unix()
	tests := []struct {
		name    string
		payload string
	}{
		{"valid", `{"iss":"https://api.myblog.com","sub":"u","aud":["https://api.myblog.com"],"exp":` + itoa(now+60) + `,"jti":"j","token_type":"access"}`},
		{"aud as a string (RFC 7519 4.1.3)", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now+60) + `,"jti":"j","token_type":"access"}`},
		{"aud null", `{"iss":"https://api.myblog.com","sub":"u","aud":null,"exp":` + itoa(now+60) + `,"jti":"j","token_type":"access"}`},
		{"expired within the leeway", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now-10) + `,"jti":"j","token_type":"access"}`},
		{"expired at the leeway's edge", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now-30) + `,"jti":"j","token_type":"access"}`},
		{"fractional exp", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now-30) + `.9,"jti":"j","token_type":"access"}`},
		{"nbf at the leeway's edge", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now+60) + `,"nbf":` + itoa(now+30) + `,"jti":"j","token_type":"access"}`},
		{"nbf past the leeway", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now+60) + `,"nbf":` + itoa(now+31) + `,"jti":"j","token_type":"access"}`},
		{"iat past the leeway", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now+60) + `,"iat":` + itoa(now+31) + `,"jti":"j","token_type":"access"}`},
		{"no exp", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","jti":"j","token_type":"access"}`},
		{"exp null", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":null,"jti":"j","token_type":"access"}`},
		{"exp as a string", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":"9999999999","jti":"j","token_type":"access"}`},
		{"huge exp", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":1e300,"jti":"j","token_type":"access"}`},
		{"upper-case claim names", `{"ISS":"https://api.myblog.com","SUB":"u","AUD":"https://api.myblog.com","EXP":` + itoa(now+60) + `,"JTI":"j","TOKEN_TYPE":"access"}`},
		{"duplicate sub", `{"iss":"https://api.myblog.com","sub":"u","sub":"","aud":"https://api.myblog.com","exp":` + itoa(now+60) + `,"jti":"j","token_type":"access"}`},
		{"refresh type", `{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now+60) + `,"jti":"j","token_type":"refresh"}`},
		{"not an object", `["iss"]`},
		{"not JSON", `iss`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := signRaw(t, tokens, []byte(tt.payload))
			var c rawClaims
			got := tokens.verify(token, Access, &c)
			slow := verifySlow(tokens, token, Access)
			assert.Equal(t, slow == nil, got == nil, "verify: %v, general parser: %v", got, slow)
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// FuzzFastPathAgreesWithParser signs arbitrary claims with the service's
// key, so every input reaches claim validation, and checks that the fast
// path never accepts what golang-jwt's parser refuses, nor the reverse.
func FuzzFastPathAgreesWithParser(f *testing.F) {
	now := fastPathNow.Unix()
	for _, input := range []string{
		`{"iss":"https://api.myblog.com","sub":"u","aud":["https://api.myblog.com"],"exp":` + itoa(now+60) + `,"jti":"j","token_type":"access"}`,
		`{"iss":"https://api.myblog.com","sub":"u","aud":"https://api.myblog.com","exp":` + itoa(now-30) + `.5,"nbf":` + itoa(now+30) + `,"iat":` + itoa(now) + `,"jti":"j","token_type":"access"}`,
		`{"aud":[1],"exp":1}`, `{"exp":-1e20}`, `null`, `{}`,
	} {
		f.Add([]byte(input))
	}
	tokens := fastPathTokens(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		token := signRaw(t, tokens, payload)
		for _, want := range []TokenType{Access, Refresh} {
			var c rawClaims
			fast := tokens.verifyFast(token, want, &c)
			if errors.Is(fast, errFallback) {
				continue
			}
			slow := verifySlow(tokens, token, want)
			if (fast == nil) != (slow == nil) {
				t.Fatalf("payload %q, want %s: fast path %v, general parser %v", payload, want, fast, slow)
			}
		}
	})
}

// TestDecodeClaimsSkippedStrings: the strings of claims the fast path
// does not read are checked as strictly as encoding/json checks them; a
// bad escape anywhere sends the token to the reference parser.
func TestDecodeClaimsSkippedStrings(t *testing.T) {
	tests := []struct {
		payload string
		ok      bool
	}{
		{`{"sub":"u","x":"plain"}`, true},
		{`{"sub":"u","x":"\" \\ \/ \b \f \n \r \t"}`, true},
		{`{"sub":"u","x":"\u00e9\uD83D\uDE00"}`, true},
		{`{"sub":"u","x":{"k\"ey":["\u0041"]}}`, true},
		{`{"sub":"u","x":"\0"}`, false},
		{`{"sub":"u","x":"\q"}`, false},
		{`{"sub":"u","x":"\u12G4"}`, false},
		{`{"sub":"u","x":"\u12"}`, false},
		{`{"sub":"u","x":"\`, false},
		{`{"sub":"u","x":{"\x":1}}`, false},
		{"{\"sub\":\"u\",\"x\":\"a\tb\"}", false}, // a raw control character
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			var c rawClaims
			assert.Equal(t, tt.ok, decodeClaims([]byte(tt.payload), &c))
			assert.Equal(t, tt.ok, json.Valid([]byte(tt.payload)), "encoding/json agrees")
		})
	}
}

// FuzzDecodeClaims: whenever the hand-written claims decoder accepts a
// payload, encoding/json accepts it too and reads the same claims; when
// it declines, encoding/json decides (so declining is always safe).
func FuzzDecodeClaims(f *testing.F) {
	for _, input := range []string{
		`{"iss":"https://api.myblog.com","sub":"u","aud":["https://api.myblog.com"],"exp":1795679430,"nbf":1795672230,"iat":1795672230,"jti":"3MGHVQM6","token_type":"access","sid":"U533"}`,
		`{"aud":"a","exp":1.5e9,"scope":"read write","extra":{"x":[1,"\"",null,true]}}`,
		`{"sub":null,"aud":null,"exp":null}`, `{}`, `{"SUB":"x"}`, `{"sub":"a\u0062"}`, `{"aud":["a","b","c"]}`, ` { "sub" : "x" } `,
		`{"x":"\u00e9\n\/\\"}`, `{"x":"\u12G4"}`, `{"x":"\u12"}`, `{"x":"\`, `{"x":{"k\"ey":"\q"}}`,
	} {
		f.Add([]byte(input))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		nan := math.NaN()
		var fast rawClaims
		fast.ExpiresAt, fast.NotBefore, fast.IssuedAt = nan, nan, nan
		if !decodeClaims(payload, &fast) {
			return
		}
		var slow rawClaims
		slow.ExpiresAt, slow.NotBefore, slow.IssuedAt = nan, nan, nan
		if err := json.Unmarshal(payload, &slow); err != nil {
			t.Fatalf("decodeClaims accepted %q, encoding/json refused it: %v", payload, err)
		}
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
		if fast.Issuer != slow.Issuer || fast.Subject != slow.Subject || fast.ID != slow.ID || fast.Type != slow.Type ||
			fast.Session != slow.Session || fast.Scope != slow.Scope || !slices.Equal(fast.audiences(), slow.audiences()) ||
			!same(fast.ExpiresAt, slow.ExpiresAt) || !same(fast.NotBefore, slow.NotBefore) || !same(fast.IssuedAt, slow.IssuedAt) {
			t.Fatalf("%q:\n fast %+v\n json %+v", payload, fast, slow)
		}
	})
}
