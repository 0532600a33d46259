package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/internal/nginxtest"
	"github.com/myblog/apikit/internal/pgtest"
	"github.com/myblog/apikit/internal/redistest"
)

// instancesLease is the -job-lease of TestThreeInstancesOnPostgres: short,
// so that a job whose server was killed runs again within seconds.
const instancesLease = 2 * time.Second

// Three example servers (real processes) on one PostgreSQL database and
// one Redis, behind nginx, as docs/deployment.md sets them up: they are
// one blog. An account made on one logs in on another and posts on a
// third, and the post reads the same everywhere; concurrent sign-ups of
// one login make one account; concurrent refreshes of one token make one
// success and revoke the family; exports queued through the proxy each
// run exactly once, on whichever server claims them; and a server killed
// in the middle of an export leaves the job to another, which runs it
// once the lease has passed.
func TestThreeInstancesOnPostgres(t *testing.T) {
	pg := pgtest.Shared(t)
	source := pg.CreateDatabase(t)
	redis := redistest.Start(t)
	binary := blogBinaryFor(t)
	const secret = "one secret for every instance, 32 bytes or more"
	var servers [3]*liveBlog
	for i := range servers {
		servers[i] = startLiveBlog(t, binary,
			// application_name tells the servers' connections apart in
			// pg_stat_activity.
			"-db", source+fmt.Sprintf("&application_name=blog-%d", i),
			"-redis", "redis://"+redis.Addr+"/0",
			"-instances", "3",
			"-jwt-secret", secret,
			"-job-lease", instancesLease.String(),
			"-envelope=false",
			"-rate-limit", "100000", "-rate-limit-anonymous", "100000",
			"-trusted-proxies", "127.0.0.1", "-hosts", "127.0.0.1")
	}
	proxy := nginxtest.Start(t, servers[0].URL, servers[1].URL, servers[2].URL)
	db := testDirect(t, source)
	client := &http.Client{Timeout: 30 * time.Second}

	send := func(t *testing.T, method, url, token string, body any) (int, []byte) {
		t.Helper()
		status, _, data := sendJSON(t, client, method, url, token, body)
		return status, data
	}
	field := func(t *testing.T, body []byte, name string) string {
		t.Helper()
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m), "%s", body)
		s, _ := m[name].(string)
		return s
	}

	t.Run("one blog: sign up on one, log in on another, post on a third, read everywhere", func(t *testing.T) {
		status, body := send(t, "POST", servers[0].URL+"/users", "", map[string]string{"username": "ann", "email": "ann@example.com", "password": "correct horse"})
		require.Equal(t, http.StatusCreated, status, "%s", body)
		status, body = send(t, "POST", servers[1].URL+"/login", "", map[string]string{"username": "ann", "password": "correct horse"})
		require.Equal(t, http.StatusOK, status, "%s", body)
		token := decodePair(t, body).Token
		status, body = send(t, "POST", servers[2].URL+"/posts", token, map[string]any{"title": "Hello from three servers"})
		require.Equal(t, http.StatusCreated, status, "%s", body)
		id := field(t, body, "node_id") // the UUID, as URLs name it (-envelope=false: id is the number)
		for _, base := range []string{servers[0].URL, servers[1].URL, servers[2].URL, proxy.URL} {
			status, body := send(t, "GET", base+"/posts/"+id, "", nil)
			assert.Equal(t, http.StatusOK, status, "%s: %s", base, body)
			assert.Equal(t, "Hello from three servers", field(t, body, "title"), base)
			status, body = send(t, "GET", base+"/user", token, nil)
			assert.Equal(t, http.StatusOK, status, "%s: %s", base, body)
			assert.Equal(t, "ann", field(t, body, "login"), base)
		}
	})

	t.Run("concurrent sign-ups of one login, in any case: one 201", func(t *testing.T) {
		const attempts = 30
		statuses := make([]int, attempts)
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Go(func() {
				login := []string{"dup", "DUP", "Dup"}[i%3]
				statuses[i], _ = send(t, "POST", servers[i%3].URL+"/users", "", map[string]string{
					"username": login, "email": fmt.Sprintf("dup%d@example.com", i), "password": "correct horse"})
			})
		}
		wg.Wait()
		counts := map[int]int{}
		for _, s := range statuses {
			counts[s]++
		}
		assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusUnprocessableEntity: attempts - 1}, counts)
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM users WHERE lower(login) = 'dup'`).Scan(&n))
		assert.Equal(t, 1, n)
	})

	t.Run("64 concurrent refreshes of one token across the servers: one success, the family revoked", func(t *testing.T) {
		status, body := send(t, "POST", proxy.URL+"/users", "", map[string]string{"username": "ref", "email": "ref@example.com", "password": "correct horse"})
		require.Equal(t, http.StatusCreated, status, "%s", body)
		status, body = send(t, "POST", servers[0].URL+"/login", "", map[string]string{"username": "ref", "password": "correct horse"})
		require.Equal(t, http.StatusOK, status, "%s", body)
		refresh := decodePair(t, body).RefreshToken
		const racers = 64
		statuses := make([]int, racers)
		bodies := make([][]byte, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				statuses[i], bodies[i] = send(t, "PATCH", servers[i%3].URL+"/authorizations/refresh-tokens", refresh, nil)
			})
		}
		wg.Wait()
		var won []byte
		counts := map[int]int{}
		for i, s := range statuses {
			counts[s]++
			if s == http.StatusOK {
				won = bodies[i]
			}
		}
		require.Equal(t, map[int]int{http.StatusOK: 1, http.StatusUnauthorized: racers - 1}, counts)
		next := decodePair(t, won).RefreshToken
		status, _ = send(t, "PATCH", servers[1].URL+"/authorizations/refresh-tokens", next, nil)
		assert.Equal(t, http.StatusUnauthorized, status, "the winner's token is revoked with its family: the old one was presented again")
	})

	// Accounts made directly in the database, with passwords hashed at
	// bcrypt's least cost, so that logging 50 of them in is quick.
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	require.NoError(t, err)
	addUser := func(t *testing.T, login string, posts, bodyBytes int) {
		t.Helper()
		_, err := db.Exec(`INSERT INTO users (id, login, email, password_hash, created_at, updated_at)
			VALUES ($1::text, $1::text, $1::text || '@example.com', $2, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z')`, login, string(hash))
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO posts (id, author_id, title, body, published, published_at, time_zone, created_at, updated_at)
			SELECT $1::text || '-' || g, $1::text, 'Post ' || g, repeat('x', $3::int), TRUE, t, 'UTC', t, t
			FROM generate_series(1, $2::int) g, LATERAL (SELECT '2026-01-01T00:00:00.' || lpad(g::text, 9, '0') || 'Z' AS t) times`,
			login, posts, bodyBytes)
		require.NoError(t, err)
	}
	login := func(t *testing.T, name string) string {
		t.Helper()
		status, body := send(t, "POST", proxy.URL+"/login", "", map[string]string{"username": name, "password": "correct horse"})
		require.Equal(t, http.StatusOK, status, "%s", body)
		return decodePair(t, body).Token
	}
	waitJobs := func(t *testing.T, ids []string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			var done int
			require.NoError(t, db.QueryRow(`SELECT count(*) FROM jobs WHERE id = ANY($1) AND state = 'succeeded'`, ids).Scan(&done))
			if done == len(ids) {
				return
			}
			require.True(t, time.Now().Before(deadline), "%d of %d exports finished within %s", done, len(ids), within)
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("50 exports through the proxy: each runs exactly once", func(t *testing.T) {
		const exports = 50
		var ids []string
		for i := range exports {
			name := fmt.Sprintf("exporter%02d", i)
			addUser(t, name, 20, 1000)
			status, body := send(t, "POST", proxy.URL+"/exports", login(t, name), nil)
			require.Equal(t, http.StatusAccepted, status, "%s", body)
			ids = append(ids, field(t, body, "job_id"))
		}
		waitJobs(t, ids, 60*time.Second)
		var claims, once int
		require.NoError(t, db.QueryRow(`SELECT sum(attempts), count(*) FILTER (WHERE attempts = 1) FROM jobs WHERE id = ANY($1)`, ids).Scan(&claims, &once))
		assert.Equal(t, exports, claims, "one claim a job: attempts counts every claim")
		assert.Equal(t, exports, once)
		var chunks int
		require.NoError(t, db.QueryRow(`SELECT count(DISTINCT job_id) FROM export_chunks WHERE job_id = ANY($1)`, ids).Scan(&chunks))
		assert.Equal(t, exports, chunks, "every export has its document")
	})

	t.Run("a server killed mid-export: another runs the job once its lease has passed", func(t *testing.T) {
		const posts = 1000
		addUser(t, "kate", posts, 40<<10) // about 40 MB of export: some 160 pieces
		token := login(t, "kate")
		status, body := send(t, "POST", proxy.URL+"/exports", token, nil)
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		job := field(t, body, "job_id")

		// Once the first piece is written, hold the pieces' table: the
		// worker stops at its next piece, mid-export, its claim
		// committed. Its connection, waiting on the lock, names its
		// server.
		deadline := time.Now().Add(20 * time.Second)
		for {
			var pieces int
			require.NoError(t, db.QueryRow(`SELECT count(*) FROM export_chunks WHERE job_id = $1`, job).Scan(&pieces))
			if pieces > 0 {
				break
			}
			require.True(t, time.Now().Before(deadline), "no piece of the export was written")
			time.Sleep(time.Millisecond)
		}
		hold, err := db.Begin()
		require.NoError(t, err)
		defer func() { _ = hold.Rollback() }()
		_, err = hold.Exec(`LOCK TABLE export_chunks IN EXCLUSIVE MODE`)
		require.NoError(t, err)
		var state string
		require.NoError(t, hold.QueryRow(`SELECT state FROM jobs WHERE id = $1`, job).Scan(&state))
		require.Equal(t, "running", state, "the export finished before the lock: make it larger")
		var worker string
		for {
			err := db.QueryRow(`SELECT application_name FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'blog-%'`).Scan(&worker)
			if err == nil {
				break
			}
			require.ErrorIs(t, err, sql.ErrNoRows)
			require.True(t, time.Now().Before(deadline), "no server waits on the pieces' table")
			time.Sleep(time.Millisecond)
		}
		var victim int
		_, err = fmt.Sscanf(worker, "blog-%d", &victim)
		require.NoError(t, err)
		servers[victim].kill() // SIGKILL: no release, no last words
		killed := time.Now()
		require.NoError(t, hold.Rollback())

		waitJobs(t, []string{job}, instancesLease+20*time.Second)
		took := time.Since(killed)
		t.Logf("server %d killed mid-export; the job finished on another %s later (lease %s)", victim, took.Round(time.Millisecond), instancesLease)
		// The lease, then at most a second until a worker polls the
		// queue, then the export written again.
		assert.Less(t, took, instancesLease+time.Second+5*time.Second)
		var attempts int
		require.NoError(t, db.QueryRow(`SELECT attempts FROM jobs WHERE id = $1`, job).Scan(&attempts))
		assert.Equal(t, 2, attempts, "claimed by the killed server, then once more")

		// The document is whole: every post once, downloaded through the
		// proxy, which no longer reaches the killed server.
		status, body = send(t, "GET", proxy.URL+"/jobs/"+job+"/result", token, nil)
		require.Equal(t, http.StatusOK, status, "%.300s", body)
		var doc struct {
			Posts []struct {
				ID string `json:"id"`
			} `json:"posts"`
		}
		require.NoError(t, json.Unmarshal(body, &doc))
		assert.Len(t, doc.Posts, posts)
		assert.True(t, strings.HasPrefix(doc.Posts[0].ID, "kate-"))
	})
}
