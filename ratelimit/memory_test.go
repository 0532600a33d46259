package ratelimit_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/ratelimit"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A flood of distinct client IPs fills memory for one window only: a
// window later, what they held is given back.
func TestMemoryGivesBackExpiredWindows(t *testing.T) {
	ctx := context.Background()
	const flood = 1_000_000
	store := &ratelimit.Memory{MaxKeys: 2 * flood}
	key := func(i int) ratelimit.Key {
		return ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.Anonymous, ID: "10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff)}}
	}
	before := heapInUse()
	for i := range flood {
		_, err := store.Take(ctx, key(i), 60, time.Hour, start)
		require.NoError(t, err)
	}
	windows, _ := store.Len()
	require.Equal(t, flood, windows)
	during := heapInUse()
	require.Greater(t, during-before, uint64(30<<20), "a million windows take tens of MB")

	// A window later, ordinary traffic touches every shard; each sweeps.
	later := start.Add(time.Hour + sweepMargin)
	for i := range 10_000 {
		_, err := store.Take(ctx, key(flood+i), 60, time.Hour, later)
		require.NoError(t, err)
	}
	windows, _ = store.Len()
	assert.Equal(t, 10_000, windows, "only the live windows are left")
	after := heapInUse()
	t.Logf("heap: %d MB before, %d MB with a million windows, %d MB a window later", before>>20, during>>20, after>>20)
	assert.Less(t, after, before+8<<20, "memory is back near where it started")
}

const sweepMargin = 2 * time.Minute

func TestMemoryDropsRefilledBuckets(t *testing.T) {
	ctx := context.Background()
	var store ratelimit.Memory
	buckets := []ratelimit.Bucket{{Limit: 80, Per: time.Minute}}
	for i := range 10_000 {
		ok, _, err := store.Allow(ctx, ratelimit.Caller{ID: strconv.Itoa(i)}, buckets, start)
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, held := store.Len()
	require.Equal(t, 10_000, held)
	later := start.Add(time.Hour)
	for i := range 1000 {
		_, _, err := store.Allow(ctx, ratelimit.Caller{ID: "later" + strconv.Itoa(i)}, buckets, later)
		require.NoError(t, err)
	}
	_, held = store.Len()
	assert.Equal(t, 1000, held, "a full bucket is the same as none")
}
