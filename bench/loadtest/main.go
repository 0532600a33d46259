// Command loadtest measures the example server (examples/blog) over
// loopback with a real HTTP client: requests per second and p50/p99
// latency of GET /posts/{id}, anonymous and with a Bearer token, each
// plain and with a matching If-None-Match (304), beside a bare net/http
// server that serves the same bytes from memory. Run it from the
// repository root with
//
//	go run ./bench/loadtest
//	go run ./bench/loadtest -c 32 -d 5s
//
// It builds the example server into a temporary directory and starts it
// on a free loopback port with a temporary SQLite database,
// -envelope=false and quotas no run can exhaust; signs up a user, logs in
// and creates a post of about 1 KiB; then runs each variant for -d (3 s)
// after a -warmup (0.5 s), with -c (16) goroutines sharing a keep-alive
// client that holds -c connections. The bare server runs in a process of
// its own, as the example server does, so both share the machine the same
// way with the load generator. Everything stops by itself: about 20 s in
// all with the defaults, plus the build. Only 127.0.0.1 is ever contacted.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bareMode is the argument that makes this program the bare server:
// loadtest -serve-bare FILE serves the response FILE holds.
const bareMode = "-serve-bare"

// huge is the example server's quota in requests an hour, for users and
// for anonymous clients alike: no run comes near it.
const huge = "1000000000"

func main() {
	if len(os.Args) == 3 && os.Args[1] == bareMode {
		if err := serveBare(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest: bare server:", err)
			os.Exit(1)
		}
		return
	}
	concurrency := flag.Int("c", 16, "concurrent connections (and goroutines) per variant")
	duration := flag.Duration("d", 3*time.Second, "measured time per variant")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured time before each variant")
	blogDir := flag.String("blog", "", "directory of the example server's package (default: examples/blog of the repository around the working directory)")
	flag.Parse()
	if *concurrency < 1 || *duration <= 0 || *duration > time.Minute || *warmup < 0 || *warmup > 10*time.Second {
		fmt.Fprintln(os.Stderr, "loadtest: -c must be at least 1, -d at most 1m, -warmup at most 10s")
		os.Exit(2)
	}
	if err := run(*blogDir, *concurrency, *duration, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(blogDir string, concurrency int, duration, warmup time.Duration) error {
	if blogDir == "" {
		var err error
		if blogDir, err = findBlog(); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "apikit-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	binary := filepath.Join(tmp, "blog")
	fmt.Fprintf(os.Stderr, "building %s\n", blogDir)
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = blogDir
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the example server: %w", err)
	}

	blog, err := startServer(binary, "-addr", "127.0.0.1:0", "-db", filepath.Join(tmp, "blog.db"), "-envelope=false",
		"-rate-limit", huge, "-rate-limit-anonymous", huge)
	if err != nil {
		return fmt.Errorf("starting the example server: %w", err)
	}
	defer blog.stop()

	client := newClient(concurrency)
	post, err := setUp(client, blog.url)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, blog.logs.String())
	}

	// The bare server answers with the anonymous response's bytes:
	// status line, headers and body.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	responseFile := filepath.Join(tmp, "response")
	if err := os.WriteFile(responseFile, post.anonymous, 0o600); err != nil {
		return err
	}
	bare, err := startServer(self, bareMode, responseFile)
	if err != nil {
		return fmt.Errorf("starting the bare server: %w", err)
	}
	defer bare.stop()

	postURL := blog.url + "/posts/" + post.id
	variants := []variant{
		{name: "blog anonymous", url: postURL, want: http.StatusOK},
		{name: "blog anonymous, If-None-Match", url: postURL, header: http.Header{"If-None-Match": {post.etag}}, want: http.StatusNotModified},
		{name: "blog Bearer", url: postURL, header: http.Header{"Authorization": {"Bearer " + post.token}}, want: http.StatusOK},
		{name: "blog Bearer, If-None-Match", url: postURL, header: http.Header{"Authorization": {"Bearer " + post.token}, "If-None-Match": {post.etag}}, want: http.StatusNotModified},
		{name: "bare net/http, same bytes", url: bare.url + "/posts/" + post.id, want: http.StatusOK},
	}
	fmt.Fprintf(os.Stderr, "measuring %d variants, %v each after %v of warm-up, %d connections\n", len(variants), duration, warmup, concurrency)
	results := make([]result, len(variants))
	for i, v := range variants {
		load(client, v, concurrency, warmup) // opens the connections, grows the heaps
		results[i] = load(client, v, concurrency, duration)
	}

	fmt.Printf("GET /posts/{id} (%d-byte body), %d connections, %v per variant, GOMAXPROCS=%d, %d CPUs\n\n",
		post.bodyBytes, concurrency, duration, runtime.GOMAXPROCS(0), runtime.NumCPU())
	// The last variant is the bare server: every row's throughput as a
	// fraction of its.
	bareRate := results[len(results)-1].perSecond()
	const row = "%-30s %6v %9v %8v %8v %9v %9v %6v\n"
	fmt.Printf(row, "variant", "status", "requests", "req/s", "vs bare", "p50", "p99", "errors")
	for i, v := range variants {
		r := results[i]
		fmt.Printf(row, v.name, v.want, r.requests, fmt.Sprintf("%.0f", r.perSecond()), fmt.Sprintf("%.2f×", r.perSecond()/bareRate),
			round(r.quantile(0.50)), round(r.quantile(0.99)), r.errors)
	}
	var failed []string
	for i, v := range variants {
		if r := results[i]; r.errors > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d errors, first: %v", v.name, r.errors, r.firstError))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "\n"))
	}
	return nil
}

