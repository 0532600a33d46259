package conditional

import (
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/observe"
)

// Defaults of Config: GitHub's caching headers, and the largest body
// buffered for its ETag.
const (
	DefaultMaxBodyBytes        = 1 << 20
	DefaultPublicCacheControl  = "public, max-age=60, s-maxage=60"
	DefaultPrivateCacheControl = "private, max-age=60, s-maxage=60"
)

// DefaultVary is the Vary of GET and HEAD responses: the representation
// depends on the media type asked for and on who asks.
var DefaultVary = []string{"Accept", "Authorization", "Cookie"}

// MsgPreconditionFailed is the message of a 412.
const MsgPreconditionFailed = "Precondition Failed"

// Config configures a Middleware. The zero value buffers bodies up to
// 1 MiB, adds GitHub's caching headers and treats every request as
// anonymous.
type Config struct {
	// MaxBodyBytes is the largest body buffered to compute its ETag. A
	// larger one, or one the handler flushes, is streamed as it is
	// written, without a computed ETag. Default 1 MiB.
	MaxBodyBytes int
	// Authenticated reports whether r carries credentials, so its
	// responses are private to the caller. Default: none does.
	Authenticated func(r *http.Request) bool
	// PublicCacheControl and PrivateCacheControl are the Cache-Control of
	// GET and HEAD 200s and 304s for anonymous and authenticated
	// requests, unless the handler set its own. Defaults: "public,
	// max-age=60, s-maxage=60" and "private, max-age=60, s-maxage=60".
	PublicCacheControl  string
	PrivateCacheControl string
	// NoCacheControl adds no Cache-Control at all.
	NoCacheControl bool
	// Vary lists the request fields GET and HEAD responses vary on,
	// merged into any Vary the handler set. Nil: DefaultVary; an empty,
	// non-nil list adds none.
	Vary []string
	// OnError answers a refused request: 412 Precondition Failed, from
	// the middleware or from Check. It gets the *apierrors.Error the
	// middleware would write, after the middleware set its headers
	// (Cache-Control, Vary and the computed ETag of a GET) and before any
	// status is written. Nil: Errors.WriteError.
	OnError apierrors.Hook
	// Errors writes refusals when OnError is nil. Default: a nil
	// *apierrors.Writer (the zero apierrors.Config).
	Errors *apierrors.Writer
	// Observer, when set, is told of every 304 (observe.NotModified) and
	// 412 (observe.PreconditionFailed), from the middleware or from
	// Check, with Detail naming the validator that decided: "etag"
	// (If-Match, If-None-Match) or "last_modified" (If-Modified-Since,
	// If-Unmodified-Since). Nil costs nothing.
	Observer observe.Observer
	// Now is the clock an If-Modified-Since is checked against: a date
	// later than Now is ignored (see Evaluate). It is read only for a
	// request whose If-Modified-Since would otherwise be a 304. Default
	// time.Now.
	Now func() time.Time
}

// Middleware answers conditional requests. Build one with New; it is safe
// for concurrent use.
type Middleware struct {
	maxBodyBytes  int
	authenticated func(*http.Request) bool
	public        []string // Cache-Control values, shared (len == cap)
	private       []string
	vary          []string // canonical field names
	varyValue     []string // the joined Vary value, shared (len == cap)
	varyPrefixes  []string // "Accept", "Accept, Authorization": Vary values varyValue extends
	onError       apierrors.Hook
	observer      observe.Observer
	now           func() time.Time
	// buffers holds the *bytes.Buffer of finished responses. Only the
	// buffers are pooled, never a writer: a writer handed to a handler is
	// never handed to another, so a goroutine the handler left behind
	// cannot reach another request's response through it.
	buffers sync.Pool
}

