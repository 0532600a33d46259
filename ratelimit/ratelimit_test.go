package ratelimit_test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/ratelimit/storetest"
)

const docURL = "https://developer.myblog.com/v3"

// start is the test clock's origin, with a fraction of a second so that
// X-RateLimit-Reset's rounding shows.
var start = time.Date(2013, 7, 1, 16, 47, 53, 500_000_000, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	limiter *ratelimit.Limiter
	clock   *clock
	logs    *bytes.Buffer
}

// userHeader stands in for authentication: X-Test-User names the user.
func userFromHeader(r *http.Request) (string, bool) {
	id := r.Header.Get("X-Test-User")
	return id, id != ""
}

func checkClient(_ context.Context, id, secret string) (bool, error) {
	if id == "broken" {
		return false, errors.New("database is down")
	}
	return id == "Iv1.app" && subtle.ConstantTimeCompare([]byte(secret), []byte("s3cret")) == 1, nil
}

func newFixture(t *testing.T, mutate ...func(*ratelimit.Config)) *fixture {
	t.Helper()
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: docURL})
	require.NoError(t, err)
	f := &fixture{clock: &clock{now: start}, logs: new(bytes.Buffer)}
	cfg := ratelimit.Config{
		User:        userFromHeader,
		CheckClient: checkClient,
		Errors:      errs,
		Logger:      slog.New(slog.NewTextHandler(f.logs, nil)),
		Now:         f.clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	f.limiter, err = ratelimit.New(cfg)
	require.NoError(t, err)
	return f
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(`{"ok":true}`))
})

func (f *fixture) serve(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = "203.0.113.9:40000"
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "RemoteAddr" {
			r.RemoteAddr = header[i+1]
			continue
		}
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func rateHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "X-Ratelimit-") || strings.HasPrefix(k, "Ratelimit") || k == "Retry-After" {
			out[k] = strings.Join(v, ",")
		}
	}
	return out
}

// resetAt is X-RateLimit-Reset for a window opened at start: the hour
// later, rounded up to the second.
var resetAt = strconv.FormatInt(start.Add(time.Hour).Unix()+1, 10)

func TestHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	h := f.limiter.Handler(ok)
	tests := []struct {
		name   string
		header []string
		want   map[string]string
	}{
		{"anonymous, by IP", nil, map[string]string{
			"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "59", "X-Ratelimit-Reset": resetAt,
			"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core"}},
		{"a user", []string{"X-Test-User", "42"}, map[string]string{
			"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4999", "X-Ratelimit-Reset": resetAt,
			"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.serve(h, "GET", "/posts", tt.header...)
			assert.Equal(t, 200, w.Code)
			assert.Equal(t, tt.want, rateHeaders(w.Header()))
		})
	}
}

func TestOptionalHeaders(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) {
		c.IETFHeaders = true
		c.HerokuHeader = true
	})
	w := f.serve(f.limiter.Handler(ok), "GET", "/posts")
	got := rateHeaders(w.Header())
	assert.Equal(t, `"core";q=60;w=3600`, got["Ratelimit-Policy"], "draft-ietf-httpapi-ratelimit-headers: quota and window")
	assert.Equal(t, `"core";r=59;t=3601`, got["Ratelimit"], "remaining, and seconds until reset")
	assert.Equal(t, "59", got["Ratelimit-Remaining"], "Heroku's field")
}

func TestPrimaryLimit(t *testing.T) {
	f := newFixture(t)
	h := f.limiter.Handler(ok)
	for i := 1; i <= 60; i++ {
		w := f.serve(h, "GET", "/posts")
		require.Equal(t, 200, w.Code, "request %d", i)
		f.clock.Advance(time.Second)
	}
	w := f.serve(h, "GET", "/posts")
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, `{"message":"API rate limit exceeded for 203.0.113.9. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"https://developer.myblog.com/v3/#rate-limiting"}`, w.Body.String())
	assert.Equal(t, map[string]string{
		"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt,
		"X-Ratelimit-Used": "60", "X-Ratelimit-Resource": "core",
		"Retry-After": "3540", // 60 seconds of the hour have passed
	}, rateHeaders(w.Header()))

	// Another client is not affected.
	w = f.serve(h, "GET", "/posts", "RemoteAddr", "198.51.100.1:1")
	assert.Equal(t, 200, w.Code)

	// At X-RateLimit-Reset the quota is whole again.
	reset, err := strconv.ParseInt(resetAt, 10, 64)
	require.NoError(t, err)
	f.clock.Set(time.Unix(reset, 0).Add(-time.Second))
	w = f.serve(h, "GET", "/posts")
	assert.Equal(t, 403, w.Code, "still refused the second before")
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	f.clock.Set(time.Unix(reset, 0))
	w = f.serve(h, "GET", "/posts")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "59", w.Header().Get("X-RateLimit-Remaining"))
}

