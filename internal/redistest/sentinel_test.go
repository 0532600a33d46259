package redistest

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSentinelFailsOverOnKillPrimary(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := StartSentinel(t, 1, 3)
	t.Logf("a primary, 1 replica and 3 sentinels came up in %v", time.Since(began))
	require.Len(t, s.Addrs, 3)
	require.Len(t, s.Replicas, 1)
	assert.Equal(t, "mymaster", s.MasterName)
	for _, addr := range s.Addrs {
		got, err := s.reported(addr)
		require.NoError(t, err)
		assert.Equal(t, s.Primary.Addr, got)
	}

	old, replica := s.Primary, s.Replicas[0]
	killed := time.Now()
	promoted := s.KillPrimary()
	t.Logf("new primary reported %v after the kill, settled %v after it", promoted.Sub(killed), time.Since(killed))
	assert.Less(t, promoted.Sub(killed), 20*time.Second)

	assert.Same(t, replica, s.Primary)
	assert.Empty(t, s.Replicas)
	assert.NotSame(t, old, s.Primary)
	got, err := role(s.Primary.Addr)
	require.NoError(t, err)
	assert.Equal(t, "master", got)
	for _, addr := range s.Addrs {
		got, err := s.reported(addr)
		require.NoError(t, err)
		assert.Equal(t, s.Primary.Addr, got)
	}
	r, err := do(s.Primary.Addr, "SET", "k", "v")
	require.NoError(t, err)
	assert.Equal(t, "OK", r)
}

func TestPauseHangsAndResumeRevives(t *testing.T) {
	t.Parallel()
	s := Start(t)
	require.NoError(t, ping(s.Addr))

	s.Pause()
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	require.NoError(t, err, "the kernel still accepts connections to a paused server")
	conn.Close()
	err = ping(s.Addr)
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "PING times out, got %v", err)

	s.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for ping(s.Addr) != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	assert.NoError(t, ping(s.Addr), "a resumed server answers again")
}
