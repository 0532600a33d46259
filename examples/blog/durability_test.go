package main

// The blog under the conditions it is deployed in: the built binary killed
// in the middle of writes, fifty clients at once on one SQLite file, and
// two processes sharing one Redis. docs/blog-api.md promises that data lives in
// SQLite and survives restarts, and that with -redis the rate limits are
// shared between instances; these tests hold it to that.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/internal/redistest"
	"github.com/myblog/apikit/link"
	"github.com/myblog/apikit/ratelimit"
)

// builtBlogBinary builds the blog once per test process and keeps the
// executable in memory: each test writes its own copy into its temporary
// directory, so nothing outlives the run and no test pays for a second
// build.
var builtBlogBinary = sync.OnceValues(func() ([]byte, error) {
	// go test puts GOROOT/bin first on PATH: this is the toolchain that
	// is testing us.
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("finding the go command: %w", err)
	}
	dir, err := os.MkdirTemp("", "blog-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "blog")
	// The working directory of a test is its package's: examples/blog.
	build := exec.Command(goTool, "build", "-o", out, ".")
	if output, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, output)
	}
	return os.ReadFile(out)
})

// blogBinaryFor returns the path of a blog executable in t's temporary
// directory.
func blogBinaryFor(t *testing.T) string {
	t.Helper()
	binary, err := builtBlogBinary()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "blog")
	require.NoError(t, os.WriteFile(path, binary, 0o755))
	return path
}

// liveBlog is a blog process listening on a loopback port.
type liveBlog struct {
	// URL is "http://127.0.0.1:port", from the server's "blog: listening"
	// log line: the server picks its own free port, so no other process
	// can take it between our choosing and its listening.
	URL     string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error // cmd.Wait's, set before exited closes
	logs    *blogLogTail
}

