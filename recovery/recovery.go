// Package recovery answers a handler's panic with the service's 500
// instead of a dropped connection, and logs the panic with its stack.
//
//	recoverer, err := recovery.New(recovery.Config{Errors: errs, Logger: logger})
//	handler := chain.New(ids.Handler, logs.Handler, recoverer.Handler /* , ... */).Then(mux)
//
// The client gets the errors package's 500 {"message":"Internal Server
// Error"} in the service's one format (through Config.OnError, default
// Errors.WriteError); the panic value and the stack go to the Logger only.
//
// # When the response has started
//
// A status already sent cannot be taken back, and a 500 written after it
// would corrupt the body. Then recovery logs the panic and aborts the
// response with http.ErrAbortHandler: net/http closes the connection
// without logging again, and the client sees a truncated response, never
// a wrong one. recovery learns whether the response started from the
// writer it is given: one with a Written() bool method, directly or
// through Unwrap (package accesslog's is one). When it finds none, it
// wraps the writer itself, at the cost of one small allocation per
// request.
//
// A panic with http.ErrAbortHandler is the handler's own way to abort a
// response: recovery passes it on untouched.
//
// # Where it sits
//
// Third in the stack (go doc github.com/myblog/apikit): inside the
// access log, so that a panic's 500 is logged like any other answer, and
// outside every other middleware, so that a panic anywhere below is
// answered. Middlewares that buffer (conditional, jsonp) drop what the
// handler wrote before panicking, so the 500 is whole.
//
// It does not restart anything, report to an error tracker (wrap the
// Logger's handler for that) or recover panics in goroutines the handler
// started.
package recovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"

	apierrors "github.com/myblog/apikit/errors"
)

// Config configures a Middleware. The zero value answers panics with the
// zero Writer's 500 and logs nothing.
type Config struct {
	// Errors writes the 500. Default: a nil *apierrors.Writer (GitHub's
	// shape without a documentation URL).
	Errors *apierrors.Writer
	// OnError, when set, answers the panic instead of Errors.WriteError;
	// it gets the 500 apierrors.Internal(cause) would write, cause being
	// the panic value as an error.
	OnError apierrors.Hook
	// Logger receives one Error record per panic, "recovery: handler
	// panicked", with the panic value, method, path (never the query)
	// and stack.
	Logger *slog.Logger
}

// Middleware recovers panics. Build one with New; it is safe for
// concurrent use.
type Middleware struct {
	onError apierrors.Hook
	logger  *slog.Logger
}

// New returns the Middleware of cfg. No field of Config can be wrong; the
// error is there for the shape every apikit constructor has.
func New(cfg Config) (*Middleware, error) {
	m := &Middleware{onError: cfg.OnError, logger: cfg.Logger}
	if m.onError == nil {
		m.onError = cfg.Errors.WriteError
	}
	return m, nil
}

// writtenReporter is a writer that knows whether the status was sent.
type writtenReporter interface{ Written() bool }

// Handler recovers the panics of next.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reporter := findReporter(w)
		if reporter == nil {
			tw := &tracker{ResponseWriter: w}
			defer tw.released.Store(true)
			w, reporter = tw, tw
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			m.recovered(w, r, v, reporter.Written())
		}()
		next.ServeHTTP(w, r)
	})
}

func (m *Middleware) recovered(w http.ResponseWriter, r *http.Request, v any, started bool) {
	cause, ok := v.(error)
	if !ok {
		cause = fmt.Errorf("%v", v)
	}
	cause = fmt.Errorf("panic: %w", cause)
	if m.logger != nil {
		m.logger.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "recovery: handler panicked",
			slog.Any("error", cause),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Bool("response_started", started),
			slog.String("stack", string(debug.Stack())),
		)
	}
	if started {
		panic(http.ErrAbortHandler)
	}
	m.onError(w, r, apierrors.Internal(cause))
}

// findReporter finds a writer that knows whether the status was sent,
// through Unwrap.
func findReporter(w http.ResponseWriter) writtenReporter {
	for w != nil {
		if rep, ok := w.(writtenReporter); ok {
			return rep
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

var errReleased = errors.New("recovery: write after the handler returned")

// tracker is recovery's own writer, used only when the writer it is given
// cannot say whether the response started. Made per request, never
// pooled; after the middleware returned, every call is a no-op.
type tracker struct {
	http.ResponseWriter
	written  bool
	released atomic.Bool
}

func (t *tracker) Written() bool { return t.written }

func (t *tracker) Header() http.Header {
	if t.released.Load() {
		return http.Header{}
	}
	return t.ResponseWriter.Header()
}

func (t *tracker) WriteHeader(code int) {
	if t.released.Load() {
		return
	}
	if code >= 200 || code == http.StatusSwitchingProtocols {
		t.written = true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *tracker) Write(b []byte) (int, error) {
	if t.released.Load() {
		return 0, errReleased
	}
	t.written = true
	return t.ResponseWriter.Write(b)
}

// Flush keeps http.Flusher working; a flushed response has started.
func (t *tracker) Flush() {
	if t.released.Load() {
		return
	}
	t.written = true
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController; after
// the middleware returned, a writer that drops everything.
func (t *tracker) Unwrap() http.ResponseWriter {
	if t.released.Load() {
		return discard{}
	}
	return t.ResponseWriter
}

// discard is what a released tracker unwraps to.
type discard struct{}

func (discard) Header() http.Header       { return http.Header{} }
func (discard) Write([]byte) (int, error) { return 0, errReleased }
func (discard) WriteHeader(int)           {}
