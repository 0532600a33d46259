package accesslog_test

import (
	"bufio"
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
	"github.com/myblog/apikit/forwarded"
)

func newLog(t *testing.T, cfg accesslog.Config) (*accesslog.Middleware, *capture) {
	t.Helper()
	c := &capture{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(c)
	}
	if cfg.Now == nil {
		cfg.Now = newClock(1500 * time.Microsecond).Now
	}
	m, err := accesslog.New(cfg)
	require.NoError(t, err)
	return m, c
}

// The record of every request: method, path without the query, status,
// bytes, duration, user agent and client address, in that order.
func TestRecord(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		target  string
		status  int
		bytes   int64
	}{
		{
			name:    "a handler that writes nothing is a 200",
			handler: func(http.ResponseWriter, *http.Request) {},
			target:  "/posts", status: 200, bytes: 0,
		},
		{
			name: "status and body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"id":1}`)
			},
			target: "/posts", status: 201, bytes: 8,
		},
		{
			name: "a Write without WriteHeader is a 200",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "ab")
				_, _ = io.WriteString(w, "cde")
			},
			target: "/posts", status: 200, bytes: 5,
		},
		{
			name: "the first final status counts, not a second WriteHeader",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNotFound)
				w.WriteHeader(http.StatusOK)
			},
			target: "/posts/9", status: 404, bytes: 0,
		},
		{
			name: "RFC 9110 15.2: 103 Early Hints is not the final status",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusNoContent)
			},
			target: "/posts/1", status: 204, bytes: 0,
		},
		{
			name: "RFC 9110 15.2: 100 Continue is not the final status",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusContinue)
				_, _ = io.WriteString(w, "x")
			},
			target: "/posts", status: 200, bytes: 1,
		},
		{
			name: "a flush with no status is a 200",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.(http.Flusher).Flush()
				w.WriteHeader(http.StatusTeapot)
			},
			target: "/posts", status: 200, bytes: 0,
		},
		{
			name:    "the query is never logged: it may hold a client_secret",
			handler: func(http.ResponseWriter, *http.Request) {},
			target:  "/login/oauth/access_token?client_id=a&client_secret=s3cret", status: 200, bytes: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newLog(t, accesslog.Config{})
			r := httptest.NewRequest(http.MethodPost, tt.target, nil)
			r.Header.Set("User-Agent", "Awesome-Octocat-App")
			m.Handler(tt.handler).ServeHTTP(sink{http.Header{}}, r)

			records := c.all()
			require.Len(t, records, 1)
			assert.Equal(t, slog.LevelInfo, records[0].level)
			assert.Equal(t, "request", records[0].message)
			assert.Equal(t, []attr{
				{"method", "POST"},
				{"path", strings.SplitN(tt.target, "?", 2)[0]},
				{"status", int64(tt.status)},
				{"bytes", tt.bytes},
				{"duration", 1500 * time.Microsecond},
				{"user_agent", "Awesome-Octocat-App"},
				{"client_ip", "192.0.2.1"},
			}, records[0].attrs)
			for _, a := range records[0].attrs {
				if s, ok := a.value.(string); ok {
					assert.NotContains(t, s, "?")
					assert.NotContains(t, s, "s3cret")
				}
			}
		})
	}
}

// sink is a ResponseWriter that takes everything, as a connection does
// (httptest.ResponseRecorder takes a 1xx for the final status).
type sink struct{ h http.Header }

func (s sink) Header() http.Header         { return s.h }
func (s sink) Write(b []byte) (int, error) { return len(b), nil }
func (s sink) WriteHeader(int)             {}

// client_ip is the Resolver's: a trusted proxy's X-Forwarded-For is
// believed, anyone else's is not.
func TestClientIP(t *testing.T) {
	proxies, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	tests := []struct {
		name     string
		resolver *forwarded.Resolver
		peer     string
		want     string
	}{
		{"nil Resolver: the direct peer", nil, "10.1.2.3:4567", "10.1.2.3"},
		{"trusted proxy: the forwarded client", proxies, "10.1.2.3:4567", "203.0.113.9"},
		{"untrusted peer: its own address", proxies, "198.51.100.7:4567", "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newLog(t, accesslog.Config{Resolver: tt.resolver})
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			r.Header.Set("X-Forwarded-For", "203.0.113.9")
			m.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), r)
			records := c.all()
			require.Len(t, records, 1)
			assert.Contains(t, records[0].attrs, attr{"client_ip", tt.want})
		})
	}
}

