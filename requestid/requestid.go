package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"strconv"

	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/token"
)

// DefaultHeader is the header that carries the id when Config names
// neither a Vendor nor a Header: the common name (Heroku's router, nginx,
// Envoy).
const DefaultHeader = "X-Request-Id"

// maxLength is the longest incoming id accepted, in bytes: room for any
// UUID, ULID or trace id a proxy writes, and a bound on what a request can
// put into every log line.
const maxLength = 128

// Config configures a Middleware. The zero value generates a UUID v4 for
// every request, sends it as X-Request-Id and believes no incoming id.
type Config struct {
	// Vendor names the service in the header, X-<Vendor>-Request-Id, as
	// GitHub's X-GitHub-Request-Id. It must be a token. Default: none,
	// and the header is X-Request-Id.
	Vendor string
	// Header, when set, is the response header that carries the id,
	// whatever the Vendor; an incoming one of that name is read too. It
	// must be a token (RFC 9110 §5.6.2). Default: X-<Vendor>-Request-Id,
	// or X-Request-Id without a Vendor.
	Header string
	// Resolver says whether the peer is a trusted proxy, whose incoming
	// id is believed (Resolver.Trusted). Default: nil, no proxy trusted,
	// so every request gets a new id.
	Resolver *forwarded.Resolver
	// Generate makes a new id. It must return 1 to 128 bytes of
	// [A-Za-z0-9._~:/+=-]; a value that is not is replaced by NewUUID,
	// so the id is always safe to log and to send. It is called once per
	// request that brings no believed id, concurrently. Default: NewUUID.
	Generate func() string
}

// Middleware gives every request an id. Build one with New; it is safe
// for concurrent use.
type Middleware struct {
	name     string   // the header as configured or built: "X-acme-Request-Id"
	header   string   // canonical
	incoming []string // canonical, in the order they are read, no duplicates
	resolver *forwarded.Resolver
	generate func() string // nil: NewUUID, whose output needs no check
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("requestid")
	if cfg.Vendor != "" && !token.Valid(cfg.Vendor) {
		problems.Add("Vendor", strconv.Quote(cfg.Vendor)+" must be a token")
	}
	header := cfg.Header
	switch {
	case header != "":
		if !token.Valid(header) {
			problems.Add("Header", strconv.Quote(header)+" must be a token")
		}
	case cfg.Vendor != "":
		header = "X-" + cfg.Vendor + "-Request-Id"
	default:
		header = DefaultHeader
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	m := &Middleware{
		name:     header,
		header:   textproto.CanonicalMIMEHeaderKey(header),
		resolver: cfg.Resolver,
		generate: cfg.Generate,
	}
	// The configured header first: it is the one an instance of this
	// service upstream would pass on. Then X-Request-Id, the common name
	// (Heroku's router, nginx, Envoy), then Request-Id (Heroku's API
	// design guide).
	for _, key := range []string{m.header, "X-Request-Id", "Request-Id"} {
		if !contains(m.incoming, key) {
			m.incoming = append(m.incoming, key)
		}
	}
	return m, nil
}

// ExposedHeaders returns the name of the response header the id is sent
// in, for a CORS expose list (cors.Config.Expose), so that scripts on
// other origins can read it.
func (m *Middleware) ExposedHeaders() []string { return []string{m.name} }

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// Handler is the middleware. It finds the request's id, an incoming one
// believed or a new one, sets it on the response header and in the
// request context, and only then calls next, so that whatever answers the
// request (next, an error, a panic recovered outside) sends the id.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := m.incomingID(r)
		if !ok {
			id = m.newID()
		}
		ctx := newIDContext(r.Context(), id)
		w.Header()[m.header] = ctx.header[:]
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// incomingID returns the first well-formed incoming id, in the order of
// m.incoming, when the peer is a trusted proxy (Resolver.Trusted). A
// header with more than one field line is skipped: which line is the
// proxy's cannot be told.
func (m *Middleware) incomingID(r *http.Request) (string, bool) {
	checked := false
	for _, key := range m.incoming {
		lines := r.Header[key]
		if len(lines) != 1 || !valid(lines[0]) {
			continue
		}
		// The peer is checked only when there is something to believe,
		// and once.
		if !checked {
			if !m.resolver.Trusted(r) {
				return "", false
			}
			checked = true
		}
		return lines[0], true
	}
	return "", false
}

func (m *Middleware) newID() string {
	if m.generate == nil {
		return NewUUID()
	}
	if id := m.generate(); valid(id) {
		return id
	}
	return NewUUID()
}

// valid reports whether id is a well-formed request id: 1 to maxLength
// bytes, each a letter, a digit or one of . _ ~ : / + = -. Such an id
// cannot break a header, a log line or a JSON string: it holds no space,
// quote, comma, semicolon, backslash, control character or non-ASCII byte.
func valid(id string) bool {
	if id == "" || len(id) > maxLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !idChar(id[i]) {
			return false
		}
	}
	return true
}

func idChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '.', '_', '~', ':', '/', '+', '=', '-':
		return true
	}
	return false
}

// NewUUID returns a new random UUID (RFC 9562 §5.4, version 4) in its
// lower-case 8-4-4-4-12 form: "5d1f3c1e-0c4b-4e5a-9d7e-2f7b1a3c4d5e". Its
// 122 random bits come from crypto/rand, so ids cannot be guessed from
// one another. It allocates only the string.
func NewUUID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (Go 1.24): on failure it
	// crashes the program, which is better than ids that repeat.
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10 (RFC 9562 §4.1)
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// contextKey is the key of the id in a context.
type contextKey struct{}

// idContext carries the id. It is a context of its own rather than a
// context.WithValue, so that the id, its one-element header value and the
// context are a single allocation.
type idContext struct {
	context.Context
	id string
	// header is the response header value: its own array, len == cap,
	// so an Add outside appends into a fresh one and a write into it
	// cannot change the id in the context.
	header [1]string
}

func newIDContext(parent context.Context, id string) *idContext {
	return &idContext{Context: parent, id: id, header: [1]string{id}}
}

func (c *idContext) Value(key any) any {
	if key == (contextKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *idContext) String() string {
	return contextName(c.Context) + ".WithValue(requestid, " + c.id + ")"
}

func contextName(c context.Context) string {
	if s, ok := c.(interface{ String() string }); ok {
		return s.String()
	}
	return "context"
}

// FromContext returns the request's id, and false when ctx carries none
// (a request that did not go through a Middleware).
func FromContext(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(contextKey{}).(*idContext)
	if !ok {
		return "", false
	}
	return c.id, true
}

// WithID returns a copy of ctx that carries id, for tests and for work
// started outside a request (a job that wants its log lines to carry the
// id of the request that queued it). It does not check id.
func WithID(ctx context.Context, id string) context.Context {
	return newIDContext(ctx, id)
}