func TestLimitedMessages(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   string
	}{
		{"a user", []string{"X-Test-User", "42"}, "API rate limit exceeded for user ID 42."},
		{"an application", nil, "API rate limit exceeded for client ID Iv1.app."},
		{"RFC 4291: IPv6 by /64", []string{"RemoteAddr", "[2001:db8:1:2:3:4:5:6]:443"}, "API rate limit exceeded for 2001:db8:1:2::/64. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *ratelimit.Config) {
				c.Resources = []ratelimit.Resource{{Name: "core", Limit: 1, AnonymousLimit: 1}}
			})
			h := f.limiter.Handler(ok)
			target := "/posts"
			if tt.name == "an application" {
				target = "/posts?client_id=Iv1.app&client_secret=s3cret"
			}
			require.Equal(t, 200, f.serve(h, "GET", target, tt.header...).Code)
			w := f.serve(h, "GET", target, tt.header...)
			require.Equal(t, 403, w.Code)
			var body struct{ Message string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Equal(t, tt.want, body.Message)
		})
	}
}

func TestApplications(t *testing.T) {
	f := newFixture(t)
	h := f.limiter.Handler(ok)

	w := f.serve(h, "GET", "/posts?client_id=Iv1.app&client_secret=s3cret")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "5000", w.Header().Get("X-RateLimit-Limit"), "an application gets 5000 an hour")

	w = f.serve(h, "GET", "/posts?client_id=Iv1.app&client_secret=wrong")
	assert.Equal(t, 401, w.Code, "a wrong secret is refused, not counted as anonymous")
	assert.Equal(t, `{"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}`, w.Body.String())
	assert.Equal(t, []string{`Basic realm="API"`}, w.Header()["Www-Authenticate"], "RFC 9110 15.5.2: a 401 carries a challenge")
	assert.Empty(t, rateHeaders(w.Header()), "a refused caller is counted against nothing")

	w = f.serve(h, "GET", "/posts?client_id=broken&client_secret=x")
	assert.Equal(t, 500, w.Code)

	f2 := newFixture(t, func(c *ratelimit.Config) { c.CheckClient = nil })
	w = f2.serve(f2.limiter.Handler(ok), "GET", "/posts?client_id=Iv1.app&client_secret=wrong")
	assert.Equal(t, 200, w.Code, "without CheckClient the parameters are ignored")
	assert.Equal(t, "60", w.Header().Get("X-RateLimit-Limit"))

	w = f.serve(h, "GET", "/posts?client_id=Iv1.app&client_secret=s3cret", "X-Test-User", "42")
	assert.Equal(t, "5000", w.Header().Get("X-RateLimit-Limit"))
	assert.Equal(t, "4999", w.Header().Get("X-RateLimit-Remaining"), "the user's quota, not the app's")
}