// startLiveBlog runs binary with args on 127.0.0.1 and a port of its
// choosing, waits until GET /healthz answers 200, and kills the process
// when t ends.
func startLiveBlog(t *testing.T, binary string, args ...string) *liveBlog {
	t.Helper()
	logs := newBlogLogTail()
	cmd := exec.Command(binary, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	// BLOG_* variables of whoever runs the tests must not reconfigure
	// the server under test.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BLOG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	blog := &liveBlog{cmd: cmd, exited: make(chan struct{}), logs: logs}
	go func() {
		blog.waitErr = cmd.Wait()
		close(blog.exited)
	}()
	t.Cleanup(blog.kill)

	select {
	case blog.URL = <-logs.listening:
	case <-blog.exited:
		t.Fatalf("blog %v exited before listening: %v\n%s", args, blog.waitErr, logs)
	case <-time.After(15 * time.Second):
		t.Fatalf("blog %v did not log \"blog: listening\" within 15s\n%s", args, logs)
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(blog.URL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return blog
			}
		}
		select {
		case <-blog.exited:
			t.Fatalf("blog %v exited while starting: %v\n%s", args, blog.waitErr, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s/healthz did not answer 200 within 10s (last error: %v)\n%s", blog.URL, err, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill sends SIGKILL, as a crash or the OOM killer would, and reaps the
// process. Killing one that already exited is harmless.
func (b *liveBlog) kill() {
	_ = b.cmd.Process.Kill()
	<-b.exited
}

// stop sends SIGTERM and requires the graceful exit docs/blog-api.md promises:
// status 0 once in-flight requests finished and the database closed.
func (b *liveBlog) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, b.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-b.exited:
		require.NoError(t, b.waitErr, "exit after SIGTERM\n%s", b.logs)
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatalf("blog did not exit after SIGTERM\n%s", b.logs)
	}
}

// blogLogTail is the stdout and stderr of a blog process: it learns the
// listening URL from the first "blog: listening" line and keeps the last
// lines for failure messages. The server logs a line per request, so the
// pipe must always be drained.
type blogLogTail struct {
	listening chan string

	mu      sync.Mutex
	partial []byte
	lines   []string
	found   bool
}

const blogLogTailLines = 60

func newBlogLogTail() *blogLogTail { return &blogLogTail{listening: make(chan string, 1)} }

func (l *blogLogTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		if !l.found && strings.Contains(line, `msg="blog: listening"`) {
			if _, rest, ok := strings.Cut(line, " url="); ok {
				u, _, _ := strings.Cut(rest, " ")
				l.found = true
				l.listening <- u
			}
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > blogLogTailLines {
			l.lines = l.lines[len(l.lines)-blogLogTailLines:]
		}
	}
}

func (l *blogLogTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "--- last lines of the blog's log ---\n" + strings.Join(l.lines, "\n")
}

// apiReply is a whole response, body read.
type apiReply struct {
	status int
	header http.Header
	body   []byte
}

func (r *apiReply) String() string { return strconv.Itoa(r.status) + " " + string(r.body) }

// sendRequest sends method url with payload as a JSON body (nil: none),
// a bearer token when not empty, and the extra header fields.
func sendRequest(ctx context.Context, client *http.Client, method, url, token string, payload any, extra http.Header) (*apiReply, error) {
	var body io.Reader
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "blog-durability-test")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	maps.Copy(req.Header, extra)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the body: %w", method, url, err)
	}
	return &apiReply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// decodeEnvelopeData decodes the data of a success body in the
// envelope (-envelope=true, the default).
func decodeEnvelopeData[T any](r *apiReply) (T, error) {
	var envelope struct {
		Data *T `json:"data"`
	}
	if err := json.Unmarshal(r.body, &envelope); err != nil {
		var zero T
		return zero, fmt.Errorf("decoding %s: %w", r, err)
	}
	if envelope.Data == nil {
		var zero T
		return zero, fmt.Errorf("no data in %s", r)
	}
	return *envelope.Data, nil
}

// postData is the part of a post's representation these tests read.
type postData struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

const writerPassword = "correct horse battery staple"

// unexpectedReply is an answer a helper did not expect.
type unexpectedReply struct {
	what  string
	reply *apiReply
}

func (e *unexpectedReply) Error() string { return e.what + ": " + e.reply.String() }

// newWriterAccount signs login up and logs it in, returning its token.
func newWriterAccount(ctx context.Context, client *http.Client, base, login string) (string, error) {
	r, err := sendRequest(ctx, client, http.MethodPost, base+"/users", "",
		map[string]string{"username": login, "email": login + "@example.com", "password": writerPassword}, nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusCreated {
		return "", &unexpectedReply{what: "POST /users " + login, reply: r}
	}
	r, err = sendRequest(ctx, client, http.MethodPost, base+"/login", "", map[string]string{"username": login, "password": writerPassword}, nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", &unexpectedReply{what: "POST /login " + login, reply: r}
	}
	pair, err := decodeEnvelopeData[struct {
		Token string `json:"token"`
	}](r)
	if err != nil {
		return "", err
	}
	if pair.Token == "" {
		return "", fmt.Errorf("POST /login %s: no token in %s", login, r)
	}
	return pair.Token, nil
}

// createdPostID reads the id of a 201 to POST /posts, requiring the body
// and the Location header to agree.
func createdPostID(base string, r *apiReply) (string, error) {
	created, err := decodeEnvelopeData[postData](r)
	if err != nil {
		return "", err
	}
	if created.ID == "" {
		return "", fmt.Errorf("no id in %s", r)
	}
	if location := r.header.Get("Location"); location != base+"/posts/"+created.ID {
		return "", fmt.Errorf("Location %q does not name the created post %s", location, created.ID)
	}
	return created.ID, nil
}

// newLoopbackClient is an HTTP client for many concurrent requests to
// one host: enough idle connections that fifty clients do not churn
// through ephemeral ports, no redirects followed.
func newLoopbackClient(t *testing.T) *http.Client {
	transport := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{
		Transport:     transport,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// observedProblems collects what goroutines saw go wrong: they cannot
// stop the test themselves, the test goroutine reports the whole list.
type observedProblems struct {
	mu    sync.Mutex
	list  []string
	count int
}

func (p *observedProblems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	if len(p.list) < 30 {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

func (p *observedProblems) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("%d problems, the first ones:\n%s", p.count, strings.Join(p.list, "\n"))
}

func (p *observedProblems) empty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count == 0
}

// lastPageOf returns the page number of the Link rel="last" of r, or 1
// when the list fits on one page (RFC 8288 links, GitHub's pagination).
func lastPageOf(r *apiReply) (int, error) {
	links := link.ParseHeader(r.header)
	for _, l := range links {
		if !l.HasRel("last") {
			continue
		}
		u, err := url.Parse(l.URL)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(u.Query().Get("page"))
	}
	for _, l := range links {
		if l.HasRel("prev") {
			return 0, fmt.Errorf("a page past the end: Link %q", r.header.Values("Link"))
		}
	}
	return 1, nil
}

// publishedPostCount is the number of published posts GET /posts reports:
// with per_page=1, the number of its last page.
func publishedPostCount(ctx context.Context, client *http.Client, base string) (int, error) {
	r, err := sendRequest(ctx, client, http.MethodGet, base+"/posts?per_page=1", "", nil, nil)
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, fmt.Errorf("GET /posts?per_page=1: %s", r)
	}
	return lastPageOf(r)
}

// walkPublishedPostIDs follows GET /posts page by page, as a client
// would, and returns every id it lists.
func walkPublishedPostIDs(ctx context.Context, client *http.Client, base string) ([]string, error) {
	var ids []string
	for page := 1; page <= 1000; page++ {
		r, err := sendRequest(ctx, client, http.MethodGet, base+"/posts?per_page=100&page="+strconv.Itoa(page), "", nil, nil)
		if err != nil {
			return nil, err
		}
		if r.status != http.StatusOK {
			return nil, fmt.Errorf("GET /posts page %d: %s", page, r)
		}
		posts, err := decodeEnvelopeData[[]postData](r)
		if err != nil {
			return nil, err
		}
		for _, p := range posts {
			ids = append(ids, p.ID)
		}
		next := false
		for _, l := range link.ParseHeader(r.header) {
			next = next || l.HasRel("next")
		}
		if !next {
			return ids, nil
		}
	}
	return nil, fmt.Errorf("GET /posts: more than 1000 pages")
}

// sqliteFileCheck opens the database file read-only, straight through
// SQLite and not through the blog, and returns PRAGMA integrity_check's
// answer ("ok" when sound) and the ids of every post in it.
func sqliteFileCheck(t *testing.T, path string) (string, map[string]bool) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`PRAGMA integrity_check`)
	require.NoError(t, err)
	var answers []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		answers = append(answers, line)
	}
	require.NoError(t, rows.Err())
	rows.Close()

	ids := map[string]bool{}
	rows, err = db.Query(`SELECT id FROM posts`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids[id] = true
	}
	require.NoError(t, rows.Err())
	return strings.Join(answers, "\n"), ids
}

