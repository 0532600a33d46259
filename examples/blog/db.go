package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite" // the pure-Go SQLite driver: no C toolchain needed
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
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

// openDB opens the SQLite database at path (":memory:" for a throwaway
// one) with WAL, foreign keys, a busy timeout and immediate write
// transactions, and brings its schema up to date.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
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
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
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

// migrate applies the embedded migrations not applied yet, each in its
// own transaction; running it again changes nothing.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: its name must start with a number", name)
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := inTx(ctx, db, func(tx *sql.Tx) error {
			var applied int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&applied); err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(script)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, dbTime(time.Now()))
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction: committed when fn returns nil,
// rolled back otherwise.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
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
// survive a restart.
func jwtSecret(ctx context.Context, db *sql.DB, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	var secret string
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'jwt_secret'`).Scan(&secret)
		if errors.Is(err, sql.ErrNoRows) {
			raw := make([]byte, 48)
			_, _ = rand.Read(raw)
			secret = base64.RawStdEncoding.EncodeToString(raw)
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('jwt_secret', ?)`, secret)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	return []byte(secret), nil
}
