package accesslog

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/configerr"
)

// Entry is what the access log knows of an answered request.
type Entry struct {
	// Status is the final status sent; 200 when the handler wrote nothing.
	Status int
	// Bytes is the size of the body written.
	Bytes int64
	// Elapsed is the time from the request's arrival at the access log
	// to its handler's return.
	Elapsed time.Duration
	// Route is the router's pattern ("GET /posts/{id}"), as SetRoute
	// recorded it; empty when no route matched or none was recorded.
	Route string
}

// Config configures a Middleware. The zero value logs nothing and calls
// no hook: give it a Logger, a Done hook or both.
type Config struct {
	// Logger receives one record per request, message "request".
	Logger *slog.Logger
	// Level is the records' level. Default slog.LevelInfo.
	Level slog.Level
	// Resolver finds the client address of the "client_ip" attribute.
	// Nil: the direct peer (RemoteAddr).
	Resolver *forwarded.Resolver
	// Attrs adds attributes to the record: a request id, a user. Called
	// only when the record is to be written.
	Attrs func(r *http.Request) []slog.Attr
	// Done, when set, is called once per request after the handler
	// returned, on the request's goroutine: the hook of metrics (latency
	// by route and status).
	Done func(r *http.Request, e Entry)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Middleware logs requests. Build one with New; it is safe for concurrent
// use.
type Middleware struct {
	logger   *slog.Logger
	level    slog.Level
	resolver *forwarded.Resolver
	attrs    func(*http.Request) []slog.Attr
	done     func(*http.Request, Entry)
	now      func() time.Time
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("accesslog")
	if cfg.Logger == nil && cfg.Done == nil {
		problems.Add("", "neither Logger nor Done is set: the middleware would do nothing")
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	m := &Middleware{logger: cfg.Logger, level: cfg.Level, resolver: cfg.Resolver, attrs: cfg.Attrs, done: cfg.Done, now: cfg.Now}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Handler logs each request next answers.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	mux, _ := next.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := m.now()
		rec := &recorder{ResponseWriter: w}
		defer m.finish(rec, r, start)
		next.ServeHTTP(rec, r)
		if mux != nil && rec.route == "" {
			rec.route = r.Pattern
		}
	})
}

// finish runs after the handler, even when it panicked, so that a
// request that reached recovery's 500 is logged.
func (m *Middleware) finish(rec *recorder, r *http.Request, start time.Time) {
	rec.released.Store(true)
	e := Entry{Status: rec.status, Bytes: rec.bytes, Elapsed: m.now().Sub(start), Route: rec.route}
	if e.Status == 0 {
		e.Status = http.StatusOK
	}
	if m.done != nil {
		m.done(r, e)
	}
	if m.logger == nil || !m.logger.Enabled(r.Context(), m.level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", e.Route),
		slog.Int("status", e.Status),
		slog.Int64("bytes", e.Bytes),
		slog.Duration("duration", e.Elapsed),
		slog.String("user_agent", r.UserAgent()),
		slog.String("client_ip", m.resolver.ClientIP(r)),
	)
	if m.attrs != nil {
		attrs = append(attrs, m.attrs(r)...)
	}
	m.logger.LogAttrs(context.WithoutCancel(r.Context()), m.level, "request", attrs...)
}

// SetRoute records route as the route of the request whose response w
// is, for the access log and the Done hook. w is the writer a handler or
// middleware inside the access log was given; SetRoute finds the access
// log's own through Unwrap. It does nothing when there is none.
func SetRoute(w http.ResponseWriter, route string) {
	for w != nil {
		if rec, ok := w.(*recorder); ok {
			if !rec.released.Load() {
				rec.route = route
			}
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// errReleased is what a write after the middleware returned gets.
var errReleased = errors.New("accesslog: write after the handler returned")

// recorder notes the status and size of a response. It is made per
// request, never pooled: a goroutine a handler left behind may still hold
// it, and must never reach another request's response. Once the
// middleware has returned, every call is a no-op.
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	route    string
	released atomic.Bool
}

// Written reports whether the status line has been sent; package
// recovery reads it to tell whether a 500 can still be written.
func (rec *recorder) Written() bool { return rec.status != 0 }

func (rec *recorder) Header() http.Header {
	if rec.released.Load() {
		return http.Header{}
	}
	return rec.ResponseWriter.Header()
}

func (rec *recorder) WriteHeader(code int) {
	if rec.released.Load() {
		return
	}
	// RFC 9110 §15.2: 1xx are interim; the final status comes after.
	if rec.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.released.Load() {
		return 0, errReleased
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Flush keeps http.Flusher working through the recorder.
func (rec *recorder) Flush() {
	if rec.released.Load() {
		return
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	_ = http.NewResponseController(rec.ResponseWriter).Flush()
}

// Hijack keeps http.Hijacker working (WebSockets): the status is then
// 101 by convention.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if rec.released.Load() {
		return nil, nil, errReleased
	}
	conn, rw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil && rec.status == 0 {
		rec.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController; after
// the middleware returned, a writer that drops everything.
func (rec *recorder) Unwrap() http.ResponseWriter {
	if rec.released.Load() {
		return discard{}
	}
	return rec.ResponseWriter
}

// discard is what a released recorder unwraps to.
type discard struct{}

func (discard) Header() http.Header       { return http.Header{} }
func (discard) Write([]byte) (int, error) { return 0, errReleased }
func (discard) WriteHeader(int)           {}
