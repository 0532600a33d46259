// Package pgtest starts a real, throwaway PostgreSQL server for tests: a
// new cluster made by initdb in a temporary directory, on a free loopback
// port, tuned for speed over durability (fsync, synchronous commit and
// full-page writes off), stopped and its directory removed when the test
// ends. Under CI=true a missing PostgreSQL fails the test; elsewhere the
// test is skipped with what to install.
//
// The programs are initdb, postgres and psql, all from one directory: that
// of initdb on PATH, its symlinks resolved, when postgres and psql are
// beside it; else the three as found on PATH; else the highest-numbered
// /usr/lib/postgresql/*/bin, where Debian's postgresql package puts them
// (it puts none of them on PATH but its psql wrapper). The package talks to
// the server through psql only, so that the module needs no driver.
//
// Start gives a test its own server, stopped at the end of the test.
// Shared gives every test of a test binary one server, started on first
// use. A test binary that calls Shared calls StopShared in TestMain;
// without it the server dies with the test binary but its directory stays
// behind:
//
//	func TestMain(m *testing.M) { code := m.Run(); pgtest.StopShared(); os.Exit(code) }
//
// CreateDatabase gives a test a new empty database on either, dropped at
// the end of the test: tests that share a server do not see each other's
// tables. URL is a database's address for a driver,
// postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable, and Exec runs
// SQL in it through psql.
//
// A server listens on 127.0.0.1 only, with no Unix socket, and takes
// every connection as the superuser postgres without a password (trust),
// up to 200 at once, for several servers' worth of pools. Its log is
// postgres.log in its directory; a failed start reports its end, and Start
// logs it when the test failed. On Linux a server gets the parent-death
// signal: it is killed when the test binary dies, even without a cleanup.
//
// A server's directory is apikit-pgtest-* in $TMPDIR when it is set, else
// in /dev/shm when that is a tmpfs with 1 GiB free (initdb and CREATE
// DATABASE run 3 to 6 times faster there than on an ext4 disk, fsync off
// or not), else in os.TempDir(); Stop removes it.
//
// initdb and postgres refuse to run as root. As root, the package runs
// them as the postgres OS user, which Debian's package creates, and gives
// that user the directory (t.TempDir() would not do: its parents are
// root's, mode 0700). As root without a postgres user, the test fails
// under CI=true and is skipped elsewhere.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/myblog/apikit/internal/freeport"
)

const (
	// startTimeout bounds a start: generous, for a loaded machine.
	startTimeout = 30 * time.Second
	// stopTimeout is how long Stop waits for a fast shutdown before it
	// kills the server.
	stopTimeout = 5 * time.Second
)

// Server is a running PostgreSQL server.
type Server struct {
	// Addr is its "127.0.0.1:port".
	Addr     string
	pg       *install
	dir      string // the data directory, removed by Stop
	port     int
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
	stopOnce sync.Once
}

// install is where PostgreSQL's programs are and whom to run the server
// as.
type install struct {
	initdb, postgres, psql string
	// cred is the postgres OS user's, when the test runs as root; nil runs
	// the server as the test's user.
	cred *syscall.Credential
}

// Start starts a PostgreSQL server for t and, when t ends, stops it and
// removes its directory.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start(setup(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("PostgreSQL server log (%s):\n%s", s.Addr, s.logTail())
		}
		s.Stop()
	})
	return s
}

// shared is the server that Shared gives and StopShared stops.
var shared sharedServer

// sharedServer is one server for a whole test binary.
type sharedServer struct {
	once    sync.Once
	server  *Server
	err     error // why it did not start
	stopped atomic.Bool
}

// Shared gives the test binary's one PostgreSQL server, starting it on the
// first call. A missing PostgreSQL fails or skips every caller, as Start
// does; a failed start fails every caller. StopShared stops it: the
// server is not tied to the test that happened to start it.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.get(t)
}

// StopShared stops the shared server and removes its directory, for
// TestMain after m.Run. It does nothing when no server was started or it
// was stopped already; Shared fails once it has been called.
func StopShared() { shared.stop() }

func (sh *sharedServer) get(t testing.TB) *Server {
	t.Helper()
	pg := setup(t)
	sh.once.Do(func() { sh.server, sh.err = start(pg) })
	if sh.stopped.Load() {
		t.Fatal("pgtest: Shared called after StopShared")
	}
	if sh.err != nil {
		t.Fatal(sh.err)
	}
	return sh.server
}