// New validates cfg and returns its Middleware. Every problem is an
// *apierrors.ConfigError, all of them joined with errors.Join.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("conditional")
	m := &Middleware{
		maxBodyBytes:  cfg.MaxBodyBytes,
		authenticated: cfg.Authenticated,
		onError:       cfg.OnError,
		observer:      cfg.Observer,
		now:           cfg.Now,
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.onError == nil {
		m.onError = cfg.Errors.WriteError
	}
	switch {
	case m.maxBodyBytes == 0:
		m.maxBodyBytes = DefaultMaxBodyBytes
	case m.maxBodyBytes < 0:
		problems.Add("MaxBodyBytes", "must not be negative")
	}
	if !cfg.NoCacheControl {
		public, private := cfg.PublicCacheControl, cfg.PrivateCacheControl
		if public == "" {
			public = DefaultPublicCacheControl
		}
		if private == "" {
			private = DefaultPrivateCacheControl
		}
		if !validFieldValue(public) {
			problems.Addf("PublicCacheControl", "%q is not a valid field value", public)
		}
		if !validFieldValue(private) {
			problems.Addf("PrivateCacheControl", "%q is not a valid field value", private)
		}
		m.public, m.private = []string{public}, []string{private}
	}
	vary := cfg.Vary
	if vary == nil {
		vary = DefaultVary
	}
	for i, name := range vary {
		if !token.Valid(name) {
			problems.Addf(configerr.Index("Vary", i), "%q is not a field name", name)
			continue
		}
		m.vary = append(m.vary, textproto.CanonicalMIMEHeaderKey(name))
	}
	if len(m.vary) > 0 {
		m.varyValue = []string{strings.Join(m.vary, ", ")}
		for i := 1; i < len(m.vary); i++ {
			m.varyPrefixes = append(m.varyPrefixes, strings.Join(m.vary[:i], ", "))
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	m.buffers.New = func() any { return new(bytes.Buffer) }
	return m, nil
}

// Handler is the middleware. For GET and HEAD it buffers the handler's
// 200 response (up to MaxBodyBytes), gives it an ETag computed from the
// body unless the handler set one, adds Cache-Control and Vary, and
// answers 304 Not Modified or 412 Precondition Failed when the request's
// preconditions say so (see Evaluate). HEAD gets the ETag and
// Content-Length of the body the handler rendered, and no body. Other
// methods pass through: their handlers check preconditions with Check
// before they change anything.
//
// The ResponseWriter the handler gets is its own: once Handler returned,
// its Write, WriteHeader, Flush and Header calls (from a goroutine the
// handler left behind) do nothing, Write and FlushError report an error,
// and no late call reaches this response or another one.
//
// It belongs inside the rate limiter (which gives back the quota of a
// 304) and JSON-P (which must see the full body), just outside the
// router.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &writer{rw: w, m: m, r: r, buf: m.buffers.Get().(*bytes.Buffer)}
		defer m.release(cw)
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

// release marks cw released, so that its late calls do nothing, and
// gives its buffer back for another response. cw itself is never reused.
func (m *Middleware) release(cw *writer) {
	cw.released.Store(true)
	buf := cw.buf
	cw.buf = nil
	// Keep the buffer for the next response unless it grew past what
	// MaxBodyBytes lets a response use.
	if buf.Cap() > 2*m.maxBodyBytes {
		return
	}
	buf.Reset()
	m.buffers.Put(buf)
}

// Check evaluates r's preconditions against s (see Evaluate) and, when
// one fails, answers the request: 304 Not Modified (with the ETag and
// Last-Modified of s) or 412 Precondition Failed. It reports whether the
// handler should go on. Handlers of unsafe methods call it before they
// change anything, for lost-update protection:
//
//	if !cond.Check(w, r, conditional.State{Exists: true, ETag: post.ETag(), LastModified: post.UpdatedAt}) {
//		return // 412: the client edited a stale copy
//	}
func (m *Middleware) Check(w http.ResponseWriter, r *http.Request, s State) bool {
	result, validator := evaluate(r, s, m.now)
	if result != Proceed && m.observer != nil {
		m.observe(r, result, validator)
	}
	switch result {
	case NotModified:
		h := w.Header()
		if s.ETag != "" {
			h.Set("Etag", s.ETag)
		}
		if !s.LastModified.IsZero() {
			h.Set("Last-Modified", s.LastModified.UTC().Format(http.TimeFormat))
		}
		m.setCaching(h, r)
		stripForNotModified(h)
		w.WriteHeader(http.StatusNotModified)
		return false
	case PreconditionFailed:
		m.preconditionFailed(w, r)
		return false
	}
	return true
}

// preconditionFailed hands the 412 to the OnError hook, after the caller
// set its headers and before any status is written.
func (m *Middleware) preconditionFailed(w http.ResponseWriter, r *http.Request) {
	m.onError(w, r, &apierrors.Error{
		Status:  http.StatusPreconditionFailed,
		Message: MsgPreconditionFailed,
		ID:      "precondition_failed",
	})
}

// observe reports a 304 or 412 to the Observer, which the caller checked
// is set.
func (m *Middleware) observe(r *http.Request, result Result, validator string) {
	decision := observe.NotModified
	if result == PreconditionFailed {
		decision = observe.PreconditionFailed
	}
	m.observer.Observe(observe.Event{Middleware: "conditional", Decision: decision, Detail: validator, Request: r})
}

// setCaching adds Cache-Control, unless the handler set one, and merges
// Vary.
func (m *Middleware) setCaching(h http.Header, r *http.Request) {
	if m.public != nil && len(h["Cache-Control"]) == 0 {
		if m.authenticated != nil && m.authenticated(r) {
			h["Cache-Control"] = m.private
		} else {
			h["Cache-Control"] = m.public
		}
	}
	if len(m.vary) == 0 {
		return
	}
	existing := h["Vary"]
	if len(existing) == 0 {
		h["Vary"] = m.varyValue
		return
	}
	// The common case: a middleware outside said "Vary: Accept" (media
	// type negotiation), which the shared value already starts with.
	if len(existing) == 1 {
		for _, prefix := range m.varyPrefixes {
			if existing[0] == prefix {
				h["Vary"] = m.varyValue
				return
			}
		}
	}
	merged := strings.Join(existing, ", ")
	for _, name := range m.vary {
		if !listHas(existing, name) {
			merged += ", " + name
		}
	}
	h["Vary"] = []string{merged}
}

// listHas reports whether a comma-separated field (over several lines)
// has member name, case-insensitively, or "*".
func listHas(values []string, name string) bool {
	for _, v := range values {
		for member := range strings.SplitSeq(v, ",") {
			member = strings.TrimSpace(member)
			if member == "*" || strings.EqualFold(member, name) {
				return true
			}
		}
	}
	return false
}

// stripForNotModified removes what a 304 must not carry. RFC 9110
// §15.4.5: a 304 keeps Cache-Control, Content-Location, Date, ETag,
// Expires and Vary (and the other headers: X-RateLimit-*, CORS) but
// describes no body, so the representation's metadata goes.
// Last-Modified stays, as GitHub's 304s keep it.
func stripForNotModified(h http.Header) {
	for _, name := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Range", "Transfer-Encoding"} {
		delete(h, name)
	}
}

// errReleased is what a writer's Write and FlushError return once the
// middleware returned.
var errReleased = errors.New("conditional: ResponseWriter used after the handler returned")

// writer buffers a GET or HEAD response until it knows whether to answer
// it, 304 it or 412 it. One is made per request and never reused; only
// its buffer is pooled.
type writer struct {
	rw  http.ResponseWriter
	m   *Middleware
	r   *http.Request
	buf *bytes.Buffer
	// released is set when the middleware returned: every later call is a
	// no-op, and buf belongs to the pool.
	released atomic.Bool
	status   int
	// streaming is set once the response has gone to the client as the
	// handler wrote it (too large, flushed, or not a 200).
	streaming bool
	// dropBody is set when the answer was decided without the handler's
	// body (304, 412) or the method is HEAD: later writes are discarded.
	dropBody bool
	// values holds the ETag and Content-Length the middleware sets, so
	// that the header map's one-element slices (len == cap) need no
	// allocation of their own.
	values [2]string
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController;
// once the middleware returned, a writer that drops everything.
func (w *writer) Unwrap() http.ResponseWriter {
	if w.released.Load() {
		return releasedWriter{}
	}
	return w.rw
}

// Header returns the response's header map; once the middleware returned,
// a fresh map nobody reads.
func (w *writer) Header() http.Header {
	if w.released.Load() {
		return http.Header{}
	}
	return w.rw.Header()
}

func (w *writer) WriteHeader(code int) {
	if w.released.Load() {
		return
	}
	if w.streaming || w.status != 0 {
		if w.streaming && !w.dropBody {
			w.rw.WriteHeader(code) // net/http reports the superfluous call
		}
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.rw.WriteHeader(code) // informational: sent at once
		return
	}
	w.status = code
	if code != http.StatusOK {
		// Not a 200: no ETag, no preconditions (RFC 9110 §13.2.1); the
		// response goes through as the handler writes it.
		w.streaming = true
		w.rw.WriteHeader(code)
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if w.released.Load() {
		return 0, errReleased
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.dropBody:
		return len(b), nil
	case w.streaming:
		return w.rw.Write(b)
	case w.buf.Len()+len(b) <= w.m.maxBodyBytes:
		return w.buf.Write(b)
	}
	// Too large to buffer: decide with the handler's own validators and
	// stream the rest.
	if !w.commit(false) {
		return len(b), nil
	}
	return w.rw.Write(b)
}

// Flush sends what the handler wrote so far: a flushing handler streams,
// so its response is decided with its own validators, without a computed
// ETag.
func (w *writer) Flush() { _ = w.FlushError() }

// FlushError is Flush for http.ResponseController.
func (w *writer) FlushError() error {
	if w.released.Load() {
		return errReleased
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.streaming && !w.commit(false) {
		return nil
	}
	if w.dropBody {
		return nil
	}
	return http.NewResponseController(w.rw).Flush()
}

// releasedWriter is what a released writer unwraps to: it drops every
// call, so http.ResponseController on a late goroutine reaches nothing.
type releasedWriter struct{}

func (releasedWriter) Header() http.Header         { return http.Header{} }
func (releasedWriter) Write([]byte) (int, error)   { return 0, errReleased }
func (releasedWriter) WriteHeader(int)             {}
func (releasedWriter) FlushError() error           { return errReleased }
func (releasedWriter) Unwrap() http.ResponseWriter { return nil }

// finish answers a response still buffered when the handler returns.
func (w *writer) finish() {
	if w.streaming {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.commit(true)
}

// commit decides a buffered 200: it sets the caching headers, the ETag
// (computed from the whole body when complete is set and the handler set
// none) and Content-Length, evaluates the preconditions, and sends the
// status line and what is buffered. It reports whether the body should
// go on to the client.
func (w *writer) commit(complete bool) bool {
	w.streaming = true
	h := w.rw.Header()
	r := w.r
	w.m.setCaching(h, r)
	isHead := r.Method == http.MethodHead
	// A HEAD whose handler rendered no body tells nothing of the GET
	// body: no computed ETag or Content-Length rather than wrong ones.
	knowBody := complete && (!isHead || w.buf.Len() > 0)
	etag := firstValue(h, "Etag")
	if etag == "" && knowBody {
		var b [48]byte
		v := appendETag(b[:0], xxhash.Sum64(w.buf.Bytes()))
		tagEnd := len(v)
		v = strconv.AppendInt(v, int64(w.buf.Len()), 10)
		text := string(v)
		w.values = [2]string{text[:tagEnd], text[tagEnd:]}
		h["Etag"], h["Content-Length"] = w.values[0:1:1], w.values[1:2:2]
		etag = w.values[0]
	} else if knowBody {
		w.values[1] = strconv.Itoa(w.buf.Len())
		h["Content-Length"] = w.values[1:2:2]
	}
	var lastModified time.Time
	if lm := firstValue(h, "Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			lastModified = t
		}
	}
	result, validator := evaluate(r, State{Exists: true, ETag: etag, LastModified: lastModified}, w.m.now)
	if result != Proceed && w.m.observer != nil {
		w.m.observe(r, result, validator)
	}
	switch result {
	case NotModified:
		w.dropBody = true
		stripForNotModified(h)
		w.rw.WriteHeader(http.StatusNotModified)
		return false
	case PreconditionFailed:
		w.dropBody = true
		delete(h, "Content-Length")
		w.m.preconditionFailed(w.rw, r)
		return false
	}
	w.rw.WriteHeader(http.StatusOK)
	if isHead {
		w.dropBody = true
		return false
	}
	if w.buf.Len() > 0 {
		if _, err := w.rw.Write(w.buf.Bytes()); err != nil {
			w.dropBody = true
			return false
		}
	}
	return true
}

func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
