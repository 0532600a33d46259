package pgtest

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/internal/tbrecord"
)

// TestMain stops the shared server, as the package doc says to.
func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// name is the database that a URL from CreateDatabase names.
func name(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	return u.Path[1:]
}

// One server of its own, through its life: it answers; started again on a
// port that another process took first, even one that answers as
// PostgreSQL does, it exits with its log (start would try another port);
// Stop removes it.
func TestStart(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := Start(t)
	t.Logf("a server came up in %v", time.Since(began))
	assert.Regexp(t, `^127\.0\.0\.1:\d+$`, s.Addr)
	assert.Equal(t, "1", s.Exec(t, "", "select 1"))
	require.DirExists(t, s.dir)

	t.Run("on a taken port", func(t *testing.T) {
		s.halt()
		for _, tt := range []struct {
			name string
			port func(t *testing.T) int
		}{
			{name: "by a listener that never answers", port: func(t *testing.T) int {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				t.Cleanup(func() { _ = l.Close() })
				return l.Addr().(*net.TCPAddr).Port
			}},
			{name: "by another PostgreSQL server", port: func(t *testing.T) int {
				return Shared(t).port
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.launch(tt.port(t))
				assert.ErrorIs(t, err, errExited)
				assert.ErrorContains(t, err, `could not bind IPv4 address "127.0.0.1"`)
			})
		}
		port, err := freePort()
		require.NoError(t, err)
		require.NoError(t, s.launch(port))
		assert.Equal(t, s.dir, s.Exec(t, "", "show data_directory"))
	})

	t.Run("Stop", func(t *testing.T) {
		began := time.Now()
		s.Stop()
		t.Logf("a server stopped in %v", time.Since(began))
		assert.NoDirExists(t, s.dir)
		if conn, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("%s still accepts connections after Stop", s.Addr)
		}
		s.Stop() // a second Stop, and the one at cleanup, do nothing
	})
}

func TestSharedIsOneServer(t *testing.T) {
	t.Parallel()
	a, b := Shared(t), Shared(t)
	assert.Same(t, a, b)
	assert.Equal(t, "1", a.Exec(t, "postgres", "select 1"))
}

func TestSharedAfterStopSharedFails(t *testing.T) {
	var sh sharedServer
	sh.stop()
	sh.stop() // a second stop does nothing
	r := tbrecord.Run(t, func(r *tbrecord.Recorder) { sh.get(r) })
	if r.SkipMessage != "" {
		t.Skip(r.SkipMessage)
	}
	assert.Equal(t, "pgtest: Shared called after StopShared", r.FailMessage)
	assert.Nil(t, sh.server, "nothing started")
}

func TestExec(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	for _, tt := range []struct {
		name, sql, want string
		byName          bool // the database by its name, not its URL
	}{
		{name: "a value", sql: "select 1", want: "1"},
		{name: "rows and columns", sql: "select n, n * n from generate_series(1, 3) n", want: "1|1\n2|4\n3|9"},
		{name: "no rows", sql: "select 1 where false", want: ""},
		{name: "statements without their tags", sql: "create table t (n int); insert into t values (7); select n from t", want: "7"},
		{name: "in the database of the URL", sql: "select current_database() like 't\\_%'", want: "t"},
		{name: "in the database named", sql: "select current_database() like 't\\_%'", want: "t", byName: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := s.CreateDatabase(t)
			if tt.byName {
				db = name(t, db)
			}
			assert.Equal(t, tt.want, s.Exec(t, db, tt.sql))
		})
	}
}

func TestExecFailsWithPsqlsMessage(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	db := name(t, s.CreateDatabase(t))
	for _, tt := range []struct {
		name, database, sql, want string
	}{
		{name: "an error", database: db, sql: "select nope", want: `column "nope" does not exist`},
		{name: "stops at the first error", database: db, sql: "create table a (n int); select nope; create table b (n int)", want: `column "nope" does not exist`},
		{name: "a missing database", database: "nosuch", sql: "select 1", want: `database "nosuch" does not exist`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) { s.Exec(r, tt.database, tt.sql) })
			assert.Contains(t, r.FailMessage, tt.want)
		})
	}
	assert.Equal(t, "a", s.Exec(t, db, "select string_agg(tablename, ',') from pg_tables where schemaname = 'public'"),
		"the statement after the error did not run")
}

