package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/render"
)

const (
	docURL        = "https://developer.myblog.com/v3"
	password      = "correct horse battery staple"
	badCredsBody  = `{"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}`
	requiresBody  = `{"message":"Requires authentication","documentation_url":"https://developer.myblog.com/v3"}`
	lockedOutBody = `{"message":"Maximum number of login attempts exceeded. Please try again later.","documentation_url":"https://developer.myblog.com/v3"}`
)

// accounts is the test service's user table: login (username or email)
// to subject.
var accounts = map[string]string{
	"alice": "u-alice", "alice@example.com": "u-alice",
	"bob": "u-bob", "bob@example.com": "u-bob",
}

func checkPassword(_ context.Context, login, pw string) (string, error) {
	subject, ok := accounts[strings.ToLower(login)]
	if !ok || pw != password {
		return "", auth.ErrBadCredentials
	}
	return subject, nil
}

// accountKey gives a user's username and email one lockout counter.
func accountKey(_ context.Context, login string) (string, error) {
	if subject, ok := accounts[strings.ToLower(login)]; ok {
		return subject, nil
	}
	return strings.ToLower(login), nil
}

type fixture struct {
	auth  *auth.Authenticator
	clock *clock
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, mutate ...func(*auth.Config)) *fixture {
	t.Helper()
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: docURL})
	require.NoError(t, err)
	f := &fixture{clock: newClock(), logs: new(bytes.Buffer)}
	cfg := auth.Config{
		Tokens:        auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}},
		CheckPassword: checkPassword,
		AccountKey:    accountKey,
		Errors:        errs,
		Logger:        slog.New(slog.NewTextHandler(f.logs, nil)),
		Now:           f.clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	f.auth, err = auth.New(cfg)
	require.NoError(t, err)
	return f
}

