package accesslog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/accesslog"
	apierrors "github.com/myblog/apikit/errors"
)

// clock advances 3 ms at every reading.
func clock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(3 * time.Millisecond)
		return now
	}
}

// logged is a JSON log and what it recorded.
type logged struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	entries []accesslog.Entry
}

func (l *logged) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logged) records(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		delete(rec, "time")
		out = append(out, rec)
	}
	return out
}

func newLogged(t *testing.T, next http.Handler) (*httptest.Server, *logged) {
	l := &logged{}
	m, err := accesslog.New(accesslog.Config{
		Logger: slog.New(slog.NewJSONHandler(l, nil)),
		Attrs:  func(r *http.Request) []slog.Attr { return []slog.Attr{slog.String("request_id", "r-1")} },
		Done: func(r *http.Request, e accesslog.Entry) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.entries = append(l.entries, e)
		},
		Now: clock(),
	})
	require.NoError(t, err)
	srv := httptest.NewServer(m.Handler(next))
	t.Cleanup(srv.Close)
	return srv, l
}

// withContext copies the request, as auth or timezone do.
func withContext(next http.Handler) http.Handler {
	type key struct{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, 1)))
	})
}

func TestRecord(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") })
	mux.HandleFunc("GET /early", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // RFC 9110 §15.2: interim, not the status
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /nothing", func(http.ResponseWriter, *http.Request) {})

	tests := []struct {
		name   string
		next   http.Handler
		path   string
		status int
		bytes  float64
		route  string
	}{
		{name: "the mux's route, no query in the record", next: mux, path: "/posts/42?client_secret=s3cret", status: 200, bytes: 5, route: "GET /posts/{id}"},
		{name: "an interim 1xx is not the status", next: mux, path: "/early", status: 201, route: "GET /early"},
		{name: "nothing written is a 200", next: mux, path: "/nothing", status: 200, route: "GET /nothing"},
		{name: "no route matched", next: mux, path: "/missing", status: 404, bytes: 19},
		{name: "behind a request copy, SetRoute gives the route", next: withContext(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mux.ServeHTTP(w, r)
			accesslog.SetRoute(w, r.Pattern)
		})), path: "/posts/7", status: 200, bytes: 5, route: "GET /posts/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, l := newLogged(t, tt.next)
			req, err := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			require.NoError(t, err)
			req.Header.Set("User-Agent", "test/1")
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			srv.Close() // the handler has returned: the record is written

			path, _, _ := strings.Cut(tt.path, "?")
			assert.Equal(t, []map[string]any{{
				"level": "INFO", "msg": "request", "method": "GET", "path": path, "route": tt.route,
				"status": float64(tt.status), "bytes": tt.bytes, "duration": float64(3 * time.Millisecond),
				"user_agent": "test/1", "client_ip": "127.0.0.1", "request_id": "r-1",
			}}, l.records(t))
			assert.NotContains(t, l.buf.String(), "s3cret")
			assert.Equal(t, []accesslog.Entry{{Status: tt.status, Bytes: int64(tt.bytes), Elapsed: 3 * time.Millisecond, Route: tt.route}}, l.entries)
		})
	}
}

// Flush and http.ResponseController reach the connection through the
// recorder.
func TestFlushThroughRecorder(t *testing.T) {
	srv, _ := newLogged(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "part")
		require.NoError(t, http.NewResponseController(w).Flush())
		require.NoError(t, http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)))
	}))
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "part", string(body))
	assert.Empty(t, resp.Header.Get("Content-Length"), "flushed: chunked")
}

// A goroutine the handler left behind writes after the middleware
// returned: nothing panics and nothing reaches the next response.
func TestLateWriteIsDropped(t *testing.T) {
	late := make(chan http.ResponseWriter, 1)
	srv, _ := newLogged(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/leak" {
			late <- w
		}
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	}))
	get := func(path string) string {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body) + "|" + resp.Header.Get("X-Late")
	}
	assert.Equal(t, "ok /leak|", get("/leak"))
	w := <-late
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Header().Set("X-Late", "yes")
		w.WriteHeader(http.StatusTeapot)
		n, err := w.Write([]byte("late"))
		assert.Zero(t, n)
		assert.Error(t, err)
		accesslog.SetRoute(w, "late")
		_ = http.NewResponseController(w).Flush()
	}()
	assert.Equal(t, "ok /next|", get("/next"))
	<-done
}

func TestNewRefusesAConfigThatDoesNothing(t *testing.T) {
	_, err := accesslog.New(accesslog.Config{})
	var ce *apierrors.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "accesslog: neither Logger nor Done is set: the middleware would do nothing", err.Error())
}

func BenchmarkHandler(b *testing.B) {
	for _, tc := range []struct {
		name   string
		logger *slog.Logger
	}{
		{"logger=discard", slog.New(slog.DiscardHandler)},
		{"logger=json", slog.New(slog.NewJSONHandler(io.Discard, nil))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := accesslog.New(accesslog.Config{Logger: tc.logger, Done: func(*http.Request, accesslog.Entry) {}})
			require.NoError(b, err)
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) }))
			r := httptest.NewRequest(http.MethodGet, "/posts", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}
