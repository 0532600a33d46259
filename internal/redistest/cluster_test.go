package redistest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartClusterSpreadsSlotsOverThreeMasters(t *testing.T) {
	t.Parallel()
	began := time.Now()
	c := StartCluster(t, 3, 1)
	t.Logf("a 3-master 1-replica cluster came up in %v", time.Since(began))
	require.Len(t, c.Addrs, 6)
	require.Len(t, c.Nodes, 6)

	total := 0
	for i, s := range c.Nodes {
		assert.Equal(t, c.Addrs[i], s.Addr)
		ok, status := clusterOK(s.Addr)
		assert.True(t, ok, status)
		me := myself(t, s)
		if i < 3 {
			assert.True(t, me.flags["master"], "node %d is a master", i)
			assert.InDelta(t, clusterSlots/3, me.slotCount(), 1, "master %d serves a third of the slots", i)
			total += me.slotCount()
		} else {
			assert.True(t, me.flags["slave"], "node %d is a replica", i)
			assert.Equal(t, myself(t, c.Nodes[i-3]).id, me.masterID, "node %d replicates master %d", i, i-3)
		}
	}
	assert.Equal(t, clusterSlots, total)

	// The key's master takes it; any other master redirects to it.
	master := c.MasterOf("user:42")
	r, err := do(master.Addr, "SET", "user:42", "v")
	require.NoError(t, err)
	assert.Equal(t, "OK", r)
	for _, s := range c.Nodes[:3] {
		if s != master {
			_, err := do(s.Addr, "GET", "user:42")
			assert.ErrorContains(t, err, "MOVED")
			assert.ErrorContains(t, err, master.Addr)
		}
	}
}

func TestKillMasterOfPromotesAReplica(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3, 1)
	const key = "user:42"
	old := c.MasterOf(key)
	_, err := do(old.Addr, "SET", key, "before")
	require.NoError(t, err)

	killed := time.Now()
	promoted := c.KillMasterOf(key)
	t.Logf("replica promoted %v after the kill, cluster settled %v after it", promoted.Sub(killed), time.Since(killed))
	assert.Less(t, promoted.Sub(killed), 20*time.Second)

	master := c.MasterOf(key)
	require.NotSame(t, old, master)
	assert.Contains(t, c.Addrs[3:], master.Addr, "a former replica serves the slot")
	r, err := do(master.Addr, "SET", key, "after")
	require.NoError(t, err)
	assert.Equal(t, "OK", r)
	for _, s := range c.Nodes {
		if s.live() {
			ok, status := clusterOK(s.Addr)
			assert.True(t, ok, status)
		}
	}
}

// myself is s's own line of CLUSTER NODES.
func myself(t *testing.T, s *Server) clusterNode {
	t.Helper()
	view, err := clusterNodes(s.Addr)
	require.NoError(t, err)
	for _, n := range view {
		if n.flags["myself"] {
			return n
		}
	}
	t.Fatalf("%s does not list itself", s.Addr)
	return clusterNode{}
}
