package redistest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// failoverTimeout bounds KillMasterOf and KillPrimary.
const failoverTimeout = 20 * time.Second

// clusterArgs make a node fail over fast: a master is down after 1 s
// unanswered, and a replica may always replace it.
var clusterArgs = []string{
	"--cluster-enabled", "yes",
	"--cluster-config-file", "nodes.conf", // in the node's dir
	"--cluster-node-timeout", "1000",
	"--cluster-replica-validity-factor", "0",
}

// Cluster is a running Redis Cluster on 127.0.0.1.
type Cluster struct {
	// Addrs are the "127.0.0.1:port" of every node, masters first: what a
	// client's seed list gets.
	Addrs []string
	// Nodes are the nodes in the order of Addrs: as started, so a failover
	// does not reorder them.
	Nodes []*Server
	t     testing.TB
}

// StartCluster starts a Redis Cluster of masters masters (at least 3),
// each with replicas replicas, the slots spread evenly, and returns once
// every node says cluster_state:ok, knows every other and every replica
// is in sync with its master. It is stopped when t ends.
//
// A node is down after 1 s without answering (cluster-node-timeout), and
// a replica may always take over (cluster-replica-validity-factor 0), so
// a killed master is replaced within a few seconds.
func StartCluster(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	if masters < 3 || replicas < 0 {
		t.Fatalf("StartCluster(%d, %d): a cluster needs at least 3 masters and no fewer than 0 replicas", masters, replicas)
	}
	c := &Cluster{t: t}
	for range masters * (1 + replicas) {
		s := newServer(t)
		s.cluster, s.extra = true, clusterArgs
		c.Nodes = append(c.Nodes, startWith(t, s))
		c.Addrs = append(c.Addrs, s.Addr)
	}
	ids := c.assignSlots(masters)
	c.meet()
	c.replicate(masters, replicas, ids)
	waitFor(t, startTimeout, "cluster coming up", func() (bool, string) {
		return c.ready(masters, replicas)
	})
	return c
}

// assignSlots gives each node a distinct config epoch, as redis-cli does,
// and each master its share of the slots; it returns the node IDs.
func (c *Cluster) assignSlots(masters int) []string {
	c.t.Helper()
	ids := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		ids[i] = c.must(s, "CLUSTER", "MYID")
		c.must(s, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1))
		if i < masters {
			first, last := i*clusterSlots/masters, (i+1)*clusterSlots/masters-1
			c.must(s, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(first), strconv.Itoa(last))
		}
	}
	return ids
}

