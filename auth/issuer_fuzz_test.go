package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
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
