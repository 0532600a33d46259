package redisstore_test

import (
	"bytes"
	"context"
	"log/slog"
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

	"github.com/myblog/apikit/internal/redistest"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
)

// opTimeout is the stores' timeout in the outage tests: the default.
const opTimeout = redisstore.DefaultTimeout

// slack is what a loaded machine running the race detector may add to an
// operation bounded by opTimeout.
const slack = 200 * time.Millisecond

type outcome struct {
	at   time.Time
	took time.Duration
	err  error
}

// load takes from one key every 5 ms until stop is closed, and keeps
// every outcome.
func load(store *redisstore.Store, key ratelimit.Key, stop <-chan struct{}) func() []outcome {
	var mu sync.Mutex
	var out []outcome
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			start := time.Now()
			_, err := store.Take(context.Background(), key, 1<<30, time.Hour, start)
			mu.Lock()
			out = append(out, outcome{at: start, took: time.Since(start), err: err})
			mu.Unlock()
		}
	}()
	return func() []outcome {
		<-done
		return out
	}
}

// exact checks that two stores on one deployment admit exactly a quota
// together, 2 × 16 goroutines.
func exact(t *testing.T, stores [2]*redisstore.Store, caller string) {
	t.Helper()
	key := ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.User, ID: caller}}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for range 4 {
				u, err := stores[g%2].Take(context.Background(), key, 50, time.Hour, time.Now())
				if assert.NoError(t, err) && u.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(50), admitted.Load(), "exactly the quota after the failover")
}

// A master dies and its replica is promoted: operations fail at once or
// within the timeout meanwhile, never later, and exact counts resume
// within 5 s of the promotion, on a Cluster and behind Sentinel.
func TestFailover(t *testing.T) {
	tests := []struct {
		name  string
		start func(t *testing.T) (url string, kill func(redisKey string) time.Time)
	}{
		{"cluster", func(t *testing.T) (string, func(string) time.Time) {
			c := redistest.StartCluster(t, 3, 1)
			return "redis+cluster://" + strings.Join(c.Addrs, ","), c.KillMasterOf
		}},
		{"sentinel", func(t *testing.T) (string, func(string) time.Time) {
			s := redistest.StartSentinel(t, 1, 3)
			return "redis+sentinel://" + strings.Join(s.Addrs, ",") + "/" + s.MasterName, func(string) time.Time { return s.KillPrimary() }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, kill := tt.start(t)
			open := func() *redisstore.Store {
				client, err := redisstore.NewClient(url, opTimeout)
				require.NoError(t, err)
				t.Cleanup(func() { _ = client.Close() })
				store, err := redisstore.New(redisstore.Config{Client: client, Prefix: "fo:"})
				require.NoError(t, err)
				require.NoError(t, store.Check(context.Background()))
				return store
			}
			stores := [2]*redisstore.Store{open(), open()}
			key := ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.User, ID: "42"}}
			exact(t, stores, "before")

			stop := make(chan struct{})
			results := load(stores[0], key, stop)
			time.Sleep(200 * time.Millisecond) // some healthy operations first
			promoted := kill("fo:rl:{user:42}:core")
			// Poll for recovery, as a client would, for at most 5 s.
			var resumed time.Time
			require.Eventually(t, func() bool {
				_, err := stores[1].Take(context.Background(), key, 1<<30, time.Hour, time.Now())
				if err == nil {
					resumed = time.Now()
				}
				return err == nil
			}, 5*time.Second, 20*time.Millisecond, "operations succeed within 5s of the promotion")
			// Every operation past 5 s after the promotion must succeed.
			time.Sleep(time.Until(promoted.Add(6 * time.Second)))
			close(stop)
			out := results()

			failed, slowest := 0, time.Duration(0)
			for _, o := range out {
				slowest = max(slowest, o.took)
				if o.err != nil {
					failed++
				}
			}
			t.Logf("%d operations, %d failed, slowest %v; resumed %v after the promotion", len(out), failed, slowest, resumed.Sub(promoted).Round(time.Millisecond))
			assert.LessOrEqual(t, slowest, opTimeout+slack, "no operation waits past the timeout")
			for _, o := range out {
				if o.at.After(promoted.Add(5 * time.Second)) {
					assert.NoError(t, o.err, "at %v after the promotion", o.at.Sub(promoted))
				}
			}
			exact(t, stores, "after")
		})
	}
}

// A Redis that hangs (SIGSTOP: connections are accepted, nothing
// answers) under a bounded load: the breaker answers at once, so
// throughput stays at 80% of the healthy figure or more, the limits stay
// in force through each instance's local share, and the log has a handful
// of lines; after SIGCONT the shared limits are back within 5 s.
func TestHungRedis(t *testing.T) {
	srv := redistest.Start(t)
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	client, err := redisstore.NewClient("redis://"+srv.Addr+"/0", opTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	store, err := redisstore.New(redisstore.Config{Client: client, Prefix: "hang:", Logger: logger})
	require.NoError(t, err)
	const instances, quota = 2, 60
	limiter, err := ratelimit.New(ratelimit.Config{
		Store:         store,
		Instances:     instances,
		Resources:     []ratelimit.Resource{{Name: "core", AnonymousLimit: quota}},
		MaxConcurrent: -1,
		Logger:        logger,
	})
	require.NoError(t, err)
	h := limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	var seq atomic.Int64
	serve := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	// measure serves requests from 8 goroutines for d, each from a new
	// client address, and returns the requests per second.
	measure := func(d time.Duration) float64 {
		var n atomic.Int64
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					i := seq.Add(1)
					serve("10." + itoa(i>>16&255) + "." + itoa(i>>8&255) + "." + itoa(i&255) + ":1")
					n.Add(1)
				}
			})
		}
		wg.Wait()
		return float64(n.Load()) / d.Seconds()
	}

	healthy := measure(2 * time.Second)
	srv.Pause()
	paused := time.Now()
	degraded := measure(2 * time.Second)
	t.Logf("healthy %.0f req/s, Redis hung %.0f req/s", healthy, degraded)
	assert.GreaterOrEqual(t, degraded, 0.8*healthy, "the breaker answers at once")

	// The limits hold through the outage: this instance's share.
	admitted := 0
	for range quota {
		if serve("192.0.2.1:1").Code == 200 {
			admitted++
		}
	}
	assert.Equal(t, quota/instances, admitted, "the local share of the quota")
	assert.Equal(t, "30", serve("192.0.2.1:1").Header().Get("X-RateLimit-Limit"), "the local figures")
	assert.False(t, store.Health().Up)

	srv.Resume()
	resumed := time.Now()
	require.Eventually(t, func() bool {
		return serve("192.0.2.2:1").Header().Get("X-RateLimit-Limit") == "60"
	}, 5*time.Second, 10*time.Millisecond, "the shared limits are back within 5s")
	t.Logf("outage %v; shared again %v after SIGCONT", resumed.Sub(paused).Round(time.Millisecond), time.Since(resumed).Round(time.Millisecond))
	assert.True(t, store.Health().Up)

	logMu.Lock()
	text := logs.String()
	logMu.Unlock()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	assert.LessOrEqual(t, len(lines), 5, "a handful of lines for the whole outage:\n%s", text)
	assert.Contains(t, text, "redisstore: Redis is down")
	assert.Contains(t, text, "redisstore: Redis answers again")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
