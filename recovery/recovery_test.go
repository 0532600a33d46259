package recovery_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/accesslog"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/recovery"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPanics(t *testing.T) {
	panicky := func(before func(w http.ResponseWriter)) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if before != nil {
				before(w)
			}
			panic("boom")
		})
	}
	tests := []struct {
		name string
		// withAccessLog puts accesslog outside recovery, as in the stack.
		withAccessLog bool
		next          http.Handler
		onError       apierrors.Hook
		wantStatus    int
		wantBody      string
		wantType      string
		wantBefore    string // X-Before, set by the handler before it panicked
		wantAbort     bool   // the connection is cut: the client gets an error or a truncated body
		wantLogged    bool
	}{
		{
			name: "a panic before any write is the 500 of the errors package", next: panicky(nil),
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`, wantType: "application/json; charset=utf-8", wantLogged: true,
		},
		{
			name: "behind the access log, whose writer says the response has not started", withAccessLog: true, next: panicky(nil),
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`, wantType: "application/json; charset=utf-8", wantLogged: true,
		},
		{
			name: "a custom hook answers whole", next: panicky(func(w http.ResponseWriter) { w.Header().Set("X-Before", "kept") }),
			onError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "sorry: "+e.Message)
			},
			wantStatus: 503, wantBody: "sorry: Internal Server Error", wantType: "text/plain", wantBefore: "kept", wantLogged: true,
		},
		{
			name: "after the status went out, the response is cut, not corrupted", next: panicky(func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"partial":`)
				_ = http.NewResponseController(w).Flush()
			}),
			wantAbort: true, wantLogged: true,
		},
		{
			name: "the same behind the access log", withAccessLog: true, next: panicky(func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"partial":`)
				_ = http.NewResponseController(w).Flush()
			}),
			wantAbort: true, wantLogged: true,
		},
		{
			name: "http.ErrAbortHandler is passed on untouched", next: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }),
			wantAbort: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &syncBuffer{}
			m, err := recovery.New(recovery.Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), OnError: tt.onError})
			require.NoError(t, err)
			h := m.Handler(tt.next)
			if tt.withAccessLog {
				al, err := accesslog.New(accesslog.Config{Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				h = al.Handler(h)
			}
			serverLog := &syncBuffer{}
			srv := httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(serverLog, "", 0)
			srv.Start()
			defer srv.Close()

			resp, err := srv.Client().Get(srv.URL + "/posts?token=secret")
			if tt.wantAbort {
				if err == nil {
					_, readErr := io.ReadAll(resp.Body)
					resp.Body.Close()
					assert.Error(t, readErr, "the body is cut short")
				}
			} else {
				require.NoError(t, err)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, tt.wantStatus, resp.StatusCode)
				assert.Equal(t, tt.wantBody, string(body))
				assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
				assert.Equal(t, tt.wantBefore, resp.Header.Get("X-Before"))
			}
			srv.Close()
			if tt.wantLogged {
				assert.Contains(t, logs.String(), `level=ERROR msg="recovery: handler panicked" error="panic: boom" method=GET path=/posts`)
				assert.Contains(t, logs.String(), "stack=", "the stack is logged")
				assert.NotContains(t, logs.String(), "secret", "never the query")
			} else {
				assert.Empty(t, logs.String())
			}
			assert.NotContains(t, serverLog.String(), "superfluous", "no second status into a started response")
			assert.NotContains(t, serverLog.String(), "panic serving", "net/http never sees the panic but as ErrAbortHandler")
		})
	}
}

// A panic value that is an error keeps its chain for the hook.
func TestPanicWithAnError(t *testing.T) {
	sentinel := errors.New("db gone")
	var got *apierrors.Error
	m, err := recovery.New(recovery.Config{Logger: slog.New(slog.DiscardHandler), OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		got = e
		w.WriteHeader(e.Status)
	}})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(sentinel) })).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	require.NotNil(t, got)
	assert.Equal(t, 500, w.Code)
	assert.ErrorIs(t, got, sentinel)
}

// recovery's own writer, made when the writer it is given cannot say
// whether the response started, drops writes after the middleware
// returned, and the next response is intact.
func TestLateWriteIsDropped(t *testing.T) {
	m, err := recovery.New(recovery.Config{})
	require.NoError(t, err)
	late := make(chan http.ResponseWriter, 1)
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/leak" {
			late <- w
		}
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	})))
	defer srv.Close()
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
		_, err := w.Write([]byte("late"))
		assert.Error(t, err)
		assert.Error(t, http.NewResponseController(w).Flush())
		assert.Error(t, http.NewResponseController(w).SetWriteDeadline(time.Now()))
		_, _, err = w.(http.Hijacker).Hijack()
		assert.Error(t, err)
		assert.Empty(t, w.Header(), "a detached header map")
	}()
	assert.Equal(t, "ok /next|", get("/next"))
	<-done
}

// capture is a slog.Handler that keeps every record's level, message and
// attributes, in order.
type capture struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { panic("not used") }
func (c *capture) WithGroup(string) slog.Handler      { panic("not used") }

