package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v89/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/auth/totp"
)

// otpClock is a test's clock of two-factor codes: it starts in the
// middle of a 30-second step and moves only when told.
type otpClock struct{ unix atomic.Int64 }

func newOTPClock() *otpClock {
	c := new(otpClock)
	c.unix.Store(1_800_000_015)
	return c
}

func (c *otpClock) Now() time.Time          { return time.Unix(c.unix.Load(), 0) }
func (c *otpClock) Advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

// code is secret's code steps steps from the clock's now.
func (c *otpClock) code(t *testing.T, secret string, steps int) string {
	t.Helper()
	otp, err := totp.New(totp.Config{})
	require.NoError(t, err)
	key, err := totp.DecodeSecret(secret)
	require.NoError(t, err)
	code, err := otp.Code(key, c.Now().Add(time.Duration(steps)*30*time.Second))
	require.NoError(t, err)
	return code
}

var otpRequiredBody = e2eError("Must specify two-factor authentication OTP code.")

// assertOTPRequired checks GitHub's answer to a password without a good
// code: 401, the message, both OTP headers.
func assertOTPRequired(t *testing.T, resp *e2eResp) {
	t.Helper()
	e2eAssertError(t, resp, http.StatusUnauthorized, otpRequiredBody)
	assert.Equal(t, "required; app", resp.header.Get("X-myblog-OTP"))
	assert.Equal(t, "required; app", resp.header.Get("X-GitHub-OTP"))
}

// enableTwoFactor sets up and confirms TOTP for login with header's
// credentials, and returns the secret.
func enableTwoFactor(t *testing.T, b *e2eBlog, clock *otpClock, header http.Header) string {
	t.Helper()
	setup := b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor", header: header}), http.StatusCreated)
	secret := setup["secret"].(string)
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", header: header, body: map[string]string{"code": clock.code(t, secret, 0)}})
	require.Equal(t, true, b.object(t, resp, http.StatusOK)["enabled"])
	return secret
}

