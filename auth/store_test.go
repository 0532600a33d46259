package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/auth/storetest"
)

func TestMemoryAttemptsConformance(t *testing.T) {
	storetest.AttemptStore(t, func(*testing.T) auth.AttemptStore { return new(auth.MemoryAttempts) })
}

func TestMemoryTokensConformance(t *testing.T) {
	storetest.TokenStore(t, func(*testing.T) auth.TokenStore { return new(auth.MemoryTokens) })
}

func TestMemoryAttemptsEvictsExpiredKeys(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var s auth.MemoryAttempts
	for i := range 1000 {
		_, _, err := s.Acquire(ctx, "ip:"+string(rune('a'+i%26))+time.Duration(i).String(), 10, time.Minute, start)
		require.NoError(t, err)
	}
	require.Equal(t, 1000, s.Len())
	// Touch every shard well after the windows have closed: each one
	// sweeps its expired keys, so memory does not grow with the number
	// of distinct attackers over time.
	later := start.Add(2 * time.Hour)
	for i := range 5000 {
		_, _, err := s.Acquire(ctx, "later:"+time.Duration(i).String(), 10, time.Minute, later)
		require.NoError(t, err)
	}
	assert.Equal(t, 5000, s.Len(), "only the live keys are left")
}

func TestMemoryTokensEvictsExpiredSessions(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var s auth.MemoryTokens
	for i := range 1000 {
		require.NoError(t, s.Start(ctx, "old-"+time.Duration(i).String(), "t", start.Add(time.Hour), start))
	}
	require.Equal(t, 1000, s.Len())
	later := start.Add(2 * time.Hour)
	for i := range 5000 {
		require.NoError(t, s.Start(ctx, "new-"+time.Duration(i).String(), "t", later.Add(time.Hour), later))
	}
	assert.Equal(t, 5000, s.Len(), "only the live sessions are left")
}
