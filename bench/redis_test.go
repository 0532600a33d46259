package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	ulule "github.com/ulule/limiter/v3"
	ululeredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/myblog/apikit/internal/redistest"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
)

// commands counts the commands a client sends: its round trips. On a
// Cluster it is added to every node's client (ClusterClient.OnNewNode),
// so that it counts what goes over the network, a MOVED redirection or a
// script loaded on every node included, rather than the commands the
// application asked for. It leaves out the handshake go-redis sends on
// each new connection (HELLO, then CLIENT SETINFO in a pipeline): a few
// per run, the pool's connections, not the operations'.
type commands struct{ n atomic.Int64 }

func (c *commands) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *commands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || !handshake(cmds[0]) {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// handshake reports whether cmd is one of a new connection's set-up
// commands: HELLO, CLIENT (SETINFO, and the like).
func handshake(cmd redis.Cmder) bool {
	name := cmd.Name()
	return name == "hello" || name == "client"
}

// redisPoolSize is every benchmark client's pool: of its server, or of
// each node of a Cluster.
const redisPoolSize = 16

// redisKeys are the 10,000 distinct keys the Redis benchmarks take in
// turn: client addresses, spread over a Cluster's slots by their hash.
var redisKeys = func() []string {
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	return keys
}()

// redisConnect opens a client of a benchmark's topology, counting its
// round trips in c, and closes it when b ends.
type redisConnect func(b *testing.B, c *commands) redis.UniversalClient

// forTopologies runs f as the sub-benchmarks topology=single, against one
// redis-server, and topology=cluster, against a Redis Cluster of 3
// masters without replicas. Each is started once by its sub-benchmark,
// only when the -bench pattern selects it, and serves every
// sub-benchmark f adds and every one of their -count runs: a sub-benchmark
// that has sub-benchmarks of its own runs once (testing runs -count only
// on the leaves).
func forTopologies(b *testing.B, f func(b *testing.B, connect redisConnect)) {
	b.Run("topology=single", func(b *testing.B) {
		srv := redistest.Start(b)
		f(b, func(b *testing.B, c *commands) redis.UniversalClient {
			client := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: redisPoolSize})
			client.AddHook(c)
			b.Cleanup(func() { _ = client.Close() })
			return client
		})
	})
	b.Run("topology=cluster", func(b *testing.B) {
		cluster := redistest.StartCluster(b, 3, 0)
		f(b, func(b *testing.B, c *commands) redis.UniversalClient {
			client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs, PoolSize: redisPoolSize})
			client.OnNewNode(func(node *redis.Client) { node.AddHook(c) })
			b.Cleanup(func() { _ = client.Close() })
			return client
		})
	})
}

// errRefused is a decision that refused a request: the quotas are large
// enough that none should, so a refusal fails the benchmark rather than
// make it look faster than the work it stands for.
var errRefused = errors.New("refused")

// runParallel runs b.N operations over RunParallel, each goroutine with
// its own op from newOp, which it calls with the indexes of redisKeys in
// turn from its own place; it fails b with the first error, and reports
// roundtrips/op from c.
func runParallel(b *testing.B, c *commands, newOp func() func(i int) error) {
	var next atomic.Int64
	var failure atomic.Pointer[error]
	before := c.n.Load()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		op := newOp()
		i := int(next.Add(1000))
		for pb.Next() {
			if err := op(i % len(redisKeys)); err != nil {
				failure.CompareAndSwap(nil, &err)
				return
			}
			i++
		}
	})
	b.StopTimer()
	if err := failure.Load(); err != nil {
		b.Fatal(*err)
	}
	b.ReportMetric(float64(c.n.Load()-before)/float64(b.N), "roundtrips/op")
}

