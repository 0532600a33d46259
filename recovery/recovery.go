package recovery

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
)

// Panicked is the decision recovery reports to Config.Observer for every
// panic it recovers, with Detail "answered" when it wrote the 500 and
// "aborted" when the response had started and the connection was cut.
const Panicked observe.Decision = "panicked"

// Config configures a Middleware. The zero value answers a panic with the
// zero apierrors.Writer's 500 and logs it to slog.Default().
type Config struct {
	// Errors writes the 500 when OnError is nil. Default: a nil Writer,
	// GitHub's shape.
	Errors *apierrors.Writer
	// OnError, when set, answers a recovered panic instead of
	// Errors.WriteError. It gets apierrors.Internal(cause), whose Err is
	// the *PanicError, before anything was written.
	OnError apierrors.Hook
	// Logger receives one Error record per recovered panic, with its
	// stack. Default: slog.Default(), as it is when the panic happens: a
	// panic is never swallowed silently.
	Logger *slog.Logger
	// Attrs, when set, returns attributes to add to a panic's record: the
	// request id (requestid.FromContext), so the panic can be matched
	// with its access-log record. It is called only when a panic is
	// logged.
	Attrs func(r *http.Request) []slog.Attr
	// Observer, when set, sees each recovered panic as Panicked, Detail
	// "answered" or "aborted", Err the *PanicError.
	Observer observe.Observer
}

// PanicError is the cause of the 500 recovery answers a panic with, the
// Err of the *apierrors.Error an OnError hook gets.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the panicking goroutine's stack (runtime/debug.Stack).
	Stack []byte
}

// Error returns "panic: " and the value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the value when it is an error, so errors.Is and
// errors.As see through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Middleware recovers panics. Build one with New; it is safe for
// concurrent use.
type Middleware struct {
	onError  apierrors.Hook
	logger   *slog.Logger // nil: slog.Default() at panic time
	attrs    func(*http.Request) []slog.Attr
	observer observe.Observer
}

// New returns the Middleware of cfg. Every field is optional and every
// value valid, so the error is always nil today; it is there for the
// fields to come, as every apikit constructor has one.
func New(cfg Config) (*Middleware, error) {
	m := &Middleware{
		onError:  cfg.OnError,
		logger:   cfg.Logger,
		attrs:    cfg.Attrs,
		observer: cfg.Observer,
	}
	if m.onError == nil {
		m.onError = cfg.Errors.WriteError
	}
	return m, nil
}

// statusWriter is a ResponseWriter that tells whether its response has
// started: Status is the final status written so far, 0 before (a Write
// or a Flush without one counts as 200). The access log's writer is one.
type statusWriter interface {
	http.ResponseWriter
	Status() int
}

// Handler is the middleware. A panic in next is logged with its stack
// and answered with the errors package's 500, unless the response had
// already started: then the connection is aborted (http.ErrAbortHandler)
// so the client sees a truncated response, never a 500 spliced into a
// 200. http.ErrAbortHandler itself goes on untouched.
//
// To know whether the response started it needs a ResponseWriter that
// tells: when w has a Status() int method (the access log's writer has),
// it is used as it is and a request costs nothing; otherwise next gets a
// wrapper of its own (one allocation), which keeps http.Flusher,
// http.Hijacker and http.ResponseController working and reaches no
// response once Handler returned.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw, ok := w.(statusWriter); ok {
			defer m.recover(sw, r)
			next.ServeHTTP(w, r)
			return
		}
		tw := &writer{w: w}
		defer tw.release() // after recover: the 500 goes through tw
		defer m.recover(tw, r)
		next.ServeHTTP(tw, r)
	})
}

// recover is deferred by Handler; recover() works only in the deferred
// function itself.
func (m *Middleware) recover(w statusWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		// net/http's own way to abort a response: it logs nothing for it,
		// and neither does recovery.
		panic(v)
	}
	cause := &PanicError{Value: v, Stack: debug.Stack()}
	started := w.Status() != 0
	m.log(r, cause, started)
	if m.observer != nil {
		detail := "answered"
		if started {
			detail = "aborted"
		}
		m.observer.Observe(observe.Event{Middleware: "recovery", Decision: Panicked, Detail: detail, Request: r, Err: cause})
	}
	if started {
		// The status line and maybe part of the body are out: a 500
		// written now would be appended to them. Aborting makes net/http
		// cut the connection (HTTP/1) or reset the stream (HTTP/2), so the
		// client sees the response is incomplete.
		panic(http.ErrAbortHandler)
	}
	m.onError(w, r, apierrors.Internal(cause))
}

func (m *Middleware) log(r *http.Request, cause *PanicError, started bool) {
	logger := m.logger
	if logger == nil {
		logger = slog.Default()
	}
	attrs := []slog.Attr{
		slog.Any("error", cause),
		slog.String("method", r.Method),
		// The path only: a query string may carry a client_secret or a
		// token.
		slog.String("path", r.URL.Path),
		slog.Bool("aborted", started),
		slog.String("stack", string(cause.Stack)),
	}
	if m.attrs != nil {
		attrs = append(attrs, m.attrs(r)...)
	}
	logger.LogAttrs(r.Context(), slog.LevelError, "recovery: handler panicked", attrs...)
}
