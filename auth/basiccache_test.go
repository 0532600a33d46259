package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
)

// countingCheck is checkPassword, counting its calls and, when gate is
// set, holding each call until gate is closed.
type countingCheck struct {
	calls atomic.Int64
	gate  chan struct{}
}

func (c *countingCheck) check(ctx context.Context, login, pw string) (string, error) {
	c.calls.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return checkPassword(ctx, login, pw)
}

// A correct Basic credential is checked once per BasicCacheTTL, however
// often it comes; a wrong one is checked every time (and counted by the
// lockout); a credential differing by one byte is checked afresh.
func TestBasicCache(t *testing.T) {
	const ttl = time.Minute
	tests := []struct {
		name      string
		cfg       func(*auth.Config)
		requests  []string // Authorization values, in order
		advance   time.Duration
		after     []string // sent after advancing the clock
		wantCalls int64
		wantLast  int
	}{
		{name: "repeated: one check", requests: rep(basic("alice", password), 20), wantCalls: 1, wantLast: 200},
		{name: "login and email are two credentials", requests: []string{basic("alice", password), basic("alice@example.com", password), basic("alice", password)}, wantCalls: 2, wantLast: 200},
		{name: "one byte more is another credential", requests: []string{basic("alice", password), basic("alice", password+"x")}, wantCalls: 2, wantLast: 401},
		{name: "wrong passwords are never remembered", requests: rep(basic("alice", "wrong"), 5), wantCalls: 5, wantLast: 401},
		{name: "checked again after the TTL", requests: rep(basic("alice", password), 3), advance: ttl, after: rep(basic("alice", password), 3), wantCalls: 2, wantLast: 200},
		{name: "still remembered just before the TTL", requests: rep(basic("alice", password), 3), advance: ttl - time.Second, after: rep(basic("alice", password), 3), wantCalls: 1, wantLast: 200},
		{name: "a negative TTL turns it off", cfg: func(c *auth.Config) { c.BasicCacheTTL = -1 }, requests: rep(basic("alice", password), 4), wantCalls: 4, wantLast: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var counter countingCheck
			f := newFixture(t, func(c *auth.Config) {
				c.CheckPassword = counter.check
				c.BasicCacheTTL = ttl
				if tt.cfg != nil {
					tt.cfg(c)
				}
			})
			h := f.auth.Handler(whoami)
			var last *httptest.ResponseRecorder
			for _, v := range tt.requests {
				last = f.do(h, "GET", "/user", "", "Authorization", v)
			}
			f.clock.Advance(tt.advance)
			for _, v := range tt.after {
				last = f.do(h, "GET", "/user", "", "Authorization", v)
			}
			assert.Equal(t, tt.wantCalls, counter.calls.Load(), "password checks")
			assert.Equal(t, tt.wantLast, last.Code, last.Body.String())
			if tt.wantLast == 200 {
				assert.Equal(t, "basic:u-alice:", last.Body.String())
			}
		})
	}
}

