package jsonp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/jsonbody"
	"github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/link"
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
	// be spelled there ("X-myblog-Media-Type"). Every X-RateLimit-*
	// header and Link are always copied. Default: DefaultHeaders.
	Headers []string
	// MaxBodyBytes caps the body wrapped. A larger one is answered with
	// meta.status 500 and an error in data, since a script tag cannot
	// stream. Default 4 MiB.
	MaxBodyBytes int
	// Errors writes the 400 for a bad callback. Default: a nil
	// *apierrors.Writer.
	Errors *apierrors.Writer
}

// ConfigError is one problem with a Config; New returns all of them at
// once, joined with errors.Join.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "jsonp: Config." + e.Field + ": " + e.Reason }

// Middleware wraps GET responses in a JSON-P callback. Build one with New;
// it is safe for concurrent use.
type Middleware struct {
	param        string
	headers      []metaHeader
	maxBodyBytes int
	errors       *apierrors.Writer
	writers      sync.Pool
}

type metaHeader struct {
	key  string // canonical, for the header map
	name string // as meta spells it
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	var errs []error
	fail := func(field, reason string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Reason: fmt.Sprintf(reason, args...)})
	}
	m := &Middleware{param: cfg.Param, maxBodyBytes: cfg.MaxBodyBytes, errors: cfg.Errors}
	if m.param == "" {
		m.param = DefaultParam
	}
	if url.QueryEscape(m.param) != m.param {
		fail("Param", "%q must not need escaping in a query", m.param)
	}
	switch {
	case m.maxBodyBytes == 0:
		m.maxBodyBytes = DefaultMaxBodyBytes
	case m.maxBodyBytes < 0:
		fail("MaxBodyBytes", "must not be negative")
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
			fail(fmt.Sprintf("Headers[%d]", i), "%q is not a field name", name)
		case key == "Link" || strings.HasPrefix(key, "X-Ratelimit-"):
			// Always there.
		default:
			m.headers = append(m.headers, metaHeader{key: key, name: name})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.writers.New = func() any { return new(writer) }
	return m, nil
}

// Handler is the middleware. A GET with ?callback=name is answered
//
//	/**/name({"meta": {"status": 200, "X-RateLimit-Limit": "5000", ..., "Link": [["url", {"rel": "next"}]]}, "data": <body>})
//
// with status 200 and Content-Type application/javascript; meta.status
// is the status the handler answered. Anything that is not a JavaScript
// identifier path in callback is a 400, so no script can be injected.
// Other requests pass through untouched.
//
// It belongs inside the rate limiter (whose headers it copies into meta)
// and outside the conditional middleware: it takes the request's
// validators away, so a script tag always gets a whole script, never a
// bare 304.
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
			m.errors.Write(w, r, &apierrors.Error{Status: http.StatusBadRequest, Message: MsgInvalidCallback, ID: "invalid_callback"})
			return
		}
		jw := m.writers.Get().(*writer)
		jw.reset(w, m.maxBodyBytes)
		defer m.release(jw)
		next.ServeHTTP(jw, stripValidators(r))
		m.respond(w, r, jw, callback)
	})
}

func (m *Middleware) release(jw *writer) {
	if jw.buf.Cap() > 2*m.maxBodyBytes {
		jw.buf = bytes.Buffer{}
	}
	jw.buf.Reset()
	jw.ResponseWriter = nil
	m.writers.Put(jw)
}

// stripValidators returns r without the headers that could make the
// handler answer 304 or compress: a script tag needs the whole script.
func stripValidators(r *http.Request) *http.Request {
	h := r.Header
	if h["If-None-Match"] == nil && h["If-Modified-Since"] == nil && h["Accept-Encoding"] == nil {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = h.Clone()
	delete(r2.Header, "If-None-Match")
	delete(r2.Header, "If-Modified-Since")
	delete(r2.Header, "Accept-Encoding")
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

func knownRateLimitKey(key string) bool {
	for _, name := range rateLimitHeaders {
		if textproto.CanonicalMIMEHeaderKey(name) == key {
			return true
		}
	}
	return false
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

// writer captures the handler's response for the wrapper.
type writer struct {
	http.ResponseWriter
	buf      bytes.Buffer
	status   int
	max      int
	tooLarge bool
}

func (w *writer) reset(rw http.ResponseWriter, maxBytes int) {
	w.ResponseWriter, w.max, w.status, w.tooLarge = rw, maxBytes, 0, false
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *writer) WriteHeader(code int) {
	if w.status == 0 && (code < 100 || code >= 200) {
		w.status = code
	}
}

func (w *writer) Write(b []byte) (int, error) {
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
