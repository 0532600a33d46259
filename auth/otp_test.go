package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/auth/totp"
	apierrors "github.com/myblog/apikit/errors"
)

const otpBody = `{"message":"Must specify two-factor authentication OTP code.","documentation_url":"https://developer.myblog.com/v3"}`

// twoFactor is a test service's second factor: alice has TOTP on, bob
// does not. Each code is accepted once, by the last step kept per
// account (a service keeps it in its user table).
type twoFactor struct {
	otp    *totp.TOTP
	secret []byte
	clock  *clock
	calls  atomic.Int32
	fail   atomic.Bool

	mu       sync.Mutex
	lastStep map[string]int64
}

func newTwoFactor(t *testing.T, c *clock) *twoFactor {
	otp, err := totp.New(totp.Config{})
	require.NoError(t, err)
	return &twoFactor{otp: otp, secret: []byte("alice's secret, 20 b"), clock: c, lastStep: map[string]int64{}}
}

func (tf *twoFactor) check(_ context.Context, subject, code string) error {
	tf.calls.Add(1)
	if tf.fail.Load() {
		return errors.New("user database down")
	}
	if subject != "u-alice" {
		return nil
	}
	step, ok := tf.otp.Verify(tf.secret, code, tf.clock.Now())
	if !ok {
		return auth.ErrOTPRequired
	}
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if step <= tf.lastStep[subject] {
		return auth.ErrOTPRequired
	}
	tf.lastStep[subject] = step
	return nil
}

// code is alice's code steps steps from now.
func (tf *twoFactor) code(t *testing.T, steps int) string {
	t.Helper()
	code, err := tf.otp.Code(tf.secret, tf.clock.Now().Add(time.Duration(steps)*30*time.Second))
	require.NoError(t, err)
	return code
}

func newOTPFixture(t *testing.T, mutate ...func(*auth.Config)) (*fixture, *twoFactor) {
	var tf *twoFactor
	f := newFixture(t, append([]func(*auth.Config){func(c *auth.Config) {
		tf = newTwoFactor(t, nil)
		c.CheckOTP = tf.check
	}}, mutate...)...)
	tf.clock = f.clock
	return f, tf
}

func TestOTPLogin(t *testing.T) {
	f, tf := newOTPFixture(t)
	used := tf.code(t, 0)
	require.Equal(t, 200, f.do(f.auth.Login(), "POST", "/login", `{"username":"alice","password":"`+password+`"}`, auth.HeaderGitHubOTP, used).Code)

	tests := []struct {
		name   string
		login  string
		pw     string
		header []string
		status int
		body   string
		otp    bool // the answer asks for a code
	}{
		{"no code", "alice", password, nil, 401, otpBody, true},
		{"empty code", "alice", password, []string{auth.HeaderGitHubOTP, ""}, 401, otpBody, true},
		{"the code of the next step (drift)", "alice", password, []string{auth.HeaderGitHubOTP, tf.code(t, 1)}, 200, "", false},
		{"a code already used", "alice", password, []string{auth.HeaderGitHubOTP, used}, 401, otpBody, true},
		{"the previous step's, after a later one", "alice", password, []string{auth.HeaderGitHubOTP, tf.code(t, -1)}, 401, otpBody, true},
		{"a wrong code", "alice", password, []string{auth.HeaderGitHubOTP, "000000"}, 401, otpBody, true},
		{"not digits", "alice", password, []string{auth.HeaderGitHubOTP, "abcdef"}, 401, otpBody, true},
		{"a wrong password with a right code", "alice", "wrong", []string{auth.HeaderGitHubOTP, tf.code(t, 0)}, 401, badCredsBody, false},
		{"the header name in another case", "alice", password, []string{"x-github-otp", tf.code(t, 0)}, 401, otpBody, true}, // a later step was used above: the header is read whatever its case
		{"an account without a second factor", "bob", password, nil, 200, "", false},
		{"an account without a second factor, any code", "bob", password, []string{auth.HeaderGitHubOTP, "x"}, 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(f.auth.Login(), "POST", "/login", `{"username":"`+tt.login+`","password":"`+tt.pw+`"}`, tt.header...)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.body != "" {
				assert.JSONEq(t, tt.body, w.Body.String())
			}
			if tt.otp {
				assert.Equal(t, []string{auth.OTPRequired}, w.Header()["X-Github-Otp"])
				assert.Equal(t, `Bearer realm="API"`, w.Header().Get("WWW-Authenticate"))
			} else {
				assert.Empty(t, w.Header().Get(auth.HeaderGitHubOTP))
			}
		})
	}
}