// etagHandler answers like a resource with an ETag: 304 to a matching
// If-None-Match, 200 otherwise.
var etagHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", `"644b5b0155e6404a9cc4bd9d8b1ae730"`)
	if r.Header.Get("If-None-Match") == `"644b5b0155e6404a9cc4bd9d8b1ae730"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write([]byte(`{"login":"octocat"}`))
})

func TestNotModifiedIsNotCounted(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.limiter.Handler(etagHandler))
	defer srv.Close()
	get := func(etag string) *http.Response {
		req, err := http.NewRequest("GET", srv.URL+"/user", nil)
		require.NoError(t, err)
		req.Header.Set("X-Test-User", "42")
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	for range 3 {
		get("")
	}
	// The conventions' example: the 200 and the 304s that follow it all say 4996.
	first := get("")
	require.Equal(t, 200, first.StatusCode)
	assert.Equal(t, "4996", first.Header.Get("X-RateLimit-Remaining"))
	for range 3 {
		resp := get(`"644b5b0155e6404a9cc4bd9d8b1ae730"`)
		require.Equal(t, 304, resp.StatusCode)
		assert.Equal(t, "4996", resp.Header.Get("X-RateLimit-Remaining"))
		assert.Equal(t, "4", resp.Header.Get("X-RateLimit-Used"))
	}
	again := get(`"stale"`)
	assert.Equal(t, 200, again.StatusCode)
	assert.Equal(t, "4995", again.Header.Get("X-RateLimit-Remaining"), "a conditional request that is not a 304 counts")
}

func TestStatusDocument(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	mux.Handle("GET /rate_limit", f.limiter.Status())
	mux.Handle("GET /posts", ok)
	h := f.limiter.Handler(mux)
	for range 4 {
		f.serve(h, "GET", "/posts", "X-Test-User", "42")
	}
	for range 2 {
		w := f.serve(h, "GET", "/rate_limit", "X-Test-User", "42")
		require.Equal(t, 200, w.Code)
		assert.Equal(t, "4996", w.Header().Get("X-RateLimit-Remaining"), "the status document is not counted")
		reset := start.Add(time.Hour).Unix() + 1
		resetSearch := start.Add(time.Minute).Unix() + 1
		assert.JSONEq(t, `{
			"resources": {
				"core":   {"limit": 5000, "used": 4, "remaining": 4996, "reset": `+strconv.FormatInt(reset, 10)+`, "resource": "core"},
				"search": {"limit": 30, "used": 0, "remaining": 30, "reset": `+strconv.FormatInt(resetSearch, 10)+`, "resource": "search"}
			},
			"rate": {"limit": 5000, "used": 4, "remaining": 4996, "reset": `+strconv.FormatInt(reset, 10)+`, "resource": "core"}
		}`, w.Body.String())
	}
}

func TestSearchResource(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Resource = func(r *http.Request) string {
			if strings.HasPrefix(r.URL.Path, "/search/") {
				return "search"
			}
			return "core"
		}
	})
	h := f.limiter.Handler(ok)
	for range 10 {
		require.Equal(t, 200, f.serve(h, "GET", "/search/posts?q=go").Code)
	}
	w := f.serve(h, "GET", "/search/posts?q=go")
	assert.Equal(t, 403, w.Code, "10 a minute for anonymous search")
	assert.Equal(t, "search", w.Header().Get("X-RateLimit-Resource"))
	assert.Equal(t, "10", w.Header().Get("X-RateLimit-Limit"))

	w = f.serve(h, "GET", "/posts")
	assert.Equal(t, 200, w.Code, "core is a separate quota")
	assert.Equal(t, "59", w.Header().Get("X-RateLimit-Remaining"))

	f.clock.Advance(time.Minute)
	assert.Equal(t, 200, f.serve(h, "GET", "/search/posts?q=go").Code, "a minute later")
}

func TestStatus429(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Status = http.StatusTooManyRequests
		c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 1}}
	})
	h := f.limiter.Handler(ok)
	f.serve(h, "GET", "/posts")
	w := f.serve(h, "GET", "/posts")
	assert.Equal(t, 429, w.Code)
}

func TestExempt(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Exempt = func(r *http.Request) bool { return r.URL.Path == "/healthz" }
	})
	h := f.limiter.Handler(ok)
	for range 100 {
		w := f.serve(h, "GET", "/healthz")
		require.Equal(t, 200, w.Code)
		assert.Empty(t, rateHeaders(w.Header()))
	}
	assert.Equal(t, "59", f.serve(h, "GET", "/posts").Header().Get("X-RateLimit-Remaining"))
}

func TestSecondaryContentCreation(t *testing.T) {
	f := newFixture(t)
	h := f.limiter.Handler(ok)
	user := []string{"X-Test-User", "42"}
	for i := 1; i <= 80; i++ {
		w := f.serve(h, "POST", "/posts", user...)
		require.Equal(t, 200, w.Code, "quick write %d", i)
	}
	w := f.serve(h, "POST", "/posts", user...)
	assert.Equal(t, 403, w.Code, "the 81st quick write")
	assert.Equal(t, `{"message":"You have triggered an abuse detection mechanism (a secondary rate limit) and have been temporarily blocked from content creation. Please retry your request again later.","documentation_url":"https://developer.myblog.com/v3/#abuse-rate-limits"}`, w.Body.String())
	assert.Equal(t, "60", w.Header().Get("Retry-After"), "SecondaryRetryAfter: a real back-off, though a token comes back every 750 ms")
	assert.Equal(t, "4920", w.Header().Get("X-RateLimit-Remaining"), "not 0, and the refused write was not counted")
	assert.Equal(t, "80", w.Header().Get("X-RateLimit-Used"))

	assert.Equal(t, 200, f.serve(h, "GET", "/posts", user...).Code, "reads are not content creation")
	assert.Equal(t, 200, f.serve(h, "POST", "/posts", "X-Test-User", "43").Code, "another user is not affected")

	f.clock.Advance(750 * time.Millisecond)
	assert.Equal(t, 200, f.serve(h, "POST", "/posts", user...).Code, "one token later")
	assert.Equal(t, 403, f.serve(h, "POST", "/posts", user...).Code)
}

func TestSecondaryHourly(t *testing.T) {
	tests := []struct {
		name       string
		perHour    int
		retryAfter time.Duration
		want       string
	}{
		{"the default back-off", 500, 0, "60"},
		{"the wait alone (negative)", 500, -1, "8"}, // one token every 7.2 s, rounded up
		{"a shorter back-off, not below the wait", 500, 5 * time.Second, "8"},
		{"the wait, when longer than the back-off", 10, 0, "360"}, // one token every 6 minutes
		{"a longer back-off", 500, 2 * time.Minute, "120"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *ratelimit.Config) {
				c.CreatesPerMinute, c.CreatesPerHour, c.SecondaryRetryAfter = -1, tt.perHour, tt.retryAfter
			})
			h := f.limiter.Handler(ok)
			for i := 1; i <= tt.perHour; i++ {
				require.Equal(t, 200, f.serve(h, "DELETE", "/posts/1", "X-Test-User", "42").Code, "write %d", i)
			}
			w := f.serve(h, "PATCH", "/posts/1", "X-Test-User", "42")
			assert.Equal(t, 403, w.Code)
			assert.Equal(t, tt.want, w.Header().Get("Retry-After"))
		})
	}
}

func TestSecondaryConcurrency(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) { c.MaxConcurrent = 2 })
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})
	h := f.limiter.Handler(slow)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { f.serve(h, "GET", "/export", "X-Test-User", "42") })
	}
	<-entered
	<-entered
	w := f.serve(h, "GET", "/export", "X-Test-User", "42")
	assert.Equal(t, 403, w.Code, "a third request in flight")
	assert.Contains(t, w.Body.String(), "#abuse-rate-limits")
	assert.NotEqual(t, "0", w.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, "60", w.Header().Get("Retry-After"))
	close(release)
	wg.Wait()

	h2 := f.limiter.Handler(ok)
	assert.Equal(t, 200, f.serve(h2, "GET", "/posts", "X-Test-User", "42").Code, "free again once they finish")
}

func TestExactCountsUnderConcurrency(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Resources = []ratelimit.Resource{{Name: "core", Limit: 10_000}}
		c.MaxConcurrent = -1
	})
	h := f.limiter.Handler(ok)
	const goroutines, each = 64, 1000
	var admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			r := httptest.NewRequest("GET", "/posts", nil)
			r.Header.Set("X-Test-User", "42")
			for range each {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				switch w.Code {
				case 200:
					admitted.Add(1)
				case 403:
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(10_000), admitted.Load(), "exactly the quota")
	assert.Equal(t, int64(goroutines*each-10_000), refused.Load())
}

// failingStore is a Store whose backend is down.
type failingStore struct{}

func (failingStore) Take(context.Context, ratelimit.Key, int, time.Duration, time.Time) (ratelimit.Usage, error) {
	return ratelimit.Usage{}, errors.New("connection refused")
}
func (failingStore) Refund(context.Context, ratelimit.Key, time.Time, time.Time) error { return nil }
func (failingStore) Peek(context.Context, ratelimit.Key, time.Duration, time.Time) (ratelimit.Usage, error) {
	return ratelimit.Usage{}, errors.New("connection refused")
}

func TestHeadersNeverShared(t *testing.T) {
	// rs/cors issue 198: an outer middleware that appends to a header
	// value must not write into another response's headers.
	f := newFixture(t)
	appending := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			w.Header()["X-Ratelimit-Resource"] = append(w.Header()["X-Ratelimit-Resource"], "tampered")
			w.Header()["X-Ratelimit-Limit"] = append(w.Header()["X-Ratelimit-Limit"], "tampered")
		})
	}
	h := appending(f.limiter.Handler(ok))
	f.serve(h, "GET", "/posts")
	w := f.serve(f.limiter.Handler(ok), "GET", "/posts")
	assert.Equal(t, []string{"core"}, w.Header()["X-Ratelimit-Resource"])
	assert.Equal(t, []string{"60"}, w.Header()["X-Ratelimit-Limit"])
}

// TestLargeQuotas: above 10,000 an hour, Remaining comes from the quota's
// own table for the first 10,000 requests of a window and is formatted
// after that; either way the numbers are right, Heroku's field agrees, and
// an outer middleware appending to a value changes no other response.
func TestLargeQuotas(t *testing.T) {
	const limit = 25_000
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Resources = []ratelimit.Resource{{Name: "core", Limit: limit, AnonymousLimit: 20_000, Window: time.Hour}}
		c.HerokuHeader = true
	})
	appending := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			w.Header()["X-Ratelimit-Remaining"] = append(w.Header()["X-Ratelimit-Remaining"], "tampered")
		})
	}
	h := appending(f.limiter.Handler(ok))
	checkpoints := map[int]bool{1: true, 2: true, 10_000: true, 10_001: true, 14_999: true, 15_000: true, 15_001: true, limit: true}
	for used := 1; used <= limit; used++ {
		w := f.serve(h, "GET", "/posts", "X-Test-User", "alice")
		if !checkpoints[used] {
			continue
		}
		require.Equal(t, 200, w.Code, "request %d", used)
		remaining := strconv.Itoa(limit - used)
		assert.Equal(t, []string{remaining, "tampered"}, w.Header()["X-Ratelimit-Remaining"], "request %d", used)
		assert.Equal(t, strconv.Itoa(used), w.Header().Get("X-Ratelimit-Used"), "request %d", used)
		assert.Equal(t, remaining, w.Header().Get("Ratelimit-Remaining"), "request %d", used)
	}
	assert.Equal(t, 403, f.serve(h, "GET", "/posts", "X-Test-User", "alice").Code)
	w := f.serve(f.limiter.Handler(ok), "GET", "/posts")
	assert.Equal(t, []string{"19999"}, w.Header()["X-Ratelimit-Remaining"], "an anonymous client's quota has its own table")
}

func TestMemoryConformance(t *testing.T) {
	storetest.Store(t, func(*testing.T) ratelimit.Store { return new(ratelimit.Memory) })
	storetest.BucketStore(t, func(*testing.T) ratelimit.BucketStore { return new(ratelimit.Memory) })
}

// syncBuffer is a bytes.Buffer that a server's goroutines may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newServer serves h on a real server whose ErrorLog (where net/http
// reports "superfluous response.WriteHeader call") is the returned buffer.
func newServer(t *testing.T, h http.Handler) (*httptest.Server, *syncBuffer) {
	t.Helper()
	errorLog := new(syncBuffer)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(errorLog, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, errorLog
}

// do sends one request to srv and returns the response and its body.
func do(t *testing.T, srv *httptest.Server, method, target string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+target, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// refusalHeaders are the headers the limiter sets on a refusal.
func refusalHeaders(h http.Header) map[string]string {
	out := rateHeaders(h)
	if v := h.Values("WWW-Authenticate"); v != nil {
		out["Www-Authenticate"] = strings.Join(v, ",")
	}
	return out
}

// TestOnError: on a real server, a custom hook's status, Content-Type,
// headers and body reach the client whole, the limiter's headers were set
// before the hook ran, and net/http saw one WriteHeader.
func TestOnError(t *testing.T) {
	tests := []struct {
		name     string
		config   func(*ratelimit.Config)
		method   string
		target   string
		before   int // identical requests that pass first
		wantID   string
		wantCode int // the *apierrors.Error's status
		want     map[string]string
	}{
		{
			name:   "primary limit",
			config: func(c *ratelimit.Config) { c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 1}} },
			method: "GET", target: "/posts", before: 1,
			wantID: ratelimit.IDLimited, wantCode: 403,
			want: map[string]string{
				"X-Ratelimit-Limit": "1", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": resetAt,
				"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core", "Retry-After": "3600",
			},
		},
		{
			name:   "secondary limit",
			config: func(c *ratelimit.Config) { c.CreatesPerMinute = 1 },
			method: "POST", target: "/posts", before: 1,
			wantID: ratelimit.IDSecondaryLimited, wantCode: 403,
			want: map[string]string{
				"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "59", "X-Ratelimit-Reset": resetAt,
				"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core", "Retry-After": "60",
			},
		},
		{
			name:   "RFC 7617: a wrong client secret",
			config: func(c *ratelimit.Config) { c.Realm = "myblog" },
			method: "GET", target: "/posts?client_id=Iv1.app&client_secret=wrong",
			wantID: ratelimit.IDBadClient, wantCode: 401,
			want: map[string]string{"Www-Authenticate": `Basic realm="myblog"`},
		},
		{
			name: "RFC 9110 15.6.4: the store is down and the limiter fails closed",
			config: func(c *ratelimit.Config) {
				c.Store = failingStore{}
				c.FailClosed = true
			},
			method: "GET", target: "/posts",
			wantID: ratelimit.IDUnavailable, wantCode: 503,
			want: map[string]string{"Retry-After": "30"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var atHook map[string]string
			f := newFixture(t, tt.config, func(c *ratelimit.Config) {
				c.OnError = func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
					atHook = refusalHeaders(w.Header())
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.Header().Set("X-Hook", "yes")
					w.WriteHeader(http.StatusTeapot)
					_, _ = fmt.Fprintf(w, "%s %d: %s", e.ID, e.Status, e.Message)
				}
			})
			srv, errorLog := newServer(t, f.limiter.Handler(ok))
			for range tt.before {
				resp, _ := do(t, srv, tt.method, tt.target)
				require.Equal(t, 200, resp.StatusCode)
			}
			resp, body := do(t, srv, tt.method, tt.target)
			assert.Equal(t, http.StatusTeapot, resp.StatusCode)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "yes", resp.Header.Get("X-Hook"))
			var message string
			switch tt.wantID {
			case ratelimit.IDLimited:
				message = fmt.Sprintf(ratelimit.MsgAnonymousLimited, "127.0.0.1")
			case ratelimit.IDSecondaryLimited:
				message = ratelimit.MsgSecondaryLimited
			case ratelimit.IDBadClient:
				message = ratelimit.MsgBadClient
			case ratelimit.IDUnavailable:
				message = ratelimit.MsgUnavailable
			}
			assert.Equal(t, fmt.Sprintf("%s %d: %s", tt.wantID, tt.wantCode, message), body)
			assert.Equal(t, tt.want, refusalHeaders(resp.Header))
			assert.Equal(t, tt.want, atHook, "the limiter's headers were set before the hook ran")
			assert.Empty(t, errorLog.String(), "one WriteHeader: no superfluous call")
		})
	}
}

func TestDefaultOnErrorOnARealServer(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) { c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 1}} })
	srv, errorLog := newServer(t, f.limiter.Handler(ok))
	do(t, srv, "GET", "/posts")
	resp, body := do(t, srv, "GET", "/posts")
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, `{"message":"API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"https://developer.myblog.com/v3/#rate-limiting"}`, body)
	assert.Equal(t, "3600", resp.Header.Get("Retry-After"))
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Empty(t, errorLog.String())
}