// attrs returns the record's attributes as key and value, the stack
// checked and replaced by "<stack>".
func attrs(t *testing.T, r slog.Record) [][2]any {
	t.Helper()
	var out [][2]any
	r.Attrs(func(a slog.Attr) bool {
		v := a.Value.Resolve().Any()
		if a.Key == "stack" {
			s, _ := v.(string)
			assert.Contains(t, s, "goroutine ", "a stack trace")
			assert.Contains(t, s, "recovery_test.", "the stack reaches the panicking handler")
			v = "<stack>"
		}
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		out = append(out, [2]any{a.Key, v})
		return true
	})
	return out
}

// The panic's record: Error level, the message, the error, method, path
// without the query, whether the response was aborted, the stack, then
// Attrs'.
func TestLogRecord(t *testing.T) {
	tests := []struct {
		name    string
		before  func(w http.ResponseWriter)
		aborted bool
	}{
		{"answered", nil, false},
		{"aborted", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "partial") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{}
			m, err := recovery.New(recovery.Config{
				Logger: slog.New(c),
				Attrs:  func(*http.Request) []slog.Attr { return []slog.Attr{slog.String("request_id", "req-1")} },
			})
			require.NoError(t, err)
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.before != nil {
					tt.before(w)
				}
				panic("boom")
			}))
			serve := func() {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/posts?client_secret=s3cret", nil))
			}
			if tt.aborted {
				assert.PanicsWithValue(t, http.ErrAbortHandler, serve)
			} else {
				assert.NotPanics(t, serve)
			}
			require.Len(t, c.records, 1)
			r := c.records[0]
			assert.Equal(t, slog.LevelError, r.Level)
			assert.Equal(t, "recovery: handler panicked", r.Message)
			assert.Equal(t, [][2]any{
				{"error", "panic: boom"},
				{"method", "POST"},
				{"path", "/posts"},
				{"aborted", tt.aborted},
				{"stack", "<stack>"},
				{"request_id", "req-1"},
			}, attrs(t, r))
		})
	}
}

// A nil Logger is slog.Default() when the panic happens: a panic is never
// swallowed.
func TestDefaultLogger(t *testing.T) {
	c := &capture{}
	previous := slog.Default()
	slog.SetDefault(slog.New(c))
	t.Cleanup(func() { slog.SetDefault(previous) })
	m, err := recovery.New(recovery.Config{})
	require.NoError(t, err)
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	require.Len(t, c.records, 1)
	assert.Equal(t, "recovery: handler panicked", c.records[0].Message)
}

// recording is an Observer that keeps every event.
type recording struct {
	mu     sync.Mutex
	events []observe.Event
}

func (o *recording) Observe(ev observe.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev)
}

// The Observer sees each recovered panic, answered or aborted, and
// nothing for a request that did not panic or for http.ErrAbortHandler.
func TestObserver(t *testing.T) {
	o := &recording{}
	m, err := recovery.New(recovery.Config{Observer: o, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/partial":
			_, _ = io.WriteString(w, "partial")
			panic("boom")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
	}))
	for _, path := range []string{"/ok", "/panic", "/partial", "/abort", "/panic"} {
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		}()
	}
	var got [][3]string
	for _, ev := range o.events {
		var pe *recovery.PanicError
		assert.ErrorAs(t, ev.Err, &pe)
		got = append(got, [3]string{ev.Middleware + " " + string(ev.Decision), ev.Detail, ev.Request.URL.Path})
	}
	assert.Equal(t, [][3]string{
		{"recovery panicked", "answered", "/panic"},
		{"recovery panicked", "aborted", "/partial"},
		{"recovery panicked", "answered", "/panic"},
	}, got)
}

// statusLog is a ResponseWriter that keeps every status written, as a
// connection sends them (httptest.ResponseRecorder takes a 1xx for the
// final status).
type statusLog struct {
	header http.Header
	codes  []int
	body   bytes.Buffer
}

func (s *statusLog) Header() http.Header { return s.header }
func (s *statusLog) WriteHeader(code int) {
	s.codes = append(s.codes, code)
}
func (s *statusLog) Write(b []byte) (int, error) {
	if len(s.codes) == 0 || s.codes[len(s.codes)-1] < 200 {
		s.codes = append(s.codes, http.StatusOK)
	}
	return s.body.Write(b)
}
func (s *statusLog) Flush() {
	if len(s.codes) == 0 {
		s.codes = append(s.codes, http.StatusOK)
	}
}

