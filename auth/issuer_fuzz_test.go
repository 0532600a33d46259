package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzParseJWKS: whatever a provider serves, parsing never panics, and
// every key it keeps is one this package may use: an algorithm of the
// accepted ones, an RSA modulus within bounds.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","kid":"1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseJWKS(data, DefaultIssuerAlgorithms)
		if err != nil {
			return
		}
		keys := make([]*publicKey, 0, len(m.byID)+1)
		for _, k := range m.byID {
			keys = append(keys, k)
		}
		if m.noKid != nil {
			keys = append(keys, m.noKid)
		}
		for _, k := range keys {
			if len(k.algs) == 0 {
				t.Fatal("a key that verifies nothing was kept")
			}
			for _, alg := range k.algs {
				if !contains(DefaultIssuerAlgorithms, alg) {
					t.Fatalf("a key for %q was kept", alg)
				}
			}
		}
	})
}

// FuzzIssuerVerify: however a valid token is altered, Verify never
// panics and never accepts anything but the token itself.
func FuzzIssuerVerify(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://idp.example", "sub": "u", "aud": "api", "exp": now.Add(time.Hour).Unix(), "scope": "a b",
	})
	tok.Header["kid"] = "k"
	valid, err := tok.SignedString(key)
	if err != nil {
		f.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	set, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "kid": "k", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(pub[1:33]), "y": base64.RawURLEncoding.EncodeToString(pub[33:]),
	}}})
	if err != nil {
		f.Fatal(err)
	}
	issuer, err := NewIssuer(IssuerConfig{Issuer: "https://idp.example", Audience: "api", JWKSURL: "https://idp.example/jwks", Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	m, err := parseJWKS(set, issuer.algs)
	if err != nil {
		f.Fatal(err)
	}
	keys := issuer.keys.Load()
	keys.keys.Store(m)
	keys.expires.Store(now.Add(24 * time.Hour).UnixNano())
	keys.lastFetch, keys.lastKidRefresh = now, now // no fetch: the fuzzer never reaches the network
	if _, err := issuer.Verify(context.Background(), valid); err != nil {
		f.Fatalf("the valid token: %v", err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-1] + "A")
	f.Add(`eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIn0.`)
	f.Fuzz(func(t *testing.T, token string) {
		if _, err := issuer.Verify(context.Background(), token); err == nil && token != valid {
			t.Fatalf("accepted an altered token %q", token)
		}
	})
}

// FuzzDecodeExternalClaims: whenever the hand-written decoder of other
// issuers' claims accepts a payload, encoding/json accepts it too and
// reads the same claims; when it declines, encoding/json decides.
func FuzzDecodeExternalClaims(f *testing.F) {
	for _, input := range []string{
		`{"iss":"https://tenant.eu.auth0.com/","sub":"auth0|42","aud":["https://api.myblog.com","https://tenant.eu.auth0.com/userinfo"],"iat":1764763200,"exp":1764849600,"scope":"openid posts:read","https://myblog.com/roles":["editor"],"org_id":"org_abc"}`,
		`{"exp":1.5e9,"nbf":0,"iat":-1,"scp":["a","b"],"aud":"api"}`, `{"exp":123456789012345,"nbf":1234567890123456,"iat":0.5}`,
		`{"exp":null,"aud":null,"scope":null,"scp":[]}`, `{"EXP":1}`, `{"ſub":"x"}`, `{"Kid":"x"}`, `{"exp":01}`, `{"exp":1e400}`,
		`{"aud":["a","b","c","d","e"]}`, `{"sub":"a\u0062"}`, `{"exp":"tomorrow"}`, `{}`,
	} {
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		var fast externalClaims
		if !decodeExternalClaims(payload, &fast) {
			return
		}
		var slow externalClaims
		if err := json.Unmarshal([]byte(payload), &slow); err != nil {
			t.Fatalf("decodeExternalClaims accepted %q, encoding/json refused it: %v", payload, err)
		}
		sameDate := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
		if fast.Issuer != slow.Issuer || fast.Subject != slow.Subject || fast.ID != slow.ID ||
			!slices.Equal(fast.Audience, slow.Audience) || (fast.Audience == nil) != (slow.Audience == nil) ||
			!slices.Equal(fast.Scope, slow.Scope) || !slices.Equal(fast.Scp, slow.Scp) ||
			!sameDate(fast.ExpiresAt, slow.ExpiresAt) || !sameDate(fast.NotBefore, slow.NotBefore) || !sameDate(fast.IssuedAt, slow.IssuedAt) {
			t.Fatalf("%q:\n fast %+v\n json %+v", payload, fast, slow)
		}
	})
}

// FuzzDecodeHeader: the hand-written decoder of other issuers' headers
// reads what encoding/json reads, and decodeHeader refuses what the
// JSON path refuses (crit, b64, an empty kid).
func FuzzDecodeHeader(f *testing.F) {
	for _, input := range []string{
		`{"alg":"RS256","typ":"JWT","kid":"k1"}`, `{"alg":"ES256"}`, `{"alg":"RS256","kid":""}`, `{"alg":"RS256","kid":null}`,
		`{"alg":"RS256","crit":["exp"]}`, `{"alg":"RS256","b64":false}`, `{"ALG":"none","alg":"RS256"}`, `{"Kid":"x","kid":"y"}`,
		`{"alg":"RS256","x5c":["MIIB"],"jwk":{"kty":"RSA"}}`, `{"alg":"R\u0053256"}`, `[]`,
	} {
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if alg, kid, ok := decodeExternalHeader(header); ok {
			var slow externalHeader
			if err := json.Unmarshal([]byte(header), &slow); err != nil {
				t.Fatalf("decodeExternalHeader accepted %q, encoding/json refused it: %v", header, err)
			}
			if slow.Alg != alg || slow.Kid == nil && kid != "" || slow.Kid != nil && *slow.Kid != kid || slow.Crit != nil || slow.B64 != nil {
				t.Fatalf("%q: fast %q %q, json %+v", header, alg, kid, slow)
			}
		}
		alg, kid, err := decodeHeader(base64.RawURLEncoding.EncodeToString([]byte(header)))
		var slow externalHeader
		if json.Unmarshal([]byte(header), &slow) != nil || slow.Crit != nil || slow.B64 != nil && !*slow.B64 || slow.Kid != nil && *slow.Kid == "" {
			if err == nil {
				t.Fatalf("decodeHeader accepted %q: %q %q", header, alg, kid)
			}
			return
		}
		if err != nil || alg != slow.Alg || slow.Kid != nil && kid != *slow.Kid {
			t.Fatalf("%q: %q %q %v, json %+v", header, alg, kid, err, slow)
		}
	})
}