// findBlog walks up from the working directory to the repository root,
// the directory that holds examples/blog.
func findBlog() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, "examples", "blog")
		if _, err := os.Stat(filepath.Join(candidate, "main.go")); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("examples/blog not found above the working directory: run from the repository or pass -blog")
		}
		dir = parent
	}
}

// server is a server process this program started.
type server struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *logTail
}

// startServer starts binary with args and waits for it to log the URL it
// listens on (the example server's "blog: listening" line, or the bare
// server's own).
func startServer(binary string, args ...string) (*server, error) {
	s := &server{cmd: exec.Command(binary, args...), exited: make(chan struct{}), logs: newLogTail()}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	select {
	case s.url = <-s.logs.listening:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("%s exited before listening\n%s", binary, s.logs)
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s did not log its URL within 30s\n%s", binary, s.logs)
	}
}

// stop asks the server to shut down gracefully and kills it if it has
// not within 15 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// logTail drains a server's output (the example server logs a line per
// request, so the pipe must never fill), learns its URL from the first
// line with " url=", and keeps the last lines for error messages.
type logTail struct {
	listening chan string
	mu        sync.Mutex
	partial   []byte
	lines     []string
	found     bool
}

func newLogTail() *logTail { return &logTail{listening: make(chan string, 1)} }

func (l *logTail) Write(p []byte) (int, error) {
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
		if _, rest, ok := strings.Cut(line, " url="); ok && !l.found {
			u, _, _ := strings.Cut(rest, " ")
			l.found = true
			l.listening <- u
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > 20 {
			l.lines = l.lines[len(l.lines)-20:]
		}
	}
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "--- last lines of its log ---\n" + strings.Join(l.lines, "\n")
}

// newClient is a keep-alive client holding up to n connections to each
// server, as many as there are goroutines sending.
func newClient(n int) *http.Client {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        2 * n,
		MaxIdleConnsPerHost: n,
		MaxConnsPerHost:     n,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{Transport: transport, Timeout: 10 * time.Second}
}

// userAgent is every request's User-Agent: the example server refuses
// requests without one, as GitHub does.
const userAgent = "apikit-loadtest/1.0"

// fixture is what the variants request.
type fixture struct {
	id, etag, token string
	bodyBytes       int
	anonymous       []byte // the anonymous GET's whole response, as the wire carries it
}

