package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/internal/redistest"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
)

// The three deployments a service runs redisstore on, each a real server
// (or servers) on loopback.
func topologies(t *testing.T) map[string]string {
	single := redistest.Start(t)
	cluster := redistest.StartCluster(t, 3, 0)
	sentinel := redistest.StartSentinel(t, 1, 3)
	return map[string]string{
		"single":   "redis://" + single.Addr + "/0",
		"cluster":  "redis+cluster://" + strings.Join(cluster.Addrs, ","),
		"sentinel": "redis+sentinel://" + strings.Join(sentinel.Addrs, ",") + "/" + sentinel.MasterName,
	}
}

var prefixSeq atomic.Int64

// stack is one instance of a service: auth and ratelimit on its own
// client to the shared Redis, on its own clock.
type stack struct {
	handler http.Handler
	authn   *auth.Authenticator
}

const (
	anonymousQuota = 300
	createsPerHour = 100
	maxFailures    = 10
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// newStack builds one instance on url, keys under prefix, its clock now
// (nil: time.Now); the store runs on Redis's clock.
func newStack(t *testing.T, url, prefix string, now func() time.Time, edit func(*ratelimit.Config), hooks ...redis.Hook) *stack {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	store := newStore(t, url, func(c *redisstore.Config) {
		c.Prefix = prefix
		c.Clock = redisstore.RedisClock
	}, hooks...)
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{Issuer: "https://api.example", Keys: []auth.Key{{Secret: secret}}},
		CheckPassword: func(_ context.Context, login, password string) (string, error) {
			if login == "alice" && password == "right password" {
				return "u-1", nil
			}
			return "", auth.ErrBadCredentials
		},
		MaxFailures:   maxFailures,
		AttemptStore:  store,
		TokenStore:    store,
		BasicCacheTTL: -1,
		Now:           now,
	})
	require.NoError(t, err)
	cfg := ratelimit.Config{
		Store:            store,
		Resources:        []ratelimit.Resource{{Name: "core", AnonymousLimit: anonymousQuota, Limit: 1 << 20}},
		User:             func(r *http.Request) (string, bool) { id, ok := auth.FromContext(r.Context()); return id.Subject, ok },
		CreatesPerMinute: -1,
		CreatesPerHour:   createsPerHour,
		CreatesContent:   func(r *http.Request) bool { return r.Method == "POST" && r.URL.Path == "/posts" },
		MaxConcurrent:    -1,
		Now:              now,
	}
	if edit != nil {
		edit(&cfg)
	}
	limiter, err := ratelimit.New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("POST /login", authn.Login())
	mux.Handle("PATCH /authorizations/refresh-tokens", authn.Refresh())
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	return &stack{handler: authn.Handler(limiter.Handler(mux)), authn: authn}
}

