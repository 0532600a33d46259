package ratelimit_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/ratelimit"
)

// While the store is down, a Limiter that fails open keeps this
// instance's share of every limit in memory: never no limit.
func TestFallbackKeepsTheLimits(t *testing.T) {
	tests := []struct {
		name      string
		instances int
		method    string
		header    []string
		admitted  int // before the first refusal
		wantID    string
	}{
		{name: "anonymous quota, one instance", instances: 1, method: "GET", admitted: 60, wantID: ratelimit.IDLimited},
		{name: "anonymous quota, three instances", instances: 3, method: "GET", admitted: 20, wantID: ratelimit.IDLimited},
		{name: "a user's creations, two instances: 80/min halved", instances: 2, method: "POST", header: []string{"X-Test-User", "42"}, admitted: 40, wantID: ratelimit.IDSecondaryLimited},
		{name: "a share is never zero", instances: 1000, method: "GET", admitted: 1, wantID: ratelimit.IDLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *ratelimit.Config) {
				c.Store = failingStore{}
				c.Buckets = failingBuckets{}
				c.Instances = tt.instances
			})
			h := f.limiter.Handler(ok)
			for i := range tt.admitted {
				w := f.serve(h, tt.method, "/posts", tt.header...)
				require.Equal(t, 200, w.Code, "request %d", i+1)
			}
			w := f.serve(h, tt.method, "/posts", tt.header...)
			assert.Equal(t, 403, w.Code)
			assert.Contains(t, w.Body.String(), `"documentation_url"`, "the JSON error")
			assert.NotEmpty(t, w.Header().Get("Retry-After"))
			if tt.wantID == ratelimit.IDLimited {
				assert.Equal(t, "0", w.Header().Get("X-RateLimit-Remaining"))
			} else {
				assert.Contains(t, w.Body.String(), "secondary rate limit")
			}
		})
	}
}

// A store that is down fails every request: the log gets the first
// failure at once, then one line per 10 seconds that counts the others.
func TestStoreFailuresAreLoggedOncePerInterval(t *testing.T) {
	f := newFixture(t, func(c *ratelimit.Config) { c.Store = failingStore{} })
	h := f.limiter.Handler(ok)
	for i := range 1000 {
		require.Equal(t, 200, f.serve(h, "GET", "/posts", "RemoteAddr", "198.51.100."+strconv.Itoa(i%200)+":1").Code)
		f.clock.Advance(5 * time.Millisecond) // 5 s in all
	}
	assert.Equal(t, 1, strings.Count(f.logs.String(), "\n"), "one line for 1,000 failures in 5 s:\n%s", f.logs.String())
	f.clock.Advance(5 * time.Second)
	f.serve(h, "GET", "/posts")
	lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[1], "not_logged_since_last=999")
}