func rep(v string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// 128 concurrent requests with one correct credential share one password
// check: none is refused as a lockout (MaxFailures is 10, and each used
// to count an attempt while it ran), and bcrypt runs once, not 128
// times.
func TestBasicConcurrentCorrectRequests(t *testing.T) {
	counter := countingCheck{gate: make(chan struct{})}
	f := newFixture(t, func(c *auth.Config) { c.CheckPassword = counter.check })
	srv := httptest.NewServer(f.auth.Handler(whoami))
	defer srv.Close()

	const n = 128
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			r, err := http.NewRequest("GET", srv.URL+"/user", nil)
			if !assert.NoError(t, err) {
				statuses <- 0
				return
			}
			r.Header.Set("Authorization", basic("alice", password))
			resp, err := srv.Client().Do(r)
			if !assert.NoError(t, err) {
				statuses <- 0
				return
			}
			_ = resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	// Hold the one check until every other request waits on it.
	require.Eventually(t, func() bool { return auth.BasicWaiters(f.auth) == n-1 }, 10*time.Second, time.Millisecond)
	close(counter.gate)
	wg.Wait()
	close(statuses)
	for status := range statuses {
		assert.Equal(t, http.StatusOK, status)
	}
	assert.Equal(t, int64(1), counter.calls.Load(), "password checks")
}

// Concurrent requests with one wrong credential share its one check and
// its one counted failure: the lockout still counts distinct guesses.
func TestBasicConcurrentWrongRequests(t *testing.T) {
	counter := countingCheck{gate: make(chan struct{})}
	f := newFixture(t, func(c *auth.Config) { c.CheckPassword = counter.check; c.MaxFailures = 3 })
	h := f.auth.Handler(whoami)
	const n = 16
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- f.do(h, "GET", "/user", "", "Authorization", basic("alice", "guess")).Code })
	}
	require.Eventually(t, func() bool { return auth.BasicWaiters(f.auth) == n-1 }, 10*time.Second, time.Millisecond)
	close(counter.gate)
	wg.Wait()
	close(codes)
	for code := range codes {
		assert.Equal(t, http.StatusUnauthorized, code)
	}
	// One failure counted of three: two more distinct guesses, then the
	// lockout.
	counter.gate = nil
	for i, want := range []int{401, 401, 403} {
		w := f.do(h, "GET", "/user", "", "Authorization", basic("alice", "guess"+string(rune('a'+i))))
		assert.Equal(t, want, w.Code, "guess %d: %s", i, w.Body)
	}
}

// ForgetCredentials drops a subject's remembered credentials at once (a
// password change), and a check that was running while it was called
// does not store its stale verdict.
func TestForgetCredentials(t *testing.T) {
	var counter countingCheck
	f := newFixture(t, func(c *auth.Config) { c.CheckPassword = counter.check })
	h := f.auth.Handler(whoami)
	for range 3 {
		require.Equal(t, 200, f.do(h, "GET", "/user", "", "Authorization", basic("alice", password)).Code)
		require.Equal(t, 200, f.do(h, "GET", "/user", "", "Authorization", basic("bob", password)).Code)
	}
	require.Equal(t, int64(2), counter.calls.Load())
	f.auth.ForgetCredentials("u-alice")
	assert.Equal(t, 1, auth.BasicCacheLen(f.auth), "bob's stays")
	require.Equal(t, 200, f.do(h, "GET", "/user", "", "Authorization", basic("alice", password)).Code)
	require.Equal(t, 200, f.do(h, "GET", "/user", "", "Authorization", basic("bob", password)).Code)
	assert.Equal(t, int64(3), counter.calls.Load(), "alice's checked again, bob's not")

	// A check in flight when the password changes.
	gated := countingCheck{gate: make(chan struct{})}
	g := newFixture(t, func(c *auth.Config) { c.CheckPassword = gated.check })
	gh := g.auth.Handler(whoami)
	done := make(chan int)
	go func() { done <- g.do(gh, "GET", "/user", "", "Authorization", basic("alice", password)).Code }()
	require.Eventually(t, func() bool { return gated.calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	g.auth.ForgetCredentials("u-alice")
	close(gated.gate)
	require.Equal(t, 200, <-done)
	assert.Equal(t, 0, auth.BasicCacheLen(g.auth), "the verdict of a check older than the change is not kept")
}

// The cache holds at most BasicCacheSize credentials.
func TestBasicCacheBounded(t *testing.T) {
	f := newFixture(t, func(c *auth.Config) {
		c.BasicCacheSize = 16
		c.CheckPassword = func(_ context.Context, login, _ string) (string, error) { return "u-" + login, nil }
		c.AccountKey = nil
	})
	h := f.auth.Handler(whoami)
	for i := range 200 {
		require.Equal(t, 200, f.do(h, "GET", "/user", "", "Authorization", basic("user"+string(rune('A'+i%26))+string(rune('a'+i/26)), "pw")).Code)
		require.LessOrEqual(t, auth.BasicCacheLen(f.auth), 16)
	}
}

func TestBasicCacheConfig(t *testing.T) {
	_, err := auth.New(auth.Config{
		Tokens:         auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}},
		CheckPassword:  checkPassword,
		BasicCacheSize: -1,
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "auth: BasicCacheSize: must not be negative")
}