func TestOTPBasic(t *testing.T) {
	f, tf := newOTPFixture(t, func(c *auth.Config) { c.BasicCacheTTL = -1 })
	h := f.auth.Require(whoami)
	alice := basic("alice", password)

	w := f.do(h, "GET", "/user", "", "Authorization", alice)
	require.Equal(t, 401, w.Code)
	assert.JSONEq(t, otpBody, w.Body.String())
	assert.Equal(t, auth.OTPRequired, w.Header().Get(auth.HeaderGitHubOTP))
	assert.Equal(t, `Basic realm="API", charset="UTF-8"`, w.Header().Get("WWW-Authenticate"))

	code := tf.code(t, 0)
	w = f.do(h, "GET", "/user", "", "Authorization", alice, auth.HeaderGitHubOTP, code)
	require.Equal(t, 200, w.Code)
	assert.Equal(t, "basic:u-alice:", w.Body.String())

	w = f.do(h, "GET", "/user", "", "Authorization", alice, auth.HeaderGitHubOTP, code)
	assert.Equal(t, 401, w.Code, "without the cache, the code is checked again, and it was used")

	w = f.do(h, "GET", "/user", "", "Authorization", basic("bob", password))
	assert.Equal(t, 200, w.Code, "bob has no second factor")

	// Tokens never need the code.
	f.clock.Advance(time.Minute)
	pair := f.login(t, "bob")
	w = f.do(h, "GET", "/user", "", "Authorization", "Bearer "+pair.Token)
	assert.Equal(t, 200, w.Code)
	aliceToken, _, err := f.auth.Tokens().Sign(auth.Access, "u-alice", "s", nil)
	require.NoError(t, err)
	calls := tf.calls.Load()
	w = f.do(h, "GET", "/user", "", "Authorization", "Bearer "+aliceToken)
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, calls, tf.calls.Load(), "a token is not a password: CheckOTP is not asked")
}

// With the Basic cache, the code is part of the credential: the same
// login, password and code are one check, remembered; a new code is a
// new check.
func TestOTPBasicCache(t *testing.T) {
	f, tf := newOTPFixture(t)
	h := f.auth.Require(whoami)
	alice := basic("alice", password)
	code := tf.code(t, 0)
	for range 3 {
		w := f.do(h, "GET", "/user", "", "Authorization", alice, auth.HeaderGitHubOTP, code)
		require.Equal(t, 200, w.Code)
	}
	assert.Equal(t, int32(1), tf.calls.Load(), "one check for the three")

	w := f.do(h, "GET", "/user", "", "Authorization", alice)
	assert.Equal(t, 401, w.Code, "the same password without the code is another credential")
	assert.Equal(t, auth.OTPRequired, w.Header().Get(auth.HeaderGitHubOTP))

	w = f.do(h, "GET", "/user", "", "Authorization", alice, auth.HeaderGitHubOTP, "123456")
	assert.Equal(t, 401, w.Code, "a wrong code is not served from the cache")

	// Requests carrying one credential at once share one check, so the
	// code is used once and every one of them passes.
	f.clock.Advance(time.Minute)
	next := tf.code(t, 0)
	before := tf.calls.Load()
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.do(h, "GET", "/user", "", "Authorization", alice, auth.HeaderGitHubOTP, next).Code
		})
	}
	wg.Wait()
	for _, c := range codes {
		assert.Equal(t, 200, c)
	}
	assert.Equal(t, before+1, tf.calls.Load())
}

