package ratelimit_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/ratelimit"
)

// floodKeys is the MaxKeys of the flood tests: four windows per shard, so
// that a flood of a few thousand distinct callers fills the store many
// times over in well under a second.
const floodKeys = 64 * 4

func anonymousKey(id string) ratelimit.Key {
	return ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.Anonymous, ID: id}}
}

// TestMemoryFullNeverFailsOpen: once the store holds MaxKeys windows,
// every newcomer still gets a window of its own and a count, never an
// error (which the Limiter would answer by letting it in unlimited); the
// store never holds more than MaxKeys windows; and windows that expired
// make room before any live one is evicted.
func TestMemoryFullNeverFailsOpen(t *testing.T) {
	ctx := context.Background()
	store := &ratelimit.Memory{MaxKeys: floodKeys}
	for i := range 20 * floodKeys {
		u, err := store.Take(ctx, anonymousKey("flood-"+strconv.Itoa(i)), 60, time.Hour, start)
		require.NoError(t, err, "newcomer %d", i)
		require.True(t, u.Allowed, "newcomer %d", i)
		if i%100 == 0 {
			windows, _ := store.Len()
			require.LessOrEqual(t, windows, floodKeys)
		}
	}
	windows, _ := store.Len()
	assert.Equal(t, floodKeys, windows, "full, and never more than MaxKeys")
	evicted, _ := store.Evicted()
	assert.Equal(t, 19*floodKeys, evicted, "each newcomer past the cap took one window's place")

	// A window later the flood's windows have expired: the first caller
	// to come back finds its shard swept, and evicts nothing.
	later := start.Add(time.Hour)
	u, err := store.Take(ctx, anonymousKey("later"), 60, time.Hour, later)
	require.NoError(t, err)
	assert.Equal(t, 1, u.Used, "the flood's counts expired with their windows")
	evictedLater, _ := store.Evicted()
	assert.Equal(t, evicted, evictedLater, "expired windows go first")
}

// TestMemoryFloodKeepsCounts: callers that flood a full store with
// distinct keys never reset anyone's count, their own included. The
// cases are the two orders the eviction can meet a victim in: behind
// lighter windows, which go first, or among equally heavy ones, when the
// victim is evicted and its count carried.
func TestMemoryFloodKeepsCounts(t *testing.T) {
	const limit = 60
	tests := []struct {
		name string
		// each is how many requests every flood key sends.
		each        int
		wantEvicted bool
	}{
		{"a flood of single requests evicts the lightest windows, never the exhausted one", 1, false},
		{"a flood of exhausted windows evicts the victim, whose count is carried", limit, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &ratelimit.Memory{MaxKeys: floodKeys}
			victim := anonymousKey("victim")
			var reset time.Time
			for range limit {
				u, err := store.Take(ctx, victim, limit, time.Hour, start)
				require.NoError(t, err)
				reset = u.Reset
			}
			now := start
			evictedVictim := false
			for i := range 20 * floodKeys {
				now = now.Add(time.Millisecond)
				key := anonymousKey("flood-" + strconv.Itoa(i))
				for range tt.each {
					_, err := store.Take(ctx, key, limit, time.Hour, now)
					require.NoError(t, err)
				}
				if !evictedVictim {
					p, err := store.Peek(ctx, victim, time.Hour, now)
					require.NoError(t, err)
					require.Equal(t, limit, p.Used, "after %d flood keys", i+1)
					evictedVictim = !holdsWindow(store, victim)
				}
			}
			assert.Equal(t, tt.wantEvicted, evictedVictim)
			u, err := store.Take(ctx, victim, limit, time.Hour, now)
			require.NoError(t, err)
			assert.False(t, u.Allowed, "the victim is still exhausted")
			assert.Equal(t, limit, u.Used)
			assert.False(t, u.Reset.Before(reset), "and its window resets no earlier: %v, want %v", u.Reset, reset)
		})
	}
}

// holdsWindow reports whether store holds a window of its own for key,
// rather than its carried count (which Peek shows either way): a Refund
// moves the count of a window held, and the Take after it puts it back.
func holdsWindow(store *ratelimit.Memory, key ratelimit.Key) bool {
	ctx := context.Background()
	before, _ := store.Peek(ctx, key, time.Hour, start)
	_ = store.Refund(ctx, key, before.Reset, start)
	after, _ := store.Peek(ctx, key, time.Hour, start)
	if after.Used == before.Used {
		return false
	}
	_, _ = store.Take(ctx, key, before.Used, time.Hour, start)
	return true
}

