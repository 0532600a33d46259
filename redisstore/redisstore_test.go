package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	authstoretest "github.com/myblog/apikit/auth/storetest"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/redistest"
	"github.com/myblog/apikit/ratelimit"
	ratestoretest "github.com/myblog/apikit/ratelimit/storetest"
	"github.com/myblog/apikit/redisstore"
)

// counter is a go-redis hook that counts the commands sent: the round
// trips.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// newStore opens a Store on url ("redis://127.0.0.1:port/0", or a
// Cluster or Sentinel URL) with the caller's clock, as the conformance
// suites pass time; edit changes the Config.
func newStore(t testing.TB, url string, edit func(*redisstore.Config), hooks ...redis.Hook) *redisstore.Store {
	t.Helper()
	client, err := redisstore.NewClient(url, time.Second)
	require.NoError(t, err)
	for _, h := range hooks {
		client.AddHook(h)
	}
	t.Cleanup(func() { _ = client.Close() })
	cfg := redisstore.Config{Client: client, Prefix: "test:", Clock: redisstore.CallerClock}
	if edit != nil {
		edit(&cfg)
	}
	store, err := redisstore.New(cfg)
	require.NoError(t, err)
	require.NoError(t, store.Check(context.Background()))
	return store
}

func single(srv *redistest.Server) string { return "redis://" + srv.Addr + "/0" }

// One shared suite, both implementations: the memory stores run it in
// their own packages.
func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(t, single(srv), nil)
	t.Run("ratelimit.Store", func(t *testing.T) {
		ratestoretest.Store(t, func(*testing.T) ratelimit.Store { return store })
	})
	t.Run("ratelimit.BucketStore", func(t *testing.T) {
		ratestoretest.BucketStore(t, func(*testing.T) ratelimit.BucketStore { return store })
	})
	t.Run("ratelimit.QuotaBucketStore", func(t *testing.T) {
		ratestoretest.QuotaBucketStore(t, func(*testing.T) ratelimit.QuotaBucketStore { return store })
	})
	t.Run("auth.AttemptStore", func(t *testing.T) {
		authstoretest.AttemptStore(t, func(*testing.T) auth.AttemptStore { return store })
	})
	t.Run("auth.AttemptBatcher", func(t *testing.T) {
		authstoretest.AttemptBatcher(t, func(*testing.T) auth.AttemptBatcher { return store })
	})
	t.Run("auth.TokenStore", func(t *testing.T) {
		authstoretest.TokenStore(t, func(*testing.T) auth.TokenStore { return store })
	})
}

func TestOneRoundTripEach(t *testing.T) {
	srv := redistest.Start(t)
	var c counter
	store := newStore(t, single(srv), nil, &c)
	ctx := context.Background()
	now := time.Now()
	key := ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.User, ID: "42"}}
	buckets := []ratelimit.Bucket{{Limit: 80, Per: time.Minute}, {Limit: 500, Per: time.Hour}}
	ops := map[string]func() error{
		"Take":    func() error { _, err := store.Take(ctx, key, 5000, time.Hour, now); return err },
		"TakeAll": func() error { _, _, _, err := store.TakeAll(ctx, key, 5000, time.Hour, buckets, now); return err },
		"Refund":  func() error { return store.Refund(ctx, key, now.Add(time.Hour), now) },
		"Peek":    func() error { _, err := store.Peek(ctx, key, time.Hour, now); return err },
		"Allow":   func() error { _, _, err := store.Allow(ctx, key.Caller, buckets, now); return err },
		"Acquire": func() error { _, _, err := store.Acquire(ctx, "account:alice", 10, 15*time.Minute, now); return err },
		"Release": func() error { return store.Release(ctx, "account:alice", now) },
		"Reset":   func() error { return store.Reset(ctx, "account:alice") },
		"AcquireAll": func() error {
			_, _, err := store.AcquireAll(ctx, []string{"ip:192.0.2.1", "account:alice"}, 10, 15*time.Minute, now)
			return err
		},
		"Settle": func() error { return store.Settle(ctx, []string{"ip:192.0.2.1"}, []string{"account:alice"}, now) },
		"Start":  func() error { return store.Start(ctx, "s1", "t1", now.Add(time.Hour), now) },
		"Rotate": func() error { _, err := store.Rotate(ctx, "s1", "t1", "t1", now.Add(time.Hour), now); return err },
		"Revoke": func() error { return store.Revoke(ctx, "s1") },
	}
	for name, op := range ops {
		require.NoError(t, op(), name) // loads the script the first time
	}
	for name, op := range ops {
		before := c.n.Load()
		require.NoError(t, op(), name)
		assert.Equal(t, int64(1), c.n.Load()-before, "%s: one round trip", name)
	}
}