// BenchmarkRedisDecision makes rate-limit decisions against real Redis,
// one server and a Cluster of 3 masters, 10,000 keys in turn, quota 5000
// an hour (nothing is refused during a run: a refusal fails it):
// apikit's redisstore (Take, a Lua script reading Redis's TIME),
// go-redis/redis_rate (Allow, GCRA in Lua) and ulule/limiter's Redis
// store (limiter.Get, INCRBY and PEXPIRE in Lua), each on its own client
// of the same pool size. It reports the round trips per decision.
//
// ulule runs on the Cluster as well: its store touches one key per
// operation (EVALSHA with KEYS[1], DEL of one key), which go-redis routes
// to the key's master, and the ClusterClient's SCRIPT LOAD loads its
// scripts on every node; a NOSCRIPT (a node restarted or promoted) makes
// it load them again.
func BenchmarkRedisDecision(b *testing.B) {
	forTopologies(b, func(b *testing.B, connect redisConnect) {
		run := func(b *testing.B, c *commands, decide func(ctx context.Context, key string) (bool, error)) {
			ctx := context.Background()
			op := func(i int) error {
				allowed, err := decide(ctx, redisKeys[i])
				switch {
				case err != nil:
					return err
				case !allowed:
					return fmt.Errorf("%s: %w", redisKeys[i], errRefused)
				}
				return nil
			}
			// Load the scripts: 100 keys reach every master of the Cluster.
			for i := range 100 {
				if err := op(i); err != nil {
					b.Fatal(err)
				}
			}
			runParallel(b, c, func() func(int) error { return op })
		}
		b.Run("impl=apikit", func(b *testing.B) {
			var c commands
			store, err := redisstore.New(redisstore.Config{Client: connect(b, &c), Timeout: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			run(b, &c, func(ctx context.Context, key string) (bool, error) {
				usage, err := store.Take(ctx, ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{ID: key}}, 5000, time.Hour, time.Now())
				return usage.Allowed, err
			})
		})
		b.Run("impl=redis_rate", func(b *testing.B) {
			var c commands
			limiter := redis_rate.NewLimiter(connect(b, &c))
			limit := redis_rate.PerHour(5000)
			run(b, &c, func(ctx context.Context, key string) (bool, error) {
				res, err := limiter.Allow(ctx, key, limit)
				if err != nil {
					return false, err
				}
				return res.Allowed > 0, nil
			})
		})
		b.Run("impl=ulule", func(b *testing.B) {
			var c commands
			store, err := ululeredis.NewStore(connect(b, &c)) // loads its scripts
			if err != nil {
				b.Fatal(err)
			}
			rate, err := ulule.NewRateFromFormatted("5000-H")
			if err != nil {
				b.Fatal(err)
			}
			limiter := ulule.New(store, rate)
			run(b, &c, func(ctx context.Context, key string) (bool, error) {
				res, err := limiter.Get(ctx, key)
				return !res.Reached, err
			})
		})
	})
}

// redisResponse is a ResponseWriter that keeps only the status.
type redisResponse struct {
	header http.Header
	status int
}

func (w *redisResponse) Header() http.Header { return w.header }
func (w *redisResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
func (w *redisResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// BenchmarkRedisRoundTrips serves requests through the ratelimit
// middleware with the redisstore Store, on one server and on a Cluster of
// 3 masters: GETs, which take the primary quota (Store.Take), and POSTs,
// which also take the content-creation buckets (Store.TakeAll, the quota
// and the buckets in one script). 10,000 users in turn, quotas and
// buckets of 2^30 so that nothing is refused; every response must be the
// handler's 200. Each request must cost one round trip.
//
// The Config is the default but for those limits and FailClosed: a
// failing store then answers 503, which fails the benchmark, where the
// default (fail open, under local limits) would answer 200 from memory.
func BenchmarkRedisRoundTrips(b *testing.B) {
	const userHeader = "X-Bench-User" // canonical
	users := make([][]string, len(redisKeys))
	for i := range users {
		users[i] = []string{"u" + strconv.Itoa(i)}
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	forTopologies(b, func(b *testing.B, connect redisConnect) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			b.Run("method="+method, func(b *testing.B) {
				b.Run("impl=apikit", func(b *testing.B) {
					var c commands
					store, err := redisstore.New(redisstore.Config{Client: connect(b, &c), Timeout: time.Second})
					if err != nil {
						b.Fatal(err)
					}
					limiter, err := ratelimit.New(ratelimit.Config{
						Resources: []ratelimit.Resource{{Name: "core", Limit: 1 << 30, AnonymousLimit: 1 << 30}},
						User: func(r *http.Request) (string, bool) {
							if v := r.Header[userHeader]; len(v) > 0 {
								return v[0], true
							}
							return "", false
						},
						CreatesPerMinute: 1 << 30,
						CreatesPerHour:   1 << 30,
						Store:            store,
						FailClosed:       true,
					})
					if err != nil {
						b.Fatal(err)
					}
					h := limiter.Handler(ok)
					// serve makes a goroutine's op, which reuses one request and
					// one response, so that the allocations are the middleware's.
					serve := func() func(i int) error {
						req := httptest.NewRequest(method, "/repos/o/r/issues", nil)
						w := &redisResponse{header: make(http.Header, 8)}
						return func(i int) error {
							clear(w.header)
							w.status = 0
							req.Header[userHeader] = users[i]
							h.ServeHTTP(w, req)
							if w.status != http.StatusOK {
								return fmt.Errorf("%s %s for %s: status %d, want 200", method, req.URL.Path, req.Header[userHeader][0], w.status)
							}
							return nil
						}
					}
					warm := serve()
					for i := range 100 { // loads the scripts on every master
						if err := warm(i); err != nil {
							b.Fatal(err)
						}
					}
					runParallel(b, &c, serve)
				})
			})
		}
	})
}
