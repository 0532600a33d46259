// Package storetest is the conformance suite of ratelimit's Store and
// BucketStore. Memory and redisstore run the same tests, so a service can
// move from one machine to several and keep the limits it tested.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Store(t, func(t *testing.T) ratelimit.Store { return newStore(t) })
//	}
//
// The tests pass the time to the store, as the Limiter does, and never
// sleep; every test uses its own keys, so one store may serve them all.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/ratelimit"
)

// epoch is the tests' clock origin: a fixed, recent instant with a
// fraction of a second, as real clocks have.
var epoch = time.Now().Truncate(time.Second).Add(250 * time.Millisecond)

var keySeq atomic.Int64

func key(t *testing.T) ratelimit.Key {
	return ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{
		Kind: ratelimit.User,
		ID:   fmt.Sprintf("storetest-%s-%d", t.Name(), keySeq.Add(1)),
	}}
}

// Store runs the conformance tests of a ratelimit.Store.
func Store(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	ctx := context.Background()
	const limit = 5
	const window = time.Hour

	t.Run("counts up to the limit within one window", func(t *testing.T) {
		s, k := newStore(t), key(t)
		for i := 1; i <= limit; i++ {
			u, err := s.Take(ctx, k, limit, window, epoch.Add(time.Duration(i)*time.Second))
			require.NoError(t, err)
			assert.True(t, u.Allowed)
			assert.Equal(t, i, u.Used)
			assert.True(t, u.Reset.Equal(epoch.Add(time.Second+window)), "the window opens with the first request: %v", u.Reset)
		}
		u, err := s.Take(ctx, k, limit, window, epoch.Add(time.Minute))
		require.NoError(t, err)
		assert.False(t, u.Allowed)
		assert.Equal(t, limit, u.Used, "a refused request is not counted")
	})

	t.Run("a new window opens at reset", func(t *testing.T) {
		s, k := newStore(t), key(t)
		var reset time.Time
		for range limit {
			u, err := s.Take(ctx, k, limit, window, epoch)
			require.NoError(t, err)
			reset = u.Reset
		}
		u, err := s.Take(ctx, k, limit, window, reset.Add(-time.Millisecond))
		require.NoError(t, err)
		assert.False(t, u.Allowed, "still closed a moment before reset")
		u, err = s.Take(ctx, k, limit, window, reset)
		require.NoError(t, err)
		assert.True(t, u.Allowed)
		assert.Equal(t, 1, u.Used)
		assert.True(t, u.Reset.Equal(reset.Add(window)))
	})

	t.Run("refund gives one request back in the same window only", func(t *testing.T) {
		s, k := newStore(t), key(t)
		u, err := s.Take(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		_, err = s.Take(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		require.NoError(t, s.Refund(ctx, k, u.Reset, epoch))
		p, err := s.Peek(ctx, k, window, epoch)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Used)

		// A refund for a window that has closed changes nothing in the next.
		next, err := s.Take(ctx, k, limit, window, u.Reset)
		require.NoError(t, err)
		require.Equal(t, 1, next.Used)
		require.NoError(t, s.Refund(ctx, k, u.Reset, u.Reset))
		p, err = s.Peek(ctx, k, window, u.Reset)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Used)
	})

	t.Run("refund never goes below zero", func(t *testing.T) {
		s, k := newStore(t), key(t)
		u, err := s.Take(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		for range 3 {
			require.NoError(t, s.Refund(ctx, k, u.Reset, epoch))
		}
		p, err := s.Peek(ctx, k, window, epoch)
		require.NoError(t, err)
		assert.Equal(t, 0, p.Used)
		require.NoError(t, s.Refund(ctx, key(t), epoch.Add(window), epoch), "refunding an unknown key is harmless")
	})

	t.Run("peek counts nothing", func(t *testing.T) {
		s, k := newStore(t), key(t)
		p, err := s.Peek(ctx, k, window, epoch)
		require.NoError(t, err)
		assert.Equal(t, 0, p.Used)
		assert.True(t, p.Reset.Equal(epoch.Add(window)), "a fresh key resets a window from now")
		_, err = s.Take(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		for range 3 {
			p, err = s.Peek(ctx, k, window, epoch.Add(time.Minute))
			require.NoError(t, err)
		}
		assert.Equal(t, 1, p.Used)
		assert.True(t, p.Reset.Equal(epoch.Add(window)))
	})

	t.Run("resources and callers are independent", func(t *testing.T) {
		s, k := newStore(t), key(t)
		search := k
		search.Resource = "search"
		anonymous := k
		anonymous.Caller.Kind = ratelimit.Anonymous
		for range limit {
			_, err := s.Take(ctx, k, limit, window, epoch)
			require.NoError(t, err)
		}
		for _, other := range []ratelimit.Key{search, anonymous} {
			u, err := s.Take(ctx, other, limit, window, epoch)
			require.NoError(t, err)
			assert.True(t, u.Allowed, "%v", other)
			assert.Equal(t, 1, u.Used)
		}
	})

	t.Run("64 goroutines: exactly the limit is admitted", func(t *testing.T) {
		s, k := newStore(t), key(t)
		const quota, goroutines, each = 500, 64, 20
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					u, err := s.Take(ctx, k, quota, window, epoch)
					if assert.NoError(t, err) && u.Allowed {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(quota), admitted.Load())
		p, err := s.Peek(ctx, k, window, epoch)
		require.NoError(t, err)
		assert.Equal(t, quota, p.Used, "no count lost")
	})
}

// BucketStore runs the conformance tests of a ratelimit.BucketStore.
func BucketStore(t *testing.T, newStore func(t *testing.T) ratelimit.BucketStore) {
	ctx := context.Background()
	perMinute := []ratelimit.Bucket{{Limit: 80, Per: time.Minute}}

	t.Run("a full bucket passes its limit at once, then refills at its rate", func(t *testing.T) {
		s, c := newStore(t), key(t).Caller
		for i := range 80 {
			ok, _, err := s.Allow(ctx, c, perMinute, epoch)
			require.NoError(t, err)
			require.True(t, ok, "request %d", i+1)
		}
		ok, wait, err := s.Allow(ctx, c, perMinute, epoch)
		require.NoError(t, err)
		assert.False(t, ok, "the 81st quick request")
		assert.InDelta(t, float64(750*time.Millisecond), float64(wait), float64(time.Millisecond), "one token every 60s/80")

		ok, _, err = s.Allow(ctx, c, perMinute, epoch.Add(749*time.Millisecond))
		require.NoError(t, err)
		assert.False(t, ok)
		ok, _, err = s.Allow(ctx, c, perMinute, epoch.Add(751*time.Millisecond))
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("every bucket must have a token; an empty one takes none from the others", func(t *testing.T) {
		s, c := newStore(t), key(t).Caller
		buckets := []ratelimit.Bucket{{Limit: 5, Per: time.Second}, {Limit: 7, Per: time.Hour}}
		for range 5 {
			ok, _, err := s.Allow(ctx, c, buckets, epoch)
			require.NoError(t, err)
			require.True(t, ok)
		}
		for range 10 {
			ok, _, err := s.Allow(ctx, c, buckets, epoch)
			require.NoError(t, err)
			require.False(t, ok, "the per-second bucket is empty")
		}
		// A second later the small bucket is full again; the hourly one
		// still holds the 2 that the refusals did not take.
		later := epoch.Add(time.Second)
		for range 2 {
			ok, _, err := s.Allow(ctx, c, buckets, later)
			require.NoError(t, err)
			require.True(t, ok)
		}
		ok, wait, err := s.Allow(ctx, c, buckets, later)
		require.NoError(t, err)
		assert.False(t, ok, "the hourly bucket is empty")
		assert.InDelta(t, float64(time.Hour/7), float64(wait), float64(2*time.Second))
	})

	t.Run("callers are independent", func(t *testing.T) {
		s, a, b := newStore(t), key(t).Caller, key(t).Caller
		one := []ratelimit.Bucket{{Limit: 1, Per: time.Minute}}
		ok, _, err := s.Allow(ctx, a, one, epoch)
		require.NoError(t, err)
		require.True(t, ok)
		ok, _, err = s.Allow(ctx, b, one, epoch)
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("an earlier time never refills a bucket", func(t *testing.T) {
		// Instances whose clocks differ: the slower one must not wind the
		// bucket back so that the faster one refills it again.
		s, c := newStore(t), key(t).Caller
		for range 80 {
			ok, _, err := s.Allow(ctx, c, perMinute, epoch)
			require.NoError(t, err)
			require.True(t, ok)
		}
		for _, at := range []time.Duration{-30 * time.Second, 0, -30 * time.Second, 700 * time.Millisecond} {
			ok, _, err := s.Allow(ctx, c, perMinute, epoch.Add(at))
			require.NoError(t, err)
			assert.False(t, ok, "at %v: no token has come back yet", at)
		}
		ok, _, err := s.Allow(ctx, c, perMinute, epoch.Add(751*time.Millisecond))
		require.NoError(t, err)
		assert.True(t, ok, "one token 750ms after the last one was taken")
	})

	t.Run("64 goroutines: exactly the burst passes", func(t *testing.T) {
		s, c := newStore(t), key(t).Caller
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for range 10 {
					ok, _, err := s.Allow(ctx, c, perMinute, epoch)
					if assert.NoError(t, err) && ok {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(80), admitted.Load())
	})
}

// QuotaBucketStore runs the conformance tests of a
// ratelimit.QuotaBucketStore's TakeAll: a request counts against its
// quota and every bucket, or against none.
func QuotaBucketStore(t *testing.T, newStore func(t *testing.T) ratelimit.QuotaBucketStore) {
	ctx := context.Background()
	buckets := []ratelimit.Bucket{{Limit: 3, Per: time.Minute}, {Limit: 100, Per: time.Hour}}

	t.Run("within both: counted in both", func(t *testing.T) {
		s, k := newStore(t), key(t)
		for i := 1; i <= 3; i++ {
			u, ok, wait, err := s.TakeAll(ctx, k, 10, time.Hour, buckets, epoch)
			require.NoError(t, err)
			assert.True(t, u.Allowed)
			assert.True(t, ok)
			assert.Zero(t, wait)
			assert.Equal(t, i, u.Used)
			assert.True(t, u.Reset.Equal(epoch.Add(time.Hour)), "%v", u.Reset)
		}
		ok, _, err := s.Allow(ctx, k.Caller, buckets, epoch)
		require.NoError(t, err)
		assert.False(t, ok, "TakeAll took the bucket's three tokens")
	})

	t.Run("an empty bucket: the quota is not counted either", func(t *testing.T) {
		s, k := newStore(t), key(t)
		for range 3 {
			_, ok, _, err := s.TakeAll(ctx, k, 10, time.Hour, buckets, epoch)
			require.NoError(t, err)
			require.True(t, ok)
		}
		u, ok, wait, err := s.TakeAll(ctx, k, 10, time.Hour, buckets, epoch)
		require.NoError(t, err)
		assert.True(t, u.Allowed, "within the quota")
		assert.False(t, ok, "the per-minute bucket is empty")
		assert.InDelta(t, float64(20*time.Second), float64(wait), float64(time.Millisecond), "one token every 60s/3")
		assert.Equal(t, 3, u.Used, "the refused request is not counted")
		p, err := s.Peek(ctx, k, time.Hour, epoch)
		require.NoError(t, err)
		assert.Equal(t, 3, p.Used)
	})

	t.Run("the quota used up: the buckets are untouched", func(t *testing.T) {
		s, k := newStore(t), key(t)
		for range 2 {
			_, _, _, err := s.TakeAll(ctx, k, 2, time.Hour, buckets, epoch)
			require.NoError(t, err)
		}
		u, ok, _, err := s.TakeAll(ctx, k, 2, time.Hour, buckets, epoch)
		require.NoError(t, err)
		assert.False(t, u.Allowed)
		assert.True(t, ok)
		assert.Equal(t, 2, u.Used)
		ok, _, err = s.Allow(ctx, k.Caller, buckets, epoch)
		require.NoError(t, err)
		assert.True(t, ok, "the third token is still there")
	})

	t.Run("64 goroutines: exactly the smaller limit passes, counted once each", func(t *testing.T) {
		s, k := newStore(t), key(t)
		wide := []ratelimit.Bucket{{Limit: 80, Per: time.Minute}}
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for range 10 {
					u, ok, _, err := s.TakeAll(ctx, k, 500, time.Hour, wide, epoch)
					if assert.NoError(t, err) && u.Allowed && ok {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(80), admitted.Load())
		p, err := s.Peek(ctx, k, time.Hour, epoch)
		require.NoError(t, err)
		assert.Equal(t, 80, p.Used, "the refusals were not counted")
	})
}