func TestE2ETwoFactor(t *testing.T) {
	t.Parallel()
	clock := newOTPClock()
	b := e2eStartApp(t, func(c *config) { c.otpNow = clock.Now }, nil)
	tess := b.signUp(t, "tess")
	password := e2eBasic("tess", e2ePassword)
	withCode := func(code string) http.Header {
		h := e2eBasic("tess", e2ePassword)
		h.Set("X-myblog-OTP", code)
		return h
	}
	pat := b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: "/authorizations", header: password,
		body: map[string]any{"scopes": []string{"user"}, "note": "made before 2FA"}}), http.StatusCreated)["token"].(string)

	// The setup: a secret shown once, then a first code.
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor", header: password})
	setup := b.object(t, resp, http.StatusCreated)
	secret := setup["secret"].(string)
	assert.Equal(t, "otpauth://totp/myblog:tess?issuer=myblog&secret="+secret, setup["otpauth_uri"])
	assert.Equal(t, false, setup["enabled"])
	assert.Equal(t, b.url+"/user/two_factor/confirm", setup["confirm_url"])
	assert.Equal(t, b.url+"/user/two_factor", resp.header.Get("Location"))
	assert.Equal(t, "no-store", resp.header.Get("Cache-Control"), "the secret is a credential")

	me := func(t *testing.T, token string) map[string]any {
		t.Helper()
		return b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: token}), http.StatusOK)
	}
	assert.Equal(t, false, me(t, tess.token)["two_factor_authentication"])
	b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: password}), http.StatusOK) // not on before its first code

	e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", header: password, body: map[string]string{"code": "000000"}}),
		http.StatusUnprocessableEntity, e2eValidation(e2eField("TwoFactor", "code", "invalid", "the code is not the one your app shows now (after 10 wrong codes, the setup starts again)")))
	e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", header: password, body: map[string]string{}}),
		http.StatusUnprocessableEntity, e2eValidation(e2eField("TwoFactor", "code", "missing_field", "")))
	confirm := clock.code(t, secret, 0)
	on := b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", header: password, body: map[string]string{"code": confirm}}), http.StatusOK)
	assert.Equal(t, true, on["enabled"])
	assert.Equal(t, true, me(t, tess.token)["two_factor_authentication"], "a login token from before still works")
	e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor", header: withCode(clock.code(t, secret, 1))}),
		http.StatusUnprocessableEntity, e2eValidation(e2eField("TwoFactor", "", "custom", "two-factor authentication is already on; DELETE /user/two_factor turns it off")))
	clock.Advance(time.Minute)

	t.Run("a password alone is asked for the code", func(t *testing.T) {
		assertOTPRequired(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: password, noQuota: true}))
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: map[string]string{"username": "tess", "password": e2ePassword}})
		assertOTPRequired(t, resp)
		assert.Equal(t, `Bearer realm="myblog"`, resp.header.Get("WWW-Authenticate"))
		assertOTPRequired(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: withCode("123456"), noQuota: true}))
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: e2eBasic("tess", "wrong password"), noQuota: true}),
			http.StatusUnauthorized, e2eError("Bad credentials"))
	})

	t.Run("with the code, in the vendor's header or GitHub's", func(t *testing.T) {
		code := clock.code(t, secret, 0)
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/login", header: http.Header{"X-myblog-OTP": {code}},
			body: map[string]string{"username": "tess", "password": e2ePassword}})
		b.pair(t, resp)
		assertOTPRequired(t, b.do(t, e2eReq{method: http.MethodPost, path: "/login", header: http.Header{"X-myblog-OTP": {code}},
			body: map[string]string{"username": "tess", "password": e2ePassword}}))

		next := clock.code(t, secret, 1)
		github := e2eBasic("tess", e2ePassword)
		github.Set("X-GitHub-OTP", next)
		assert.Equal(t, "tess", b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: github}), http.StatusOK)["login"])
		// The same Basic credential and code again: remembered, not a
		// second use of the code.
		assert.Equal(t, "tess", b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: github}), http.StatusOK)["login"])
	})

	t.Run("tokens never need the code", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: http.Header{"Authorization": {"token " + pat}}})
		assert.Equal(t, "tess", b.object(t, resp, http.StatusOK)["login"])
		assert.Equal(t, "tess", me(t, tess.token)["login"])
		resp = b.do(t, e2eReq{method: http.MethodPatch, path: "/authorizations/refresh-tokens", header: http.Header{"Authorization": {"Bearer " + tess.refresh}}})
		b.pair(t, resp)
	})

	t.Run("only the password or a login token manage it", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodDelete, path: "/user/two_factor", header: http.Header{"Authorization": {"token " + pat}}})
		e2eAssertError(t, resp, http.StatusForbidden, e2eError("Two-factor authentication is managed with your password (HTTP Basic) or a login token, not with a token of limited scope"))
		assertOTPRequired(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user/two_factor", header: password, noQuota: true}))
	})

	t.Run("turned off with a login token", func(t *testing.T) {
		b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user/two_factor", token: tess.token}), http.StatusOK)
		resp := b.do(t, e2eReq{method: http.MethodDelete, path: "/user/two_factor", token: tess.token})
		assert.Equal(t, http.StatusNoContent, resp.status, "%s", resp)
		assert.Equal(t, false, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user/two_factor", token: tess.token}), http.StatusOK)["enabled"])
		assert.Equal(t, false, me(t, tess.token)["two_factor_authentication"])
		resp = b.do(t, e2eReq{method: http.MethodDelete, path: "/user/two_factor", token: tess.token})
		e2eAssertError(t, resp, http.StatusNotFound, e2eError("Not Found"))
	})
}

// Missing codes are not failures; wrong ones count toward the lockout.
func TestE2ETwoFactorLockout(t *testing.T) {
	t.Parallel()
	clock := newOTPClock()
	b := e2eStartApp(t, func(c *config) { c.otpNow = clock.Now }, nil)
	b.signUp(t, "tom")
	password := e2eBasic("tom", e2ePassword)
	withCode := func(code string) http.Header {
		h := e2eBasic("tom", e2ePassword)
		h.Set("X-myblog-OTP", code)
		return h
	}
	secret := enableTwoFactor(t, b, clock, password)
	for range 12 {
		assertOTPRequired(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: password, noQuota: true}))
	}
	for i := range 10 {
		assertOTPRequired(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: withCode("00000" + strconv.Itoa(i)), noQuota: true}))
	}
	clock.Advance(time.Minute)
	resp := b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: withCode(clock.code(t, secret, 0)), noQuota: true})
	e2eAssertError(t, resp, http.StatusForbidden, e2eError("Maximum number of login attempts exceeded. Please try again later."))
	assert.NotEmpty(t, resp.header.Get("Retry-After"))
}

