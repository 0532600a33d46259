package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/forwarded"
)

func TestLogin(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantBody   string // exact, when the answer is an error
	}{
		{"username", `{"username":"alice","password":"` + password + `"}`, 200, ""},
		{"email", `{"email":"alice@example.com","password":"` + password + `"}`, 200, ""},
		{"username in another case", `{"username":"Alice","password":"` + password + `"}`, 200, ""},
		{"wrong password", `{"username":"alice","password":"nope"}`, 401, badCredsBody},
		{"unknown user", `{"username":"mallory","password":"` + password + `"}`, 401, badCredsBody},
		{"not JSON", `username=alice`, 400, `{"message":"Problems parsing JSON","documentation_url":"https://developer.myblog.com/v3"}`},
		{"not an object", `["alice"]`, 400, `{"message":"Body should be a JSON object","documentation_url":"https://developer.myblog.com/v3"}`},
		{"nothing", `{}`, 422, `{"message":"Validation Failed","errors":[{"resource":"Login","field":"username","code":"missing_field","message":"username or email is required"},{"resource":"Login","field":"password","code":"missing_field"}],"documentation_url":"https://developer.myblog.com/v3"}`},
		{"no password", `{"username":"alice"}`, 422, `{"message":"Validation Failed","errors":[{"resource":"Login","field":"password","code":"missing_field"}],"documentation_url":"https://developer.myblog.com/v3"}`},
		{"password of the wrong type", `{"username":"alice","password":123}`, 422, ""},
		{"password too long to hash", `{"username":"alice","password":"` + strings.Repeat("x", 1025) + `"}`, 422, `{"message":"Validation Failed","errors":[{"resource":"Login","field":"password","code":"invalid","message":"password is longer than 1024 bytes"}],"documentation_url":"https://developer.myblog.com/v3"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(f.auth.Login(), "POST", "/login", tt.body)
			require.Equal(t, tt.wantStatus, w.Code, w.Body.String())
			if tt.wantBody != "" {
				assert.JSONEq(t, tt.wantBody, w.Body.String())
			}
			if tt.wantStatus != 200 {
				return
			}
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), "RFC 6749 5.1: token responses are not cached")
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			var body map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Len(t, body, 3, "a bare body, GitHub's shape: token, refresh_token and expires_in")
			assert.Equal(t, float64(7200), body["expires_in"])
			claims, err := f.auth.Tokens().Verify(body["token"].(string), auth.Access)
			require.NoError(t, err)
			assert.Equal(t, "u-alice", claims.Subject)
			refresh, err := f.auth.Tokens().Verify(body["refresh_token"].(string), auth.Refresh)
			require.NoError(t, err)
			assert.Equal(t, claims.Session, refresh.Session, "both tokens belong to one session")
		})
	}
}

func TestLoginUnavailableWithoutPasswords(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.CheckPassword = nil })
	w := f.do(f.auth.Login(), "POST", "/login", `{"username":"alice","password":"`+password+`"}`)
	assert.Equal(t, 404, w.Code)
}

func refreshBody(token string) string { return `{"refresh_token":"` + token + `"}` }

func TestRefreshRotation(t *testing.T) {
	f := newFixture(t)
	refresh := f.auth.Refresh()
	first := f.login(t, "alice")

	// Through the header, with PATCH.
	f.clock.Advance(time.Hour)
	w := f.do(refresh, "PATCH", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+first.RefreshToken)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	second := decodePair(t, w.Body.Bytes())
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
	claims, err := f.auth.Tokens().Verify(second.Token, auth.Access)
	require.NoError(t, err)
	assert.Equal(t, "u-alice", claims.Subject)
	assert.Equal(t, t0.Add(3*time.Hour), claims.ExpiresAt.Time.UTC(), "a fresh 2 hours")

	// Through the body, with POST.
	w = f.do(refresh, "POST", "/authorizations/refresh-tokens", refreshBody(second.RefreshToken))
	require.Equal(t, 200, w.Code, w.Body.String())
	third := decodePair(t, w.Body.Bytes())

	// The first token again: theft. The session is revoked, so the
	// current (third) refresh token dies with it.
	w = f.do(refresh, "PATCH", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+first.RefreshToken)
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, badCredsBody, w.Body.String())
	assert.Contains(t, f.logs.String(), "refresh token reused; session revoked")
	assert.NotContains(t, f.logs.String(), first.RefreshToken, "tokens never reach the log")

	w = f.do(refresh, "PATCH", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+third.RefreshToken)
	assert.Equal(t, 401, w.Code, "the whole family is revoked")

	// Other sessions of the same user are not touched.
	other := f.login(t, "alice")
	w = f.do(refresh, "PATCH", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+other.RefreshToken)
	assert.Equal(t, 200, w.Code)
}

func decodePair(t *testing.T, body []byte) auth.Pair {
	t.Helper()
	var pair auth.Pair
	require.NoError(t, json.Unmarshal(body, &pair))
	require.NotEmpty(t, pair.Token)
	return pair
}

func TestRefreshRefuses(t *testing.T) {
	f := newFixture(t)
	pair := f.login(t, "alice")
	outsider, _, err := f.auth.Tokens().Sign(auth.Refresh, "u-alice", "never-started", nil)
	require.NoError(t, err)
	noSession, _, err := f.auth.Tokens().Sign(auth.Refresh, "u-alice", "", nil)
	require.NoError(t, err)
	tests := []struct {
		name       string
		body       string
		header     []string
		wantStatus int
		wantBody   string
	}{
		{"access token as refresh token", "", []string{"Authorization", "Bearer " + pair.Token}, 401, badCredsBody},
		{"access token in the body", refreshBody(pair.Token), nil, 401, badCredsBody},
		{"a token of no known session", refreshBody(outsider), nil, 401, badCredsBody},
		{"a refresh token outside any session", refreshBody(noSession), nil, 401, badCredsBody},
		{"garbage", refreshBody("garbage"), nil, 401, badCredsBody},
		{"Basic credentials", "", []string{"Authorization", basic("alice", password)}, 401, badCredsBody},
		{"nothing at all", "", nil, 401, requiresBody},
		{"a body without the token", `{"token":"x"}`, nil, 422, `{"message":"Validation Failed","errors":[{"resource":"RefreshToken","field":"refresh_token","code":"missing_field"}],"documentation_url":"https://developer.myblog.com/v3"}`},
		{"a broken body", `{"refresh_token":`, nil, 400, `{"message":"Problems parsing JSON","documentation_url":"https://developer.myblog.com/v3"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(f.auth.Refresh(), "PATCH", "/authorizations/refresh-tokens", tt.body, tt.header...)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.JSONEq(t, tt.wantBody, w.Body.String())
		})
	}

	t.Run("an expired refresh token", func(t *testing.T) {
		f := newFixture(t)
		pair := f.login(t, "alice")
		f.clock.Advance(14*24*time.Hour + time.Second)
		w := f.do(f.auth.Refresh(), "PATCH", "/authorizations/refresh-tokens", refreshBody(pair.RefreshToken))
		assert.Equal(t, 401, w.Code)
	})
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	pair := f.login(t, "alice")
	w := f.do(f.auth.Logout(), "DELETE", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+pair.RefreshToken)
	assert.Equal(t, 204, w.Code, "GitHub's 204 No Content")
	assert.Empty(t, w.Body.String())
	assert.Empty(t, w.Header().Get("Content-Type"))

	w = f.do(f.auth.Refresh(), "PATCH", "/authorizations/refresh-tokens", refreshBody(pair.RefreshToken))
	assert.Equal(t, 401, w.Code, "a revoked session cannot be refreshed")

	w = f.do(f.auth.Logout(), "DELETE", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+pair.Token)
	assert.Equal(t, 401, w.Code, "logout takes the refresh token, not the access token")
}