func TestKeysExpireByThemselves(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(t, single(srv), nil)
	ctx := context.Background()
	now := time.Now()
	_, err := store.Take(ctx, ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{ID: "1.2.3.4"}}, 60, time.Hour, now)
	require.NoError(t, err)
	_, _, err = store.Allow(ctx, ratelimit.Caller{ID: "1.2.3.4"}, []ratelimit.Bucket{{Limit: 80, Per: time.Minute}}, now)
	require.NoError(t, err)
	_, _, err = store.Acquire(ctx, "ip:1.2.3.4", 10, 15*time.Minute, now)
	require.NoError(t, err)
	require.NoError(t, store.Start(ctx, "session", "t", now.Add(14*24*time.Hour), now))

	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	keys, err := client.Keys(ctx, "test:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 4)
	for _, k := range keys {
		ttl, err := client.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, time.Duration(0), "%s has an expiry", k)
	}
}

// Two instances of a service (two servers, two clients) share one Redis:
// together they admit exactly the quota.
func TestTwoInstancesShareOneQuota(t *testing.T) {
	srv := redistest.Start(t)
	const quota = 500
	var notModified sync.Map
	newInstance := func() *httptest.Server {
		limiter, err := ratelimit.New(ratelimit.Config{
			Store:         newStore(t, single(srv), nil),
			Resources:     []ratelimit.Resource{{Name: "core", AnonymousLimit: quota}},
			MaxConcurrent: -1,
		})
		require.NoError(t, err)
		instance := httptest.NewServer(limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") == `"v1"` {
				notModified.Store(r.URL.Path, true)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			_, _ = w.Write([]byte("ok"))
		})))
		t.Cleanup(instance.Close)
		return instance
	}
	instances := []*httptest.Server{newInstance(), newInstance()}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	get := func(base string, conditional bool) int {
		req, err := http.NewRequest("GET", base+"/posts", nil)
		require.NoError(t, err)
		if conditional {
			req.Header.Set("If-None-Match", `"v1"`)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	// First, 304s across both instances: every one is given back.
	var wg sync.WaitGroup
	var refunded atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if get(instances[(g+i)%2].URL, true) == http.StatusNotModified {
					refunded.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(200), refunded.Load())

	// Then 8 goroutines × 200 requests spread across both: exactly the
	// quota is admitted in total.
	var admitted, refused atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				switch get(instances[(g+i)%2].URL, false) {
				case http.StatusOK:
					admitted.Add(1)
				case http.StatusForbidden:
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(quota), admitted.Load(), "exactly the quota, across both instances")
	assert.Equal(t, int64(1600-quota), refused.Load())
}

// Redis stops mid-run: fail-open admits (and logs), fail-closed answers
// 503, neither waits past the timeout; Redis comes back: all is normal.
func TestRedisGoesAway(t *testing.T) {
	srv := redistest.Start(t)
	const timeout = 200 * time.Millisecond
	newLimiter := func(failClosed bool, logs *bytes.Buffer) http.Handler {
		client, err := redisstore.NewClient("redis://"+srv.Addr+"/0", timeout)
		require.NoError(t, err)
		t.Cleanup(func() { _ = client.Close() })
		store, err := redisstore.New(redisstore.Config{Client: client, Timeout: timeout})
		require.NoError(t, err)
		limiter, err := ratelimit.New(ratelimit.Config{Store: store, FailClosed: failClosed, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		require.NoError(t, err)
		return limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	}
	var openLogs, closedLogs bytes.Buffer
	open, closed := newLimiter(false, &openLogs), newLimiter(true, &closedLogs)
	serve := func(h http.Handler) (*httptest.ResponseRecorder, time.Duration) {
		r := httptest.NewRequest("GET", "/posts", nil)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, r)
		return w, time.Since(start)
	}

	w, _ := serve(open)
	require.Equal(t, 200, w.Code)
	require.Equal(t, "59", w.Header().Get("X-RateLimit-Remaining"))

	srv.Stop()
	for i := range 3 {
		w, took := serve(open)
		assert.Equal(t, 200, w.Code, "fail open")
		assert.Equal(t, strconv.Itoa(59-i), w.Header().Get("X-RateLimit-Remaining"), "counted by the local fallback")
		assert.Less(t, took, 2*timeout+100*time.Millisecond, "bounded by the timeout")

		w, took = serve(closed)
		assert.Equal(t, 503, w.Code, "fail closed")
		assert.Less(t, took, 2*timeout+100*time.Millisecond)
	}
	assert.Contains(t, openLogs.String(), "ratelimit: store failed")
	assert.Contains(t, closedLogs.String(), "ratelimit: store failed")

	srv.Restart()
	require.Eventually(t, func() bool {
		w, _ := serve(closed)
		return w.Code == 200
	}, 5*time.Second, 50*time.Millisecond, "recovers by itself")
	w, _ = serve(open)
	assert.Equal(t, 200, w.Code)
	assert.NotEmpty(t, w.Header().Get("X-RateLimit-Remaining"), "counting again")
}

func TestNewRefusesBadConfig(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:0"})
	t.Cleanup(func() { _ = client.Close() })
	tests := []struct {
		name string
		cfg  redisstore.Config
		want []apierrors.ConfigError // every problem, in order
	}{
		{
			name: "every problem at once",
			cfg:  redisstore.Config{Timeout: -1},
			want: []apierrors.ConfigError{
				{Package: "redisstore", Field: "Client", Reason: "is required"},
				{Package: "redisstore", Field: "Timeout", Reason: "must not be negative"},
			},
		},
		{
			name: "no client",
			cfg:  redisstore.Config{Prefix: "svc:"},
			want: []apierrors.ConfigError{{Package: "redisstore", Field: "Client", Reason: "is required"}},
		},
		{
			name: "negative timeout",
			cfg:  redisstore.Config{Client: client, Timeout: -time.Second},
			want: []apierrors.ConfigError{{Package: "redisstore", Field: "Timeout", Reason: "must not be negative"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := redisstore.New(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, store)
			joined, ok := err.(interface{ Unwrap() []error })
			require.True(t, ok, "joined with errors.Join: %v", err)
			var got []apierrors.ConfigError
			for _, e := range joined.Unwrap() {
				var ce *apierrors.ConfigError
				require.True(t, errors.As(e, &ce), "%v is an *apierrors.ConfigError", e)
				got = append(got, *ce)
			}
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("the text names the package and the field once", func(t *testing.T) {
		_, err := redisstore.New(redisstore.Config{Timeout: -1})
		assert.EqualError(t, err, "redisstore: Client: is required\nredisstore: Timeout: must not be negative")
	})
}

func TestNewClientRefusesABadURL(t *testing.T) {
	_, err := redisstore.NewClient("http://nope", 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redisstore: ")
}

// A Redis that accepts connections but never answers must not hang a
// request past the timeout either.
func TestSilentRedis(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // hold it open, say nothing
		}
	}()
	client, err := redisstore.NewClient("redis://"+l.Addr().String()+"/0", 100*time.Millisecond)
	require.NoError(t, err)
	defer client.Close()
	store, err := redisstore.New(redisstore.Config{Client: client, Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = store.Take(context.Background(), ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{ID: "x"}}, 60, time.Hour, time.Now())
	assert.Error(t, err)
	assert.Less(t, time.Since(start), 500*time.Millisecond)
}