func TestResolver(t *testing.T) {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	fwdResolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: forwarded.Forwarded})
	require.NoError(t, err)
	tests := []struct {
		name     string
		resolver *forwarded.Resolver
		header   []string
		want     string
	}{
		{"a direct client", resolver, []string{"RemoteAddr", "198.51.100.7:1234"}, "198.51.100.7"},
		{"spoofed X-Forwarded-For from an untrusted peer is ignored", resolver, []string{"RemoteAddr", "198.51.100.8:1234", "X-Forwarded-For", "192.0.2.1"}, "198.51.100.8"},
		{"X-Forwarded-For from a trusted proxy", resolver, []string{"RemoteAddr", "10.1.2.3:1234", "X-Forwarded-For", "192.0.2.2"}, "192.0.2.2"},
		{"a client's own entry left of the proxy's is not believed", resolver, []string{"RemoteAddr", "10.1.2.3:1234", "X-Forwarded-For", "192.0.2.99, 192.0.2.3"}, "192.0.2.3"},
		{"a client's Forwarded is ignored by default", resolver, []string{"RemoteAddr", "10.1.2.3:1234", "X-Forwarded-For", "192.0.2.5", "Forwarded", "for=192.0.2.6"}, "192.0.2.5"},
		{"RFC 7239: Forwarded from a trusted proxy, when chosen", fwdResolver, []string{"RemoteAddr", "10.1.2.3:1234", "Forwarded", `for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::/64"},
		{"no Resolver: the peer, whatever it forwards", nil, []string{"RemoteAddr", "10.1.2.3:1234", "X-Forwarded-For", "192.0.2.4"}, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *ratelimit.Config) {
				c.Resolver = tt.resolver
				c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 1}}
			})
			h := f.limiter.Handler(ok)
			require.Equal(t, 200, f.serve(h, "GET", "/posts", tt.header...).Code)
			w := f.serve(h, "GET", "/posts", tt.header...)
			require.Equal(t, 403, w.Code)
			assert.Contains(t, w.Body.String(), "exceeded for "+tt.want+".")
		})
	}
}

// TestIPv6Grouping: anonymous IPv6 clients are counted by the network
// forwarded.Config.IPv6Prefix names (RFC 6177: a subscriber holds a /64).
func TestIPv6Grouping(t *testing.T) {
	const first = "[2001:db8:1:2:3:4:5:6]:443"
	tests := []struct {
		name   string
		prefix int // 0: no Resolver
		other  string
		shared bool
		key    string
	}{
		{"RFC 6177: default /64, same /64", 0, "[2001:db8:1:2:ffff::1]:443", true, "2001:db8:1:2::/64"},
		{"RFC 6177: default /64, another /64", 0, "[2001:db8:1:3::1]:443", false, "2001:db8:1:2::/64"},
		{"a /48 holds both /64s", 48, "[2001:db8:1:3::1]:443", true, "2001:db8:1::/48"},
		{"/128 counts each address", 128, "[2001:db8:1:2:3:4:5:7]:443", false, "2001:db8:1:2:3:4:5:6"},
		{"IPv4 is counted by address", 48, "192.0.2.1:443", false, "2001:db8:1::/48"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resolver *forwarded.Resolver
			if tt.prefix != 0 {
				var err error
				resolver, err = forwarded.New(forwarded.Config{IPv6Prefix: tt.prefix})
				require.NoError(t, err)
			}
			f := newFixture(t, func(c *ratelimit.Config) {
				c.Resolver = resolver
				c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 1}}
			})
			h := f.limiter.Handler(ok)
			require.Equal(t, 200, f.serve(h, "GET", "/posts", "RemoteAddr", first).Code)
			w := f.serve(h, "GET", "/posts", "RemoteAddr", tt.other)
			if tt.shared {
				assert.Equal(t, 403, w.Code, "the same quota")
			} else {
				assert.Equal(t, 200, w.Code, "a quota of its own")
			}
			w = f.serve(h, "GET", "/posts", "RemoteAddr", first)
			require.Equal(t, 403, w.Code)
			assert.Contains(t, w.Body.String(), "exceeded for "+tt.key+".")
		})
	}
}

func TestRealm(t *testing.T) {
	tests := []struct {
		name  string
		realm string
		want  string // the challenge, or the config error
	}{
		{"default", "", `Basic realm="API"`},
		{"configured", "myblog API", `Basic realm="myblog API"`},
		{"RFC 9110 5.6.4: a quote would need an escape", `my "blog"`, `ratelimit: Realm: "my \"blog\"" must be printable ASCII without '"' or '\'`},
		{"RFC 9110 5.6.4: a backslash would need an escape", `a\b`, `ratelimit: Realm: "a\\b" must be printable ASCII without '"' or '\'`},
		{"not ASCII", "caf\u00e9", `ratelimit: Realm: "café" must be printable ASCII without '"' or '\'`},
		{"a control character", "a\nb", `ratelimit: Realm: "a\nb" must be printable ASCII without '"' or '\'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limiter, err := ratelimit.New(ratelimit.Config{Realm: tt.realm, CheckClient: checkClient})
			if !strings.HasPrefix(tt.want, "Basic") {
				require.Error(t, err)
				assert.Equal(t, tt.want, err.Error())
				return
			}
			require.NoError(t, err)
			r := httptest.NewRequest("GET", "/posts?client_id=Iv1.app&client_secret=wrong", nil)
			w := httptest.NewRecorder()
			limiter.Handler(ok).ServeHTTP(w, r)
			assert.Equal(t, 401, w.Code)
			assert.Equal(t, []string{tt.want}, w.Header()["Www-Authenticate"])
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := ratelimit.New(ratelimit.Config{
		Resources: []ratelimit.Resource{
			{Name: "Search!"},
			{Name: "graphql", Window: 500 * time.Millisecond},
			{Name: "graphql"},
			{Name: "code", Limit: -1, AnonymousLimit: -2},
		},
		Realm:               `"`,
		Status:              500,
		StatusPath:          "rate_limit",
		SecondaryRetryAfter: 2 * time.Hour,
	})
	require.Error(t, err)
	assert.Equal(t, []string{
		`ratelimit: Resources[0].Name: "Search!" must be lower-case letters, digits, '_' or '-'`,
		"ratelimit: Resources[1].Window: must be a whole number of seconds, at least one",
		`ratelimit: Resources[2].Name: "graphql" is listed twice`,
		"ratelimit: Resources[3].Limit: must not be negative",
		"ratelimit: Resources[3].AnonymousLimit: must not be negative",
		`ratelimit: Realm: "\"" must be printable ASCII without '"' or '\'`,
		"ratelimit: SecondaryRetryAfter: 2h0m0s is more than an hour",
		"ratelimit: Status: must be 403 or 429, not 500",
		`ratelimit: StatusPath: must start with "/"`,
	}, strings.Split(err.Error(), "\n"), "every problem at once, each named once")
	var problem *apierrors.ConfigError
	require.ErrorAs(t, err, &problem)
	assert.Equal(t, "ratelimit", problem.Package)
	assert.Equal(t, "Resources[0].Name", problem.Field)
}

// failingBuckets is a BucketStore whose backend is down.
type failingBuckets struct{}

func (failingBuckets) Allow(context.Context, ratelimit.Caller, []ratelimit.Bucket, time.Time) (bool, time.Duration, error) {
	return false, 0, errors.New("connection reset")
}

func TestStoreFailure(t *testing.T) {
	tests := []struct {
		name       string
		config     func(*ratelimit.Config)
		method     string
		target     string
		wantCode   int
		wantHeader map[string]string
		wantLog    []string
	}{
		{
			name:     "the quota store: fail open by default to the local limits, logged at Warn",
			config:   func(c *ratelimit.Config) { c.Store = failingStore{} },
			method:   "GET",
			target:   "/posts?access_token=hidden",
			wantCode: 200,
			wantHeader: map[string]string{
				"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "59", "X-Ratelimit-Reset": resetAt,
				"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core",
			},
			wantLog: []string{`level=WARN msg="ratelimit: store failed" op=take error="connection refused" not_logged_since_last=0 fail_closed=false method=GET path=/posts`},
		},
		{
			name: "the quota store, fail open with 4 instances: a quarter of the limit, locally",
			config: func(c *ratelimit.Config) {
				c.Store = failingStore{}
				c.Instances = 4
			},
			method: "GET", target: "/posts",
			wantCode: 200,
			wantHeader: map[string]string{
				"X-Ratelimit-Limit": "15", "X-Ratelimit-Remaining": "14", "X-Ratelimit-Reset": resetAt,
				"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core",
			},
			wantLog: []string{`level=WARN msg="ratelimit: store failed" op=take error="connection refused" not_logged_since_last=0 fail_closed=false method=GET path=/posts`},
		},
		{
			name: "the quota store: fail closed, 503 logged at Error",
			config: func(c *ratelimit.Config) {
				c.Store = failingStore{}
				c.FailClosed = true
			},
			method: "GET", target: "/posts",
			wantCode: 503, wantHeader: map[string]string{"Retry-After": "30"},
			wantLog: []string{`level=ERROR msg="ratelimit: store failed" op=take error="connection refused" not_logged_since_last=0 fail_closed=true method=GET path=/posts`},
		},
		{
			name:   "the bucket store: fail open, decided locally, logged at Warn",
			config: func(c *ratelimit.Config) { c.Buckets = failingBuckets{} },
			method: "POST", target: "/posts",
			wantCode: 200,
			wantHeader: map[string]string{
				"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "59", "X-Ratelimit-Reset": resetAt,
				"X-Ratelimit-Used": "1", "X-Ratelimit-Resource": "core",
			},
			wantLog: []string{`level=WARN msg="ratelimit: store failed" op=allow error="connection reset" not_logged_since_last=0 fail_closed=false method=POST path=/posts`},
		},
		{
			name: "the bucket store: fail closed, 503",
			config: func(c *ratelimit.Config) {
				c.Buckets = failingBuckets{}
				c.FailClosed = true
			},
			method: "POST", target: "/posts",
			wantCode:   503,
			wantHeader: map[string]string{"Retry-After": "30"},
			wantLog:    []string{`level=ERROR msg="ratelimit: store failed" op=allow error="connection reset" not_logged_since_last=0 fail_closed=true method=POST path=/posts`},
		},
		{
			name:   "the status document, fail open: the local figures",
			config: func(c *ratelimit.Config) { c.Store = failingStore{} },
			method: "GET", target: "/rate_limit",
			wantCode: 200,
			wantHeader: map[string]string{
				"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "60", "X-Ratelimit-Reset": resetAt,
				"X-Ratelimit-Used": "0", "X-Ratelimit-Resource": "core",
			},
			wantLog: []string{`level=WARN msg="ratelimit: store failed" op=peek error="connection refused" not_logged_since_last=0 fail_closed=false method=GET path=/rate_limit`},
		},
		{
			name: "the status document, fail closed: 503 logged at Error",
			config: func(c *ratelimit.Config) {
				c.Store = failingStore{}
				c.FailClosed = true
			},
			method: "GET", target: "/rate_limit",
			wantCode: 503, wantHeader: map[string]string{"Retry-After": "30"},
			wantLog: []string{`level=ERROR msg="ratelimit: store failed" op=peek error="connection refused" not_logged_since_last=0 fail_closed=true method=GET path=/rate_limit`},
		},
		{
			name:   "CheckClient fails: 500 logged at Error, the secret not logged",
			config: func(c *ratelimit.Config) {},
			method: "GET", target: "/posts?client_id=broken&client_secret=hidden",
			wantCode: 500, wantHeader: map[string]string{},
			wantLog: []string{`level=ERROR msg="ratelimit: CheckClient failed" op=check_client error="database is down" method=GET path=/posts`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.config)
			mux := http.NewServeMux()
			mux.Handle("/rate_limit", f.limiter.Status())
			mux.Handle("/", ok)
			w := f.serve(f.limiter.Handler(mux), tt.method, tt.target)
			assert.Equal(t, tt.wantCode, w.Code)
			assert.Equal(t, tt.wantHeader, rateHeaders(w.Header()))
			var logged []string
			for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
				_, rest, _ := strings.Cut(line, " ") // drop time=
				logged = append(logged, rest)
			}
			assert.Equal(t, tt.wantLog, logged)
			assert.NotContains(t, f.logs.String(), "hidden", "the query is never logged")
			if tt.wantCode == 503 {
				assert.JSONEq(t, `{"message":"Rate limiting is temporarily unavailable. Please try again later.","documentation_url":"https://developer.myblog.com/v3"}`, w.Body.String())
			}
		})
	}
}