// Lockout: 403 "Maximum number of login attempts exceeded".

func (f *fixture) loginStatus(login, pw, ip string, header ...string) (int, http.Header, string) {
	r := httptest.NewRequest("POST", "/login", strings.NewReader(`{"username":"`+login+`","password":"`+pw+`"}`))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	r.RemoteAddr = net.JoinHostPort(ip, "5000")
	w := httptest.NewRecorder()
	f.auth.Login().ServeHTTP(w, r)
	return w.Code, w.Header(), w.Body.String()
}

func TestLockoutAccount(t *testing.T) {
	f := newFixture(t)
	for i := range 10 {
		code, _, _ := f.loginStatus("alice", "wrong", "192.0.2."+strconv.Itoa(i+1))
		require.Equal(t, 401, code, "failure %d is still a 401", i+1)
		f.clock.Advance(time.Minute)
	}
	// From another IP, with the right password, by email: the account is locked.
	code, header, body := f.loginStatus("alice@example.com", password, "198.51.100.7")
	assert.Equal(t, 403, code)
	assert.Equal(t, lockedOutBody, body)
	assert.Equal(t, "300", header.Get("Retry-After"), "the window opened 10 minutes ago and lasts 15")

	code, _, _ = f.loginStatus("bob", password, "192.0.2.1")
	assert.Equal(t, 200, code, "another account, and the IP is under its own limit")

	f.clock.Advance(5*time.Minute - time.Second)
	code, header, _ = f.loginStatus("alice", password, "198.51.100.7")
	assert.Equal(t, 403, code)
	assert.Equal(t, "1", header.Get("Retry-After"))

	f.clock.Advance(time.Second)
	code, _, _ = f.loginStatus("alice", password, "198.51.100.7")
	assert.Equal(t, 200, code, "the window has passed")
}

