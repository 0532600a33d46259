package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite" // the pure-Go SQLite driver: no C toolchain needed
	sqlite3 "modernc.org/sqlite/lib"
)

// migrations holds each dialect's migrations, migrations/sqlite and
// migrations/postgres: the same versions, one file per dialect.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// timeLayout stores times in UTC with a fixed width, so that text order
// is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func dbTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseDBTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func nullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseDBTime(s.String)
	return &t
}

// dialect is the kind of database the blog runs on. One set of queries
// serves both ($1-style parameters, which SQLite reads too); the few
// statements that differ ask the store's dialect.
type dialect uint8

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// database is the blog's connection pool and the dialect it speaks.
type database struct {
	*sql.DB
	dialect dialect
}

// isPostgresURL reports whether source names a PostgreSQL database rather
// than a SQLite file.
func isPostgresURL(source string) bool {
	return strings.HasPrefix(source, "postgres://") || strings.HasPrefix(source, "postgresql://")
}

// openDB opens the database source names, a postgres:// URL or a SQLite
// file, and brings its schema up to date.
func openDB(ctx context.Context, source string) (*database, error) {
	if isPostgresURL(source) {
		return openPostgres(ctx, source)
	}
	return openSQLite(ctx, source)
}

// openSQLite opens the SQLite database at path (":memory:" for a
// throwaway one) with WAL, foreign keys, a busy timeout and immediate
// write transactions.
func openSQLite(ctx context.Context, path string) (*database, error) {
	pragmas := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)", // wait for the writer rather than fail with "database is locked"
		"foreign_keys(1)",
		"journal_mode(WAL)", // readers never block the writer
		"synchronous(FULL)", // an acknowledged write survives a crash of the process or the machine
		"temp_store(MEMORY)",
	} {
		pragmas.Add("_pragma", p)
	}
	// BEGIN IMMEDIATE takes the write lock up front, so two writers
	// never deadlock upgrading from a read lock.
	pragmas.Set("_txlock", "immediate")
	memory := path == ":memory:"
	dsn := "file:" + path + "?" + pragmas.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if memory {
		// Every connection to :memory: is its own database: keep one.
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8) // the default, 2, would reopen connections under load
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := pingBusy(ctx, db, 10*time.Second); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	d := &database{DB: db, dialect: sqliteDialect}
	if err := migrate(ctx, d); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Pool figures for PostgreSQL: each instance holds at most
// postgresMaxConns connections, so that N instances need N×16 of the
// server's max_connections (100 by default); a connection attempt gives
// up after postgresConnectTimeout unless the URL says connect_timeout.
const (
	postgresMaxConns       = 16
	postgresConnectTimeout = 5 * time.Second
)

// openPostgres opens the PostgreSQL database of a postgres:// URL
// through pgx. The schema is migrated under an advisory lock, so that
// instances starting together take turns.
func openPostgres(ctx context.Context, source string) (*database, error) {
	cfg, err := pgx.ParseConfig(source)
	if err != nil {
		// pgx's message hides the URL's password.
		return nil, fmt.Errorf("-db: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresConnectTimeout
	}
	// Every statement the blog sends is an index walk whose plan does not
	// depend on its parameters' values (limits and offsets are written
	// as numbers): a generic plan, made once per connection and
	// statement, is as good as a custom one, and planning again each
	// time costs more than running the walk (0.4 ms against 0.3 ms for a
	// page of an author's posts, BENCHMARKS.md). A URL's own
	// plan_cache_mode wins.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Connections are replaced now and then, so that a pool spreads
	// again over the servers behind a proxy or a failover address.
	db.SetConnMaxLifetime(30 * time.Minute)
	where := fmt.Sprintf("PostgreSQL at %s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", where, err)
	}
	d := &database{DB: db, dialect: postgresDialect}
	if err := migrate(ctx, d); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return d, nil
}

// pingBusy opens the first connection, trying again for up to wait while
// SQLite answers SQLITE_BUSY. Servers starting together on a new file
// race to switch it to WAL, and SQLite refuses that switch to the loser
// at once, without its busy timeout; once the file is in WAL mode the
// pragma takes no lock. Any other error is returned at once.
func pingBusy(ctx context.Context, db *sql.DB, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for attempt := 1; ; attempt++ {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		// A few milliseconds, growing: the winner needs only to finish
		// its switch.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(min(attempt, 20)) * 5 * time.Millisecond):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (or one of its
// extended codes).
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// migrationLock is the key of the PostgreSQL advisory lock that
// migrations hold: any 64-bit number no other program on the database
// uses.
const migrationLock = 0x6d79626c6f67 // "myblog"

// migrate applies the embedded migrations of db's dialect not applied
// yet, each in its own transaction; running it again changes nothing.
// Everything runs on one connection; on PostgreSQL that connection first
// takes migrationLock, so that of several instances starting at once one
// migrates and the others wait, then find nothing to do.
func migrate(ctx context.Context, db *database) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	dir := "migrations/sqlite"
	if db.dialect == postgresDialect {
		dir = "migrations/postgres"
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("migrations: taking the lock: %w", err)
		}
		// Released with the session if this process dies.
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
		}()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: its name must start with a number", name)
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := inTx(ctx, conn, func(tx *sql.Tx) error {
			var applied int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&applied); err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(script)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, dbTime(time.Now()))
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction on db (the pool, or one
// connection, as the migrations hold): committed when fn returns nil,
// rolled back otherwise.
func inTx(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// jwtSecret returns the -jwt-secret flag's value, or the random secret
// generated on first start and kept in the database, so that tokens
// survive a restart. Of servers starting together on a new database, the
// first insert wins and every server reads the winner's secret.
func jwtSecret(ctx context.Context, db *database, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	raw := make([]byte, 48)
	_, _ = rand.Read(raw)
	var secret string
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('jwt_secret', $1) ON CONFLICT (key) DO NOTHING`,
			base64.RawStdEncoding.EncodeToString(raw)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'jwt_secret'`).Scan(&secret)
	})
	if err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	return []byte(secret), nil
}

// unavailable reports whether err says the database could not serve the
// request for now (the connection failed or timed out, the server is
// shutting down, out of connections, read-only after a failover, or
// lost a serialization race; SQLite's file was busy, locked, full or
// unreadable), rather than that a statement is wrong. Such an error is a
// 503 with Retry-After; any other is a 500.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) || pgconn.Timeout(err) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), // connection exception
			strings.HasPrefix(pg.Code, "53"), // insufficient resources: too many connections, disk full
			strings.HasPrefix(pg.Code, "57"), // operator intervention: shutdown, statement_timeout
			strings.HasPrefix(pg.Code, "40"), // transaction rollback: serialization failure, deadlock
			pg.Code == "25006":               // read_only_sql_transaction: a standby after a failover
			return true
		}
		return false
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return true
		}
	}
	return false
}
