package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
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
	id, ok := auth.FromContext(r.Context())
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
	return decodePair(t, w.Body.Bytes())
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
		Tokens: auth.TokenConfig{
			Keys: []auth.Key{{Secret: []byte("short")}},
			Now:  time.Now,
		},
		MaxFailures:    -1,
		LockoutWindow:  time.Millisecond,
		Realm:          "caf\u00e9",
		RefreshPath:    "refresh",
		MaxHeaderBytes: 10,
	})
	require.Error(t, err)
	assert.Equal(t, []string{
		"auth: Tokens.Now: must be nil: Now is the clock of the whole Authenticator, tokens included",
		"auth: Tokens.Issuer: is required",
		"auth: Tokens.Keys[0].Secret: must be at least 32 bytes for HS256 (RFC 7518 §3.2)",
		"auth: MaxFailures: must not be negative",
		"auth: LockoutWindow: must be at least one second",
		"auth: Realm: must be printable ASCII",
		`auth: RefreshPath: must start with "/"`,
		"auth: MaxHeaderBytes: must be at least 256 (a signed token does not fit in less)",
	}, configProblems(t, err))
}

// TestOneClock: Config.Now drives every part of auth: the tokens' iat
// and exp, their verification, the cache, the lockout window and the
// refresh sessions.
func TestOneClock(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.MaxFailures = 1 })
	h := f.auth.Handler(whoami)

	pair := f.login(t, "alice")
	claims, err := f.auth.Tokens().Verify(pair.Token, auth.Access)
	require.NoError(t, err)
	assert.Equal(t, t0, claims.IssuedAt.Time.UTC(), "issue")
	assert.Equal(t, "token:u-alice:", f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+pair.Token).Body.String(), "fills the cache")

	f.clock.Advance(5 * time.Minute)
	code, _, _ := f.loginStatus("bob", "wrong", "192.0.2.1")
	require.Equal(t, 401, code)
	f.clock.Advance(5 * time.Minute)
	code, header, _ := f.loginStatus("bob", password, "192.0.2.2")
	require.Equal(t, 403, code)
	assert.Equal(t, "600", header.Get("Retry-After"), "the lockout window opened at t0+5m and closes at t0+20m")

	f.clock.Advance(2*time.Hour - 10*time.Minute)
	assert.Equal(t, 401, f.do(h, "GET", "/posts", "", "Authorization", "Bearer "+pair.Token).Code, "cache and verification agree the token expired")
	_, err = f.auth.Tokens().Verify(pair.Token, auth.Access)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "verification")
	code, _, _ = f.loginStatus("bob", password, "192.0.2.2")
	assert.Equal(t, 200, code, "the lockout window closed")

	f.clock.Advance(14*24*time.Hour - 2*time.Hour)
	w := f.do(f.auth.Refresh(), "PATCH", auth.DefaultRefreshPath, refreshBody(pair.RefreshToken))
	assert.Equal(t, 401, w.Code, "the refresh token and its session expired two weeks after t0")
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
	assert.Equal(t, 503, w.Code, "the user database is down: a store outage")
	assert.NotContains(t, w.Body.String(), "database")
	assert.NotContains(t, f.logs.String(), "hunter2-secret")
	assert.NotContains(t, w.Body.String(), "hunter2-secret")
}