// Attrs' attributes come last; Level sets the record's level; a logger not
// enabled at Level gets nothing, and Attrs is not even called, but Done
// still is.
func TestConfig(t *testing.T) {
	t.Run("Attrs last", func(t *testing.T) {
		m, c := newLog(t, accesslog.Config{Attrs: func(r *http.Request) []slog.Attr {
			return []slog.Attr{slog.String("request_id", "req-1"), slog.String("tenant", "acme")}
		}})
		m.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		records := c.all()
		require.Len(t, records, 1)
		attrs := records[0].attrs
		require.Len(t, attrs, 9)
		assert.Equal(t, []attr{{"request_id", "req-1"}, {"tenant", "acme"}}, attrs[7:])
	})
	t.Run("Level", func(t *testing.T) {
		c := &capture{level: slog.LevelDebug}
		m, _ := newLog(t, accesslog.Config{Logger: slog.New(c), Level: slog.LevelDebug})
		m.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		records := c.all()
		require.Len(t, records, 1)
		assert.Equal(t, slog.LevelDebug, records[0].level)
	})
	t.Run("disabled logger", func(t *testing.T) {
		c := &capture{level: slog.LevelWarn}
		var done []accesslog.Entry
		m, _ := newLog(t, accesslog.Config{
			Logger: slog.New(c),
			Attrs:  func(*http.Request) []slog.Attr { t.Error("Attrs called for a record not logged"); return nil },
			Done:   func(_ *http.Request, e accesslog.Entry) { done = append(done, e) },
		})
		m.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Empty(t, c.all())
		assert.Equal(t, []accesslog.Entry{{Status: 404, Bytes: 19, Elapsed: 1500 * time.Microsecond}}, done)
	})
	t.Run("no Logger: Done alone", func(t *testing.T) {
		var done []accesslog.Entry
		m, err := accesslog.New(accesslog.Config{
			Attrs: func(*http.Request) []slog.Attr { t.Error("Attrs called with no Logger"); return nil },
			Done:  func(_ *http.Request, e accesslog.Entry) { done = append(done, e) },
			Now:   newClock(time.Millisecond).Now,
		})
		require.NoError(t, err)
		m.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Equal(t, []accesslog.Entry{{Status: 404, Bytes: 19, Elapsed: time.Millisecond}}, done)
	})
}

// Done gets what the record says, with the route, once per request.
func TestDone(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.PathValue("id"))
	})
	type call struct {
		method string
		entry  accesslog.Entry
	}
	var calls []call
	m, c := newLog(t, accesslog.Config{Done: func(r *http.Request, e accesslog.Entry) {
		calls = append(calls, call{r.Method, e})
	}})
	h := m.Handler(accesslog.RecordRoute(mux))
	for _, target := range []string{"/posts/12345", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
	}
	assert.Equal(t, []call{
		{"GET", accesslog.Entry{Route: "GET /posts/{id}", Status: 200, Bytes: 5, Elapsed: 1500 * time.Microsecond}},
		{"GET", accesslog.Entry{Status: 404, Bytes: 19, Elapsed: 1500 * time.Microsecond}},
	}, calls)
	records := c.all()
	require.Len(t, records, 2)
	assert.Contains(t, records[0].attrs, attr{"route", "GET /posts/{id}"})
	for _, a := range records[1].attrs {
		assert.NotEqual(t, "route", a.key, "a request no route matched has no route")
	}
}

// withContext stands for the middlewares between the access log and the
// router (authentication, time zone): each hands on a copy of the
// request, so the router's r.Pattern never reaches the access log's.
func withContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(r.Context()))
	})
}

// passWriter stands for a wrapper between the access log and the router
// (JSON-P's, conditional's): it has Unwrap, as every wrapper must.
type passWriter struct{ http.ResponseWriter }

func (p passWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

func wrapWriter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(passWriter{w}, r)
	})
}

