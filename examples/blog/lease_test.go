package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twoServers opens one database file twice, as two servers sharing it do.
func twoServers(t *testing.T) (*store, *store) {
	t.Helper()
	ctx := context.Background()
	path := testDB(t)
	open := func() *store {
		db, err := openDB(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		s, err := newStore(ctx, db)
		require.NoError(t, err)
		return s
	}
	return open(), open()
}

// A claimed job is its worker's until its lease passes: another server
// finds nothing to claim meanwhile, claims it once the lease has passed,
// and from then on the first worker writes nothing: no piece, no renewal,
// no result.
func TestJobLeases(t *testing.T) {
	ctx := context.Background()
	a, b := twoServers(t)
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	j := &job{ID: "job-1", OwnerID: exportTestUser(t, a, "ann"), Kind: "export", CreatedAt: start}
	require.NoError(t, a.createJob(ctx, j))

	first, err := a.claimJob(ctx, start)
	require.NoError(t, err)
	require.NoError(t, a.putExportChunk(ctx, first, 0, []byte("from a")))
	require.NoError(t, a.renewJob(ctx, first, start.Add(10*time.Second+jobLease)))

	tests := []struct {
		name  string
		at    time.Duration
		claim bool
	}{
		{"while the lease holds", jobLease - time.Second, false},
		{"within the renewed lease", 10*time.Second + jobLease - time.Millisecond, false},
		{"once it has passed", 10*time.Second + jobLease, true},
	}
	var second *job
	for _, tt := range tests {
		got, err := b.claimJob(ctx, start.Add(tt.at))
		if !tt.claim {
			assert.ErrorIs(t, err, errNotFound, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		second = got
	}
	require.NotNil(t, second)
	assert.Equal(t, first.Attempt+1, second.Attempt)
	assert.Empty(t, exportTestChunks(t, b, j.ID), "the second run starts over")

	assert.ErrorIs(t, a.putExportChunk(ctx, first, 1, []byte("late")), errLeaseLost)
	assert.ErrorIs(t, a.renewJob(ctx, first, start.Add(time.Hour)), errLeaseLost)
	assert.ErrorIs(t, a.finishJob(ctx, first, exportResult{Bytes: 6, ETag: `"a"`}, start.Add(time.Minute)), errLeaseLost)
	assert.ErrorIs(t, a.releaseJob(ctx, first), errLeaseLost)

	require.NoError(t, b.putExportChunk(ctx, second, 0, []byte("from b")))
	require.NoError(t, b.finishJob(ctx, second, exportResult{Bytes: 6, ETag: `"b"`}, start.Add(time.Minute)))
	done, err := a.jobByID(ctx, j.ID)
	require.NoError(t, err)
	assert.Equal(t, "succeeded", done.State)
	assert.Equal(t, `"b"`, done.ResultETag.String)
	assert.Equal(t, []string{"from b"}, exportTestChunks(t, a, j.ID))
}

// A server that stops puts its job back at once: the other claims it
// without waiting for the lease.
func TestReleasedJobIsClaimedAtOnce(t *testing.T) {
	ctx := context.Background()
	a, b := twoServers(t)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	require.NoError(t, a.createJob(ctx, &job{ID: "job-1", OwnerID: exportTestUser(t, a, "ann"), Kind: "export", CreatedAt: now}))
	claimed, err := a.claimJob(ctx, now)
	require.NoError(t, err)
	require.NoError(t, a.releaseJob(ctx, claimed))
	again, err := b.claimJob(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, "job-1", again.ID)
}

// Two servers, four workers each, claiming from one queue of 40 jobs:
// every job is claimed exactly once.
func TestEachJobClaimedOnce(t *testing.T) {
	ctx := context.Background()
	a, b := twoServers(t)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for i := range 40 {
		owner := exportTestUser(t, a, fmt.Sprintf("user%d", i))
		require.NoError(t, a.createJob(ctx, &job{ID: fmt.Sprintf("job-%02d", i), OwnerID: owner, Kind: "export", CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}))
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		s := []*store{a, b}[w%2]
		wg.Go(func() {
			for {
				j, err := s.claimJob(ctx, now)
				if err != nil {
					assert.ErrorIs(t, err, errNotFound)
					return
				}
				mu.Lock()
				claims[j.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, claims, 40)
	for id, n := range claims {
		assert.Equal(t, 1, n, id)
	}
}