func TestCreateDatabaseIsolatesTests(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	began := time.Now()
	a := s.CreateDatabase(t)
	t.Logf("a database was created in %v", time.Since(began))
	b := s.CreateDatabase(t)
	require.NotEqual(t, a, b)
	assert.Regexp(t, `^postgres://postgres@127\.0\.0\.1:\d+/t_\d+_\d+\?sslmode=disable$`, a)

	s.Exec(t, a, "create table only_in_a (n int)")
	const count = "select count(*) from pg_tables where tablename = 'only_in_a'"
	assert.Equal(t, "1", s.Exec(t, a, count))
	assert.Equal(t, "0", s.Exec(t, b, count))
}

func TestCreateDatabaseDropsItAfterTheTest(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	var db string
	var open *exec.Cmd
	t.Run("uses a database", func(t *testing.T) {
		// Registered first, this runs after the drop.
		t.Cleanup(func() {
			if open != nil {
				_ = open.Process.Kill()
			}
		})
		dbURL := s.CreateDatabase(t)
		db = name(t, dbURL)
		// A connection still open at the end, as a pool's may be.
		open = exec.Command(s.pg.psql, "-X", "-d", dbURL, "-c", "select pg_sleep(30)")
		require.NoError(t, open.Start())
		waitFor(t, func() bool {
			return s.Exec(t, "", "select count(*) from pg_stat_activity where datname = '"+db+"'") == "1"
		})
	})
	require.NotEmpty(t, db)
	exists := "select count(*) from pg_database where datname = '" + db + "'"
	assert.Equal(t, "0", s.Exec(t, "", exists))
	var exit *exec.ExitError
	require.ErrorAs(t, open.Wait(), &exit)
	assert.Equal(t, 2, exit.ExitCode(), "psql lost its connection (2), was not killed (-1)")
}

// waitFor polls cond for up to 10 s, failing t if it never holds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not within 10s")
		}
	}
}

func TestURL(t *testing.T) {
	s := &Server{Addr: "127.0.0.1:54321"}
	for _, tt := range []struct{ database, want string }{
		{database: "blog", want: "postgres://postgres@127.0.0.1:54321/blog?sslmode=disable"},
		{database: "", want: "postgres://postgres@127.0.0.1:54321/postgres?sslmode=disable"},
	} {
		assert.Equal(t, tt.want, s.URL(tt.database), "database %q", tt.database)
	}
}

// program writes an empty executable at dir/name.
func program(t *testing.T, dir, name string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755))
}

func TestLookPath(t *testing.T) {
	for _, tt := range []struct {
		name string
		// make lays out programs under root, PATH and /usr/lib/postgresql
		// being root/path and root/lib.
		make func(t *testing.T, root string)
		want string // the directory of the three, under root
	}{
		{
			name: "Debian's highest-numbered version holding the server",
			make: func(t *testing.T, root string) {
				for _, v := range []string{"9.6", "10", "15"} {
					for _, p := range []string{"initdb", "postgres", "psql"} {
						program(t, root+"/lib/"+v+"/bin", p)
					}
				}
				program(t, root+"/lib/16/bin", "psql") // a client alone
				program(t, root+"/path", "psql")       // Debian's wrapper
			},
			want: "lib/15/bin",
		},
		{
			name: "beside initdb on PATH, its symlink resolved",
			make: func(t *testing.T, root string) {
				for _, p := range []string{"initdb", "postgres", "psql"} {
					program(t, root+"/opt/pg/bin", p)
					program(t, root+"/lib/15/bin", p)
				}
				require.NoError(t, os.MkdirAll(root+"/path", 0o755))
				require.NoError(t, os.Symlink(root+"/opt/pg/bin/initdb", root+"/path/initdb"))
				program(t, root+"/path", "psql")
			},
			want: "opt/pg/bin",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			tt.make(t, root)
			t.Setenv("PATH", root+"/path")
			withDebianDirs(t, root+"/lib/*/bin")
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) {
				pg := lookPath(r)
				dir := filepath.Join(root, tt.want)
				assert.Equal(t, &install{initdb: dir + "/initdb", postgres: dir + "/postgres", psql: dir + "/psql"}, pg)
			})
			assert.Empty(t, r.FailMessage)
			assert.Empty(t, r.SkipMessage)
		})
	}
}