// The route the router matched, however the request was copied and the
// writer wrapped on the way.
func TestRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /posts", func(http.ResponseWriter, *http.Request) { panic("boom") })
	tests := []struct {
		name    string
		handler http.Handler
		method  string
		target  string
		want    string
	}{
		{"RecordRoute through copies and wrappers", withContext(wrapWriter(accesslog.RecordRoute(mux))), "GET", "/posts/1", "GET /posts/{id}"},
		{"without RecordRoute, a copied request's pattern is lost", withContext(mux), "GET", "/posts/1", ""},
		{"the router outside the copies: r.Pattern itself", mux, "GET", "/posts/1", "GET /posts/{id}"},
		{"a request refused before the router has no route", refuse, "GET", "/posts/1", ""},
		{"RFC 9110 15.5.6: the router's 405 matched no route", accesslog.RecordRoute(mux), "DELETE", "/posts/1", ""},
		{"the router's 404 matched no route", accesslog.RecordRoute(mux), "GET", "/users", ""},
		{"a handler that panics keeps its route", recoverHere(withContext(accesslog.RecordRoute(mux))), "POST", "/posts", "POST /posts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *accesslog.Entry
			m, _ := newLog(t, accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) { got = &e }})
			m.Handler(tt.handler).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.target, nil))
			require.NotNil(t, got)
			assert.Equal(t, tt.want, got.Route)
		})
		// The same, with the access log mounted on a catch-all of an outer
		// mux: the outer "/" is nobody's route.
		t.Run(tt.name+", mounted on /", func(t *testing.T) {
			var got *accesslog.Entry
			m, _ := newLog(t, accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) { got = &e }})
			outer := http.NewServeMux()
			outer.Handle("/", m.Handler(tt.handler))
			outer.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.target, nil))
			require.NotNil(t, got)
			assert.Equal(t, tt.want, got.Route)
		})
	}
}

// refuse answers before any router, as a middleware's refusal does.
var refuse = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNotAcceptable)
})

// recoverHere answers a panic with a 500, as recovery would.
func recoverHere(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if recover() != nil {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func TestSetRouteOutsideTheAccessLog(t *testing.T) {
	assert.False(t, accesslog.SetRoute(httptest.NewRecorder(), "GET /"))
	assert.False(t, accesslog.SetRoute(passWriter{httptest.NewRecorder()}, "GET /"))
}

// A panic that goes through the access log is logged, aborted, with the
// status written before it (500 when none was), and goes on unchanged.
func TestAborted(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		panic   any
		status  int
		bytes   int64
	}{
		{
			name: "recovery's abort after the response started",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "partial")
				panic(http.ErrAbortHandler)
			},
			panic: http.ErrAbortHandler, status: 200, bytes: 7,
		},
		{
			name:    "a panic nothing recovered inside",
			handler: func(http.ResponseWriter, *http.Request) { panic("boom") },
			panic:   "boom", status: 500, bytes: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *accesslog.Entry
			m, c := newLog(t, accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) { got = &e }})
			assert.PanicsWithValue(t, tt.panic, func() {
				m.Handler(tt.handler).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/export", nil))
			})
			require.NotNil(t, got)
			assert.Equal(t, accesslog.Entry{Status: tt.status, Bytes: tt.bytes, Elapsed: 1500 * time.Microsecond, Aborted: true}, *got)
			records := c.all()
			require.Len(t, records, 1)
			assert.Equal(t, attr{"aborted", true}, records[0].attrs[len(records[0].attrs)-1])
			assert.Contains(t, records[0].attrs, attr{"status", int64(tt.status)})
		})
	}
}

// On a real server: flushes reach the client before the handler returns,
// through http.Flusher and http.ResponseController; deadlines go through
// Unwrap; the record counts what was sent.
func TestFlushAndController(t *testing.T) {
	var got accesslog.Entry
	done := make(chan struct{})
	m, _ := newLog(t, accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) { got = e; close(done) }})
	step := make(chan struct{})
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		assert.NoError(t, rc.SetWriteDeadline(time.Now().Add(time.Minute)))
		_, _ = io.WriteString(w, "one\n")
		w.(http.Flusher).Flush()
		<-step
		_, _ = io.WriteString(w, "two\n")
		assert.NoError(t, rc.Flush())
		<-step
	})))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	line, err := lines.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "one\n", line)
	step <- struct{}{}
	line, err = lines.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "two\n", line)
	step <- struct{}{}
	<-done
	assert.Equal(t, 200, got.Status)
	assert.Equal(t, int64(8), got.Bytes)
}