// TestEnvelopeRenderer: the default bodies are bare (GitHub's shape,
// tested in TestLogin); a Renderer with the envelope wraps them.
func TestEnvelopeRenderer(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.Render = render.New(render.Config{Envelope: true}) })
	w := f.do(f.auth.Login(), "POST", "/login", `{"username":"alice","password":"`+password+`"}`)
	require.Equal(t, 200, w.Code)
	var env struct {
		Data auth.Pair `json:"data"`
		Code string    `json:"code"`
		Msg  string    `json:"msg"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
	assert.NotEmpty(t, env.Data.Token)
	assert.NotEmpty(t, env.Data.RefreshToken)
	assert.Equal(t, int64(7200), env.Data.ExpiresIn)
	assert.Equal(t, "200", env.Code)
	assert.Equal(t, "SUCCESS", env.Msg)

	w = f.do(f.auth.Logout(), "DELETE", auth.DefaultRefreshPath, refreshBody(env.Data.RefreshToken))
	assert.Equal(t, 200, w.Code)
	assert.JSONEq(t, `{"code":"200","msg":"SUCCESS"}`, w.Body.String())
}

func TestIdentityContextIsAContext(t *testing.T) {
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "kept"))
	ctx := auth.WithIdentity(parent, auth.Identity{Subject: "u-alice"})
	id, ok := auth.FromContext(ctx)
	require.True(t, ok)
	assert.Equal(t, "u-alice", id.Subject)
	assert.Equal(t, "kept", ctx.Value(otherKey{}), "other values pass through")
	assert.Contains(t, fmt.Sprint(ctx), "auth.Identity")
	cancel()
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled, "cancellation passes through")
	inner := auth.WithIdentity(ctx, auth.Identity{Subject: "u-bob"})
	id, _ = auth.FromContext(inner)
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

// hookCall is what a custom OnError saw when it ran.
type hookCall struct {
	status     int
	challenge  string // WWW-Authenticate, as set on w before the hook ran
	retryAfter string // Retry-After, likewise
}

// TestOnErrorOnARealServer: every refusal goes through OnError after the
// middleware set its headers and before any status was written, so the
// hook's status, Content-Type and body reach a real client whole, with
// WWW-Authenticate and Retry-After.
func TestOnErrorOnARealServer(t *testing.T) {
	calls := make(chan hookCall, 16)
	hook := func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		h := w.Header()
		calls <- hookCall{
			status:     e.Status,
			challenge:  h.Get("WWW-Authenticate"),
			retryAfter: h.Get("Retry-After"),
		}
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Hook", "ran")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("refused: " + e.Message))
	}
	serve := func(t *testing.T, mutate ...func(*auth.Config)) (*fixture, *httptest.Server, *bytes.Buffer) {
		f := newFixture(t, append([]func(*auth.Config){func(c *auth.Config) { c.OnError = hook; c.MaxFailures = 1 }}, mutate...)...)
		mux := http.NewServeMux()
		mux.Handle("/posts", whoami)
		mux.Handle("/user", f.auth.Require(whoami))
		mux.Handle("POST /login", f.auth.Login())
		mux.Handle("PATCH "+auth.DefaultRefreshPath, f.auth.Refresh())
		mux.Handle("DELETE "+auth.DefaultRefreshPath, f.auth.Logout())
		server := httptest.NewUnstartedServer(f.auth.Handler(mux))
		serverLog := new(syncBuffer)
		server.Config.ErrorLog = log.New(serverLog, "", 0)
		server.Start()
		t.Cleanup(server.Close)
		return f, server, &serverLog.buf
	}
	send := func(t *testing.T, server *httptest.Server, method, path, body string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, server.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Add(header[i], header[i+1])
		}
		resp, err := server.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	loginBody := func(pw string) string { return `{"username":"alice","password":"` + pw + `"}` }
	const invalid = `Bearer realm="API", error="invalid_token"`

	tests := []struct {
		name    string
		mutate  func(*auth.Config)
		request func(t *testing.T, f *fixture, server *httptest.Server) *http.Response
		want    hookCall
		message string
	}{
		{
			name: "RFC 6750 3.1: 401 for a bad token, with its challenge",
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				return send(t, s, "GET", "/posts", "", "Authorization", "Bearer nope")
			},
			want: hookCall{status: 401, challenge: invalid}, message: auth.MsgBadCredentials,
		},
		{
			name: "RFC 9110 15.5.2: 401 Requires authentication",
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				return send(t, s, "GET", "/user", "")
			},
			want: hookCall{status: 401, challenge: `Bearer realm="API"`}, message: auth.MsgRequiresAuthentication,
		},
		{
			name: "RFC 7617: 401 for a wrong Basic password",
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				return send(t, s, "GET", "/posts", "", "Authorization", basic("alice", "wrong"))
			},
			want: hookCall{status: 401, challenge: `Basic realm="API", charset="UTF-8"`}, message: auth.MsgBadCredentials,
		},
		{
			name: "403 lockout with Retry-After",
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				resp := send(t, s, "POST", "/login", loginBody("wrong"))
				require.Equal(t, http.StatusTeapot, resp.StatusCode)
				<-calls
				return send(t, s, "POST", "/login", loginBody(password))
			},
			want: hookCall{status: 403, retryAfter: "900"}, message: auth.MsgLoginAttemptsExceeded,
		},
		{
			name: "422 on a login body",
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				return send(t, s, "POST", "/login", `{}`)
			},
			want: hookCall{status: 422}, message: apierrors.MsgValidationFailed,
		},
		{
			name: "400 on a broken refresh body",
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				return send(t, s, "PATCH", auth.DefaultRefreshPath, `{"refresh_token":`)
			},
			want: hookCall{status: 400}, message: apierrors.MsgProblemsParsingJSON,
		},
		{
			name: "401 on refresh-token reuse",
			request: func(t *testing.T, f *fixture, s *httptest.Server) *http.Response {
				pair := f.login(t, "alice")
				resp := send(t, s, "PATCH", auth.DefaultRefreshPath, refreshBody(pair.RefreshToken))
				require.Equal(t, 200, resp.StatusCode)
				return send(t, s, "PATCH", auth.DefaultRefreshPath, refreshBody(pair.RefreshToken))
			},
			want: hookCall{status: 401, challenge: invalid}, message: auth.MsgBadCredentials,
		},
		{
			name:   "RFC 9110 15.6.4: 503 with Retry-After when a store fails",
			mutate: func(c *auth.Config) { c.AttemptStore = failingAttempts{} },
			request: func(t *testing.T, _ *fixture, s *httptest.Server) *http.Response {
				return send(t, s, "POST", "/login", loginBody(password))
			},
			want: hookCall{status: 503, retryAfter: "30"}, message: auth.MsgAuthenticationSuspended,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mutate []func(*auth.Config)
			if tt.mutate != nil {
				mutate = append(mutate, tt.mutate)
			}
			for len(calls) > 0 {
				<-calls // left by a failed case
			}
			f, server, serverLog := serve(t, mutate...)
			resp := tt.request(t, f, server)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			var got hookCall
			select {
			case got = <-calls:
			default:
				t.Fatal("the hook did not run")
			}
			assert.Equal(t, tt.want, got, "what the hook saw")

			assert.Equal(t, http.StatusTeapot, resp.StatusCode, "the hook's status")
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"), "the hook's Content-Type")
			assert.Equal(t, "ran", resp.Header.Get("X-Hook"))
			assert.Equal(t, "refused: "+tt.message, string(body), "the hook's body")
			assert.Equal(t, tt.want.challenge, resp.Header.Get("WWW-Authenticate"))
			assert.Equal(t, tt.want.retryAfter, resp.Header.Get("Retry-After"))
			server.Close() // flushes the server's log
			assert.NotContains(t, serverLog.String(), "superfluous", "nothing was written before the hook")
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []observe.Event
}

func (r *recorder) Observe(ev observe.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// take returns the events since the last take, as "decision detail".
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, string(ev.Decision)+" "+ev.Detail)
	}
	r.events = nil
	return out
}

func TestObserver(t *testing.T) {
	obs := new(recorder)
	f := newFixture(t, func(c *auth.Config) {
		c.Observer = obs
		c.MaxFailures = 2
	})
	h := f.auth.Handler(whoami)
	pair := f.login(t, "alice")
	expired := validClaims(auth.Access)
	expired.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Second))
	expiredToken := forge(t, jwt.SigningMethodHS256, secret, expired, nil)
	tampered := pair.Token[:len(pair.Token)-2] + flip(pair.Token[len(pair.Token)-2]) + pair.Token[len(pair.Token)-1:]
	require.Equal(t, []string{"login_succeeded login"}, obs.take())

	get := func(header ...string) { f.do(h, "GET", "/posts", "", header...) }
	tests := []struct {
		name    string
		traffic func()
		want    []string
	}{
		{"anonymous: no decision", func() { get() }, nil},
		{"a new token, then the same one", func() {
			get("Authorization", "Bearer "+pair.Token)
			get("Authorization", "token "+pair.Token)
		}, []string{"token_accepted verified", "token_accepted cached"}},
		{"refused tokens, with their reasons", func() {
			get("Authorization", "Bearer not.a.jwt")
			get("Authorization", "Bearer "+expiredToken)
			get("Authorization", "Bearer "+pair.RefreshToken)
			get("Authorization", "Bearer "+tampered)
			get("Authorization", "Digest x")
			get("Authorization", "Bearer "+strings.Repeat("a", 5000))
			get("Authorization", "Bearer "+pair.Token, "Authorization", "Bearer "+pair.Token)
			f.do(f.auth.Require(whoami), "GET", "/user", "")
		}, []string{"token_refused malformed", "token_refused expired", "token_refused wrong_type", "token_refused signature",
			"token_refused scheme", "token_refused too_large", "token_refused duplicate", "token_refused missing"}},
		{"passwords, then the lockout", func() {
			get("Authorization", basic("bob", password))
			get("Authorization", basic("bob", "wrong"))
			f.loginStatus("bob", "wrong", "198.51.100.1")
			f.loginStatus("bob", password, "198.51.100.2")
		}, []string{"login_succeeded basic", "login_failed basic", "login_failed login", "locked_out account"}},
		{"a login body refused", func() {
			f.do(f.auth.Login(), "POST", "/login", `{}`)
		}, []string{"invalid login"}},
		{"refresh, reuse", func() {
			second := f.do(f.auth.Refresh(), "PATCH", auth.DefaultRefreshPath, refreshBody(pair.RefreshToken))
			require.Equal(t, 200, second.Code)
			f.do(f.auth.Refresh(), "PATCH", auth.DefaultRefreshPath, refreshBody(pair.RefreshToken))
			f.do(f.auth.Refresh(), "PATCH", auth.DefaultRefreshPath, refreshBody(decodePair(t, second.Body.Bytes()).RefreshToken))
			f.do(f.auth.Refresh(), "PATCH", auth.DefaultRefreshPath, "")
		}, []string{"refreshed ", "refresh_reused ", "token_refused unknown_session", "token_refused missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.traffic()
			assert.Equal(t, tt.want, obs.take())
		})
	}

	t.Run("an accepted token's event carries the identity", func(t *testing.T) {
		get("Authorization", "Bearer "+pair.Token)
		obs.mu.Lock()
		defer obs.mu.Unlock()
		require.Len(t, obs.events, 1)
		ev := obs.events[0]
		assert.Equal(t, "auth", ev.Middleware)
		id, ok := auth.FromContext(ev.Request.Context())
		require.True(t, ok)
		assert.Equal(t, "u-alice", id.Subject)
		obs.events = nil
	})

	t.Run("store errors", func(t *testing.T) {
		obs := new(recorder)
		closed := newFixture(t, func(c *auth.Config) { c.Observer = obs; c.AttemptStore = failingAttempts{} })
		closed.loginStatus("alice", password, "192.0.2.1")
		assert.Equal(t, []string{"store_error acquire"}, obs.take())

		open := newFixture(t, func(c *auth.Config) {
			c.Observer = obs
			c.AttemptStore = failingAttempts{}
			c.LockoutFailOpen = true
			c.TokenStore = failingTokens{}
		})
		open.loginStatus("alice", password, "192.0.2.1")
		obs.mu.Lock()
		for _, ev := range obs.events {
			if ev.Decision == observe.StoreError {
				assert.EqualError(t, ev.Err, "connection refused")
			}
		}
		obs.mu.Unlock()
		// One acquire for the client's and the account's counters.
		assert.Equal(t, []string{"store_error acquire", "login_succeeded login", "store_error start"}, obs.take())

		down := newFixture(t, func(c *auth.Config) {
			c.Observer = obs
			c.CheckPassword = func(context.Context, string, string) (string, error) { return "", errors.New("database is down") }
		})
		down.loginStatus("alice", password, "192.0.2.1")
		assert.Equal(t, []string{"store_error check_password"}, obs.take())
		assert.Contains(t, down.logs.String(), `level=ERROR msg="auth: CheckPassword failed" error="database is down" method=POST path=/login`)
	})
}