// setUp signs up a user, logs in, creates a published post of about
// 1 KiB and reads it back anonymously.
func setUp(client *http.Client, base string) (fixture, error) {
	var f fixture
	const password = "correct horse battery staple"
	if _, err := call(client, "POST", base+"/users", "", map[string]any{"username": "loadtest", "email": "loadtest@example.com", "password": password}, http.StatusCreated, nil); err != nil {
		return f, fmt.Errorf("signing up: %w", err)
	}
	var login struct {
		Token string `json:"token"`
	}
	if _, err := call(client, "POST", base+"/login", "", map[string]any{"username": "loadtest", "password": password}, http.StatusOK, &login); err != nil {
		return f, fmt.Errorf("logging in: %w", err)
	}
	if login.Token == "" {
		return f, errors.New("logging in: no token in the answer")
	}
	f.token = login.Token
	var created struct {
		ID string `json:"node_id"` // the UUID, which URLs name (-envelope=false: id is the number)
	}
	// The post's representation repeats the body as body_html, among
	// URLs and dates: about 1 KiB in all.
	body := strings.Repeat("A post to measure the stack, not the database. ", 4)
	if _, err := call(client, "POST", base+"/posts", f.token, map[string]any{"title": "Load test", "body": body, "published": true}, http.StatusCreated, &created); err != nil {
		return f, fmt.Errorf("creating a post: %w", err)
	}
	f.id = created.ID

	req, err := newRequest("GET", base+"/posts/"+f.id, "", nil)
	if err != nil {
		return f, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return f, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return f, err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		return f, fmt.Errorf("GET /posts/%s: %s, ETag %q: %s", f.id, resp.Status, resp.Header.Get("ETag"), got)
	}
	f.etag, f.bodyBytes = resp.Header.Get("ETag"), len(got)
	resp.Body = io.NopCloser(bytes.NewReader(got))
	var wire bytes.Buffer
	if err := resp.Write(&wire); err != nil {
		return f, err
	}
	f.anonymous = wire.Bytes()
	return f, nil
}

func newRequest(method, url, token string, body any) (*http.Request, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/vnd.github.v3+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

// call sends one JSON request and decodes the answer into out, which
// must have status want.
func call(client *http.Client, method, url, token string, body any, want int, out any) (*http.Response, error) {
	req, err := newRequest(method, url, token, body)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %s, want %d: %s", method, url, resp.Status, want, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			return nil, fmt.Errorf("%s %s: %w: %s", method, url, err, got)
		}
	}
	return resp, nil
}

// variant is one kind of request, sent over and over.
type variant struct {
	name   string
	url    string
	header http.Header
	want   int
}

// result is what load measured.
type result struct {
	requests   int
	errors     int
	firstError error
	elapsed    time.Duration
	latencies  []time.Duration // sorted
}

func (r result) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

func round(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(100 * time.Nanosecond).String()
	}
}

// load sends v from n goroutines for d and times every request, reading
// each body to the end so that connections are kept alive. A request that
// fails or answers another status than v.want is an error.
func load(client *http.Client, v variant, n int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	type worker struct {
		latencies  []time.Duration
		errors     int
		firstError error
	}
	workers := make([]worker, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		wg.Go(func() {
			req, err := newRequest("GET", v.url, "", nil)
			if err != nil {
				w.errors, w.firstError = 1, err
				return
			}
			for k, values := range v.header {
				req.Header[k] = values
			}
			for ctx.Err() == nil {
				began := time.Now()
				err := fetch(client, req, v.want)
				if err != nil {
					if ctx.Err() != nil {
						break // the deadline cut the last request short
					}
					w.errors++
					if w.firstError == nil {
						w.firstError = err
					}
					continue
				}
				w.latencies = append(w.latencies, time.Since(began))
			}
		})
	}
	wg.Wait()
	r := result{elapsed: time.Since(start)}
	for _, w := range workers {
		r.latencies = append(r.latencies, w.latencies...)
		r.errors += w.errors
		if r.firstError == nil {
			r.firstError = w.firstError
		}
	}
	r.requests = len(r.latencies)
	slices.Sort(r.latencies)
	return r
}

func fetch(client *http.Client, req *http.Request, want int) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	if closeErr := resp.Body.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	return nil
}

// serveBare is the bare server: it answers every request with the
// status, headers and body of the response in file, from memory, on a
// free loopback port, until interrupted.
func serveBare(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	header := resp.Header.Clone()
	header.Del("Date") // net/http sets its own
	header.Set("Content-Length", strconv.Itoa(len(body)))
	status := resp.StatusCode

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for k, v := range header {
				h[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	fmt.Printf("bare: listening url=http://%s\n", listener.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(listener) }()
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-interrupted:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