// A handler can hijack the connection through the recorder, by type
// assertion (as WebSocket libraries do) or with a ResponseController;
// the record says 101.
func TestHijack(t *testing.T) {
	tests := []struct {
		name   string
		hijack func(w http.ResponseWriter) (io.ReadWriteCloser, *bufio.ReadWriter, error)
	}{
		{"http.Hijacker", func(w http.ResponseWriter) (io.ReadWriteCloser, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}},
		{"ResponseController", func(w http.ResponseWriter) (io.ReadWriteCloser, *bufio.ReadWriter, error) {
			return http.NewResponseController(w).Hijack()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := make(chan accesslog.Entry, 1)
			m, _ := newLog(t, accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) { entries <- e }})
			srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := tt.hijack(w)
				if !assert.NoError(t, err) {
					return
				}
				defer conn.Close()
				_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello")
				_ = buf.Flush()
			})))
			t.Cleanup(srv.Close)

			resp, err := http.Get(srv.URL)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			assert.Equal(t, accesslog.Entry{Status: 101, Elapsed: 1500 * time.Microsecond}, <-entries)
		})
	}
}

// A goroutine the handler left behind writes after the middleware
// returned: nothing panics, nothing reaches the response, and the next
// request on the same connection gets its own response intact.
func TestWriteAfterReturn(t *testing.T) {
	var entries []accesslog.Entry
	var mu sync.Mutex
	m, _ := newLog(t, accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) {
		mu.Lock()
		entries = append(entries, e)
		mu.Unlock()
	}})
	leftBehind := make(chan http.ResponseWriter, 1)
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			leftBehind <- w
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "answer to "+r.URL.Path)
	})))
	t.Cleanup(srv.Close)
	client := srv.Client()

	get := func(path string) (string, http.Header) {
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(body), resp.Header
	}
	body, _ := get("/first")
	assert.Equal(t, "answer to /first", body)

	w := <-leftBehind
	late := make(chan struct{})
	go func() {
		defer close(late)
		w.Header().Set("X-Late", "1")
		w.WriteHeader(http.StatusTeapot)
		n, err := w.Write([]byte("late"))
		assert.Zero(t, n)
		assert.Error(t, err)
		w.(http.Flusher).Flush()
		assert.Error(t, http.NewResponseController(w).Flush())
		assert.Error(t, http.NewResponseController(w).SetWriteDeadline(time.Now()))
		_, _, err = w.(http.Hijacker).Hijack()
		assert.Error(t, err)
		assert.False(t, accesslog.SetRoute(w, "GET /late"))
		assert.Empty(t, w.Header())
	}()

	// The second request runs while the late calls may still be going on,
	// on the same connection.
	body, header := get("/second")
	<-late
	assert.Equal(t, "answer to /second", body)
	assert.Empty(t, header.Get("X-Late"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, entries, 2)
	assert.Equal(t, 200, entries[0].Status)
	assert.Equal(t, int64(len("answer to /first")), entries[0].Bytes)
	assert.Equal(t, "", entries[0].Route)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  accesslog.Config
		want string
	}{
		{"the zero Config would do nothing", accesslog.Config{}, "accesslog: neither Logger nor Done is set: the middleware would do nothing"},
		{"Attrs and a Resolver are no output", accesslog.Config{Attrs: func(*http.Request) []slog.Attr { return nil }}, "accesslog: neither Logger nor Done is set: the middleware would do nothing"},
		{"a Logger", accesslog.Config{Logger: slog.New(slog.DiscardHandler)}, ""},
		{"a Done hook", accesslog.Config{Done: func(*http.Request, accesslog.Entry) {}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := accesslog.New(tt.cfg)
			if tt.want == "" {
				require.NoError(t, err)
				assert.NotNil(t, m)
				return
			}
			assert.Nil(t, m)
			require.EqualError(t, err, tt.want)
			var ce *apierrors.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, apierrors.ConfigError{Package: "accesslog", Reason: "neither Logger nor Done is set: the middleware would do nothing"}, *ce)
		})
	}
}