// whoami answers with the request's identity, or "anonymous".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := auth.IdentityFrom(r.Context())
	if !ok {
		_, _ = w.Write([]byte("anonymous"))
		return
	}
	_, _ = w.Write([]byte(id.Method.String() + ":" + id.Subject + ":" + strings.Join(id.Scopes, ",")))
})

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func (f *fixture) do(h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func (f *fixture) login(t *testing.T, login string) auth.Pair {
	t.Helper()
	w := f.do(f.auth.Login(), "POST", "/login", `{"username":"`+login+`","password":"`+password+`"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var env struct {
		Data auth.Pair `json:"data"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
	return env.Data
}

func TestMiddleware(t *testing.T) {
	f := newFixture(t)
	pair := f.login(t, "alice")
	scoped, _, err := f.auth.Tokens().Sign(auth.Access, "u-bob", "s", []string{"repo", "user"})
	require.NoError(t, err)
	const invalid = `Bearer realm="API", error="invalid_token"`
	const basicChallenge = `Basic realm="API", charset="UTF-8"`
	tests := []struct {
		name          string
		path          string
		header        []string
		wantStatus    int
		wantBody      string
		wantChallenge []string
	}{
		{"no credentials: anonymous", "/posts", nil, 200, "anonymous", nil},
		{"empty Authorization: anonymous", "/posts", []string{"Authorization", ""}, 200, "anonymous", nil},
		{"Bearer", "/posts", []string{"Authorization", "Bearer " + pair.Token}, 200, "token:u-alice:", nil},
		{"GitHub's token scheme", "/posts", []string{"Authorization", "token " + pair.Token}, 200, "token:u-alice:", nil},
		{"RFC 9110 11.1: scheme in any case", "/posts", []string{"Authorization", "bEaReR " + pair.Token}, 200, "token:u-alice:", nil},
		{"scopes reach the identity", "/posts", []string{"Authorization", "Bearer " + scoped}, 200, "token:u-bob:repo,user", nil},
		{"Basic with username", "/posts", []string{"Authorization", basic("alice", password)}, 200, "basic:u-alice:", nil},
		{"Basic with email", "/posts", []string{"Authorization", basic("alice@example.com", password)}, 200, "basic:u-alice:", nil},
		{"RFC 9110 11.1: BASIC", "/posts", []string{"Authorization", "BASIC " + base64.StdEncoding.EncodeToString([]byte("bob:"+password))}, 200, "basic:u-bob:", nil},
		{"bad token", "/posts", []string{"Authorization", "Bearer not.a.jwt"}, 401, badCredsBody, []string{invalid}},
		{"refresh token as access token", "/posts", []string{"Authorization", "Bearer " + pair.RefreshToken}, 401, badCredsBody, []string{invalid}},
		{"refresh token where refresh handlers live: passed through", "/authorizations/refresh-tokens", []string{"Authorization", "Bearer " + pair.RefreshToken}, 200, "anonymous", nil},
		{"wrong password over Basic", "/posts", []string{"Authorization", basic("alice", "wrong")}, 401, badCredsBody, []string{basicChallenge}},
		{"unknown user over Basic", "/posts", []string{"Authorization", basic("mallory", password)}, 401, badCredsBody, []string{basicChallenge}},
		{"Basic without a colon", "/posts", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice"))}, 401, badCredsBody, []string{invalid}},
		{"unsupported scheme", "/posts", []string{"Authorization", "Digest username=alice"}, 401, badCredsBody, []string{invalid}},
		{"scheme without credentials", "/posts", []string{"Authorization", "Bearer"}, 401, badCredsBody, []string{invalid}},
		{"two Authorization fields", "/posts", []string{"Authorization", "Bearer " + pair.Token, "Authorization", "Bearer " + pair.Token}, 401, badCredsBody, []string{invalid}},
		{"header over the cap: refused unparsed", "/posts", []string{"Authorization", "Bearer " + strings.Repeat("a", 5000)}, 401, badCredsBody, []string{invalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(f.auth.Handler(whoami), "GET", tt.path, "", tt.header...)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantBody, w.Body.String())
			assert.Equal(t, tt.wantChallenge, w.Header().Values("WWW-Authenticate"))
			if tt.wantStatus == 401 {
				assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestRequire(t *testing.T) {
	f := newFixture(t)
	pair := f.login(t, "alice")
	tests := []struct {
		name       string
		handler    http.Handler
		header     []string
		wantStatus int
		wantBody   string
	}{
		{"anonymous: 401 Requires authentication", f.auth.Require(whoami), nil, 401, requiresBody},
		{"anonymous under Handler too", f.auth.Handler(f.auth.Require(whoami)), nil, 401, requiresBody},
		{"a token", f.auth.Require(whoami), []string{"Authorization", "Bearer " + pair.Token}, 200, "token:u-alice:"},
		{"a token, under Handler", f.auth.Handler(f.auth.Require(whoami)), []string{"Authorization", "Bearer " + pair.Token}, 200, "token:u-alice:"},
		{"bad credentials stay Bad credentials", f.auth.Require(whoami), []string{"Authorization", "Bearer nope"}, 401, badCredsBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(tt.handler, "GET", "/user", "", tt.header...)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantBody, w.Body.String())
			if tt.wantStatus == 401 {
				assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"), "RFC 9110 15.5.2: a 401 carries a challenge")
			}
		})
	}
}

func TestBasicPasswordCheckedOncePerRequest(t *testing.T) {
	calls := 0
	f := newFixture(t, func(c *auth.Config) {
		c.CheckPassword = func(ctx context.Context, login, pw string) (string, error) {
			calls++
			return checkPassword(ctx, login, pw)
		}
	})
	w := f.do(f.auth.Handler(f.auth.Require(whoami)), "GET", "/user", "", "Authorization", basic("alice", password))
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, 1, calls, "Require under Handler reuses the identity")
}

func TestErrorsKeepOuterHeaders(t *testing.T) {
	f := newFixture(t)
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Remaining", "59")
			next.ServeHTTP(w, r)
		})
	}
	w := f.do(outer(f.auth.Handler(whoami)), "GET", "/posts", "", "Authorization", "Bearer nope")
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, "59", w.Header().Get("X-RateLimit-Remaining"))
}

func TestOnErrorReplacesRefusals(t *testing.T) {
	var got *apierrors.Error
	f := newFixture(t, func(c *auth.Config) {
		c.OnError = func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			got = e
			w.WriteHeader(e.Status)
			_, _ = w.Write([]byte("custom"))
		}
	})
	w := f.do(f.auth.Require(whoami), "GET", "/user", "")
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, "custom", w.Body.String())
	require.NotNil(t, got)
	assert.Equal(t, auth.MsgRequiresAuthentication, got.Message)
	assert.Equal(t, []string{`Bearer realm="API"`}, got.Header.Values("WWW-Authenticate"))
}