// TestMemoryChurnAdmitsNoOneBeyondTheLimit: ten times more distinct
// callers than the store holds, each coming back over and over within
// one window, so that every window is evicted before its caller returns.
// None is admitted more than its limit: an evicted count comes back.
func TestMemoryChurnAdmitsNoOneBeyondTheLimit(t *testing.T) {
	ctx := context.Background()
	const limit, callers, rounds = 20, 10 * floodKeys, 3 * 20
	store := &ratelimit.Memory{MaxKeys: floodKeys}
	admitted := make([]int, callers)
	now := start
	for range rounds {
		for i := range callers {
			now = now.Add(time.Millisecond)
			u, err := store.Take(ctx, anonymousKey("churn-"+strconv.Itoa(i)), limit, time.Hour, now)
			require.NoError(t, err)
			if u.Allowed {
				admitted[i]++
			}
		}
	}
	for i, n := range admitted {
		require.LessOrEqual(t, n, limit, "caller %d", i)
	}
	windows, _ := store.Len()
	assert.LessOrEqual(t, windows, floodKeys)
	evicted, _ := store.Evicted()
	assert.Greater(t, evicted, rounds*(callers-floodKeys)/2, "windows were evicted all along")
}

// TestLimiterFullStoreNeverFailsOpen: the attack of issue 19 through the
// middleware. An anonymous client exhausts its quota, then a flood of
// distinct addresses fills the store many times over. Every flood
// request is counted (it carries X-RateLimit-* figures: a store error
// would have let it in without any), no address gets more than its
// quota, and the first client stays refused.
func TestLimiterFullStoreNeverFailsOpen(t *testing.T) {
	const limit = 3
	store := &ratelimit.Memory{MaxKeys: floodKeys}
	f := newFixture(t, func(c *ratelimit.Config) {
		c.Store = store
		c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: limit}}
	})
	h := f.limiter.Handler(ok)
	victim := "RemoteAddr"
	for range limit {
		require.Equal(t, 200, f.serve(h, "GET", "/posts", victim, "192.0.2.1:1000").Code)
	}
	require.Equal(t, 403, f.serve(h, "GET", "/posts", victim, "192.0.2.1:1000").Code)

	const addresses = 8 * floodKeys
	admitted := make(map[string]int)
	for round := range limit + 2 {
		for i := range addresses {
			addr := "198.51." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&0xff)
			w := f.serve(h, "GET", "/posts", "RemoteAddr", addr+":2000")
			require.NotEmpty(t, w.Header().Get("X-RateLimit-Remaining"), "round %d, %s: counted", round, addr)
			if w.Code == http.StatusOK {
				admitted[addr]++
			} else {
				require.Equal(t, 403, w.Code)
			}
		}
		f.clock.Advance(time.Second)
		w := f.serve(h, "GET", "/posts", victim, "192.0.2.1:1000")
		require.Equal(t, 403, w.Code, "round %d: the exhausted client stays refused", round)
		assert.Equal(t, "0", w.Header().Get("X-RateLimit-Remaining"))
	}
	for addr, n := range admitted {
		require.LessOrEqual(t, n, limit, addr)
	}
	windows, _ := store.Len()
	assert.LessOrEqual(t, windows, floodKeys)
	assert.Empty(t, f.logs.String(), "no store failure")
}

// TestMemoryFullBuckets: the secondary limits' bucket sets are capped
// the same way. A caller that drained its bucket keeps it drained
// through a flood of distinct callers, each of which gets a bucket of
// its own (never an error), and no more than MaxKeys sets are held.
func TestMemoryFullBuckets(t *testing.T) {
	ctx := context.Background()
	store := &ratelimit.Memory{MaxKeys: floodKeys}
	buckets := []ratelimit.Bucket{{Limit: 5, Per: time.Minute}}
	victim := ratelimit.Caller{Kind: ratelimit.User, ID: "victim"}
	for range 5 {
		ok, _, err := store.Allow(ctx, victim, buckets, start)
		require.NoError(t, err)
		require.True(t, ok)
	}
	for i := range 20 * floodKeys {
		ok, _, err := store.Allow(ctx, ratelimit.Caller{Kind: ratelimit.User, ID: "flood-" + strconv.Itoa(i)}, buckets, start)
		require.NoError(t, err, "newcomer %d", i)
		require.True(t, ok, "newcomer %d has a bucket of its own", i)
		if i%100 == 0 {
			_, held := store.Len()
			require.LessOrEqual(t, held, floodKeys)
		}
	}
	ok, wait, err := store.Allow(ctx, victim, buckets, start)
	require.NoError(t, err)
	assert.False(t, ok, "the drained bucket was not refilled by the flood")
	assert.Equal(t, 12*time.Second, wait)
	_, held := store.Len()
	assert.Equal(t, floodKeys, held)
	_, evicted := store.Evicted()
	assert.Equal(t, 20*floodKeys+1-floodKeys, evicted)
}
