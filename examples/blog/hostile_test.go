package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/auth"
)

// hostileApp is e2eStartApp's app at the given bcrypt cost.
func hostileApp(t testing.TB, cost int) *app {
	t.Helper()
	var a *app
	e2eStartApp(t, func(c *config) { c.bcryptCost = cost }, &a)
	return a
}

// Every refused login costs one bcrypt comparison at the server's cost,
// whatever was wrong: an unknown login, a wrong password, or a password
// longer than bcrypt reads (which bcrypt refuses without hashing, so a
// known login with a long password used to answer 70 times faster than
// an unknown one).
func TestRefusedLoginsCostOneBcrypt(t *testing.T) {
	a := hostileApp(t, bcrypt.MinCost).api
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, a.store.createUser(ctx, &user{ID: "5b0c2b5e-1d2f-4b8a-9a57-3f1f0c6f8d21", Login: "octocat", Email: "octocat@example.com", PasswordHash: string(hash), CreatedAt: time.Now(), UpdatedAt: time.Now()}))

	long := strings.Repeat("x", 73)
	tests := []struct {
		name, login, password string
	}{
		{"unknown login", "nobody", "correct horse battery"},
		{"unknown email", "nobody@example.com", "correct horse battery"},
		{"wrong password", "octocat", "wrong horse battery"},
		{"by email, wrong password", "octocat@example.com", "wrong horse battery"},
		{"known login, 73 bytes", "octocat", long},
		{"known login, 4 KiB", "octocat", strings.Repeat("x", 4096)},
		{"known login, the right password and more", "octocat", "correct horse battery" + strings.Repeat("!", 60)},
		{"unknown login, 73 bytes", "nobody", long},
		{"empty password", "octocat", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := a.bcryptCompares.Load()
			subject, err := a.checkPassword(ctx, tt.login, tt.password)
			require.ErrorIs(t, err, auth.ErrBadCredentials)
			assert.Empty(t, subject)
			assert.Equal(t, int64(1), a.bcryptCompares.Load()-before, "one bcrypt comparison")
		})
	}
	subject, err := a.checkPassword(ctx, "octocat", "correct horse battery")
	require.NoError(t, err)
	assert.NotEmpty(t, subject)
}

// A valid token of a user this database does not have (a database reset
// under the same -jwt-secret, another instance's database) is 401 Bad
// credentials on every route, reads and writes, never a 500 from the
// foreign key of a write.
func TestTokenOfAnUnknownUserIs401(t *testing.T) {
	secret := strings.Repeat("s", 32)
	withSecret := func(c *config) { c.jwtSecret = secret }
	first := e2eStart(t, withSecret)
	token := first.signUp(t, "octocat").token
	second := e2eStart(t, withSecret) // the same key, another database

	for _, req := range []e2eReq{
		{method: "GET", path: "/user"},
		{method: "PATCH", path: "/user", body: map[string]string{"time_zone": "Europe/Amsterdam"}},
		{method: "POST", path: "/posts", body: map[string]any{"title": "Hello"}},
		{method: "POST", path: "/exports", body: map[string]any{}},
		{method: "GET", path: "/posts"},
	} {
		t.Run(req.method+" "+req.path, func(t *testing.T) {
			req.token = token
			resp := second.send(t, second.client, req)
			e2eAssertError(t, resp, 401, e2eError(auth.MsgBadCredentials))
			assert.Contains(t, resp.header.Get("Www-Authenticate"), `error="invalid_token"`)
		})
	}
	// The token still works where its user exists.
	resp := first.do(t, e2eReq{method: "POST", path: "/posts", token: token, body: map[string]any{"title": "Hello"}})
	assert.Equal(t, 201, resp.status, "%s", resp.body)
}