func TestBasicDisabled(t *testing.T) {
	for name, mutate := range map[string]func(*auth.Config){
		"DisableBasic":     func(c *auth.Config) { c.DisableBasic = true },
		"no CheckPassword": func(c *auth.Config) { c.CheckPassword = nil },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, mutate)
			w := f.do(f.auth.Handler(whoami), "GET", "/posts", "", "Authorization", basic("alice", password))
			assert.Equal(t, 401, w.Code)
			assert.Equal(t, badCredsBody, w.Body.String())
			assert.Equal(t, []string{`Bearer realm="API"`}, w.Header().Values("WWW-Authenticate"), "Basic is not offered")
		})
	}
}

func TestCheckOwner(t *testing.T) {
	alice := auth.WithIdentity(context.Background(), auth.Identity{Subject: "u-alice", Method: auth.MethodToken})
	assert.NoError(t, auth.CheckOwner(alice, "u-alice"))

	for name, ctx := range map[string]context.Context{
		"someone else": alice,
		"anonymous":    context.Background(),
	} {
		t.Run(name, func(t *testing.T) {
			err := auth.CheckOwner(ctx, "u-bob")
			var e *apierrors.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, apierrors.NotFound(), e, "exactly the 404 of a missing resource")
		})
	}
	t.Run("an empty owner is nobody's", func(t *testing.T) {
		assert.Error(t, auth.CheckOwner(auth.WithIdentity(context.Background(), auth.Identity{}), ""))
	})
}

func TestIdentityHasScope(t *testing.T) {
	id := auth.Identity{Scopes: []string{"repo", "user"}}
	assert.True(t, id.HasScope("user"))
	assert.False(t, id.HasScope("admin"))
	assert.Equal(t, "token", auth.MethodToken.String())
	assert.Equal(t, "basic", auth.MethodBasic.String())
	assert.Equal(t, "Method(9)", auth.Method(9).String())
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := auth.New(auth.Config{
		MaxFailures:    -1,
		LockoutWindow:  time.Millisecond,
		Realm:          "caf\u00e9",
		RefreshPath:    "refresh",
		MaxHeaderBytes: 10,
	})
	require.Error(t, err)
	for _, want := range []string{
		"auth: Config.Tokens.Issuer: is required",
		"auth: Config.Tokens.Keys: at least one key is required",
		"auth: Config.MaxFailures: must not be negative",
		"auth: Config.LockoutWindow: must be at least one second",
		"auth: Config.Realm: must be printable ASCII",
		`auth: Config.RefreshPath: must start with "/"`,
		"auth: Config.MaxHeaderBytes: must be at least 256",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestRealmIsQuoted(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.Realm = `my "blog"` })
	w := f.do(f.auth.Require(whoami), "GET", "/user", "")
	assert.Equal(t, `Bearer realm="my \"blog\""`, w.Header().Get("WWW-Authenticate"))
}

func TestSecretsNeverLogged(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) {
		c.CheckPassword = func(context.Context, string, string) (string, error) {
			return "", errors.New("database is down")
		}
	})
	w := f.do(f.auth.Handler(whoami), "GET", "/posts", "", "Authorization", basic("alice", "hunter2-secret"))
	assert.Equal(t, 500, w.Code)
	assert.NotContains(t, w.Body.String(), "database")
	assert.NotContains(t, f.logs.String(), "hunter2-secret")
	assert.NotContains(t, w.Body.String(), "hunter2-secret")
}

func TestBareRenderer(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.Render = render.New(render.Config{}) })
	w := f.do(f.auth.Login(), "POST", "/login", `{"username":"alice","password":"`+password+`"}`)
	require.Equal(t, 200, w.Code)
	var pair auth.Pair
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &pair))
	assert.NotEmpty(t, pair.Token)
	assert.NotEmpty(t, pair.RefreshToken)
	assert.Equal(t, int64(7200), pair.ExpiresIn)
}

func TestIdentityContextIsAContext(t *testing.T) {
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "kept"))
	ctx := auth.WithIdentity(parent, auth.Identity{Subject: "u-alice"})
	id, ok := auth.IdentityFrom(ctx)
	require.True(t, ok)
	assert.Equal(t, "u-alice", id.Subject)
	assert.Equal(t, "kept", ctx.Value(otherKey{}), "other values pass through")
	assert.Contains(t, fmt.Sprint(ctx), "auth.Identity")
	cancel()
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled, "cancellation passes through")
	inner := auth.WithIdentity(ctx, auth.Identity{Subject: "u-bob"})
	id, _ = auth.IdentityFrom(inner)
	assert.Equal(t, "u-bob", id.Subject, "the innermost identity wins")
}