func TestOTPLockout(t *testing.T) {
	t.Run("missing codes are not failures", func(t *testing.T) {
		f, tf := newOTPFixture(t)
		for range 15 {
			code, header, _ := f.loginStatus("alice", password, "192.0.2.1")
			require.Equal(t, 401, code)
			require.Equal(t, auth.OTPRequired, header.Get(auth.HeaderGitHubOTP))
		}
		code, _, _ := f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, tf.code(t, 0))
		assert.Equal(t, 200, code)
	})
	t.Run("wrong codes are", func(t *testing.T) {
		f, tf := newOTPFixture(t)
		for i := range 10 {
			code, _, _ := f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, "00000"+string(rune('0'+i)))
			require.Equal(t, 401, code, "failure %d", i+1)
		}
		code, header, body := f.loginStatus("alice", password, "192.0.2.2", auth.HeaderGitHubOTP, tf.code(t, 0))
		assert.Equal(t, 403, code, "the account is locked, even with the right code")
		assert.JSONEq(t, lockedOutBody, body)
		assert.NotEmpty(t, header.Get("Retry-After"))
	})
	t.Run("a right code forgets the account's failures", func(t *testing.T) {
		f, tf := newOTPFixture(t)
		for range 9 {
			code, _, _ := f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, "999999")
			require.Equal(t, 401, code)
		}
		code, _, _ := f.loginStatus("alice", password, "192.0.2.2", auth.HeaderGitHubOTP, tf.code(t, 0))
		require.Equal(t, 200, code)
		code, _, _ = f.loginStatus("alice", "wrong", "192.0.2.3")
		assert.Equal(t, 401, code, "the account counts from zero again")
	})
}

func TestOTPHeaders(t *testing.T) {
	f, tf := newOTPFixture(t, func(c *auth.Config) { c.OTPHeaders = []string{"X-myblog-OTP", auth.HeaderGitHubOTP} })
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"the vendor's header", []string{"X-myblog-OTP", tf.code(t, -1)}, 200},
		{"GitHub's header", []string{auth.HeaderGitHubOTP, tf.code(t, 0)}, 200},
		{"both, the same code", []string{"X-myblog-OTP", tf.code(t, 1), auth.HeaderGitHubOTP, tf.code(t, 1)}, 200},
		{"both, two codes", []string{"X-myblog-OTP", "111111", auth.HeaderGitHubOTP, "222222"}, 401},
		{"one header twice, two codes", []string{"X-myblog-OTP", "111111", "X-myblog-OTP", "222222"}, 401},
		{"longer than any code", []string{"X-myblog-OTP", strings.Repeat("1", 65)}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := tf.calls.Load()
			code, header, _ := f.loginStatus("alice", password, "192.0.2.1", tt.header...)
			require.Equal(t, tt.status, code)
			if code == 401 {
				assert.Equal(t, auth.OTPRequired, header.Get("X-myblog-OTP"))
				assert.Equal(t, auth.OTPRequired, header.Get(auth.HeaderGitHubOTP))
				assert.Equal(t, calls, tf.calls.Load(), "a malformed code is refused without asking CheckOTP")
			}
		})
	}
}

func TestOTPCheckFails(t *testing.T) {
	f, tf := newOTPFixture(t)
	tf.fail.Store(true)
	for range 12 {
		code, header, body := f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, "123456")
		require.Equal(t, 503, code, body)
		assert.Equal(t, "30", header.Get("Retry-After"))
	}
	assert.Contains(t, f.logs.String(), "CheckOTP failed")
	tf.fail.Store(false)
	code, _, _ := f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, tf.code(t, 0))
	assert.Equal(t, 200, code, "the failed checks were given back, not counted")
}

func TestOTPConfig(t *testing.T) {
	tests := []struct {
		name  string
		cfg   auth.Config
		field string
	}{
		{"CheckOTP without CheckPassword", auth.Config{CheckOTP: func(context.Context, string, string) error { return nil }}, "CheckOTP"},
		{"a header name with a space", auth.Config{CheckPassword: checkPassword, OTPHeaders: []string{"X OTP"}}, "OTPHeaders[0]"},
		{"an empty header name", auth.Config{CheckPassword: checkPassword, OTPHeaders: []string{"X-OTP", ""}}, "OTPHeaders[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Tokens = auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}}
			_, err := auth.New(tt.cfg)
			var ce *apierrors.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

func TestOTPObserved(t *testing.T) {
	rec := new(recorder)
	f, tf := newOTPFixture(t, func(c *auth.Config) { c.Observer = rec; c.BasicCacheTTL = -1 })
	f.loginStatus("alice", password, "192.0.2.1")
	f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, "000000")
	f.loginStatus("alice", password, "192.0.2.1", auth.HeaderGitHubOTP, tf.code(t, 0))
	f.do(f.auth.Require(whoami), "GET", "/", "", "Authorization", basic("alice", password))
	assert.Equal(t, []string{
		"login_failed login_otp_required",
		"login_failed login_otp",
		"login_succeeded login",
		"login_failed basic_otp_required",
	}, rec.take())
}
