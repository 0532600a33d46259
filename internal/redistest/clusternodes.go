package redistest

import (
	"fmt"
	"strconv"
	"strings"
)

// clusterNode is one line of CLUSTER NODES: one node as another sees it.
type clusterNode struct {
	id, addr string
	flags    map[string]bool // myself, master, slave, fail?, fail, ...
	masterID string          // of a replica; "-" for a master
	slots    [][2]int        // the ranges it serves, inclusive
}

// nodesView is the whole of CLUSTER NODES.
type nodesView []clusterNode

// clusterNodes asks addr for its view of the cluster.
func clusterNodes(addr string) (nodesView, error) {
	text, err := doString(addr, "CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	var view nodesView
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		n, err := parseClusterNode(line)
		if err != nil {
			return nil, fmt.Errorf("CLUSTER NODES of %s: %v", addr, err)
		}
		view = append(view, n)
	}
	return view, nil
}

// parseClusterNode parses "<id> <ip:port@cport[,hostname]> <flags>
// <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...".
func parseClusterNode(line string) (clusterNode, error) {
	f := strings.Fields(line)
	if len(f) < 8 {
		return clusterNode{}, fmt.Errorf("short line %q", line)
	}
	addr, _, _ := strings.Cut(f[1], "@")
	n := clusterNode{id: f[0], addr: addr, masterID: f[3], flags: make(map[string]bool)}
	for _, flag := range strings.Split(f[2], ",") {
		n.flags[flag] = true
	}
	for _, r := range f[8:] {
		if strings.HasPrefix(r, "[") { // a slot being migrated or imported
			continue
		}
		first, last, isRange := strings.Cut(r, "-")
		if !isRange {
			last = first
		}
		a, err1 := strconv.Atoi(first)
		b, err2 := strconv.Atoi(last)
		if err1 != nil || err2 != nil {
			return clusterNode{}, fmt.Errorf("bad slot range %q in %q", r, line)
		}
		n.slots = append(n.slots, [2]int{a, b})
	}
	return n, nil
}

// known are the nodes past their handshake.
func (v nodesView) known() nodesView {
	var known nodesView
	for _, n := range v {
		if !n.flags["handshake"] && !n.flags["noaddr"] {
			known = append(known, n)
		}
	}
	return known
}

// slotCount is how many slots n serves.
func (n clusterNode) slotCount() int {
	count := 0
	for _, r := range n.slots {
		count += r[1] - r[0] + 1
	}
	return count
}

// ownerOf is the master serving slot, or nil.
func (v nodesView) ownerOf(slot int) *clusterNode {
	for i, n := range v {
		if !n.flags["master"] {
			continue
		}
		for _, r := range n.slots {
			if r[0] <= slot && slot <= r[1] {
				return &v[i]
			}
		}
	}
	return nil
}

// replicasOf are the addresses of the replicas of the master with id.
func (v nodesView) replicasOf(id string) []string {
	var addrs []string
	for _, n := range v {
		if n.flags["slave"] && n.masterID == id {
			addrs = append(addrs, n.addr)
		}
	}
	return addrs
}

// layoutProblem says what keeps v from being a healthy cluster of nodes
// nodes, masters masters with replicas replicas each and all slots
// served; "" if nothing does.
func (v nodesView) layoutProblem(nodes, masters, replicas int) string {
	if len(v) != nodes {
		return fmt.Sprintf("%d nodes, want %d", len(v), nodes)
	}
	seenMasters, slots := 0, 0
	for _, n := range v {
		for _, bad := range []string{"fail", "fail?", "handshake", "noaddr"} {
			if n.flags[bad] {
				return fmt.Sprintf("node %s is %s", n.addr, bad)
			}
		}
		if !n.flags["master"] {
			continue
		}
		seenMasters++
		slots += n.slotCount()
		if got := len(v.replicasOf(n.id)); got != replicas {
			return fmt.Sprintf("master %s has %d replicas, want %d", n.addr, got, replicas)
		}
	}
	if seenMasters != masters || slots != clusterSlots {
		return fmt.Sprintf("%d masters serving %d slots, want %d serving %d", seenMasters, slots, masters, clusterSlots)
	}
	return ""
}
