package jsonp

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/jsonbody"
	"github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/link"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/render"
)

// ContentType is the Content-Type of every JSON-P response.
const ContentType = "application/javascript; charset=utf-8"

// Defaults of Config.
const (
	DefaultParam        = "callback"
	DefaultMaxBodyBytes = 4 << 20
	// MaxCallbackLength bounds the callback name: jQuery's generated
	// names are about 40 bytes.
	MaxCallbackLength = 128
)

// MsgInvalidCallback is the message of the 400 for a callback that is
// not a JavaScript identifier path.
const MsgInvalidCallback = "Invalid callback: use a JavaScript function name such as foo or jQuery123_456, or a.b.c"

// DefaultHeaders are the headers meta carries besides every X-RateLimit-*
// one and Link, spelled as GitHub spells them.
var DefaultHeaders = []string{"X-Poll-Interval"}

// rateLimitHeaders are the X-RateLimit-* headers in the order meta lists
// them, as GitHub spells them.
var rateLimitHeaders = []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource"}

// Config configures a Middleware. The zero value reads ?callback= and
// carries the rate-limit headers and Link in meta.
type Config struct {
	// Param is the query parameter naming the callback. Default "callback".
	Param string
	// Headers are more response headers to copy into meta, as they should
	// be spelled there ("X-Acme-Media-Type"). Every X-RateLimit-*
	// header and Link are always copied. Default: DefaultHeaders.
	Headers []string
	// MaxBodyBytes caps the body wrapped. A larger one is answered with
	// meta.status 500 and an error in data, since a script tag cannot
	// stream. Default 4 MiB.
	MaxBodyBytes int
	// OnError answers a refused request: 400 for a callback that is not a
	// JavaScript identifier path (MsgInvalidCallback). It gets the
	// *apierrors.Error the middleware would write, before any status is
	// written; the handler has not run. Nil: Errors.WriteError.
	OnError apierrors.Hook
	// Errors writes refusals when OnError is nil. Default: a nil
	// *apierrors.Writer (the zero apierrors.Config).
	Errors *apierrors.Writer
	// Observer, when set, is told of every refused callback
	// (observe.Invalid, Detail "callback"). Nil costs nothing.
	Observer observe.Observer
}

// Middleware wraps GET responses in a JSON-P callback. Build one with New;
// it is safe for concurrent use.
type Middleware struct {
	param        string
	headers      []metaHeader
	maxBodyBytes int
	onError      apierrors.Hook
	observer     observe.Observer
	// buffers holds the *bytes.Buffer of finished responses. Only the
	// buffers are pooled, never a writer: a writer handed to a handler is
	// never handed to another, so a goroutine the handler left behind
	// cannot reach another request's response through it.
	buffers sync.Pool
}

type metaHeader struct {
	key  string // canonical, for the header map
	name string // as meta spells it
}

// New validates cfg and returns its Middleware. Every problem is an
// *apierrors.ConfigError, all of them joined with errors.Join.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("jsonp")
	m := &Middleware{param: cfg.Param, maxBodyBytes: cfg.MaxBodyBytes, onError: cfg.OnError, observer: cfg.Observer}
	if m.onError == nil {
		m.onError = cfg.Errors.WriteError
	}
	if m.param == "" {
		m.param = DefaultParam
	}
	if url.QueryEscape(m.param) != m.param {
		problems.Addf("Param", "%q must not need escaping in a query", m.param)
	}
	switch {
	case m.maxBodyBytes == 0:
		m.maxBodyBytes = DefaultMaxBodyBytes
	case m.maxBodyBytes < 0:
		problems.Add("MaxBodyBytes", "must not be negative")
	}
	headers := cfg.Headers
	if headers == nil {
		headers = DefaultHeaders
	}
	for _, name := range rateLimitHeaders {
		m.headers = append(m.headers, metaHeader{key: textproto.CanonicalMIMEHeaderKey(name), name: name})
	}
	for i, name := range headers {
		key := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !token.Valid(name):
			problems.Addf(configerr.Index("Headers", i), "%q is not a field name", name)
		case key == "Link" || strings.HasPrefix(key, "X-Ratelimit-"):
			// Always there.
		default:
			m.headers = append(m.headers, metaHeader{key: key, name: name})
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	m.buffers.New = func() any { return new(bytes.Buffer) }
	return m, nil
}