func withDebianDirs(t *testing.T, glob string) {
	saved := debianDirs
	debianDirs = glob
	t.Cleanup(func() { debianDirs = saved })
}

// Without PostgreSQL, a test is skipped with what to install, so that
// internal/testall lists it; under CI=true, where .ci/run installs it,
// it fails instead.
func TestLookPathWithoutPostgreSQL(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	withDebianDirs(t, t.TempDir()+"/*/bin")
	for _, tt := range []struct {
		ci                   string
		wantFailed, wantSkip string
	}{
		{ci: "", wantSkip: "PostgreSQL not found; install it to run the PostgreSQL tests (Debian: apt-get install postgresql)"},
		{ci: "true", wantFailed: "PostgreSQL not found: .ci/run installs Debian's postgresql package (apt-get install -y postgresql)"},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) { lookPath(r) })
			assert.Equal(t, tt.wantFailed, r.FailMessage)
			assert.Equal(t, tt.wantSkip, r.SkipMessage)
		})
	}
}

// As root without a postgres user the server cannot run: the same rule.
func TestRootWithoutPostgresUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only as root does the server need a postgres user")
	}
	saved := postgresUser
	postgresUser = "apikit-pgtest-nobody"
	t.Cleanup(func() { postgresUser = saved })
	for _, tt := range []struct {
		ci, wantFailed, wantSkip string
	}{
		{ci: "", wantSkip: "install Debian's postgresql package, which adds that user (apt-get install postgresql), or run the tests as another user"},
		{ci: "true", wantFailed: ".ci/run installs Debian's postgresql package, which adds that user (apt-get install -y postgresql)"},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) { credential(r) })
			if tt.wantFailed != "" {
				assert.Contains(t, r.FailMessage, "PostgreSQL refuses to run as root and there is no apikit-pgtest-nobody user")
				assert.Contains(t, r.FailMessage, tt.wantFailed)
			} else {
				assert.Empty(t, r.FailMessage)
			}
			if tt.wantSkip != "" {
				assert.Contains(t, r.SkipMessage, "PostgreSQL refuses to run as root and there is no apikit-pgtest-nobody user")
				assert.Contains(t, r.SkipMessage, tt.wantSkip)
			} else {
				assert.Empty(t, r.SkipMessage)
			}
		})
	}
}

func TestMakeDir(t *testing.T) {
	tmp, notTmpfs := t.TempDir(), t.TempDir()
	saved := shmDir
	t.Cleanup(func() { shmDir = saved })
	for _, tt := range []struct {
		name, tmpdir, shm, want string
	}{
		{name: "TMPDIR when set", tmpdir: tmp, shm: "/dev/shm", want: tmp},
		{name: "the temporary directory when shm is no tmpfs", shm: notTmpfs, want: os.TempDir()},
		{name: "the temporary directory when shm is missing", shm: notTmpfs + "/none", want: os.TempDir()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TMPDIR", tt.tmpdir)
			shmDir = tt.shm
			dir, err := makeDir()
			require.NoError(t, err)
			t.Cleanup(func() { _ = os.Remove(dir) })
			assert.Equal(t, tt.want, filepath.Dir(dir))
			assert.Regexp(t, `^apikit-pgtest-\d+$`, filepath.Base(dir))
		})
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"9.6", "10", -1},
		{"15", "9.6", 1},
		{"15", "15", 0},
		{"16", "15", 1},
		{"9.6", "9.5", 1},
	} {
		assert.Equal(t, tt.want, compareVersions(tt.a, tt.b), "%s vs %s", tt.a, tt.b)
	}
}