func TestTokenCacheHonoursExpiry(t *testing.T) {
	for name, size := range map[string]int{"cached": 0, "uncached": -1} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *auth.Config) { c.TokenCacheSize = size })
			token, _, err := f.auth.Tokens().Sign(auth.Access, "u-alice", "s", []string{"read"})
			require.NoError(t, err)
			h := f.auth.Handler(whoami)
			for range 3 {
				w := f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+token)
				require.Equal(t, 200, w.Code)
				assert.Equal(t, "token:u-alice:read", w.Body.String(), "the same identity, from the cache or not")
			}
			f.clock.Advance(2*time.Hour - time.Second)
			assert.Equal(t, 200, f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+token).Code, "valid until its last second")
			f.clock.Advance(time.Second)
			w := f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+token)
			assert.Equal(t, 401, w.Code, "expired, cached or not")
			tampered := token[:len(token)-1] + "x"
			assert.Equal(t, 401, f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+tampered).Code)
		})
	}
}

// TestTokenCacheSpellings: the cache's fast path answers exactly what the
// full parse would, whatever spelling filled the cache and whatever
// spelling reads it.
func TestTokenCacheSpellings(t *testing.T) {
	// MaxHeaderBytes fits "token <token>" exactly, so "Bearer <token>" is
	// one byte too long even when the token is cached.
	probe, _, err := newFixture(t).auth.Tokens().Sign(auth.Access, "u-alice", "s", nil)
	require.NoError(t, err)
	f := newFixture(t, func(c *auth.Config) { c.MaxHeaderBytes = len("token ") + len(probe) })
	token, _, err := f.auth.Tokens().Sign(auth.Access, "u-alice", "s", nil)
	require.NoError(t, err)
	require.Len(t, token, len(probe), "tokens with the same claims have the same length")
	h := f.auth.Handler(whoami)
	require.Equal(t, "token:u-alice:", f.do(h, "GET", "/posts", "", "Authorization", "token "+token).Body.String(), "fills the cache")
	tests := []struct {
		name, path, header string
		code               int
		body               string
	}{
		{"token", "/posts", "token " + token, 200, "token:u-alice:"},
		{"scheme in another case", "/posts", "TOKEN " + token, 200, "token:u-alice:"},
		{"a leading space is one byte too many", "/posts", " token " + token, 401, ""},
		{"Bearer is one byte longer than MaxHeaderBytes", "/posts", "Bearer " + token, 401, ""},
		{"another character after it", "/posts", "Bearer " + token + ",", 401, ""},
		{"a prefix of it", "/posts", "Bearer " + token[:len(token)-2], 401, ""},
		{"on the refresh path an access token is not an identity", auth.DefaultRefreshPath, "token " + token, 200, "anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(h, "GET", tt.path, "", "Authorization", tt.header)
			assert.Equal(t, tt.code, w.Code)
			if tt.code == 200 {
				assert.Equal(t, tt.body, w.Body.String())
			}
		})
	}
}

// TestTokenCacheUnusualSpellings: a header the fast path does not take
// (extra white space) is parsed and verified every time, and answers the
// same, before and after the cache holds its token.
func TestTokenCacheUnusualSpellings(t *testing.T) {
	f := newFixture(t)
	token, _, err := f.auth.Tokens().Sign(auth.Access, "u-alice", "s", nil)
	require.NoError(t, err)
	h := f.auth.Handler(whoami)
	tests := []struct {
		header string
		code   int
	}{
		{"bearer " + token, 200},
		{"Bearer  " + token, 200},
		{"Bearer " + token + " ", 200},
		{"\tBearer " + token, 200},
		{"token\t" + token, 401}, // RFC 9110 §11.4: the scheme and the credentials are separated by SP
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.header[:8]), func(t *testing.T) {
			for i := range 3 {
				w := f.do(h, "GET", "/posts", "", "Authorization", tt.header)
				assert.Equal(t, tt.code, w.Code, "request %d", i)
				if tt.code == 200 {
					assert.Equal(t, "token:u-alice:", w.Body.String(), "request %d", i)
				}
			}
		})
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.TokenCacheSize = 64 })
	h := f.auth.Handler(whoami)
	for i := range 500 {
		token, _, err := f.auth.Tokens().Sign(auth.Access, "u-"+strconv.Itoa(i), "s", nil)
		require.NoError(t, err)
		w := f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+token)
		require.Equal(t, "token:u-"+strconv.Itoa(i)+":", w.Body.String())
	}
}
