package oidctest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/internal/tbrecord"
)

// claims decodes a JWT's header and payload, unverified.
func claims(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, token)
	for i, v := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, v))
	}
	return header, payload
}

// A provider through its life: it comes up on loopback with its issuer,
// issues client_credentials JWTs for its resource servers signed by the
// keys it was given, counts the requests it served, rotates its keys on
// the same port, and is gone after Stop.
func TestProvider(t *testing.T) {
	began := time.Now()
	rsa1, ec1 := NewRSAKey(t, "rsa-1"), NewECKey(t, "ec-1")
	p := Start(t, Config{
		Keys:      JWKS(t, rsa1, ec1),
		Resources: []Resource{{Audience: "https://es.example", Scopes: "a b", Alg: "ES256"}},
	})
	t.Logf("a provider came up in %v", time.Since(began))
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, p.Issuer)
	assert.Equal(t, p.Issuer+"/token", p.TokenEndpoint)
	assert.Equal(t, p.Issuer+"/jwks", p.JWKSURI)

	tests := []struct {
		name, audience, scope string
		wantAlg, wantKid      string
		wantScope             any
	}{
		{"the default resource, every scope", DefaultAudience, DefaultScopes, "RS256", "rsa-1", DefaultScopes},
		{"the default resource, one scope and one it does not grant", DefaultAudience, "posts:read admin", "RS256", "rsa-1", "posts:read"},
		{"another resource, ES256", "https://es.example", "b", "ES256", "ec-1", "b"},
		{"no scope", DefaultAudience, "", "RS256", "rsa-1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, payload := claims(t, p.TokenFor(t, tt.audience, tt.scope))
			assert.Equal(t, map[string]any{"alg": tt.wantAlg, "kid": tt.wantKid, "typ": "at+jwt"}, header)
			assert.Equal(t, p.Issuer, payload["iss"])
			assert.Equal(t, tt.audience, payload["aud"])
			assert.Equal(t, DefaultClientID, payload["sub"], "a client's own token: sub is its client_id")
			assert.Equal(t, DefaultClientID, payload["client_id"])
			assert.Equal(t, tt.wantScope, payload["scope"])
			assert.InDelta(t, 600, payload["exp"].(float64)-payload["iat"].(float64), 0)
		})
	}
	assert.Equal(t, len(tests), p.Requests("/token"))
	assert.Zero(t, p.Requests("/jwks"))

	resp, err := http.Get(p.JWKSURI)
	require.NoError(t, err)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	resp.Body.Close()
	require.Len(t, set.Keys, 2)
	for _, k := range set.Keys {
		assert.NotContains(t, k, "d", "the published set has no private part")
	}
	assert.Equal(t, 1, p.Requests("/jwks"), "counted once its answer was read")

	issuer := p.Issuer
	p.Rotate(t, JWKS(t, NewECKey(t, "ec-2"), NewRSAKey(t, "rsa-2")))
	assert.Equal(t, issuer, p.Issuer)
	header, _ := claims(t, p.Token(t, ""))
	assert.Equal(t, "rsa-2", header["kid"], "signed by the new key")
	header, _ = claims(t, p.TokenFor(t, "https://es.example", ""))
	assert.Equal(t, "ec-2", header["kid"])

	p.Rotate(t, JWKS(t, ec1)) // no RSA key: the default resource cannot sign
	r := tbrecord.Run(t, func(r *tbrecord.Recorder) { p.Token(r, "") })
	assert.Contains(t, r.FailMessage, "500 Internal Server Error")
	assert.Contains(t, p.Log(), "no corresponding key")

	p.Stop()
	_, err = http.Get(p.JWKSURI)
	assert.Error(t, err, "stopped")
	p.Stop()
}

// A resource indicator the provider does not know is refused, and a bad
// audience or keys file fails Start or Rotate with the reason.
func TestProviderRefuses(t *testing.T) {
	p := Start(t, Config{Audience: "https://api.example", Scopes: "x"})
	r := tbrecord.Run(t, func(r *tbrecord.Recorder) { p.TokenFor(r, "https://unknown.example", "x") })
	assert.Contains(t, r.FailMessage, "invalid_target")

	r = tbrecord.Run(t, func(r *tbrecord.Recorder) { p.Rotate(r, []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)) })
	assert.Contains(t, r.FailMessage, "500 Internal Server Error")
	assert.NotEmpty(t, p.Token(t, "x"), "a failed rotation keeps the old keys")

	r = tbrecord.Run(t, func(r *tbrecord.Recorder) { Start(r, Config{Audience: "api"}) })
	assert.Contains(t, r.FailMessage, `audience "api": want an absolute URI`)
	r = tbrecord.Run(t, func(r *tbrecord.Recorder) { Start(r, Config{Resources: []Resource{{Audience: DefaultAudience}}}) })
	assert.Contains(t, r.FailMessage, "listed twice")
	r = tbrecord.Run(t, func(r *tbrecord.Recorder) { Start(r, Config{Keys: []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)}) })
	assert.Contains(t, r.FailMessage, "oidc-provider exited at start")
}

// Without Node.js, or without oidc-provider installed, a test is skipped
// with what to install, so that internal/testall lists it; under CI=true,
// where .ci/run installs it, it fails instead.
func TestLookPathMissing(t *testing.T) {
	noPath := t.TempDir()
	fakeNode := t.TempDir() // a node that lookPath finds and never runs
	require.NoError(t, os.WriteFile(filepath.Join(fakeNode, "node"), []byte("#!/bin/sh\nexit 1\n"), 0o755))
	bare := t.TempDir() // provider.mjs without node_modules
	require.NoError(t, os.WriteFile(filepath.Join(bare, "provider.mjs"), nil, 0o600))
	pkg := filepath.Join(bare, "node_modules", "oidc-provider", "package.json")
	tests := []struct {
		name, ci             string
		path, dir            string // PATH and the script's directory ("": the real one)
		wantFailed, wantSkip string
	}{
		{
			name: "no node", path: noPath,
			wantSkip: "oidc-provider not installed (no node on PATH); to run the tests against a real OpenID provider, install Node.js 18.12 or later with npm and run npm ci --prefix internal/oidctest",
		},
		{
			name: "no node", ci: "true", path: noPath,
			wantFailed: "oidc-provider not installed: .ci/run runs npm ci in internal/oidctest (no node on PATH)",
		},
		{
			name: "no node_modules", path: fakeNode, dir: bare,
			wantSkip: "oidc-provider not installed (no " + pkg + "); to run the tests against a real OpenID provider, install Node.js 18.12 or later with npm and run npm ci --prefix internal/oidctest",
		},
		{
			name: "no node_modules", ci: "true", path: fakeNode, dir: bare,
			wantFailed: "oidc-provider not installed: .ci/run runs npm ci in internal/oidctest (no " + pkg + ")",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+" CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv("PATH", tt.path)
			if tt.dir != "" {
				saved := findScriptDir
				findScriptDir = func() (string, error) { return tt.dir, nil }
				t.Cleanup(func() { findScriptDir = saved })
			}
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) { lookPath(r) })
			assert.Equal(t, tt.wantFailed, r.FailMessage)
			assert.Equal(t, tt.wantSkip, r.SkipMessage)
		})
	}
}

// scriptDir finds provider.mjs from the source file, as the test binary
// was built here.
func TestScriptDir(t *testing.T) {
	dir, err := scriptDir()
	require.NoError(t, err)
	_, err = os.Stat(dir + "/provider.mjs")
	assert.NoError(t, err)
}
