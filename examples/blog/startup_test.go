package main

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
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