// Handler is the middleware. A GET with ?callback=name is answered
//
//	/**/name({"meta": {"status": 200, "X-RateLimit-Limit": "5000", ..., "Link": [["url", {"rel": "next"}]]}, "data": <body>})
//
// with status 200 and Content-Type application/javascript; meta.status
// is the status the handler answered. Anything that is not a JavaScript
// identifier path in callback is a 400, handed to Config.OnError, so no
// script can be injected. Other requests pass through untouched.
//
// The ResponseWriter the handler gets is its own: once Handler returned,
// its calls from a goroutine the handler left behind do nothing (Write
// reports an error), and none reaches this response or another one.
//
// A JSON-P request is always anonymous: the request passed on has no
// Authorization or Cookie, which a browser attaches by itself to the
// script tag of any page. It also has no validators (If-None-Match,
// If-Modified-Since) or Accept-Encoding, so a script tag always gets a
// whole, uncompressed script, never a bare 304. So it belongs outside
// authentication (which would otherwise have read the credentials
// already) and the rate limiter (whose headers it copies into meta, and
// whose refusals it wraps like any answer).
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		raw, ok := jsonbody.QueryValue(r.URL.RawQuery, m.param)
		if !ok || raw == "" {
			next.ServeHTTP(w, r)
			return
		}
		callback, err := url.QueryUnescape(raw)
		if err != nil || !ValidCallback(callback) {
			if m.observer != nil {
				m.observer.Observe(observe.Event{Middleware: "jsonp", Decision: observe.Invalid, Detail: "callback", Request: r})
			}
			m.onError(w, r, &apierrors.Error{Status: http.StatusBadRequest, Message: MsgInvalidCallback, ID: "invalid_callback"})
			return
		}
		jw := &writer{rw: w, max: m.maxBodyBytes, buf: m.buffers.Get().(*bytes.Buffer)}
		defer m.release(jw)
		next.ServeHTTP(jw, forScript(r))
		m.respond(w, r, jw, callback)
	})
}

// release marks jw released, so that its late calls do nothing, and
// gives its buffer back for another response. jw itself is never reused.
func (m *Middleware) release(jw *writer) {
	jw.released.Store(true)
	buf := jw.buf
	jw.buf = nil
	if buf.Cap() > 2*m.maxBodyBytes {
		return
	}
	buf.Reset()
	m.buffers.Put(buf)
}

// scriptStripped are the request fields a JSON-P request is served
// without: the credentials a browser sends by itself with a page's
// script tag, and what could make the handler answer 304 or compress.
var scriptStripped = [...]string{"Authorization", "Cookie", "If-None-Match", "If-Modified-Since", "Accept-Encoding"}

// forScript returns a copy of r without the fields of scriptStripped,
// its context marked render.Bare: the script's data is the bare
// representation, whatever the renderer's envelope.
func forScript(r *http.Request) *http.Request {
	r2 := r.WithContext(render.Bare(r.Context()))
	h := r.Header
	for _, name := range scriptStripped {
		if h[name] != nil {
			r2.Header = h.Clone()
			for _, name := range scriptStripped {
				delete(r2.Header, name)
			}
			break
		}
	}
	return r2
}

// ValidCallback reports whether name is a JavaScript identifier path:
// ASCII identifiers ([A-Za-z_$][A-Za-z0-9_$]*) joined by dots, at most
// MaxCallbackLength bytes. Nothing else can reach the script.
func ValidCallback(name string) bool {
	if name == "" || len(name) > MaxCallbackLength {
		return false
	}
	start := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if start {
				return false
			}
			start = true
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == '$':
		case '0' <= c && c <= '9':
			if start {
				return false
			}
		default:
			return false
		}
		start = false
	}
	return !start
}

