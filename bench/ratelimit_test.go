package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/didip/tollbooth/v8"
	tollboothlimiter "github.com/didip/tollbooth/v8/limiter"
	"github.com/go-chi/httprate"
	"github.com/sethvargo/go-limiter/httplimit"
	"github.com/sethvargo/go-limiter/memorystore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	ulule "github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/middleware/stdlib"
	"github.com/ulule/limiter/v3/drivers/store/memory"

	"github.com/myblog/apikit/ratelimit"
)

// rateLimiter is one implementation under comparison. wrap returns its
// net/http middleware in front of next, with an in-memory store, admitting
// perHour requests an hour from each client IP taken from RemoteAddr (no
// forwarding header is trusted), and its refusal status.
type rateLimiter struct {
	name    string
	refusal int
	wrap    func(tb testing.TB, perHour int, next http.Handler) http.Handler
}

// rateLimiters are apikit's limiter and the peers users would otherwise
// pick, each configured for the same quota and the same key.
var rateLimiters = []rateLimiter{
	{
		name:    "apikit",
		refusal: http.StatusForbidden, // GitHub's status
		wrap: func(tb testing.TB, perHour int, next http.Handler) http.Handler {
			limiter, err := ratelimit.New(ratelimit.Config{Resources: []ratelimit.Resource{
				{Name: "core", Window: time.Hour, AnonymousLimit: perHour},
			}})
			require.NoError(tb, err)
			return limiter.Handler(next)
		},
	},
	{
		// A fixed-window counter with a sliding estimate over the previous
		// window. httprate v0.16 deprecates LimitByIP and KeyByIP (they key
		// by RemoteAddr, the proxy behind a proxy); LimitBy with this key
		// function is the replacement its docs give for a directly exposed
		// server, and computes the same key as KeyByIP.
		name:    "httprate",
		refusal: http.StatusTooManyRequests,
		wrap: func(tb testing.TB, perHour int, next http.Handler) http.Handler {
			keyByRemoteAddr := func(r *http.Request) (string, error) {
				ip, _, err := net.SplitHostPort(r.RemoteAddr)
				if err != nil {
					ip = r.RemoteAddr
				}
				return httprate.CanonicalizeIP(ip), nil
			}
			return httprate.LimitBy(perHour, time.Hour, keyByRemoteAddr)(next)
		},
	},
	{
		// A fixed window per key; the default key getter reads RemoteAddr
		// unless WithTrustForwardHeader is set. The memory store's cleaner
		// goroutine stops when the store is garbage collected.
		name:    "ulule-limiter",
		refusal: http.StatusTooManyRequests,
		wrap: func(tb testing.TB, perHour int, next http.Handler) http.Handler {
			rate := ulule.Rate{Period: time.Hour, Limit: int64(perHour)}
			return stdlib.NewMiddleware(ulule.New(memory.NewStore(), rate)).Handler(next)
		},
	},
	{
		// A bucket of perHour tokens refilled every hour; IPKeyFunc with no
		// header names reads RemoteAddr alone.
		name:    "sethvargo-limiter",
		refusal: http.StatusTooManyRequests,
		wrap: func(tb testing.TB, perHour int, next http.Handler) http.Handler {
			store, err := memorystore.New(&memorystore.Config{Tokens: uint64(perHour), Interval: time.Hour})
			require.NoError(tb, err)
			tb.Cleanup(func() { _ = store.Close(context.Background()) })
			middleware, err := httplimit.NewMiddleware(store, httplimit.IPKeyFunc())
			require.NoError(tb, err)
			return middleware.Handle(next)
		},
	},
	{
		// A token bucket per key (x/time/rate), rated in requests a second:
		// perHour an hour is perHour/3600 a second with a burst of perHour,
		// so a new client may spend the hour's quota at once and then gets
		// one request back every 3600/perHour seconds. v8 limits nobody
		// until told where the IP comes from: RemoteAddr here, and
		// SetIgnoreURL so that the key is the IP alone, like the others'
		// (by default tollbooth adds the path).
		name:    "tollbooth",
		refusal: http.StatusTooManyRequests,
		wrap: func(tb testing.TB, perHour int, next http.Handler) http.Handler {
			limiter := tollbooth.NewLimiter(float64(perHour)/3600, nil).
				SetBurst(perHour).
				SetIPLookup(tollboothlimiter.IPLookup{Name: "RemoteAddr"}).
				SetIgnoreURL(true)
			return tollbooth.LimitHandler(limiter, next)
		},
	},
}

// BenchmarkRateLimit counts anonymous GETs from 10,000 client IPs against
// an hourly quota that nothing exceeds during the run, with the rate-limit
// headers each implementation sets, in front of a handler that does
// nothing. impl=bare is that handler alone: subtract it to get each
// middleware's cost. Two quotas: the conventions' 5000 an hour (10,000 IPs may
// make 50 million requests before one is refused, far more than a run
// makes, and the check below would catch it) and 2^30, where the header
// values are large numbers.
func BenchmarkRateLimit(b *testing.B) {
	for _, perHour := range []int{5000, 1 << 30} {
		b.Run("quota="+strconv.Itoa(perHour), func(b *testing.B) { benchmarkRateLimit(b, perHour) })
	}
}

func benchmarkRateLimit(b *testing.B, perHour int) {
	addrs := make([]string, 10_000)
	for i := range addrs {
		addrs[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + ":4000"
	}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

	run := func(b *testing.B, h http.Handler) {
		var offset atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := httptest.NewRequest(http.MethodGet, "/posts", nil)
			w := httptest.NewRecorder()
			// Each goroutine starts at its own place in addrs, so they
			// do not all hit the same key at the same time.
			i := int(offset.Add(1000))
			for pb.Next() {
				r.RemoteAddr = addrs[i%len(addrs)]
				i++
				clear(w.Header())
				h.ServeHTTP(w, r)
			}
			// The recorder keeps the first status written and next writes
			// none, so any refusal during the loop shows here: a peer
			// cannot look fast by refusing.
			if w.Code != http.StatusOK {
				b.Errorf("status %d, want %d", w.Code, http.StatusOK)
			}
		})
	}

	for _, rl := range rateLimiters {
		b.Run("impl="+rl.name, func(b *testing.B) { run(b, rl.wrap(b, perHour, next)) })
	}
	b.Run("impl=bare", func(b *testing.B) { run(b, next) })
}

// TestRateLimitPeersAgree checks that every implementation in
// BenchmarkRateLimit, configured the same way, actually limits: with a
// quota of 5 an hour, one IP gets 5 of 6 requests through, and another IP
// still has its own quota.
func TestRateLimitPeersAgree(t *testing.T) {
	const perHour = 5
	for _, rl := range rateLimiters {
		t.Run(rl.name, func(t *testing.T) {
			var served int
			h := rl.wrap(t, perHour, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served++ }))
			serve := func(remoteAddr string) int {
				r := httptest.NewRequest(http.MethodGet, "/posts", nil)
				r.RemoteAddr = remoteAddr
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}

			var statuses []int
			for range perHour + 1 {
				statuses = append(statuses, serve("10.0.0.1:4000"))
			}
			assert.Equal(t, []int{200, 200, 200, 200, 200, rl.refusal}, statuses)
			assert.Equal(t, perHour, served, "requests that reached the handler")

			assert.Equal(t, http.StatusOK, serve("10.0.0.2:4000"), "another client IP")
			assert.Equal(t, perHour+1, served, "requests that reached the handler")
		})
	}
}