// A setup takes maxConfirmFailures wrong codes, then starts again.
func TestE2ETwoFactorSetupFailures(t *testing.T) {
	t.Parallel()
	clock := newOTPClock()
	b := e2eStartApp(t, func(c *config) { c.otpNow = clock.Now }, nil)
	uma := b.signUp(t, "uma")
	setup := b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor", token: uma.token}), http.StatusCreated)
	for range maxConfirmFailures {
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", token: uma.token, body: map[string]string{"code": "999999"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.status)
	}
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", token: uma.token, body: map[string]string{"code": clock.code(t, setup["secret"].(string), 0)}})
	e2eAssertError(t, resp, http.StatusUnprocessableEntity,
		e2eValidation(e2eField("TwoFactor", "", "custom", "no two-factor setup waits for a code: POST /user/two_factor starts one")))
	// A new setup is a new secret.
	again := b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor", token: uma.token}), http.StatusCreated)
	assert.NotEqual(t, setup["secret"], again["secret"])
	b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: "/user/two_factor/confirm", token: uma.token,
		body: map[string]string{"code": clock.code(t, again["secret"].(string), 0)}}), http.StatusOK)
}

// Instances sharing the database accept a code once: checkOTP's
// conditional UPDATE, raced by goroutines of two servers.
func TestOTPCodeUsedOnce(t *testing.T) {
	t.Parallel()
	clock := newOTPClock()
	db := testDB(t)
	var one, two *app
	b := e2eStartApp(t, func(c *config) { c.db = db; c.otpNow = clock.Now }, &one)
	e2eStartApp(t, func(c *config) { c.db = db; c.otpNow = clock.Now }, &two)
	vic := b.signUp(t, "vic")
	secret := enableTwoFactor(t, b, clock, http.Header{"Authorization": {"Bearer " + vic.token}})

	code := clock.code(t, secret, 1)
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		server := []*app{one, two}[i%2]
		wg.Go(func() {
			switch err := server.api.checkOTP(context.Background(), vic.id, code); {
			case err == nil:
				accepted.Add(1)
			case !errors.Is(err, auth.ErrOTPRequired):
				t.Errorf("checkOTP: %v", err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), accepted.Load())
	assert.ErrorIs(t, one.api.checkOTP(context.Background(), vic.id, clock.code(t, secret, 0)), auth.ErrOTPRequired,
		"an earlier step's code, after a later one was used")
	assert.NoError(t, one.api.checkOTP(context.Background(), "someone-without-2fa", ""), "no second factor: nothing to check")
}

// go-github's BasicAuthTransport logs in to a 2FA account with its OTP
// (sent as X-GitHub-OTP), and reports the 401 without it as
// TwoFactorAuthError, which it keys on the X-GitHub-OTP response header.
func TestGoGitHubTwoFactor(t *testing.T) {
	t.Parallel()
	clock := newOTPClock()
	srv := githubServer(t, func(c *config) { c.otpNow = clock.Now })
	token := signUpAndLogIn(t, githubClient(t, srv, ""), "wes")
	ctx := context.Background()

	withToken := githubClient(t, srv, token)
	req, err := withToken.NewRequest(ctx, "POST", "user/two_factor", nil)
	require.NoError(t, err)
	var setup struct {
		Secret     string `json:"secret"`
		OTPAuthURI string `json:"otpauth_uri"`
	}
	_, err = withToken.Do(req, &setup)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(setup.OTPAuthURI, "otpauth://totp/myblog:wes?"))
	req, err = withToken.NewRequest(ctx, "POST", "user/two_factor/confirm", map[string]string{"code": clock.code(t, setup.Secret, 0)})
	require.NoError(t, err)
	_, err = withToken.Do(req, nil)
	require.NoError(t, err)

	basicClient := func(otp string) *github.Client {
		transport := &github.BasicAuthTransport{Username: "wes", Password: "correct horse battery", OTP: otp, Transport: srv.Client().Transport}
		base := srv.URL + "/"
		client, err := github.NewClient(github.WithHTTPClient(transport.Client()), github.WithURLs(&base, &base))
		require.NoError(t, err)
		return client
	}
	getUser := func(client *github.Client) (map[string]any, *github.Response, error) {
		req, err := client.NewRequest(ctx, "GET", "user", nil)
		require.NoError(t, err)
		var user map[string]any
		resp, err := client.Do(req, &user)
		return user, resp, err
	}

	_, resp, err := getUser(basicClient(""))
	var twoFactor *github.TwoFactorAuthError
	require.ErrorAs(t, err, &twoFactor)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Must specify two-factor authentication OTP code.", twoFactor.Message)

	withOTP := basicClient(clock.code(t, setup.Secret, 1))
	for range 3 { // BasicAuthTransport sends the same OTP every time
		user, _, err := getUser(withOTP)
		require.NoError(t, err)
		assert.Equal(t, "wes", user["login"])
		assert.Equal(t, true, user["two_factor_authentication"])
	}

	_, _, err = getUser(basicClient("000000"))
	require.ErrorAs(t, err, &twoFactor, "a wrong code is a TwoFactorAuthError too")
}