// respond writes the wrapped response.
func (m *Middleware) respond(w http.ResponseWriter, r *http.Request, jw *writer, callback string) {
	h := w.Header()
	status := jw.status
	if status == 0 {
		status = http.StatusOK
	}
	data := jw.buf.Bytes()
	tooLarge := jw.tooLarge

	out := jsonbody.GetBytes()
	defer jsonbody.PutBytes(out)
	b := append((*out)[:0], "/**/"...)
	b = append(b, callback...)
	b = append(b, `({"meta":{"status":`...)
	if tooLarge {
		b = strconv.AppendInt(b, http.StatusInternalServerError, 10)
	} else {
		b = strconv.AppendInt(b, int64(status), 10)
	}
	for _, mh := range m.headers {
		if v := h[mh.key]; len(v) > 0 {
			b = append(b, ',')
			b = jsonbody.AppendString(b, mh.name)
			b = append(b, ':')
			b = jsonbody.AppendString(b, v[0])
		}
	}
	// Any other X-RateLimit-* field, in name order.
	var others []string
	for key := range h {
		if strings.HasPrefix(key, "X-Ratelimit-") && !knownRateLimitKey(key) {
			others = append(others, key)
		}
	}
	slices.Sort(others)
	for _, key := range others {
		b = append(b, ',')
		b = jsonbody.AppendString(b, "X-RateLimit-"+key[len("X-Ratelimit-"):])
		b = append(b, ':')
		b = jsonbody.AppendString(b, h[key][0])
	}
	if links := link.Parse(h["Link"]...); len(links) > 0 {
		b = append(b, `,"Link":[`...)
		for i, l := range links {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = jsonbody.AppendString(b, l.URL)
			b = append(b, ",{"...)
			first := true
			if l.Rel != "" {
				b = append(b, `"rel":`...)
				b = jsonbody.AppendString(b, l.Rel)
				first = false
			}
			for _, p := range l.Params {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = jsonbody.AppendString(b, p.Name)
				b = append(b, ':')
				b = jsonbody.AppendString(b, p.Value)
			}
			b = append(b, "}]"...)
		}
		b = append(b, ']')
	}
	b = append(b, `},"data":`...)
	switch {
	case tooLarge:
		b = append(b, `{"message":"The response is too large for JSON-P"}`...)
	case len(data) == 0:
		b = append(b, "null"...)
	case isJSON(h.Get("Content-Type")) && json.Valid(data):
		// Valid JSON can only hold U+2028 and U+2029 inside strings,
		// where \u escapes mean the same; before ES2019 a raw one ends
		// the script's line.
		b = appendEscapingLineSeparators(b, data)
	default:
		// Not JSON, or not valid JSON: carried as a string, so that no
		// body a handler writes can break out of the call.
		b = jsonbody.AppendString(b, string(data))
	}
	b = append(b, "})"...)
	*out = b

	// The headers now describe the script, not the handler's body.
	for _, name := range []string{"Content-Length", "Content-Encoding", "Etag", "Last-Modified", "Content-Range", "Accept-Ranges"} {
		delete(h, name)
	}
	jsonbody.Write(w, http.StatusOK, ContentType, b, false)
}

// rateLimitKeys are rateLimitHeaders as header map keys, canonicalised
// once rather than per response.
var rateLimitKeys = func() []string {
	keys := make([]string, len(rateLimitHeaders))
	for i, name := range rateLimitHeaders {
		keys[i] = textproto.CanonicalMIMEHeaderKey(name)
	}
	return keys
}()

func knownRateLimitKey(key string) bool {
	return slices.Contains(rateLimitKeys, key)
}

func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

func appendEscapingLineSeparators(dst, data []byte) []byte {
	for {
		i := bytes.Index(data, []byte("\xe2\x80"))
		if i < 0 || i+2 >= len(data) {
			return append(dst, data...)
		}
		dst = append(dst, data[:i]...)
		switch data[i+2] {
		case 0xa8:
			dst = append(dst, `\u2028`...)
		case 0xa9:
			dst = append(dst, `\u2029`...)
		default:
			dst = append(dst, data[i:i+3]...)
		}
		data = data[i+3:]
	}
}

// errReleased is what a writer's Write and FlushError return once the
// middleware returned.
var errReleased = errors.New("jsonp: ResponseWriter used after the handler returned")

// writer captures the handler's response for the wrapper. One is made per
// request and never reused; only its buffer is pooled.
type writer struct {
	rw  http.ResponseWriter
	buf *bytes.Buffer
	// released is set when the middleware returned: every later call is a
	// no-op, and buf belongs to the pool.
	released atomic.Bool
	status   int
	max      int
	tooLarge bool
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController;
// once the middleware returned, a writer that drops everything.
func (w *writer) Unwrap() http.ResponseWriter {
	if w.released.Load() {
		return releasedWriter{}
	}
	return w.rw
}

// Header returns the response's header map, which the wrapper reads for
// meta; once the middleware returned, a fresh map nobody reads.
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
	if w.status == 0 && (code < 100 || code >= 200) {
		w.status = code
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if w.released.Load() {
		return 0, errReleased
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.tooLarge || w.buf.Len()+len(b) > w.max {
		w.tooLarge = true
		return len(b), nil
	}
	return w.buf.Write(b)
}

// Flush does nothing: a JSON-P response is sent whole, once the handler
// is done.
func (w *writer) Flush() {}

// FlushError is Flush for http.ResponseController; once the middleware
// returned it reports an error.
func (w *writer) FlushError() error {
	if w.released.Load() {
		return errReleased
	}
	return nil
}

// releasedWriter is what a released writer unwraps to: it drops every
// call, so http.ResponseController on a late goroutine reaches nothing.
type releasedWriter struct{}

func (releasedWriter) Header() http.Header         { return http.Header{} }
func (releasedWriter) Write([]byte) (int, error)   { return 0, errReleased }
func (releasedWriter) WriteHeader(int)             {}
func (releasedWriter) FlushError() error           { return errReleased }
func (releasedWriter) Unwrap() http.ResponseWriter { return nil }
