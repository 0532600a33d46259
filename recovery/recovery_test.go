package recovery_test

import (
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/accesslog"
	apierrors "github.com/myblog/apikit/errors"
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
		wantAbort     bool // the connection is cut: the client gets an error or a truncated body
		wantLogged    bool
		wantServerLog string
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
			wantStatus: 503, wantBody: "sorry: Internal Server Error", wantType: "text/plain", wantLogged: true,
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
				al, err := accesslog.New(accesslog.Config{Done: func(*http.Request, accesslog.Entry) {}})
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
	m, err := recovery.New(recovery.Config{OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
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
		_ = http.NewResponseController(w).Flush()
	}()
	assert.Equal(t, "ok /next|", get("/next"))
	<-done
}

func BenchmarkHandler(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) })
	m, err := recovery.New(recovery.Config{})
	require.NoError(b, err)
	al, err := accesslog.New(accesslog.Config{Done: func(*http.Request, accesslog.Entry) {}})
	require.NoError(b, err)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"alone", m.Handler(next)},
		{"behind=accesslog", al.Handler(m.Handler(next))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				tc.h.ServeHTTP(w, r)
			}
		})
	}
}