// meet introduces every node to the first and waits until all know all.
func (c *Cluster) meet() {
	c.t.Helper()
	for _, s := range c.Nodes[1:] {
		c.must(c.Nodes[0], "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(s.port), strconv.Itoa(s.busPort))
	}
	waitFor(c.t, startTimeout, "cluster nodes meeting", func() (bool, string) {
		for _, s := range c.Nodes {
			view, err := clusterNodes(s.Addr)
			if err != nil {
				return false, err.Error()
			}
			if n := len(view.known()); n != len(c.Nodes) {
				return false, fmt.Sprintf("%s knows %d of %d nodes", s.Addr, n, len(c.Nodes))
			}
		}
		return true, ""
	})
}

// replicate makes the nodes after the masters their replicas, replicas
// for each master in turn.
func (c *Cluster) replicate(masters, replicas int, ids []string) {
	c.t.Helper()
	for i, s := range c.Nodes[masters:] {
		c.must(s, "CLUSTER", "REPLICATE", ids[i/replicas])
	}
}

// ready says whether every node is ok and agrees on the layout, and
// every replica is in sync; if not, what is missing.
func (c *Cluster) ready(masters, replicas int) (bool, string) {
	for i, s := range c.Nodes {
		if ok, status := clusterOK(s.Addr); !ok {
			return false, status
		}
		view, err := clusterNodes(s.Addr)
		if err != nil {
			return false, err.Error()
		}
		if status := view.layoutProblem(len(c.Nodes), masters, replicas); status != "" {
			return false, s.Addr + ": " + status
		}
		if i >= masters {
			if ok, status := inSync(s.Addr); !ok {
				return false, status
			}
		}
	}
	return true, ""
}

// MasterOf returns the node that currently serves key's slot as master,
// as a live node sees it.
func (c *Cluster) MasterOf(key string) *Server {
	c.t.Helper()
	slot, view := c.slotView(key)
	owner := view.ownerOf(slot)
	if owner == nil {
		c.t.Fatalf("no master serves slot %d of %q", slot, key)
	}
	return c.node(owner.addr)
}

// KillMasterOf SIGKILLs the master serving key and waits until one of its
// replicas is master of key's slot and, as that replica sees it, the
// cluster is ok again: it returns the time that was observed. It then
// waits until every live node agrees, so a client's redirections lead to
// the new master. It fails t after 20 s.
func (c *Cluster) KillMasterOf(key string) (promoted time.Time) {
	c.t.Helper()
	slot, view := c.slotView(key)
	old := view.ownerOf(slot)
	if old == nil {
		c.t.Fatalf("no master serves slot %d of %q", slot, key)
	}
	candidates := view.replicasOf(old.id)
	if len(candidates) == 0 {
		c.t.Fatalf("the master of %q, %s, has no replica to fail over to", key, old.addr)
	}
	c.node(old.addr).Kill()
	waitFor(c.t, failoverTimeout, "a replica of "+old.addr+" taking over slot "+strconv.Itoa(slot), func() (bool, string) {
		if promoted.IsZero() {
			if ok, status := c.promoted(slot, candidates); !ok {
				return false, status
			}
			promoted = time.Now()
		}
		return c.agree(slot, old.addr)
	})
	return promoted
}

// promoted says whether one of candidates sees itself as master of slot
// and the cluster as ok.
func (c *Cluster) promoted(slot int, candidates []string) (bool, string) {
	status := "no replica promoted yet"
	for _, addr := range candidates {
		if s := c.node(addr); !s.live() {
			continue
		}
		view, err := clusterNodes(addr)
		if err != nil {
			status = err.Error()
			continue
		}
		if owner := view.ownerOf(slot); owner == nil || owner.addr != addr {
			continue
		}
		if ok, st := clusterOK(addr); !ok {
			status = st
			continue
		}
		return true, ""
	}
	return false, status
}

// agree says whether every live node is ok and sees slot served by a
// master other than old.
func (c *Cluster) agree(slot int, old string) (bool, string) {
	for _, s := range c.Nodes {
		if !s.live() {
			continue
		}
		if ok, status := clusterOK(s.Addr); !ok {
			return false, status
		}
		view, err := clusterNodes(s.Addr)
		if err != nil {
			return false, err.Error()
		}
		if owner := view.ownerOf(slot); owner == nil || owner.addr == old {
			return false, fmt.Sprintf("%s still sees slot %d served by %s", s.Addr, slot, old)
		}
	}
	return true, ""
}

// slotView asks a live node for key's slot and its view of the cluster.
func (c *Cluster) slotView(key string) (int, nodesView) {
	c.t.Helper()
	var errs []string
	for _, s := range c.Nodes {
		if !s.live() {
			continue
		}
		r, err := do(s.Addr, "CLUSTER", "KEYSLOT", key)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		view, err := clusterNodes(s.Addr)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		slot, _ := r.(int64)
		return int(slot), view
	}
	c.t.Fatalf("no live cluster node answered: %s", strings.Join(errs, "; "))
	return 0, nil
}

// node is the node at addr.
func (c *Cluster) node(addr string) *Server {
	c.t.Helper()
	for _, s := range c.Nodes {
		if s.Addr == addr {
			return s
		}
	}
	c.t.Fatalf("%s is no node of this cluster", addr)
	return nil
}

// must sends a command that must succeed to s, and returns its reply if
// it is a string.
func (c *Cluster) must(s *Server, args ...string) string {
	c.t.Helper()
	r, err := do(s.Addr, args...)
	if err != nil {
		c.t.Fatalf("%s on %s: %v", strings.Join(args, " "), s.Addr, err)
	}
	str, _ := r.(string)
	return str
}

// clusterOK says whether addr says cluster_state:ok.
func clusterOK(addr string) (bool, string) {
	text, err := doString(addr, "CLUSTER", "INFO")
	if err != nil {
		return false, err.Error()
	}
	if state := infoFields(text)["cluster_state"]; state != "ok" {
		return false, addr + " has cluster_state:" + state
	}
	return true, ""
}

// inSync says whether the replica at addr has its link to its master up.
func inSync(addr string) (bool, string) {
	f, err := info(addr, "replication")
	if err != nil {
		return false, err.Error()
	}
	if f["master_link_status"] != "up" {
		return false, addr + " has master_link_status:" + f["master_link_status"]
	}
	return true, ""
}