// A client repeating correct Basic credentials, even far over its quota,
// makes the server run bcrypt once: auth remembers the verified
// credential (a keyed hash of it) and the limiter refuses the rest; 64
// concurrent requests with them are never refused as a lockout.
func TestRepeatedBasicCostsOneBcrypt(t *testing.T) {
	var blog *app
	b := e2eStartApp(t, func(c *config) { c.rateLimit = 20 }, &blog)
	b.signUp(t, "octocat")
	before := blog.api.bcryptCompares.Load()
	header := e2eBasic("octocat", e2ePassword)

	statuses := make(chan int, 64)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			statuses <- b.send(t, b.client, e2eReq{method: "GET", path: "/user", header: header}).status
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	// 20 within the user's quota (sign-up and login were anonymous), the
	// rest refused by the limiter, never by the lockout.
	assert.Equal(t, map[int]int{200: 20, 403: 44}, counts)
	resp := b.send(t, b.client, e2eReq{method: "GET", path: "/user", header: header})
	assert.Equal(t, 403, resp.status)
	assert.Contains(t, string(resp.body), "API rate limit exceeded")
	assert.Equal(t, int64(1), blog.api.bcryptCompares.Load()-before, "bcrypt comparisons")
}

// Credentials a browser attaches by itself never reach a JSON-P answer
// or a write a page can send without a preflight: a page's script tag
// with ?callback= is served anonymous (the user's own account is a 401
// in meta), and a cross-origin "simple" POST (text/plain, or no
// Content-Type) with cached Basic credentials is refused with 415 before
// anything changes.
func TestAmbientCredentialsDoNotCrossOrigins(t *testing.T) {
	b := e2eStart(t, nil)
	u := b.signUp(t, "octocat")
	basicAuth := e2eBasic("octocat", e2ePassword)

	for name, header := range map[string]http.Header{
		"Basic":  basicAuth,
		"Bearer": {"Authorization": {"Bearer " + u.token}},
		"Cookie": {"Cookie": {"session=1"}},
	} {
		t.Run("JSON-P with "+name, func(t *testing.T) {
			resp := b.send(t, b.client, e2eReq{method: "GET", path: "/user?callback=cb", header: header})
			assert.Equal(t, 200, resp.status)
			assert.Contains(t, string(resp.body), `/**/cb({"meta":{"status":401,`)
			assert.NotContains(t, string(resp.body), u.email)
		})
	}
	for _, contentType := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		t.Run("a simple POST as "+contentType, func(t *testing.T) {
			r, err := http.NewRequest("PATCH", b.url+"/user", strings.NewReader(`{"email":"mallory@example.com"}`))
			require.NoError(t, err)
			r.Method = "POST" // POST /user is PATCH's alias, and a method a form can send
			r.Header = basicAuth.Clone()
			r.Header.Set("User-Agent", "Mozilla/5.0")
			r.Header.Set("Origin", "https://evil.example")
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			resp, err := b.client.Do(r)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
		})
	}
	me := b.object(t, b.do(t, e2eReq{method: "GET", path: "/user", token: u.token}), 200)
	assert.Equal(t, u.email, me["email"], "the email did not change")
}

// Sign-up answers 422 already_exists for a taken email, so it tells
// whether an address is registered (GitHub's sign-up does too); what
// bounds that enumeration is the secondary limit on content creation,
// which counts sign-ups per client address: the 81st attempt within a
// minute from one address is refused, taken addresses and new alike.
func TestSignUpsAreSecondaryLimited(t *testing.T) {
	// The limiter's clock stands still, so no token comes back to the
	// bucket while the test runs.
	frozen := time.Now()
	b := e2eStart(t, func(c *config) { c.rateLimitNow = func() time.Time { return frozen } })
	b.signUp(t, "octocat") // one sign-up, its login spends none
	statuses := map[int]int{}
	for i := range 80 {
		email := "octocat@example.com"
		if i%2 == 1 {
			email = fmt.Sprintf("probe%d@example.com", i)
		}
		resp := b.send(t, b.client, e2eReq{method: "POST", path: "/users", body: map[string]string{
			"username": fmt.Sprintf("probe%d", i), "email": email, "password": e2ePassword}})
		statuses[resp.status]++
		if resp.status == http.StatusForbidden {
			assert.Contains(t, string(resp.body), "secondary rate limit")
			assert.NotEmpty(t, resp.header.Get("Retry-After"))
		}
	}
	// 80 a minute with the first sign-up: 79 answered, the rest refused.
	assert.Equal(t, map[int]int{201: 39, 422: 40, 403: 1}, statuses)
}

