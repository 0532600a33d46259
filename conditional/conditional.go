package conditional

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/token"
)

// Defaults of Config: the seed's (and GitHub's) caching headers.
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
	// Errors writes 412 Precondition Failed. Default: a nil
	// *apierrors.Writer.
	Errors *apierrors.Writer
}

// ConfigError is one problem with a Config; New returns all of them at
// once, joined with errors.Join.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "conditional: Config." + e.Field + ": " + e.Reason }

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
	errors        *apierrors.Writer
	writers       sync.Pool
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	var errs []error
	fail := func(field, reason string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Reason: fmt.Sprintf(reason, args...)})
	}
	m := &Middleware{
		maxBodyBytes:  cfg.MaxBodyBytes,
		authenticated: cfg.Authenticated,
		errors:        cfg.Errors,
	}
	switch {
	case m.maxBodyBytes == 0:
		m.maxBodyBytes = DefaultMaxBodyBytes
	case m.maxBodyBytes < 0:
		fail("MaxBodyBytes", "must not be negative")
	}
	if !cfg.NoCacheControl {
		public, private := cfg.PublicCacheControl, cfg.PrivateCacheControl
		if public == "" {
			public = DefaultPublicCacheControl
		}
		if private == "" {
			private = DefaultPrivateCacheControl
		}
		for field, v := range map[string]string{"PublicCacheControl": public, "PrivateCacheControl": private} {
			if !validFieldValue(v) {
				fail(field, "%q is not a valid field value", v)
			}
		}
		m.public, m.private = []string{public}, []string{private}
	}
	vary := cfg.Vary
	if vary == nil {
		vary = DefaultVary
	}
	for i, name := range vary {
		if !token.Valid(name) {
			fail(fmt.Sprintf("Vary[%d]", i), "%q is not a field name", name)
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
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.writers.New = func() any { return new(writer) }
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
// It belongs inside the rate limiter (which gives back the quota of a
// 304) and JSON-P (which must see the full body), just outside the
// router.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := m.writers.Get().(*writer)
		cw.reset(m, w, r)
		defer m.release(cw)
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

func (m *Middleware) release(cw *writer) {
	// Keep the buffer for the next response unless it grew past what
	// MaxBodyBytes lets a response use.
	if cw.buf.Cap() > 2*m.maxBodyBytes {
		cw.buf = bytes.Buffer{}
	}
	cw.buf.Reset()
	cw.ResponseWriter, cw.r, cw.m = nil, nil, nil
	m.writers.Put(cw)
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
	switch Evaluate(r, s) {
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

func (m *Middleware) preconditionFailed(w http.ResponseWriter, r *http.Request) {
	m.errors.Write(w, r, &apierrors.Error{
		Status:  http.StatusPreconditionFailed,
		Message: MsgPreconditionFailed,
		ID:      "precondition_failed",
	})
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

// writer buffers a GET or HEAD response until it knows whether to answer
// it, 304 it or 412 it.
type writer struct {
	http.ResponseWriter
	m      *Middleware
	r      *http.Request
	buf    bytes.Buffer
	status int
	// streaming is set once the response has gone to the client as the
	// handler wrote it (too large, flushed, or not a 200).
	streaming bool
	// dropBody is set when the answer was decided without the handler's
	// body (304, 412) or the method is HEAD: later writes are discarded.
	dropBody bool
}

func (w *writer) reset(m *Middleware, rw http.ResponseWriter, r *http.Request) {
	w.ResponseWriter, w.m, w.r = rw, m, r
	w.status, w.streaming, w.dropBody = 0, false, false
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *writer) WriteHeader(code int) {
	if w.streaming || w.status != 0 {
		if w.streaming && !w.dropBody {
			w.ResponseWriter.WriteHeader(code) // net/http reports the superfluous call
		}
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational: sent at once
		return
	}
	w.status = code
	if code != http.StatusOK {
		// Not a 200: no ETag, no preconditions (RFC 9110 §13.2.1); the
		// response goes through as the handler writes it.
		w.streaming = true
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.dropBody:
		return len(b), nil
	case w.streaming:
		return w.ResponseWriter.Write(b)
	case w.buf.Len()+len(b) <= w.m.maxBodyBytes:
		return w.buf.Write(b)
	}
	// Too large to buffer: decide with the handler's own validators and
	// stream the rest.
	if !w.commit(false) {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what the handler wrote so far: a flushing handler streams,
// so its response is decided with its own validators, without a computed
// ETag.
func (w *writer) Flush() { _ = w.FlushError() }

// FlushError is Flush for http.ResponseController.
func (w *writer) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.streaming && !w.commit(false) {
		return nil
	}
	if w.dropBody {
		return nil
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

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
	h := w.ResponseWriter.Header()
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
		values := []string{text[:tagEnd], text[tagEnd:]}
		h["Etag"], h["Content-Length"] = values[0:1:1], values[1:2:2]
		etag = values[0]
	} else if knowBody {
		h["Content-Length"] = []string{strconv.Itoa(w.buf.Len())}
	}
	var lastModified time.Time
	if lm := firstValue(h, "Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			lastModified = t
		}
	}
	switch Evaluate(r, State{Exists: true, ETag: etag, LastModified: lastModified}) {
	case NotModified:
		w.dropBody = true
		stripForNotModified(h)
		w.ResponseWriter.WriteHeader(http.StatusNotModified)
		return false
	case PreconditionFailed:
		w.dropBody = true
		delete(h, "Content-Length")
		w.m.preconditionFailed(w.ResponseWriter, r)
		return false
	}
	w.ResponseWriter.WriteHeader(http.StatusOK)
	if isHead {
		w.dropBody = true
		return false
	}
	if w.buf.Len() > 0 {
		if _, err := w.ResponseWriter.Write(w.buf.Bytes()); err != nil {
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