// TestDurabilitySIGKILLKeepsAcknowledgedPosts kills the blog with SIGKILL
// while eight writers create posts, and requires every post that was
// answered 201 to be in the file and served after a restart, and the file
// to pass PRAGMA integrity_check. A killed process leaves the kernel's page
// cache intact, so this proves that a 201 goes out only after the commit
// and that the WAL recovers, not that synchronous=FULL reaches the disk:
// that would take a power cut.
func TestDurabilitySIGKILLKeepsAcknowledgedPosts(t *testing.T) {
	const (
		accounts          = 4  // bcrypt at the binary's cost 10: a few only
		writersPerAccount = 2  // 8 writers
		killAfterAcks     = 60 // below 4 × 80, the secondary creation limit per user a minute
	)
	binary := blogBinaryFor(t)
	dbPath := filepath.Join(t.TempDir(), "blog.db")
	args := []string{"-db", dbPath, "-rate-limit", "1000000", "-rate-limit-anonymous", "1000000"}
	first := startLiveBlog(t, binary, args...)
	client := newLoopbackClient(t)
	ctx := t.Context()

	tokens := make([]string, accounts)
	for i := range tokens {
		token, err := newWriterAccount(ctx, client, first.URL, fmt.Sprintf("writer%d", i))
		require.NoError(t, err)
		tokens[i] = token
	}

	var (
		mu        sync.Mutex
		acked     []string
		enough    = make(chan struct{})
		attempted atomic.Int64
		problems  observedProblems
		writers   sync.WaitGroup
	)
	for w := range accounts * writersPerAccount {
		writers.Go(func() {
			token := tokens[w%accounts]
			for i := 0; ; i++ {
				attempted.Add(1)
				r, err := sendRequest(ctx, client, http.MethodPost, first.URL+"/posts", token,
					map[string]any{"title": fmt.Sprintf("durable %d.%d", w, i), "body": "written before the crash"}, nil)
				if err != nil {
					return // the server is gone: this write was never acknowledged
				}
				if r.status != http.StatusCreated {
					problems.add("writer %d: POST /posts: %s", w, r)
					return
				}
				id, err := createdPostID(first.URL, r)
				if err != nil {
					problems.add("writer %d: %v", w, err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				if len(acked) == killAfterAcks {
					close(enough)
				}
				mu.Unlock()
			}
		})
	}
	writersDone := make(chan struct{})
	go func() { writers.Wait(); close(writersDone) }()

	select {
	case <-enough:
	case <-writersDone:
	case <-time.After(20 * time.Second):
	}
	start := time.Now()
	first.kill() // writers are still sending: some requests die in flight
	<-writersDone
	t.Logf("killed after %d acknowledged of %d attempted posts; writers stopped %v after the kill", len(acked), attempted.Load(), time.Since(start).Round(time.Millisecond))
	require.True(t, problems.empty(), "%s\n%s", &problems, first.logs)
	require.GreaterOrEqual(t, len(acked), killAfterAcks, "the writers stopped before the kill\n%s", first.logs)

	// The file as the crash left it, read by SQLite alone.
	integrity, stored := sqliteFileCheck(t, dbPath)
	assert.Equal(t, "ok", integrity, "PRAGMA integrity_check after SIGKILL")
	for _, id := range acked {
		assert.True(t, stored[id], "post %s was acknowledged with 201 but is not in the file after SIGKILL", id)
	}

	second := startLiveBlog(t, binary, args...)
	for _, id := range acked {
		r, err := sendRequest(ctx, client, http.MethodGet, second.URL+"/posts/"+id, "", nil, nil)
		require.NoError(t, err)
		if assert.Equal(t, http.StatusOK, r.status, "GET /posts/%s after the restart: %s", id, r) {
			got, err := decodeEnvelopeData[postData](r)
			require.NoError(t, err)
			assert.Equal(t, id, got.ID)
		}
	}
	// Posts written but not acknowledged may or may not be there; none
	// may appear that was never sent.
	total, err := publishedPostCount(ctx, client, second.URL)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, total, len(acked), "published posts after the restart")
	assert.LessOrEqual(t, int64(total), attempted.Load(), "published posts after the restart")
	// The JWT secret lives in the database: a token from before the crash
	// still authenticates.
	r, err := sendRequest(ctx, client, http.MethodGet, second.URL+"/user", tokens[0], nil, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, r.status, "GET /user with a token issued before the crash: %s", r)

	second.stop(t)
	integrity, _ = sqliteFileCheck(t, dbPath)
	assert.Equal(t, "ok", integrity, "PRAGMA integrity_check after the restarted server stopped")
}

// lockedLogBuffer collects the in-process server's warnings and errors.
type lockedLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestConcurrentClientsOnOneSQLiteFile runs fifty clients against the
// real handler on a SQLite file for about three seconds: two clients per
// account, each account signed up and logged in concurrently, every
// client creating posts, reading each back and listing /posts. Under
// -race it checks the handler's shared state; in any mode it requires no
// 5xx, no "database is locked" and no lost write.
func TestConcurrentClientsOnOneSQLiteFile(t *testing.T) {
	const (
		// Two clients an account: sign-ups and logins are anonymous POSTs
		// from 127.0.0.1, and the secondary limit allows one caller 80
		// content-creating requests a minute (25 sign-ups + 25 logins).
		accounts          = 25
		clientsPerAccount = 2
		clients           = accounts * clientsPerAccount
		postsPerClient    = 20 // 2 × 20 per account, below the 80 a minute
		concurrentPhase   = 3 * time.Second
	)
	logs := &lockedLogBuffer{}
	cfg := config{
		db:                 filepath.Join(t.TempDir(), "blog.db"),
		envelope:           true,
		rateLimit:          1_000_000,
		rateLimitAnonymous: 1_000_000,
		// The lockout counts a login before checking its password, so 25
		// logins in flight from 127.0.0.1 would trip the default 10.
		loginMaxFailures: 1000,
		bcryptCost:       bcrypt.MinCost,
	}
	app, err := newApp(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	srv := httptest.NewServer(app.handler)
	t.Cleanup(srv.Close)
	client := newLoopbackClient(t)
	ctx := t.Context()

	var (
		mu            sync.Mutex
		acked         []string
		problems      observedProblems
		serverErrors  atomic.Int64
		lockedAnswers atomic.Int64
		requests      atomic.Int64
	)
	// expect sends a request and notes any answer but want.
	expect := func(who, method, path, token string, payload any, header http.Header, want int) (*apiReply, bool) {
		requests.Add(1)
		r, err := sendRequest(ctx, client, method, srv.URL+path, token, payload, header)
		if err != nil {
			problems.add("%s: %s %s: %v", who, method, path, err)
			return nil, false
		}
		if r.status >= 500 {
			serverErrors.Add(1)
		}
		if bytes.Contains(r.body, []byte("database is locked")) {
			lockedAnswers.Add(1)
		}
		if r.status != want || bytes.Contains(r.body, []byte("database is locked")) {
			problems.add("%s: %s %s: want %d, got %s", who, method, path, want, r)
			return r, false
		}
		return r, true
	}
	zones := []string{"Europe/Amsterdam", "America/New_York", "Asia/Tokyo"}
	writePosts := func(who, token string, deadline time.Time) {
		// At least one post each, however slow -race makes sign-up.
		for i := 0; i < postsPerClient && (i == 0 || time.Now().Before(deadline)); i++ {
			title := fmt.Sprintf("%s post %d", who, i)
			// A Time-Zone header that changes every request also makes each
			// create record the user's zone: one more writer on the file,
			// and the handler's zone cache, under -race.
			zone := http.Header{"Time-Zone": {zones[i%len(zones)]}}
			r, ok := expect(who, http.MethodPost, "/posts", token, map[string]any{"title": title, "body": "concurrent"}, zone, http.StatusCreated)
			if !ok {
				return
			}
			id, err := createdPostID(srv.URL, r)
			if err != nil {
				problems.add("%s: %v", who, err)
				return
			}
			mu.Lock()
			acked = append(acked, id)
			mu.Unlock()

			r, ok = expect(who, http.MethodGet, "/posts/"+id, "", nil, nil, http.StatusOK)
			if !ok {
				return
			}
			if got, err := decodeEnvelopeData[postData](r); err != nil || got.ID != id || got.Title != title {
				problems.add("%s: GET /posts/%s read back %+v (%v), want title %q", who, id, got, err, title)
			}
			if i%3 == 0 {
				if _, ok := expect(who, http.MethodGet, "/posts?per_page=30", "", nil, nil, http.StatusOK); !ok {
					return
				}
			}
		}
	}

	start := time.Now()
	deadline := start.Add(concurrentPhase)
	var wg sync.WaitGroup
	for a := range accounts {
		wg.Go(func() {
			login := fmt.Sprintf("account%d", a)
			requests.Add(2)
			token, err := newWriterAccount(ctx, client, srv.URL, login)
			if err != nil {
				problems.add("%s: %v", login, err)
				var unexpected *unexpectedReply
				if errors.As(err, &unexpected) {
					if unexpected.reply.status >= 500 {
						serverErrors.Add(1)
					}
					if bytes.Contains(unexpected.reply.body, []byte("database is locked")) {
						lockedAnswers.Add(1)
					}
				}
				return
			}
			for c := range clientsPerAccount {
				wg.Go(func() { writePosts(fmt.Sprintf("%s.client%d", login, c), token, deadline) })
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d clients: %d requests, %d posts acknowledged in %v", clients, requests.Load(), len(acked), elapsed.Round(time.Millisecond))

	assert.Zero(t, serverErrors.Load(), "5xx answers")
	assert.Zero(t, lockedAnswers.Load(), `answers saying "database is locked"`)
	require.True(t, problems.empty(), "%s\n--- server warnings ---\n%s", &problems, logs)
	require.GreaterOrEqual(t, len(acked), clients)

	// No lost write: the list holds exactly the acknowledged posts...
	listed, err := walkPublishedPostIDs(ctx, client, srv.URL)
	require.NoError(t, err)
	assert.ElementsMatch(t, acked, listed, "GET /posts, walked page by page, against the 201s")
	total, err := publishedPostCount(ctx, client, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, len(acked), total, "published posts by GET /posts?per_page=1's Link rel=last")

	// ...and each one is readable on its own.
	ids := make(chan string)
	var readers sync.WaitGroup
	for range 16 {
		readers.Go(func() {
			for id := range ids {
				expect("reader", http.MethodGet, "/posts/"+id, "", nil, nil, http.StatusOK)
			}
		})
	}
	for _, id := range acked {
		ids <- id
	}
	close(ids)
	readers.Wait()
	assert.True(t, problems.empty(), "%s", &problems)
	assert.Zero(t, serverErrors.Load(), "5xx answers")
}

// TestSharedRedisRateLimitAcrossProcesses runs two blog processes on one
// Redis with -rate-limit-anonymous 50: the anonymous quota of 127.0.0.1
// is one for both, and a 304 gives its request back to that shared quota.
func TestSharedRedisRateLimitAcrossProcesses(t *testing.T) {
	const quota = 50
	redisServer := redistest.Start(t)
	binary := blogBinaryFor(t)
	redisURL := "redis://" + redisServer.Addr + "/0"
	dir := t.TempDir()
	blogs := [2]*liveBlog{}
	for i := range blogs {
		blogs[i] = startLiveBlog(t, binary,
			"-db", filepath.Join(dir, fmt.Sprintf("blog%d.db", i)),
			"-redis", redisURL,
			"-rate-limit-anonymous", strconv.Itoa(quota))
	}
	client := newLoopbackClient(t)
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: redisServer.Addr})
	t.Cleanup(func() { _ = rdb.Close() })

	// A published post on each instance (each has its own database), and
	// its ETag as an anonymous client sees it.
	postURLs, etags := [2]string{}, [2]string{}
	for i, blog := range blogs {
		token, err := newWriterAccount(ctx, client, blog.URL, fmt.Sprintf("author%d", i))
		require.NoError(t, err)
		r, err := sendRequest(ctx, client, http.MethodPost, blog.URL+"/posts", token, map[string]any{"title": "cached", "body": "304s are free"}, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, r.status, "%s", r)
		id, err := createdPostID(blog.URL, r)
		require.NoError(t, err)
		postURLs[i] = blog.URL + "/posts/" + id
		r, err = sendRequest(ctx, client, http.MethodGet, postURLs[i], "", nil, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.status, "%s", r)
		etags[i] = r.header.Get("ETag")
		require.NotEmpty(t, etags[i], "GET /posts/{id} has an ETag")
	}

	t.Run("one anonymous quota for both processes", func(t *testing.T) {
		require.NoError(t, rdb.FlushAll(ctx).Err())
		const goroutines, perGoroutine = 8, 20
		type answer struct {
			instance  int
			status    int
			limit     string
			remaining string
			message   string
		}
		answers := make(chan answer, goroutines*perGoroutine)
		var problems observedProblems
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range perGoroutine {
					instance := (g + i) % 2
					r, err := sendRequest(ctx, client, http.MethodGet, blogs[instance].URL+"/", "", nil, nil)
					if err != nil {
						problems.add("GET / on instance %d: %v", instance, err)
						continue
					}
					var refusal struct {
						Message string `json:"message"`
					}
					if r.status != http.StatusOK {
						_ = json.Unmarshal(r.body, &refusal)
					}
					answers <- answer{instance, r.status, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), refusal.Message}
				}
			})
		}
		wg.Wait()
		close(answers)
		require.True(t, problems.empty(), "%s", &problems)

		statuses := map[int]int{}
		okPerInstance := [2]int{}
		for a := range answers {
			statuses[a.status]++
			assert.Equal(t, strconv.Itoa(quota), a.limit, "X-RateLimit-Limit")
			switch a.status {
			case http.StatusOK:
				okPerInstance[a.instance]++
			case http.StatusForbidden:
				assert.Equal(t, "0", a.remaining, "X-RateLimit-Remaining of a refusal")
				assert.Equal(t, fmt.Sprintf(ratelimit.MsgAnonymousLimited, "127.0.0.1"), a.message)
			}
		}
		t.Logf("200s per instance: %v", okPerInstance)
		assert.Equal(t, map[int]int{http.StatusOK: quota, http.StatusForbidden: goroutines*perGoroutine - quota}, statuses,
			"statuses of %d anonymous requests spread over both instances", goroutines*perGoroutine)
		keys, err := rdb.Keys(ctx, "myblog:*").Result()
		require.NoError(t, err)
		assert.NotEmpty(t, keys, "the quota is kept in Redis under the myblog: prefix")
	})

	t.Run("a 304 does not consume the shared quota", func(t *testing.T) {
		require.NoError(t, rdb.FlushAll(ctx).Err())
		conditional := func(instance int) http.Header { return http.Header{"If-None-Match": {etags[instance]}} }
		requireQuota := func(r *apiReply, err error, wantStatus int, wantUsed int, what string) {
			t.Helper()
			require.NoError(t, err, what)
			require.Equal(t, wantStatus, r.status, "%s: %s", what, r)
			assert.Equal(t, strconv.Itoa(wantUsed), r.header.Get("X-RateLimit-Used"), "%s: X-RateLimit-Used", what)
			assert.Equal(t, strconv.Itoa(quota-wantUsed), r.header.Get("X-RateLimit-Remaining"), "%s: X-RateLimit-Remaining", what)
		}

		r, err := sendRequest(ctx, client, http.MethodGet, blogs[0].URL+"/", "", nil, nil)
		requireQuota(r, err, http.StatusOK, 1, "GET / on instance 0")
		// RFC 9110 §15.4.5: a 304 carries the same header fields a 200
		// would; its X-RateLimit-* already count the request out.
		for i := range 4 {
			instance := i % 2
			r, err := sendRequest(ctx, client, http.MethodGet, postURLs[instance], "", nil, conditional(instance))
			requireQuota(r, err, http.StatusNotModified, 1, fmt.Sprintf("conditional GET %d on instance %d", i, instance))
		}

		// More 304s than the whole quota, concurrently on both: none may
		// be refused.
		const goroutines, perGoroutine = 8, 10
		statuses := make(chan int, goroutines*perGoroutine)
		var problems observedProblems
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range perGoroutine {
					instance := (g + i) % 2
					r, err := sendRequest(ctx, client, http.MethodGet, postURLs[instance], "", nil, conditional(instance))
					if err != nil {
						problems.add("conditional GET on instance %d: %v", instance, err)
						continue
					}
					statuses <- r.status
				}
			})
		}
		wg.Wait()
		close(statuses)
		require.True(t, problems.empty(), "%s", &problems)
		counted := map[int]int{}
		for s := range statuses {
			counted[s]++
		}
		assert.Equal(t, map[int]int{http.StatusNotModified: goroutines * perGoroutine}, counted,
			"%d conditional GETs, more than the quota of %d", goroutines*perGoroutine, quota)

		// A conditional GET that does not match is a 200 and counts.
		r, err = sendRequest(ctx, client, http.MethodGet, postURLs[0], "", nil, http.Header{"If-None-Match": {`"not-the-current-version"`}})
		requireQuota(r, err, http.StatusOK, 2, "non-matching conditional GET on instance 0")
		r, err = sendRequest(ctx, client, http.MethodGet, blogs[1].URL+"/", "", nil, nil)
		requireQuota(r, err, http.StatusOK, 3, "GET / on instance 1")
	})
}