func TestLockoutIP(t *testing.T) {
	f := newFixture(t)
	for i := range 10 {
		code, _, _ := f.loginStatus("user"+string(rune('a'+i)), "wrong", "203.0.113.9")
		require.Equal(t, 401, code)
	}
	code, header, body := f.loginStatus("alice", password, "203.0.113.9")
	assert.Equal(t, 403, code, "valid credentials from a locked IP")
	assert.Equal(t, lockedOutBody, body)
	assert.Equal(t, "900", header.Get("Retry-After"))

	code, _, _ = f.loginStatus("alice", password, "203.0.113.10")
	assert.Equal(t, 200, code, "from another IP the account is fine")
}

func TestLockoutCountsBasic(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.MaxFailures = 3 })
	h := f.auth.Handler(whoami)
	for range 2 {
		w := f.do(h, "GET", "/posts", "", "Authorization", basic("alice", "wrong"))
		require.Equal(t, 401, w.Code)
	}
	code, _, _ := f.loginStatus("alice", "wrong", "192.0.2.1")
	require.Equal(t, 401, code, "the third failure, through Login")

	w := f.do(h, "GET", "/posts", "", "Authorization", basic("alice", password))
	assert.Equal(t, 403, w.Code, "Basic is refused while locked, right password included")
	assert.Equal(t, lockedOutBody, w.Body.String())
	assert.Equal(t, "900", w.Header().Get("Retry-After"))
	code, _, _ = f.loginStatus("alice", password, "198.51.100.1")
	assert.Equal(t, 403, code, "and so is Login")
}

func TestSuccessResetsTheAccountButNotTheIP(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) { c.MaxFailures = 3 })
	for range 2 {
		code, _, _ := f.loginStatus("alice", "wrong", "192.0.2.1")
		require.Equal(t, 401, code)
	}
	code, _, _ := f.loginStatus("alice", password, "198.51.100.1")
	require.Equal(t, 200, code)
	for range 3 {
		code, _, _ := f.loginStatus("alice", "wrong", "198.51.100.2")
		require.Equal(t, 401, code, "the owner's login reset the account's count")
	}

	// An attacker with an account of their own cannot reset their IP's
	// count by logging in to it between guesses.
	f2 := newFixture(t, func(c *auth.Config) { c.MaxFailures = 3 })
	for range 3 {
		code, _, _ := f2.loginStatus("alice", "wrong", "192.0.2.66")
		require.Equal(t, 401, code)
		code, _, _ = f2.loginStatus("bob", password, "192.0.2.66")
		if code == 403 {
			break
		}
	}
	code, _, _ = f2.loginStatus("bob", password, "192.0.2.66")
	assert.Equal(t, 403, code)
}

func TestLockoutUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	const goroutines = 100
	var unauthorized, forbidden atomic.Int64
	var checks atomic.Int64
	f2 := newFixture(t, func(c *auth.Config) {
		c.CheckPassword = func(ctx context.Context, login, pw string) (string, error) {
			checks.Add(1)
			return checkPassword(ctx, login, pw)
		}
	})
	for _, fx := range []*fixture{f, f2} {
		unauthorized.Store(0)
		forbidden.Store(0)
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				// Every goroutine from its own IP: only the account limit applies.
				code, _, _ := fx.loginStatus("alice", "wrong", "10.0."+strconv.Itoa(i/256)+"."+strconv.Itoa(i%256))
				switch code {
				case 401:
					unauthorized.Add(1)
				case 403:
					forbidden.Add(1)
				default:
					t.Errorf("unexpected status %d", code)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(10), unauthorized.Load(), "exactly MaxFailures wrong passwords are checked")
		assert.Equal(t, int64(goroutines-10), forbidden.Load())
	}
	assert.Equal(t, int64(10), checks.Load(), "a locked attempt never reaches CheckPassword")
}

// TestLockoutKeysByClientKey: the per-client counter is
// Resolver.ClientKey, so an IPv6 client counts as its /64, and behind a
// trusted proxy the client is the forwarded one.
func TestLockoutKeysByClientKey(t *testing.T) {
	behindProxy, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	per128, err := forwarded.New(forwarded.Config{IPv6Prefix: 128})
	require.NoError(t, err)
	type attempt struct {
		ip, xff  string
		wantCode int // of a right password, after two wrong ones from the first two addresses
	}
	tests := []struct {
		name     string
		resolver *forwarded.Resolver
		failures [2]attempt
		then     []attempt
	}{
		{
			name:     "nil Resolver: an IPv6 client is its /64",
			failures: [2]attempt{{ip: "2001:db8:1:2::1"}, {ip: "2001:db8:1:2:ffff::2"}},
			then:     []attempt{{ip: "2001:db8:1:2::3", wantCode: 403}, {ip: "2001:db8:1:3::1", wantCode: 200}},
		},
		{
			name:     "nil Resolver: a forwarding header is not believed",
			failures: [2]attempt{{ip: "10.0.0.1", xff: "192.0.2.1"}, {ip: "10.0.0.1", xff: "192.0.2.2"}},
			then:     []attempt{{ip: "10.0.0.1", xff: "192.0.2.3", wantCode: 403}},
		},
		{
			name:     "IPv6Prefix 128: every address counts alone",
			resolver: per128,
			failures: [2]attempt{{ip: "2001:db8:1:2::1"}, {ip: "2001:db8:1:2::1"}},
			then:     []attempt{{ip: "2001:db8:1:2::1", wantCode: 403}, {ip: "2001:db8:1:2::2", wantCode: 200}},
		},
		{
			name:     "behind a trusted proxy: the forwarded client",
			resolver: behindProxy,
			failures: [2]attempt{{ip: "10.0.0.1", xff: "192.0.2.1"}, {ip: "10.0.0.2", xff: "192.0.2.1"}},
			then:     []attempt{{ip: "10.0.0.3", xff: "192.0.2.1", wantCode: 403}, {ip: "10.0.0.1", xff: "192.0.2.2", wantCode: 200}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *auth.Config) {
				c.MaxFailures = 2
				c.Resolver = tt.resolver
			})
			status := func(a attempt, login, pw string) int {
				var header []string
				if a.xff != "" {
					header = []string{"X-Forwarded-For", a.xff}
				}
				code, _, _ := f.loginStatus(login, pw, a.ip, header...)
				return code
			}
			// Two accounts, so that only the client's counter fills.
			require.Equal(t, 401, status(tt.failures[0], "alice", "wrong"))
			require.Equal(t, 401, status(tt.failures[1], "bob", "wrong"))
			for _, a := range tt.then {
				assert.Equal(t, a.wantCode, status(a, "alice", password), "from %s %s", a.ip, a.xff)
			}
		})
	}
}

// failingAttempts is an AttemptStore whose backend is down.
type failingAttempts struct{}

func (failingAttempts) Acquire(context.Context, string, int, time.Duration, time.Time) (bool, time.Time, error) {
	return false, time.Time{}, errors.New("connection refused")
}
func (failingAttempts) Release(context.Context, string, time.Time) error { return nil }
func (failingAttempts) Reset(context.Context, string) error              { return nil }

