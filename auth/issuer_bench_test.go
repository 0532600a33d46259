package auth

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// BenchmarkParseExternal decodes an Auth0-shaped token of another issuer
// (its claims, and its header as the first token of a key has it
// decoded: later ones find it in the issuer's header cache; no
// signature check): most of what Verify does above the crypto floor.
func BenchmarkParseExternal(b *testing.B) {
	claims, err := json.Marshal(map[string]any{
		"iss": "https://tenant.eu.auth0.com/", "sub": "auth0|6123456789abcdef01234567", "aud": []string{"https://api.myblog.com", "https://tenant.eu.auth0.com/userinfo"},
		"iat": 1764763200, "exp": 1764849600, "azp": "abcdefghijklmnopqrstuvwxyz012345", "scope": "openid profile posts:read posts:write",
		"https://myblog.com/roles": []string{"editor"}, "org_id": "org_abc123",
	})
	if err != nil {
		b.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	token := b64([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + b64(claims) + "." + b64(make([]byte, 256))
	b.ReportAllocs()
	for b.Loop() {
		t, err := parseExternal(token, DefaultMaxIssuerTokenBytes)
		if err != nil || t.claims.Subject == "" {
			b.Fatal(err)
		}
		if alg, _, err := decodeHeader(t.header); err != nil || alg != "RS256" {
			b.Fatal(alg, err)
		}
		_ = t.identity()
	}
}
