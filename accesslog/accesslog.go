package accesslog

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/configerr"
)

// Config configures a Middleware. It needs a Logger, a Done hook or both:
// New refuses the zero Config, which would do nothing.
type Config struct {
	// Logger receives one record per request, message "request", at
	// Level. Nil: no records (a Done hook alone feeds metrics).
	Logger *slog.Logger
	// Level is the records' level. Default slog.LevelInfo.
	Level slog.Level
	// Resolver finds the client's address, client_ip (Resolver.ClientIP).
	// Default: nil, the direct peer: no proxy believed.
	Resolver *forwarded.Resolver
	// Attrs, when set, returns attributes to add to the record of r, after
	// the ones the middleware writes: the request id
	// (requestid.FromContext), the authenticated user, a tenant. It is
	// called after the handler returned, on the request the middleware was
	// given (so it sees the context set outside the access log, not what
	// middlewares inside added), and only when the record is logged.
	Attrs func(r *http.Request) []slog.Attr
	// Done, when set, is called once per request after its record was
	// logged (or skipped: no Logger, or one not enabled at Level): a hook
	// for metrics, such as latency by Entry.Route and Entry.Status. It runs
	// on the request's goroutine, so it must be quick, and must not retain
	// r.
	Done func(r *http.Request, e Entry)
	// Now is the clock the duration is measured with. Default time.Now.
	Now func() time.Time
}

// Entry is what the access log knows of one answered request.
type Entry struct {
	// Route is the pattern the router matched ("GET /posts/{id}"), as
	// given to SetRoute (RecordRoute does it for an *http.ServeMux), or
	// the Pattern a router inside the access log set on the very request
	// the access log handed it. Empty when no route matched (the router's
	// 404 or 405, a request a middleware refused) or none was recorded;
	// the pattern of a router outside the access log (a catch-all "/" it
	// is mounted on) is not a route of its own and is not used.
	Route string
	// Status is the first final status written: 200 when the handler
	// wrote nothing (net/http answers 200 then), 101 when it hijacked the
	// connection. 1xx informational responses (100 Continue, 103 Early
	// Hints) are not final and not recorded. For an aborted request it is
	// the status written before the panic, or 500 when none was.
	Status int
	// Bytes is the number of body bytes the handler wrote (after any
	// encoding done inside the access log, before chunking and TLS).
	Bytes int64
	// Elapsed is the time from the request reaching the access log to the
	// handler returning.
	Elapsed time.Duration
	// Aborted is true when the handler did not return but panicked through
	// the access log: http.ErrAbortHandler, which recovery inside raises
	// when the response had already started (the client got a truncated
	// response), or a panic left to what is outside the access log (a
	// recovery there answers 500; net/http itself drops the connection).
	Aborted bool
}

// Middleware writes the access log. Build one with New; it is safe for
// concurrent use.
type Middleware struct {
	logger   *slog.Logger // nil: no records
	level    slog.Level
	resolver *forwarded.Resolver
	attrs    func(*http.Request) []slog.Attr
	done     func(*http.Request, Entry)
	now      func() time.Time
}

// New validates cfg and returns its Middleware: a Config with neither a
// Logger nor a Done hook is refused, since the middleware would do
// nothing.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("accesslog")
	if cfg.Logger == nil && cfg.Done == nil {
		problems.Add("", "neither Logger nor Done is set: the middleware would do nothing")
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	m := &Middleware{
		logger:   cfg.Logger,
		level:    cfg.Level,
		resolver: cfg.Resolver,
		attrs:    cfg.Attrs,
		done:     cfg.Done,
		now:      cfg.Now,
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Handler is the middleware. It hands next a ResponseWriter that records
// the status and the body's size (and keeps http.Flusher, http.Hijacker
// and http.ResponseController working), and, when next returns or a
// panic goes through, logs the request's record and calls Config.Done.
//
// The ResponseWriter next gets is its own: once Handler returned, its
// calls from a goroutine the handler left behind do nothing (Write
// reports an error) and reach no response.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := m.now()
		outer := r.Pattern // set by a router outside: not this request's route
		rec := &recorder{w: w}
		returned := false
		// A deferred call rather than a recover: a panic goes on
		// unchanged, with its stack, to whatever recovers it outside.
		defer func() { m.finish(r, rec, start, outer, !returned) }()
		next.ServeHTTP(rec, r)
		returned = true
	})
}

// finish releases rec and reports the request.
func (m *Middleware) finish(r *http.Request, rec *recorder, start time.Time, outer string, aborted bool) {
	status, bytes, route := rec.release()
	e := Entry{Route: route, Status: status, Bytes: bytes, Elapsed: m.now().Sub(start), Aborted: aborted}
	switch {
	case e.Status != 0:
	case aborted:
		e.Status = http.StatusInternalServerError
	default:
		e.Status = http.StatusOK
	}
	if e.Route == "" && r.Pattern != outer {
		e.Route = r.Pattern
	}
	m.log(r, &e)
	if m.done != nil {
		m.done(r, e)
	}
}

// maxInlineAttrs is how many attributes the record holds without
// allocating them: the eight of every record, Config.Attrs' and aborted.
const maxInlineAttrs = 16

func (m *Middleware) log(r *http.Request, e *Entry) {
	logger := m.logger
	ctx := r.Context()
	if logger == nil || !logger.Enabled(ctx, m.level) {
		return
	}
	var buf [maxInlineAttrs]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", r.Method),
		// The path only: a query string may carry a client_secret or a
		// token.
		slog.String("path", r.URL.Path),
	)
	if e.Route != "" {
		attrs = append(attrs, slog.String("route", e.Route))
	}
	attrs = append(attrs,
		slog.Int("status", e.Status),
		slog.Int64("bytes", e.Bytes),
		slog.Duration("duration", e.Elapsed),
		slog.String("user_agent", userAgent(r)),
		slog.String("client_ip", m.resolver.ClientIP(r)),
	)
	if e.Aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	if m.attrs != nil {
		attrs = append(attrs, m.attrs(r)...)
	}
	logger.LogAttrs(ctx, m.level, "request", attrs...)
}

// userAgent is the request's first User-Agent line, read without the
// canonicalisation Header.Get does.
func userAgent(r *http.Request) string {
	if v := r.Header["User-Agent"]; len(v) > 0 {
		return v[0]
	}
	return ""
}