// failingTokens is a TokenStore whose backend is down.
type failingTokens struct{}

func (failingTokens) Start(context.Context, string, string, time.Time, time.Time) error {
	return errors.New("connection refused")
}
func (failingTokens) Rotate(context.Context, string, string, string, time.Time, time.Time) (auth.RotateResult, error) {
	return auth.Unknown, errors.New("connection refused")
}
func (failingTokens) Revoke(context.Context, string) error { return errors.New("connection refused") }

const unavailableBody = `{"message":"Authentication is temporarily unavailable. Please try again later.","documentation_url":"https://developer.myblog.com/v3"}`

// TestStoreFailure: a store that fails is a 503 with Retry-After (RFC
// 9110 §15.6.4), never a 500, logged at Error level with the store's
// error; a failure worked around (LockoutFailOpen) is logged at Warn.
func TestStoreFailure(t *testing.T) {
	t.Run("AttemptStore, fail closed by default: 503", func(t *testing.T) {
		f := newFixture(t, func(c *auth.Config) { c.AttemptStore = failingAttempts{} })
		code, header, body := f.loginStatus("alice", password, "192.0.2.1")
		assert.Equal(t, 503, code)
		assert.Equal(t, "30", header.Get("Retry-After"))
		assert.JSONEq(t, unavailableBody, body)
		assert.Contains(t, f.logs.String(), `level=ERROR msg="auth: store failed" op=acquire error="connection refused" method=POST path=/login`)

		w := f.do(f.auth.Handler(whoami), "GET", "/posts", "", "Authorization", basic("alice", password))
		assert.Equal(t, 503, w.Code, "Basic too")
		assert.Equal(t, "30", w.Header().Get("Retry-After"))
	})
	t.Run("AttemptStore, fail open when configured: this instance's share, counted in memory", func(t *testing.T) {
		tests := []struct {
			instances, allowed int
		}{{1, 10}, {2, 5}, {3, 3}, {100, 1}}
		for _, tt := range tests {
			f := newFixture(t, func(c *auth.Config) {
				c.AttemptStore = failingAttempts{}
				c.LockoutFailOpen = true
				c.Instances = tt.instances
			})
			code, _, _ := f.loginStatus("alice", password, "192.0.2.1")
			assert.Equal(t, 200, code)
			for i := range tt.allowed {
				code, _, _ = f.loginStatus("alice", "wrong", "192.0.2.1")
				assert.Equal(t, 401, code, "instances %d, failure %d", tt.instances, i+1)
			}
			code, header, _ := f.loginStatus("alice", "wrong", "192.0.2.1")
			assert.Equal(t, 403, code, "instances %d: locked out locally", tt.instances)
			assert.NotEmpty(t, header.Get("Retry-After"))
			assert.Contains(t, f.logs.String(), `level=WARN msg="auth: store failed; going on without it" op=acquire error="connection refused"`)
			assert.NotContains(t, f.logs.String(), "level=ERROR")
			assert.Equal(t, 1, strings.Count(f.logs.String(), "op=acquire"), "one line for %d failures within 10s", tt.allowed+2)
		}
	})
	t.Run("TokenStore", func(t *testing.T) {
		working := newFixture(t)
		pair := working.login(t, "alice")
		f := newFixture(t, func(c *auth.Config) { c.TokenStore = failingTokens{} })
		tests := []struct {
			name    string
			handler http.Handler
			method  string
			body    string
			op      string
		}{
			{"Login", f.auth.Login(), "POST", `{"username":"alice","password":"` + password + `"}`, "start"},
			{"Refresh", f.auth.Refresh(), "PATCH", refreshBody(pair.RefreshToken), "rotate"},
			{"Logout", f.auth.Logout(), "DELETE", refreshBody(pair.RefreshToken), "revoke"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.logs.Reset()
				w := f.do(tt.handler, tt.method, "/x", tt.body)
				assert.Equal(t, 503, w.Code)
				assert.Equal(t, "30", w.Header().Get("Retry-After"))
				assert.JSONEq(t, unavailableBody, w.Body.String())
				assert.Contains(t, f.logs.String(), `level=ERROR msg="auth: store failed" op=`+tt.op+` error="connection refused" method=`+tt.method+` path=/x`)
			})
		}
	})
}