// What counts as a started response, through recovery's own writer and
// through the access log's: a 500 is written only into a response that
// has not started.
func TestStarted(t *testing.T) {
	tests := []struct {
		name      string
		before    func(w http.ResponseWriter)
		wantCodes []int // nil: aborted
	}{
		{"nothing written", func(http.ResponseWriter) {}, []int{500}},
		{"headers set but not written", func(w http.ResponseWriter) { w.Header().Set("X-Partial", "1") }, []int{500}},
		{"RFC 9110 15.2: after 103 Early Hints a final status can follow", func(w http.ResponseWriter) { w.WriteHeader(http.StatusEarlyHints) }, []int{103, 500}},
		{"a status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }, nil},
		{"an empty Write sends the header", func(w http.ResponseWriter) { _, _ = w.Write(nil) }, nil},
		{"a Flush sends the header", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, nil},
		{"a ResponseController Flush sends the header", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }, nil},
	}
	for _, tt := range tests {
		for _, behind := range []bool{false, true} {
			name := tt.name
			if behind {
				name += ", behind the access log"
			}
			t.Run(name, func(t *testing.T) {
				m, err := recovery.New(recovery.Config{Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					tt.before(w)
					panic("boom")
				}))
				if behind {
					al, err := accesslog.New(accesslog.Config{Logger: slog.New(slog.DiscardHandler)})
					require.NoError(t, err)
					h = al.Handler(h)
				}
				w := &statusLog{header: http.Header{}}
				serve := func() { h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil)) }
				if tt.wantCodes == nil {
					codes := slices.Clone(w.codes)
					assert.PanicsWithValue(t, http.ErrAbortHandler, serve)
					assert.NotContains(t, w.codes[len(codes):], 500, "no 500 into a started response")
					assert.NotContains(t, w.body.String(), "Internal Server Error")
					return
				}
				assert.NotPanics(t, serve)
				assert.Equal(t, tt.wantCodes, w.codes)
				assert.JSONEq(t, `{"message":"Internal Server Error"}`, w.body.String())
			})
		}
	}
}

// A handler that hijacked the connection and panicked: no 500 can be
// written into a raw connection, so the panic is logged and aborted.
func TestHijackThenPanic(t *testing.T) {
	c := &capture{}
	m, err := recovery.New(recovery.Config{Logger: slog.New(c)})
	require.NoError(t, err)
	handled := make(chan struct{})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		require.NoError(t, err)
		_, _ = buf.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
		_ = buf.Flush()
		_ = conn.Close()
		panic("boom")
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handled) // runs as the abort goes by
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	<-handled
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.records, 1)
	assert.Contains(t, attrs(t, c.records[0]), [2]any{"aborted", true})
}

// A writer that says whether its response started (the access log's) is
// used as it is: the handler gets it, and recovery costs no allocation.
func TestStatusWriterIsUsedAsItIs(t *testing.T) {
	m, err := recovery.New(recovery.Config{})
	require.NoError(t, err)
	al, err := accesslog.New(accesslog.Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)

	var outer, inner http.ResponseWriter
	h := al.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer = w
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { inner = w })).ServeHTTP(w, r)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Same(t, outer, inner)

	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) })
	w := &statusLog{header: http.Header{}}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	logged := al.Handler(next)
	both := al.Handler(m.Handler(next))
	alone := m.Handler(next)
	serve := func(h http.Handler) func() {
		return func() {
			w.codes = w.codes[:0]
			w.body.Reset()
			h.ServeHTTP(w, r)
		}
	}
	bare := testing.AllocsPerRun(100, serve(next))
	assert.Equal(t, bare+1, testing.AllocsPerRun(100, serve(logged)), "the access log's writer")
	assert.Equal(t, bare+1, testing.AllocsPerRun(100, serve(both)), "recovery inside the access log adds no allocation")
	assert.Equal(t, bare+1, testing.AllocsPerRun(100, serve(alone)), "alone, recovery's own writer")
}

func TestPanicError(t *testing.T) {
	sentinel := errors.New("db gone")
	tests := []struct {
		name   string
		value  any
		text   string
		unwrap error
	}{
		{"a string", "boom", "panic: boom", nil},
		{"an error", sentinel, "panic: db gone", sentinel},
		{"a number", 42, "panic: 42", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &recovery.PanicError{Value: tt.value}
			assert.Equal(t, tt.text, e.Error())
			assert.Equal(t, tt.unwrap, e.Unwrap())
		})
	}
}

// panic(nil) is a *runtime.PanicNilError since Go 1.21: recovered as any
// other panic.
func TestPanicNil(t *testing.T) {
	var got *apierrors.Error
	m, err := recovery.New(recovery.Config{Logger: slog.New(slog.DiscardHandler), OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		got = e
		w.WriteHeader(e.Status)
	}})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(nil) })).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, 500, w.Code)
	require.NotNil(t, got)
	var pnil *runtime.PanicNilError
	assert.ErrorAs(t, got, &pnil)
}

// Recovery outside the access log works too: the client gets the 500,
// and the access log, which the panic went through before recovery
// answered, records the request as aborted, status 500.
func TestOutsideTheAccessLog(t *testing.T) {
	var got []accesslog.Entry
	al, err := accesslog.New(accesslog.Config{Logger: slog.New(slog.DiscardHandler), Done: func(_ *http.Request, e accesslog.Entry) {
		got = append(got, e)
	}})
	require.NoError(t, err)
	m, err := recovery.New(recovery.Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	h := m.Handler(al.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/posts", nil))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.JSONEq(t, `{"message":"Internal Server Error"}`, w.Body.String())
	require.Len(t, got, 1)
	assert.Equal(t, http.StatusInternalServerError, got[0].Status)
	assert.True(t, got[0].Aborted)
}