// recorder is an Observer that keeps what it sees.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (rec *recorder) Observe(ev observe.Event) {
	line := ev.Middleware + " " + string(ev.Decision) + " " + ev.Detail
	if ev.Request != nil {
		line += " " + ev.Request.Method + " " + ev.Request.URL.Path
	}
	if ev.Err != nil {
		line += " err=" + ev.Err.Error()
	}
	rec.mu.Lock()
	rec.events = append(rec.events, line)
	rec.mu.Unlock()
}

func (rec *recorder) take() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.events
	rec.events = nil
	return out
}

func TestObserver(t *testing.T) {
	rec := new(recorder)
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Observer = rec
		c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 3}}
		c.CreatesPerMinute = 1
		c.Exempt = func(r *http.Request) bool { return r.URL.Path == "/healthz" }
		c.Resource = func(r *http.Request) string {
			if strings.HasPrefix(r.URL.Path, "/search/") {
				return "search"
			}
			return "core"
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/rate_limit", f.limiter.Status())
	mux.Handle("/", etagHandler)
	h := f.limiter.Handler(mux)
	const etag = `"644b5b0155e6404a9cc4bd9d8b1ae730"`
	traffic := []struct {
		method, target string
		header         []string
		wantCode       int
	}{
		{"GET", "/healthz", nil, 200},
		{"GET", "/rate_limit", nil, 200},
		{"GET", "/user", nil, 200},
		{"GET", "/user", []string{"If-None-Match", etag}, 304},
		{"POST", "/user", nil, 200},
		{"POST", "/user", nil, 403},
		{"GET", "/user", nil, 200},
		{"GET", "/user", nil, 403},
		{"GET", "/search/user", nil, 200},
		{"GET", "/user?client_id=Iv1.app&client_secret=wrong", nil, 401},
	}
	for _, req := range traffic {
		require.Equal(t, req.wantCode, f.serve(h, req.method, req.target, req.header...).Code, "%s %s", req.method, req.target)
	}
	assert.Equal(t, []string{
		"ratelimit exempt core GET /healthz",
		"ratelimit exempt core GET /rate_limit",
		"ratelimit admitted core GET /user",
		"ratelimit admitted core GET /user",
		"ratelimit refunded core GET /user",
		"ratelimit admitted core POST /user",
		"ratelimit secondary_limited core POST /user",
		"ratelimit admitted core GET /user",
		"ratelimit limited core GET /user",
		"ratelimit admitted search GET /search/user",
		"ratelimit token_refused core GET /user",
	}, rec.take())

	down := newFixture(t, func(c *ratelimit.Config) {
		c.Observer = rec
		c.Store = failingStore{}
	})
	require.Equal(t, 200, down.serve(down.limiter.Handler(ok), "GET", "/posts").Code)
	assert.Equal(t, []string{
		"ratelimit store_error take GET /posts err=connection refused",
		"ratelimit admitted core GET /posts", // by the local fallback
	}, rec.take())
}

