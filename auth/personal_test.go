package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
)

// Personal access tokens: as a bearer token, with GitHub's "token"
// scheme, and as the password of Basic, each a scoped credential that
// CheckToken decides on every request; a JWT never reaches CheckToken, a
// token never reaches CheckPassword.
func TestPersonalTokens(t *testing.T) {
	const pat = "myblog_pat_abcdefghijklmnopqrstuvwxyz0123456789"
	var checks, passwordChecks atomic.Int64
	failing := atomic.Bool{}
	obs := new(recorder)
	f := newFixture(t, func(c *auth.Config) {
		c.Observer = obs
		c.Scopes = []string{"posts:read", "posts:write"}
		c.TokenPrefix = "myblog_pat_"
		c.CheckToken = func(_ context.Context, token string) (auth.TokenGrant, error) {
			checks.Add(1)
			switch {
			case failing.Load():
				return auth.TokenGrant{}, errors.New("database down")
			case token == pat:
				return auth.TokenGrant{Subject: "u-alice", ID: "pat-1", Scopes: []string{"posts:read"}}, nil
			case token == pat+"none":
				return auth.TokenGrant{Subject: "u-alice", ID: "pat-2"}, nil
			}
			return auth.TokenGrant{}, auth.ErrBadCredentials
		}
		check := c.CheckPassword
		c.CheckPassword = func(ctx context.Context, login, password string) (string, error) {
			passwordChecks.Add(1)
			return check(ctx, login, password)
		}
	})
	read := f.auth.RequireScopes("posts:read")(whoami)
	write := f.auth.RequireScopes("posts:write")(whoami)
	tests := []struct {
		name          string
		handler       http.Handler
		authorization string
		status        int
		body          string
		oauthScopes   string
		event         string
	}{
		{"Bearer", read, "Bearer " + pat, 200, "token:u-alice:posts:read", "posts:read", "token_accepted personal_token"},
		{"GitHub's token scheme", read, "token " + pat, 200, "token:u-alice:posts:read", "posts:read", "token_accepted personal_token"},
		{"Basic, the token as the password", read, basic("alice", pat), 200, "token:u-alice:posts:read", "posts:read", "token_accepted personal_basic"},
		{"a scope it lacks", write, "Bearer " + pat, 403, "", "posts:read", "token_accepted personal_token"},
		{"a token with no scopes", read, "Bearer " + pat + "none", 403, "", "", "token_accepted personal_token"},
		{"an unknown token", read, "Bearer " + pat + "x", 401, `{"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}`, "-", "token_refused personal_token"},
		{"an unknown token as a Basic password", read, basic("alice", pat+"x"), 401, `{"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}`, "-", "token_refused personal_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs.take()
			w := f.do(tt.handler, "GET", "/", "", "Authorization", tt.authorization)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
			if tt.oauthScopes == "-" {
				assert.NotContains(t, w.Header(), "X-Oauth-Scopes")
			} else {
				assert.Equal(t, []string{tt.oauthScopes}, w.Header().Values(auth.HeaderOAuthScopes))
			}
			assert.Contains(t, obs.take(), tt.event)
		})
	}
	assert.Zero(t, passwordChecks.Load(), "a token as a Basic password never reaches CheckPassword")

	checks.Store(0)
	f.do(f.auth.Handler(whoami), "GET", "/", "", "Authorization", "Bearer "+f.login(t, "alice").Token)
	assert.Zero(t, checks.Load(), "a JWT never reaches CheckToken")
	for range 3 {
		f.do(read, "GET", "/", "", "Authorization", "Bearer "+pat)
	}
	assert.Equal(t, int64(3), checks.Load(), "checked on every request: a revoked token stops at once")

	failing.Store(true)
	w := f.do(read, "GET", "/", "", "Authorization", "Bearer "+pat)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "CheckToken failing is an outage, not bad credentials")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
}

func TestPersonalTokenConfig(t *testing.T) {
	check := func(context.Context, string) (auth.TokenGrant, error) { return auth.TokenGrant{}, nil }
	tests := []struct {
		name string
		edit func(*auth.Config)
		want string
	}{
		{"CheckToken without a prefix", func(c *auth.Config) { c.CheckToken = check }, "TokenPrefix: required with CheckToken"},
		{"a prefix without CheckToken", func(c *auth.Config) { c.TokenPrefix = "pat_" }, "CheckToken: required with TokenPrefix"},
		{"a prefix a JWT could start with", func(c *auth.Config) { c.CheckToken, c.TokenPrefix = check, "ey." }, "TokenPrefix: at least 3 characters"},
		{"too short", func(c *auth.Config) { c.CheckToken, c.TokenPrefix = check, "p_" }, "TokenPrefix: at least 3 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := auth.Config{Tokens: auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}}}
			tt.edit(&cfg)
			_, err := auth.New(cfg)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tt.want), err.Error())
		})
	}
}