func (s *stack) do(method, target, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr = "198.51.100.7:40000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

// hammer runs each of 2 × 32 goroutines, n requests each, on the two
// stacks (goroutine g on stacks[g%2], alternating per request with
// alternate) and counts the answers by status.
func hammer(stacks [2]*stack, n int, alternate bool, req func(s *stack) int) map[int]int {
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range n {
				s := stacks[g%2]
				if alternate {
					s = stacks[(g+i)%2]
				}
				code := req(s)
				mu.Lock()
				counts[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return counts
}

// Two instances with separate clients admit exactly the limits, on every
// topology: the quota, the buckets, the lockout, and one refresh of a
// token however many race for it. Then again with the instances' clocks
// 30 s apart: Redis's clock decides, so the figures do not move.
func TestTwoInstancesExactOnEveryTopology(t *testing.T) {
	urls := topologies(t)
	skews := map[string]time.Duration{"same clock": 0, "clocks 30s apart": 30 * time.Second}
	for _, name := range []string{"single", "cluster", "sentinel"} {
		for _, skewName := range []string{"same clock", "clocks 30s apart"} {
			t.Run(name+"/"+skewName, func(t *testing.T) {
				skew := skews[skewName]
				newPair := func() [2]*stack {
					prefix := "t" + strconv.FormatInt(prefixSeq.Add(1), 10) + ":"
					return [2]*stack{
						newStack(t, urls[name], prefix, nil, nil),
						newStack(t, urls[name], prefix, func() time.Time { return time.Now().Add(skew) }, nil),
					}
				}
				alternate := skew != 0

				t.Run("primary quota", func(t *testing.T) {
					counts := hammer(newPair(), 8, alternate, func(s *stack) int { return s.do("GET", "/posts", "").Code })
					assert.Equal(t, map[int]int{200: anonymousQuota, 403: 64*8 - anonymousQuota}, counts)
				})
				t.Run("content-creation bucket", func(t *testing.T) {
					stacks := newPair()
					pair, err := stacks[0].authn.Issue(context.Background(), "u-1", nil)
					require.NoError(t, err)
					counts := hammer(stacks, 3, alternate, func(s *stack) int {
						return s.do("POST", "/posts", `{}`, "Authorization", "Bearer "+pair.Token).Code
					})
					assert.Equal(t, map[int]int{200: createsPerHour, 403: 64*3 - createsPerHour}, counts)
				})
				t.Run("login lockout", func(t *testing.T) {
					counts := hammer(newPair(), 2, alternate, func(s *stack) int {
						return s.do("POST", "/login", `{"username":"alice","password":"wrong"}`).Code
					})
					assert.Equal(t, map[int]int{401: maxFailures, 403: 128 - maxFailures}, counts)
				})
				t.Run("refresh rotation", func(t *testing.T) {
					stacks := newPair()
					pair, err := stacks[0].authn.Issue(context.Background(), "u-1", nil)
					require.NoError(t, err)
					var winner atomic.Value
					counts := hammer(stacks, 1, alternate, func(s *stack) int {
						w := s.do("PATCH", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+pair.RefreshToken)
						if w.Code == 200 {
							winner.Store(w.Body.String())
						}
						return w.Code
					})
					assert.Equal(t, map[int]int{200: 1, 401: 63}, counts)
					body, _ := winner.Load().(string)
					next := between(body, `"refresh_token":"`, `"`)
					require.NotEmpty(t, next, body)
					assert.Equal(t, 401, stacks[1].do("PATCH", "/authorizations/refresh-tokens", "", "Authorization", "Bearer "+next).Code,
						"the reuse revoked the whole family, on the other instance too")
				})
			})
		}
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

// With the buckets of golang.org/x/time/rate (80 a minute), instances
// whose clocks are 30 s apart must not refill each other's buckets: the
// faster one may be ahead by its skew once, never on every request.
func TestSkewedClocksDoNotRefillBuckets(t *testing.T) {
	srv := redistest.Start(t)
	url := "redis://" + srv.Addr + "/0"
	for _, clock := range []redisstore.Clock{redisstore.RedisClock, redisstore.CallerClock} {
		name := map[redisstore.Clock]string{redisstore.RedisClock: "RedisClock", redisstore.CallerClock: "CallerClock"}[clock]
		t.Run(name, func(t *testing.T) {
			prefix := "skew" + strconv.FormatInt(prefixSeq.Add(1), 10) + ":"
			stores := [2]*redisstore.Store{
				newStore(t, url, func(c *redisstore.Config) { c.Prefix, c.Clock = prefix, clock }),
				newStore(t, url, func(c *redisstore.Config) { c.Prefix, c.Clock = prefix, clock }),
			}
			skews := [2]time.Duration{0, 30 * time.Second}
			perMinute := []ratelimit.Bucket{{Limit: 80, Per: time.Minute}}
			caller := ratelimit.Caller{Kind: ratelimit.User, ID: "42"}
			start := time.Now()
			admitted := 0
			for i := range 2000 {
				ok, _, err := stores[i%2].Allow(context.Background(), caller, perMinute, time.Now().Add(skews[i%2]))
				require.NoError(t, err)
				if ok {
					admitted++
				}
			}
			elapsed := time.Since(start)
			most := 80 + int(elapsed/(750*time.Millisecond)) + 1
			if clock == redisstore.CallerClock {
				most += 40 // the faster clock is 30 s ahead once: 40 tokens
			}
			assert.GreaterOrEqual(t, admitted, 80)
			assert.LessOrEqual(t, admitted, most, "2,000 writes alternating in %v", elapsed)
		})
	}
}

// Every decision a request needs is one round trip, on every topology:
// the quota of a GET, the quota and the buckets of a POST, the lockout's
// two counters of a login. Counted with a go-redis hook.
func TestRoundTripsPerRequest(t *testing.T) {
	urls := topologies(t)
	for _, name := range []string{"single", "cluster", "sentinel"} {
		t.Run(name, func(t *testing.T) {
			var c counter
			s := newStack(t, urls[name], "rt"+strconv.FormatInt(prefixSeq.Add(1), 10)+":", nil, nil, &c)
			pair, err := s.authn.Issue(context.Background(), "u-1", nil)
			require.NoError(t, err)
			bearer := []string{"Authorization", "Bearer " + pair.Token}
			tests := []struct {
				name       string
				method     string
				target     string
				body       string
				header     []string
				wantStatus int
				want       int64
			}{
				{"GET: the quota", "GET", "/posts", "", bearer, 200, 1},
				{"anonymous GET: the quota", "GET", "/posts", "", nil, 200, 1},
				{"POST: the quota and the buckets together", "POST", "/posts", `{}`, bearer, 200, 1},
				{"a wrong password: the quota, then both lockout counters at once", "POST", "/login", `{"username":"alice","password":"wrong"}`, nil, 401, 2},
				{"a login: the quota, the counters, settling them, the new session", "POST", "/login", `{"username":"alice","password":"right password"}`, nil, 200, 4},
			}
			for _, tt := range tests {
				for range 2 { // the first loads the scripts
					before := c.n.Load()
					w := s.do(tt.method, tt.target, tt.body, tt.header...)
					require.Equal(t, tt.wantStatus, w.Code, "%s: %s", tt.name, w.Body)
					if got := c.n.Load() - before; got == tt.want {
						break
					} else {
						assert.LessOrEqual(t, got, tt.want+2, "%s: at most a script load more on its first run", tt.name)
					}
				}
				before := c.n.Load()
				w := s.do(tt.method, tt.target, tt.body, tt.header...)
				require.Equal(t, tt.wantStatus, w.Code)
				assert.Equal(t, tt.want, c.n.Load()-before, "%s: round trips", tt.name)
			}
		})
	}
}
