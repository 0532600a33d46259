package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// sentinelConf is a Sentinel's config file, which it rewrites as it
// learns: the master, and failover within a few seconds.
const sentinelConf = `protected-mode no
sentinel monitor %[1]s 127.0.0.1 %[2]d %[3]d
sentinel down-after-milliseconds %[1]s 1000
sentinel failover-timeout %[1]s 3000
sentinel parallel-syncs %[1]s 1
`

// Sentinel is a primary with replicas, watched by Sentinels, on
// 127.0.0.1.
type Sentinel struct {
	Addrs      []string // the sentinels' "127.0.0.1:port"
	MasterName string   // "mymaster"
	Primary    *Server
	Replicas   []*Server
	t          testing.TB
	sentinels  []*Server
}

// StartSentinel starts a primary with replicas replicas, then sentinels
// Sentinels monitoring it (quorum sentinels/2+1), and returns once every
// Sentinel knows the primary, its replicas and the other Sentinels.
// The Sentinels find the primary down after 1 s without an answer
// (down-after-milliseconds), and a failover times out after 3 s. All
// are stopped when t ends.
func StartSentinel(t testing.TB, replicas, sentinels int) *Sentinel {
	t.Helper()
	if replicas < 0 || sentinels < 1 {
		t.Fatalf("StartSentinel(%d, %d): want no fewer than 0 replicas and at least 1 sentinel", replicas, sentinels)
	}
	s := &Sentinel{MasterName: "mymaster", Primary: Start(t), t: t}
	for range replicas {
		r := newServer(t)
		r.extra = []string{"--replicaof", "127.0.0.1", strconv.Itoa(s.Primary.port)}
		s.Replicas = append(s.Replicas, startWith(t, r))
	}
	waitFor(t, startTimeout, "replicas syncing", func() (bool, string) {
		return replicating(s.Replicas, s.Primary)
	})
	for range sentinels {
		sn := newServer(t)
		sn.sentinel = true
		conf := fmt.Sprintf(sentinelConf, s.MasterName, s.Primary.port, sentinels/2+1)
		if err := os.WriteFile(filepath.Join(sn.dir, "sentinel.conf"), []byte(conf), 0o600); err != nil {
			t.Fatalf("writing sentinel.conf: %v", err)
		}
		s.sentinels = append(s.sentinels, startWith(t, sn))
		s.Addrs = append(s.Addrs, sn.Addr)
	}
	waitFor(t, startTimeout, "sentinels discovering each other and the replicas", s.discovered)
	return s
}

// replicating says whether every live one of replicas replicates
// primary with its link up.
func replicating(replicas []*Server, primary *Server) (bool, string) {
	for _, r := range replicas {
		if !r.live() {
			continue
		}
		f, err := info(r.Addr, "replication")
		if err != nil {
			return false, err.Error()
		}
		if f["master_port"] != strconv.Itoa(primary.port) || f["master_link_status"] != "up" {
			return false, fmt.Sprintf("%s replicates port %s, link %s; want %d, up", r.Addr, f["master_port"], f["master_link_status"], primary.port)
		}
	}
	return true, ""
}

// discovered says whether every Sentinel sees the primary up, with all
// its replicas and all the other Sentinels.
func (s *Sentinel) discovered() (bool, string) {
	for _, sn := range s.sentinels {
		m, err := s.fields(sn.Addr, "MASTER")
		if err != nil {
			return false, err.Error()
		}
		want := map[string]string{
			"ip": "127.0.0.1", "port": strconv.Itoa(s.Primary.port), "flags": "master",
			"num-slaves": strconv.Itoa(len(s.Replicas)), "num-other-sentinels": strconv.Itoa(len(s.sentinels) - 1),
		}
		for k, v := range want {
			if m[k] != v {
				return false, fmt.Sprintf("sentinel %s has %s %q, want %q", sn.Addr, k, m[k], v)
			}
		}
	}
	return true, ""
}

// fields sends SENTINEL <sub> <master name> to addr and returns the
// field/value pairs of the reply.
func (s *Sentinel) fields(addr, sub string) (map[string]string, error) {
	r, err := do(addr, "SENTINEL", sub, s.MasterName)
	if err != nil {
		return nil, err
	}
	a, _ := r.([]any)
	m := make(map[string]string)
	for i := 0; i+1 < len(a); i += 2 {
		k, _ := a[i].(string)
		v, _ := a[i+1].(string)
		m[k] = v
	}
	return m, nil
}

// KillPrimary SIGKILLs the primary and waits until a Sentinel reports a
// replica as the new primary (SENTINEL GET-MASTER-ADDR-BY-NAME) and that
// replica's ROLE is master: it returns the time that was observed. It
// then waits until every live Sentinel reports it and every other live
// replica replicates it, and updates Primary and Replicas (the killed
// primary is in neither). It fails t after 20 s.
func (s *Sentinel) KillPrimary() (promoted time.Time) {
	s.t.Helper()
	old := s.Primary
	old.Kill()
	var primary *Server
	waitFor(s.t, failoverTimeout, "sentinels failing over from "+old.Addr, func() (bool, string) {
		if primary == nil {
			var status string
			if primary, status = s.newPrimary(); primary == nil {
				return false, status
			}
			promoted = time.Now()
		}
		return s.settled(primary)
	})
	s.Primary, s.Replicas = primary, without(s.Replicas, primary)
	return promoted
}

// newPrimary is the replica a Sentinel reports as primary if its ROLE is
// master, or nil and how things stand.
func (s *Sentinel) newPrimary() (*Server, string) {
	status := "no sentinel reports a new primary"
	for _, sn := range s.sentinels {
		if !sn.live() {
			continue
		}
		addr, err := s.reported(sn.Addr)
		if err != nil {
			status = err.Error()
			continue
		}
		for _, r := range s.Replicas {
			if r.Addr != addr || !r.live() {
				continue
			}
			if role, err := role(addr); err != nil || role != "master" {
				status = fmt.Sprintf("sentinel %s reports %s, whose role is %q (%v)", sn.Addr, addr, role, err)
				continue
			}
			return r, ""
		}
	}
	return nil, status
}

// settled says whether every live Sentinel reports primary and every
// other live replica replicates it with its link up.
func (s *Sentinel) settled(primary *Server) (bool, string) {
	for _, sn := range s.sentinels {
		if !sn.live() {
			continue
		}
		if addr, err := s.reported(sn.Addr); err != nil || addr != primary.Addr {
			return false, fmt.Sprintf("sentinel %s reports %s (%v), want %s", sn.Addr, addr, err, primary.Addr)
		}
	}
	return replicating(without(s.Replicas, primary), primary)
}

// reported is the primary's address the Sentinel at addr reports.
func (s *Sentinel) reported(addr string) (string, error) {
	r, err := do(addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
	if err != nil {
		return "", err
	}
	a, _ := r.([]any)
	if len(a) != 2 {
		return "", fmt.Errorf("GET-MASTER-ADDR-BY-NAME from %s: unexpected reply %v", addr, r)
	}
	ip, _ := a[0].(string)
	port, _ := a[1].(string)
	return ip + ":" + port, nil
}

// without is servers less s.
func without(servers []*Server, s *Server) []*Server {
	var rest []*Server
	for _, r := range servers {
		if r != s {
			rest = append(rest, r)
		}
	}
	return rest
}
