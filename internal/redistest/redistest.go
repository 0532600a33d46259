// Package redistest starts a real redis-server for tests: on a free
// loopback port, in a temporary directory, without persistence, stopped
// when the test ends. Under CI=true a missing redis-server fails the test;
// elsewhere the test is skipped with what to install.
//
// Besides a single server (Start) it starts a Redis Cluster
// (StartCluster) and a primary with replicas watched by Sentinels
// (StartSentinel), and can hang (Pause), revive (Resume) or kill (Kill) a
// server, for failover tests. Everything listens on 127.0.0.1 only.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/myblog/apikit/internal/freeport"
)

// startTimeout bounds every start: generous, for a loaded machine.
const startTimeout = 30 * time.Second

// Server is a running redis-server.
type Server struct {
	// Addr is its "127.0.0.1:port".
	Addr     string
	t        testing.TB
	dir      string
	port     int
	cluster  bool     // a cluster node, with a bus port
	busPort  int      // the cluster bus port
	sentinel bool     // run as a Sentinel on dir/sentinel.conf
	extra    []string // more command-line arguments
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
	paused   bool
}

// Start starts a redis-server for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return startWith(t, newServer(t))
}

// newServer checks for redis-server and gives a server its directory;
// the caller may set cluster, sentinel and extra before startWith.
func newServer(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found: .ci/run installs Debian's redis-server package (apt-get install -y redis-server)")
		}
		t.Skip("redis-server not found; install it to run the Redis tests (Debian: apt-get install redis-server)")
	}
	return &Server{t: t, dir: t.TempDir()}
}

// startWith starts s on free ports, trying other ports if another
// process took the chosen ones first, and stops it when t ends.
func startWith(t testing.TB, s *Server) *Server {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		s.setPorts(t)
		err := s.launch()
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		if i == attempts || !errors.Is(err, errExited) {
			t.Fatal(err)
		}
	}
}

func (s *Server) setPorts(t testing.TB) {
	s.port = freePort(t)
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
	if s.cluster {
		s.busPort = freePort(t)
	}
}

func freePort(t testing.TB) int {
	port, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// Port is the server's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

func (s *Server) args() []string {
	var args []string
	if s.sentinel {
		args = append(args, filepath.Join(s.dir, "sentinel.conf"), "--sentinel")
	}
	args = append(args,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--repl-diskless-sync-delay", "0", // replicas sync at once
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", s.logFile(),
	)
	if s.cluster {
		args = append(args, "--cluster-port", strconv.Itoa(s.busPort))
	}
	return append(args, s.extra...)
}

func (s *Server) logFile() string { return filepath.Join(s.dir, "redis.log") }

// errExited is a server's exit before it answered: most likely another
// process took its port first.
var errExited = errors.New("redis-server exited at start")

// start launches s, failing its test if it does not come up.
func (s *Server) start() {
	s.t.Helper()
	if err := s.launch(); err != nil {
		s.t.Fatal(err)
	}
}

// launch starts the process and waits for it to answer PING.
func (s *Server) launch() error {
	cmd := exec.Command("redis-server", s.args()...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %v", err)
	}
	s.cmd, s.done, s.paused = cmd, make(chan struct{}), false
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	// Wait for it to answer PING: polling a process we just started.
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.done:
			s.cmd = nil
			return fmt.Errorf("%w: on %s (%v):\n%s", errExited, s.Addr, cmd.ProcessState, s.logTail())
		default:
		}
		if ping(s.Addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redis-server on %s did not answer within %v:\n%s", s.Addr, startTimeout, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTail is the end of the server's log, for failure messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logFile())
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// Stop kills the server; Restart brings it back on the same port, empty.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.paused = nil, false
}

// Kill SIGKILLs the server and waits for it to exit, as Stop does: the
// name failover tests read. Restart brings it back.
func (s *Server) Kill() { s.Stop() }

// Restart starts the server again on the same address, with no data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Pause SIGSTOPs the server: a hung Redis. The kernel still accepts
// connections to it, but nothing answers until Resume.
func (s *Server) Pause() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
	s.paused = true
}

// Resume SIGCONTs a paused server: it answers again, queued requests
// first.
func (s *Server) Resume() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
	s.paused = false
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		s.t.Fatalf("redis-server on %s is not running", s.Addr)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("sending %v to redis-server on %s: %v", sig, s.Addr, err)
	}
}

// live reports whether s is running and not paused: it can answer.
func (s *Server) live() bool { return s.cmd != nil && !s.paused }

// ping sends one PING in the inline protocol.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := fmt.Fprint(conn, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// waitFor polls cond, which says whether it holds and how things stand,
// until it holds or timeout passes; then it fails t with what and the
// last status. It only ever waits on processes we started.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, status := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, timeout, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