// An account holds at most maxPostsPerUser posts (with the 256 KiB body
// cap, this bounds what one account stores and exports): the next is a
// 422, and deleting one makes room.
func TestPostsPerUserCap(t *testing.T) {
	var blog *app
	b := e2eStartApp(t, nil, &blog)
	u := b.signUp(t, "octocat")
	tx, err := blog.api.store.db.Begin()
	require.NoError(t, err)
	now := dbTime(time.Now())
	for i := range maxPostsPerUser {
		_, err := tx.Exec(`INSERT INTO posts (id, author_id, title, body, published, published_at, time_zone, version, created_at, updated_at)
			VALUES ($1, $2, $3, '', TRUE, $4, 'UTC', 1, $5, $6)`, fmt.Sprintf("00000000-0000-4000-8000-%012d", i), u.id, fmt.Sprint("post ", i), now, now, now)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())

	resp := b.do(t, e2eReq{method: "POST", path: "/posts", token: u.token, body: map[string]any{"title": "one too many"}})
	e2eAssertError(t, resp, 422, e2eValidation(e2eField("Post", "", "custom", "an account holds at most 1000 posts; delete some to write more")))
	b.do(t, e2eReq{method: "DELETE", path: "/posts/00000000-0000-4000-8000-000000000000", token: u.token})
	_, resp = b.createPost(t, u.token, map[string]any{"title": "room again"}, nil)
	assert.Equal(t, 201, resp.status, "%s", resp.body)
}

// End to end, the smaller attacks: a scheme name spelt with the Kelvin
// sign is not "token", a zone spelt with two slashes is not a zone, and a
// flood of distinct client addresses through a full quota store neither
// admits a newcomer without a limit nor resets an exhausted client.
func TestHostileSpellingsAndFloods(t *testing.T) {
	b := e2eStart(t, func(c *config) {
		c.rateLimitAnonymous = 3
		c.quotaMaxKeys = 64
		c.trustedProxies = "127.0.0.1"
		c.hosts = "api.example.com"
	})
	u := b.signUp(t, "octocat")
	t.Run("to\u212aen is not a scheme", func(t *testing.T) {
		resp := b.send(t, b.client, e2eReq{method: "GET", path: "/user", header: http.Header{"Authorization": {"to\u212aen " + u.token}}, noQuota: true})
		assert.Equal(t, 401, resp.status, "%s", resp.body)
	})
	t.Run("Europe//Amsterdam is not a zone", func(t *testing.T) {
		resp := b.send(t, b.client, e2eReq{method: "GET", path: "/posts", header: http.Header{"Time-Zone": {"Europe//Amsterdam"}}})
		assert.Equal(t, 400, resp.status, "%s", resp.body)
	})
	t.Run("a flood of addresses through a full store", func(t *testing.T) {
		from := func(ip string) e2eReq {
			return e2eReq{method: "GET", path: "/rate_limit", header: http.Header{"X-Forwarded-For": {ip}}}
		}
		victim := from("198.51.100.1")
		victim.path = "/posts"
		for range 3 {
			require.Equal(t, 200, b.send(t, b.client, victim).status)
		}
		require.Equal(t, 403, b.send(t, b.client, victim).status)
		for i := range 2000 {
			req := from(fmt.Sprintf("203.0.%d.%d", i/250, i%250+1))
			req.path = "/posts"
			resp := b.send(t, b.client, req)
			require.NotEmpty(t, resp.header.Get("X-RateLimit-Remaining"), "request %d: every newcomer is limited", i)
		}
		assert.Equal(t, 403, b.send(t, b.client, victim).status, "the flood did not reset the exhausted client")
	})
}