func (sh *sharedServer) stop() {
	sh.stopped.Store(true)
	// Waits for a start under way, and keeps any later one from starting.
	sh.once.Do(func() {})
	if sh.server != nil {
		sh.server.Stop()
	}
}

// setup finds PostgreSQL and whom to run it as, failing or skipping t
// when it cannot run.
func setup(t testing.TB) *install {
	t.Helper()
	pg := lookPath(t)
	pg.cred = credential(t)
	return pg
}

// postgresUser is the OS user that runs the server when the test runs as
// root.
var postgresUser = "postgres"

// credential is postgresUser's when the test runs as root, since initdb
// and postgres refuse root, and nil otherwise.
func credential(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(postgresUser)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL refuses to run as root and there is no %s user to run it as (%v): .ci/run installs Debian's postgresql package, which adds that user (apt-get install -y postgresql)", postgresUser, err)
		}
		t.Skipf("PostgreSQL refuses to run as root and there is no %s user to run it as (%v); install Debian's postgresql package, which adds that user (apt-get install postgresql), or run the tests as another user", postgresUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		t.Fatalf("user %s: uid %q: %v", postgresUser, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		t.Fatalf("user %s: gid %q: %v", postgresUser, u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// start makes a cluster in a new directory and starts a server on it, on
// a free port, trying other ports if another process took the chosen one
// first. On an error nothing is left running or on disk.
func start(pg *install) (*Server, error) {
	dir, err := makeDir()
	if err != nil {
		return nil, fmt.Errorf("making the PostgreSQL directory: %v", err)
	}
	s := &Server{pg: pg, dir: dir}
	if err := s.initdb(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	const attempts = 3
	for i := 1; ; i++ {
		port, err := freePort()
		if err == nil {
			err = s.launch(port)
		}
		if err == nil {
			return s, nil
		}
		if i == attempts || !errors.Is(err, errExited) {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

// shmDir is where makeDir looks first.
var shmDir = "/dev/shm"

// makeDir makes a server's directory, apikit-pgtest-*: in $TMPDIR when it
// is set; else in shmDir when it is a tmpfs with 1 GiB free; else in
// os.TempDir().
func makeDir() (string, error) {
	const pattern = "apikit-pgtest-"
	if os.Getenv("TMPDIR") == "" && roomyTmpfs(shmDir) {
		if dir, err := os.MkdirTemp(shmDir, pattern); err == nil {
			return dir, nil
		}
	}
	return os.MkdirTemp("", pattern)
}

// initdb makes the cluster in s.dir, owned by whoever runs the server.
func (s *Server) initdb() error {
	if c := s.pg.cred; c != nil {
		if err := os.Chown(s.dir, int(c.Uid), int(c.Gid)); err != nil {
			return fmt.Errorf("giving %s to user %s: %v", s.dir, postgresUser, err)
		}
	}
	// trust: any local connection as any user, without a password.
	// --no-sync: nothing is flushed to disk, as the server's fsync=off.
	// Collation C (byte order), character classes of C.UTF-8, so that
	// lower() and full text fold letters beyond ASCII, as a production
	// database's UTF-8 locale does.
	cmd := s.serverCommand(s.pg.initdb, "-D", s.dir, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s -D %s: %v:\n%s", s.pg.initdb, s.dir, err, out)
	}
	return nil
}

// serverCommand runs one of the server's programs: as the postgres user
// when the test runs as root, in the data directory, which that user can
// reach where the test's working directory may not be, and killed when the
// test binary dies.
func (s *Server) serverCommand(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.Env = environ()
	cmd.SysProcAttr = sysProcAttr(s.pg.cred)
	return cmd
}

// environ is the test's environment without the PG variables (PGHOST,
// PGOPTIONS, PGDATA and the like), which would override what the package
// sets; psql's connection attempts time out after 10 s.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env, "PGCONNECT_TIMEOUT=10")
}

func (s *Server) logFile() string { return filepath.Join(s.dir, "postgres.log") }

// errExited is a server's exit before it accepted connections: most likely
// another process took its port first.
var errExited = errors.New("postgres exited at start")

// launch starts postgres on port and waits until it accepts connections.
func (s *Server) launch(port int) error {
	s.port, s.Addr = port, "127.0.0.1:"+strconv.Itoa(port)
	log, err := os.Create(s.logFile())
	if err != nil {
		return fmt.Errorf("making the PostgreSQL log: %v", err)
	}
	defer log.Close()
	cmd := s.serverCommand(s.pg.postgres, "-D", s.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories=", // none: TCP on 127.0.0.1 only
		"-c", "max_connections=200",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		// A checkpoint at 128 MB of WAL, not 1 GB: CREATE DATABASE logs
		// all of template1, some 8 MB, and /dev/shm is memory.
		"-c", "max_wal_size=128MB",
		"-c", "min_wal_size=32MB",
		"-c", "logging_collector=off", // the log is stderr, to postgres.log
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %v", s.pg.postgres, err)
	}
	done := make(chan struct{})
	s.cmd, s.done = cmd, done
	go func() { _ = cmd.Wait(); close(done) }()
	// Wait until it answers a query: polling a process we just started. A
	// probe ends when the server exits, since what listens on the port may
	// then be another process that never answers.
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		// The server's own directory: another server that took the port
		// first answers too, until this one exits.
		dir, err := s.psql(ctx, "postgres", "show data_directory")
		select {
		case <-done:
			return fmt.Errorf("%w: on %s (%v):\n%s", errExited, s.Addr, cmd.ProcessState, s.logTail())
		default:
		}
		if err == nil && dir == s.dir {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("the server of %s answers", dir)
		}
		if ctx.Err() != nil {
			s.halt()
			return fmt.Errorf("postgres on %s did not accept connections within %v (%v):\n%s", s.Addr, startTimeout, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) { return freeport.Loopback() }

// logTail is the end of the server's log, for failure messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logFile())
	const keep = 3000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// URL is the address of database on s for a driver, as the superuser
// postgres without a password or TLS:
// postgres://postgres@127.0.0.1:PORT/DATABASE?sslmode=disable. An empty
// database is "postgres", the one initdb makes.
func (s *Server) URL(database string) string {
	if database == "" {
		database = "postgres"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     s.Addr,
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// databases numbers the databases that CreateDatabase makes.
var databases atomic.Int64

// CreateDatabase creates a new empty database on s, named t_PID_N, and
// returns its URL; when t ends it drops it, disconnecting whoever is still
// connected (DROP DATABASE ... WITH (FORCE), PostgreSQL 13 and later).
func (s *Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), databases.Add(1))
	s.Exec(t, "postgres", "CREATE DATABASE "+name)
	t.Cleanup(func() {
		if s.exited() {
			return // Stop took the database with the server.
		}
		if _, err := s.psql(context.Background(), "postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	return s.URL(name)
}

// Exec runs sql, one or more statements, in database on s through psql
// and returns what it printed, trimmed: rows one a line, columns separated
// by "|", without headers or command tags. It stops at the first error
// and fails t with psql's message. database is a name ("" for
// "postgres") or a URL from URL or CreateDatabase.
func (s *Server) Exec(t testing.TB, database, sql string) string {
	t.Helper()
	out, err := s.psql(context.Background(), database, sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// psql runs sql in database through psql, as the superuser postgres over
// TCP, without reading a .psqlrc (-X), unaligned (-A), tuples only (-t),
// quiet (-q), stopping at the first error; the end of ctx kills it. A URL
// for database sets the host and port over -h and -p: those of s, as URL
// makes it.
func (s *Server) psql(ctx context.Context, database, sql string) (string, error) {
	if database == "" {
		database = "postgres"
	}
	cmd := exec.CommandContext(ctx, s.pg.psql, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres", "-d", database, "-f", "-")
	cmd.Env = environ()
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql on %s, database %s: %v: %s", s.Addr, database, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Stop shuts the server down fast (SIGINT: clients are disconnected,
// open transactions rolled back), kills it if it is still running after
// 5 s, and removes its directory. Calls after the first do nothing.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.halt()
		_ = os.RemoveAll(s.dir)
	})
}

// halt stops the postgres process and waits for it to exit.
func (s *Server) halt() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// exited reports whether the postgres process has exited.
func (s *Server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}