func TestExposedHeaders(t *testing.T) {
	base := []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource", "Retry-After"}
	tests := []struct {
		name   string
		ietf   bool
		heroku bool
		want   []string
	}{
		{"default", false, false, base},
		{"draft-ietf-httpapi-ratelimit-headers fields", true, false, append(slices.Clone(base), "RateLimit", "RateLimit-Policy")},
		{"Heroku's field", false, true, append(slices.Clone(base), "RateLimit-Remaining")},
		{"both", true, true, append(slices.Clone(base), "RateLimit", "RateLimit-Policy", "RateLimit-Remaining")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limiter, err := ratelimit.New(ratelimit.Config{IETFHeaders: tt.ietf, HerokuHeader: tt.heroku})
			require.NoError(t, err)
			got := limiter.ExposedHeaders()
			assert.Equal(t, tt.want, got)
			// Every header the limiter sets on a refusal is in the list.
			for name := range rateHeaders(refusalOf(t, limiter)) {
				assert.Contains(t, canonical(got), name)
			}
			got[0] = "changed"
			assert.Equal(t, tt.want, limiter.ExposedHeaders(), "a fresh slice each call")
		})
	}
}

// refusalOf returns the headers of a refusal by limiter: the 61st
// anonymous request of an hour.
func refusalOf(t *testing.T, limiter *ratelimit.Limiter) http.Header {
	t.Helper()
	h := limiter.Handler(ok)
	var last http.Header
	for range 61 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
		last = w.Header()
	}
	require.NotEmpty(t, last.Get("Retry-After"), "the 61st anonymous request is refused")
	return last
}

func canonical(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}
