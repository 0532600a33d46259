package main

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	authstoretest "github.com/myblog/apikit/auth/storetest"
)

// Servers started together on a new database file all open it: SQLite
// refuses the switch to WAL to all but one of them at once (SQLITE_BUSY,
// without its busy timeout), and openDB tries again. Without the retry,
// this test sees about one failed start in a hundred (and two real
// processes failed one start in six to twenty).
func TestServersStartingTogetherOnANewFile(t *testing.T) {
	for run := range 25 {
		path := filepath.Join(t.TempDir(), "blog.db")
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				db, err := openDB(context.Background(), path)
				if err == nil {
					db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "run %d, server %d", run, i)
		}
	}
}

// Servers started together on a new PostgreSQL database all open it and
// migrate it once: the first takes the advisory lock and migrates, the
// others wait for it and find nothing left to do. Without the lock, the
// concurrent CREATE TABLE and CREATE EXTENSION statements collide
// (duplicate keys in the catalogs) and versions are recorded twice.
// PostgreSQL's only (TestOnPostgres runs it); SQLite's counterpart is
// TestServersStartingTogetherOnANewFile.
func serversMigratingTogether(t *testing.T) {
	for run := range 5 {
		source := testDB(t)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				db, err := openDB(context.Background(), source)
				if err == nil {
					db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "run %d, server %d", run, i)
		}
		db := testDirect(t, source)
		var versions, distinct int
		require.NoError(t, db.QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct))
		assert.Equal(t, distinct, versions, "each version recorded once")
		files, err := fs.Glob(migrations, "migrations/postgres/*.sql")
		require.NoError(t, err)
		assert.Equal(t, len(files), versions, "every migration")
	}
}

// A taken login or email is recognised by its code (SQLite's extended
// code, the column read from its message; PostgreSQL's SQLSTATE 23505,
// the constraint named), whatever the case it was written in; an error
// that only reads like one is not.
func TestUniqueViolation(t *testing.T) {
	db, err := openDB(context.Background(), testDB(t))
	require.NoError(t, err)
	defer db.Close()
	insert := func(id, login, email string) error {
		_, err := db.Exec(`INSERT INTO users (id, login, email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, 'x', '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z')`, id, login, email)
		return err
	}
	require.NoError(t, insert("1", "alice", "alice@example.com"))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"the same login", insert("2", "ALICE", "other@example.com"), errTaken{field: "login"}},
		{"the same email", insert("3", "bob", "Alice@Example.com"), errTaken{field: "email"}},
		{"text alone", errors.New("UNIQUE constraint failed: users.login"), errors.New("UNIQUE constraint failed: users.login")},
		{"no error", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, uniqueViolation(tt.err))
		})
	}
}

// The sessions kept in the database pass auth's conformance suite, as
// auth's memory store and redisstore do: one success per token however
// many race to rotate it, reuse revoking the family.
func TestSessionsConformance(t *testing.T) {
	db, err := openDB(context.Background(), testDB(t))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	authstoretest.TokenStore(t, func(*testing.T) auth.TokenStore { return sessions{db: db} })
}
