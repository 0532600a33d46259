package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
)

// Scopes as GitHub answers them: X-OAuth-Scopes on every authenticated
// response, X-Accepted-OAuth-Scopes on a scoped route, 403 with the JSON
// error and RFC 6750's insufficient_scope challenge for a scoped
// credential without an accepted scope; the account's own credentials
// (Basic with the password, a token of Login) have every scope.
func TestRequireScopes(t *testing.T) {
	idp := newTestIdP(t, "rsa-1")
	f := newFixture(t, func(c *auth.Config) {
		c.Scopes = []string{"posts:read", "posts:write", "user"}
		c.Issuers = []auth.IssuerConfig{{Issuer: idp.srv.URL, Audience: "https://api.myblog.com"}}
	})
	f.clock.Advance(issuerNow.Sub(f.clock.Now()))
	sign := func(scopes ...string) string {
		t.Helper()
		token, _, err := f.auth.Tokens().Sign(auth.Access, "u-bob", "s", scopes)
		require.NoError(t, err)
		return "Bearer " + token
	}
	external := func(scope any) string {
		return "Bearer " + idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, func(c jwt.MapClaims) {
			delete(c, "scope")
			if scope != nil {
				c["scope"] = scope
			}
		}))
	}
	route := f.auth.RequireScopes("posts:write", "admin")(whoami)
	const forbidden = `{"message":"Resource not accessible by this token: it has none of the scopes this route accepts","documentation_url":"https://developer.myblog.com/v3"}`
	tests := []struct {
		name          string
		authorization string
		status        int
		oauthScopes   string // X-OAuth-Scopes; "-" for none
	}{
		{"a login token: unrestricted", "Bearer " + f.login(t, "alice").Token, 200, "posts:read, posts:write, user"},
		{"Basic with the password: unrestricted", basic("alice", password), 200, "posts:read, posts:write, user"},
		{"a token with the scope", sign("posts:write"), 200, "posts:write"},
		{"a token with another accepted scope", sign("admin"), 200, "admin"},
		{"a parent scope covers it", sign("posts"), 200, "posts"},
		{"a token without it", sign("posts:read", "user"), 403, "posts:read, user"},
		{"a prefix that is not a parent", sign("post"), 403, "post"},
		{"another issuer's token with the scope", external("posts:write openid"), 200, "posts:write, openid"},
		{"another issuer's token without scopes", external(nil), 403, ""},
		{"no credentials", "", 401, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.authorization != "" {
				header = []string{"Authorization", tt.authorization}
			}
			w := f.do(route, "POST", "/posts", "", header...)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.oauthScopes == "-" {
				assert.NotContains(t, w.Header(), "X-Oauth-Scopes")
			} else {
				assert.Equal(t, []string{tt.oauthScopes}, w.Header().Values(auth.HeaderOAuthScopes))
			}
			switch tt.status {
			case 200:
				assert.Equal(t, "posts:write, admin", w.Header().Get(auth.HeaderAcceptedOAuthScopes))
			case 403:
				assert.Equal(t, "posts:write, admin", w.Header().Get(auth.HeaderAcceptedOAuthScopes))
				assert.JSONEq(t, forbidden, w.Body.String())
				assert.Equal(t, `Bearer realm="API", error="insufficient_scope", scope="posts:write admin"`, w.Header().Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("every authenticated response says its scopes, scoped route or not", func(t *testing.T) {
		w := f.do(f.auth.Handler(whoami), "GET", "/", "", "Authorization", sign("posts:read"))
		assert.Equal(t, "posts:read", w.Header().Get(auth.HeaderOAuthScopes))
		assert.Empty(t, w.Header().Get(auth.HeaderAcceptedOAuthScopes))
		w = f.do(f.auth.Handler(whoami), "GET", "/", "")
		assert.NotContains(t, w.Header(), "X-Oauth-Scopes", "anonymous: none")
	})
	t.Run("RequireScopes without scopes is Require", func(t *testing.T) {
		w := f.do(f.auth.RequireScopes()(whoami), "GET", "/", "", "Authorization", sign("posts:read"))
		assert.Equal(t, 200, w.Code)
		assert.Equal(t, 401, f.do(f.auth.RequireScopes()(whoami), "GET", "/", "").Code)
	})
}

// CheckScopes answers a private resource's missing scope as a missing
// resource: 404.
func TestCheckScopes(t *testing.T) {
	ctx := func(id auth.Identity) context.Context { return auth.WithIdentity(context.Background(), id) }
	tests := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"the scope", ctx(auth.Identity{Subject: "u", Scopes: []string{"repo"}}), true},
		{"a parent", ctx(auth.Identity{Subject: "u", Scopes: []string{"posts"}}), true},
		{"another scope", ctx(auth.Identity{Subject: "u", Scopes: []string{"user"}}), false},
		{"no identity", context.Background(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.CheckScopes(tt.ctx, "repo", "posts:write")
			if tt.want {
				assert.NoError(t, err)
				return
			}
			var e *apierrors.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusNotFound, e.Status)
		})
	}
	assert.True(t, auth.Identity{Subject: "u", Scopes: []string{"user"}}.HasScope("user:email"))
	assert.False(t, auth.Identity{Subject: "u", Scopes: []string{"user:email"}}.HasScope("user"))
}

func TestScopesConfig(t *testing.T) {
	_, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}},
		Scopes: []string{"posts:read", "two words", ""},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Scopes[1]: "two words"`)
	assert.Contains(t, err.Error(), `Scopes[2]: ""`)
}

// The headers are on the client's response, before the body.
func TestScopeHeadersOnTheWire(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.Scopes = []string{"posts:write"} })
	srv := httptest.NewServer(f.auth.RequireScopes("posts:write")(whoami))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest("GET", srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.login(t, "alice").Token)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "posts:write", resp.Header.Get(auth.HeaderOAuthScopes))
	assert.Equal(t, "posts:write", resp.Header.Get(auth.HeaderAcceptedOAuthScopes))
}
