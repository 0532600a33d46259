package cors

import (
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/observe"
)

// DefaultMaxAge is how long browsers may cache a preflight: a day,
// Access-Control-Max-Age: 86400, the most browsers honour.
const DefaultMaxAge = 24 * time.Hour

// DefaultMethods are the methods a preflight allows.
var DefaultMethods = []string{"GET", "POST", "PATCH", "PUT", "DELETE"}

// DefaultHeaders returns the request headers a preflight allows besides
// the CORS-safelisted ones: credentials, the JSON body's type, the
// conditional-request fields (RFC 9110 §13.1) and X-Requested-With.
func DefaultHeaders() []string {
	return []string{"Authorization", "Content-Type", "If-Match", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since", "X-Requested-With"}
}

// DefaultExposedHeaders returns the response headers scripts may read by
// default: the validators and links (ETag, Link, Location), Retry-After
// and GitHub's X-RateLimit-* fields; with a vendor, also the
// X-<vendor>-Media-Type that package mediatype sends, the
// X-<vendor>-OTP of auth's two-factor answers (examples/stack's
// auth.Config.OTPHeaders) and the X-<vendor>-Request-Id that package
// requestid sends with that vendor.
// Headers other middlewares send when configured so (the IETF RateLimit
// fields, a custom request-id header) are added with Config.Expose.
func DefaultExposedHeaders(vendor string) []string {
	exposed := []string{"ETag", "Link", "Location", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource"}
	if vendor == "" {
		// requestid's header when it has no vendor either.
		return append(exposed, "X-Request-Id")
	}
	// X-<vendor>-OTP where GitHub lists X-GitHub-OTP, after Retry-After.
	exposed = slices.Insert(exposed, 4, "X-"+vendor+"-OTP")
	return append(exposed, "X-"+vendor+"-Media-Type", "X-"+vendor+"-Request-Id")
}

// maxRequestHeaders bounds the names read from a preflight's
// Access-Control-Request-Headers; a preflight asking for more is refused.
const maxRequestHeaders = 32

// Config configures a Middleware. The zero value is GitHub's policy: any
// origin, no credentials, DefaultMethods, DefaultHeaders and
// DefaultExposedHeaders("").
type Config struct {
	// Origins are the origins allowed: "*" for any (the default, alone),
	// exact origins ("https://blog.example.com", "http://localhost:8080")
	// and patterns with one leading wildcard label
	// ("https://*.example.com", which does not match example.com itself).
	Origins []string
	// Credentials lets scripts send cookies and HTTP authentication and
	// read the answer: the origin is echoed and
	// Access-Control-Allow-Credentials: true is set. It cannot be used
	// with "*".
	Credentials bool
	// Methods are the methods a preflight allows besides GET, HEAD and
	// POST. Default: DefaultMethods.
	Methods []string
	// Headers are the request headers a preflight allows besides the
	// CORS-safelisted ones. Default: DefaultHeaders(), and with a Vendor
	// X-<Vendor>-OTP, the two-factor code of auth.Config.OTPHeaders.
	Headers []string
	// ExposedHeaders, when not nil, replaces the whole list of response
	// headers scripts may read (an empty list exposes none). Default:
	// DefaultExposedHeaders(Vendor).
	ExposedHeaders []string
	// Expose adds names to the exposed list (the default, or
	// ExposedHeaders): what the configured middlewares send beyond the
	// default, such as the rate limiter's ExposedHeaders() with its IETF
	// RateLimit fields on, or a request-id header of its own name. A name
	// already listed, in any case, is not repeated.
	Expose []string
	// MaxAge is how long a preflight may be cached, whole seconds, at
	// most a day. Default: a day.
	MaxAge time.Duration
	// Vendor is the name in the X-<Vendor>-... headers of the default
	// lists (exposed: X-<Vendor>-Media-Type, X-<Vendor>-OTP,
	// X-<Vendor>-Request-Id; allowed: X-<Vendor>-OTP), a token. Default:
	// none, and the default lists name no vendor header.
	Vendor string
	// Observer, when set, sees each decision: observe.Preflight for a
	// preflight answered with the access it asked for, observe.CORSRefused
	// (Detail "origin", "method" or "headers") for a preflight refused or
	// an actual request from an origin not allowed. CORS writes no error:
	// a refusal is an answer without CORS headers, which the browser
	// enforces, so there is no error hook.
	Observer observe.Observer
}

// Middleware answers CORS preflights and adds CORS headers to actual
// responses. Build one with New; it is safe for concurrent use.
type Middleware struct {
	anyOrigin   bool
	exact       []string // a short list scans faster than a map hashes
	patterns    []pattern
	credentials bool
	methods     []string
	headers     []string // lower-case
	observer    observe.Observer

	// Header values, made once and shared by every response (len == cap,
	// so an Add elsewhere gets a fresh array).
	star           []string
	exposed        []string
	allowMethods   []string
	allowHeaders   []string
	maxAge         []string
	trueValue      []string
	varyOrigin     []string
	varyPreflight  []string
	varyPreflight0 []string // without Origin, when any origin is allowed

	// allowedRequestHeaders is the last Access-Control-Request-Headers
	// value found allowed. A browser sends the same few lists over and
	// over; a hit is one string comparison instead of a parse.
	allowedRequestHeaders atomic.Pointer[string]
}

// pattern is "scheme://*.suffix[:port]".
type pattern struct {
	prefix string // "https://"
	suffix string // ".example.com" or ".example.com:8443"
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("cors")
	vendor := cfg.Vendor
	if vendor != "" && !token.Valid(vendor) {
		problems.Addf("Vendor", "%q must be a token", vendor)
		vendor = "" // reported once, not again in the default list
	}
	m := &Middleware{credentials: cfg.Credentials, observer: cfg.Observer}

	origins := cfg.Origins
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	for i, o := range origins {
		field := configerr.Index("Origins", i)
		switch {
		case o == "*":
			if len(origins) > 1 {
				problems.Add(field, `"*" allows every origin and must be the only one`)
			}
			if cfg.Credentials {
				problems.Add(field, `"*" cannot be used with Credentials: a page from any site could act as the user`)
			}
			m.anyOrigin = true
		case o == "null":
			problems.Add(field, `"null" is the origin of sandboxed and file documents, which anyone can create; it cannot be trusted`)
		default:
			exact, pat, problem := parseOrigin(o)
			switch {
			case problem != "":
				problems.Addf(field, "%q %s", o, problem)
			case exact != "":
				m.exact = append(m.exact, exact)
			default:
				m.patterns = append(m.patterns, pat)
			}
		}
	}

	methods := cfg.Methods
	if methods == nil {
		methods = DefaultMethods
	}
	var allowMethods []string
	for i, method := range methods {
		switch {
		case !token.Valid(method):
			problems.Addf(configerr.Index("Methods", i), "%q is not a method name", method)
		case forbiddenMethod(method):
			problems.Addf(configerr.Index("Methods", i), "%q is a forbidden method (Fetch §2.2.1)", method)
		default:
			m.methods = append(m.methods, method)
			allowMethods = append(allowMethods, method)
		}
	}

	headers := cfg.Headers
	if headers == nil {
		headers = DefaultHeaders()
		if vendor != "" {
			// The two-factor code scripts send with a password, before
			// X-Requested-With as GitHub lists X-GitHub-OTP.
			headers = slices.Insert(headers, len(headers)-1, "X-"+vendor+"-OTP")
		}
	}
	var allowHeaders []string
	for i, name := range headers {
		switch {
		case !token.Valid(name):
			problems.Addf(configerr.Index("Headers", i), "%q is not a field name", name)
		case forbiddenRequestHeader(name):
			problems.Addf(configerr.Index("Headers", i), "%q is a forbidden request header, which scripts cannot set (Fetch §2.2.2)", name)
		default:
			m.headers = append(m.headers, strings.ToLower(name))
			allowHeaders = append(allowHeaders, name)
		}
	}

	base := cfg.ExposedHeaders
	if base == nil {
		base = DefaultExposedHeaders(vendor)
	}
	var exposed []string
	addExposed := func(field string, names []string) {
		for i, name := range names {
			switch {
			case !token.Valid(name):
				problems.Addf(configerr.Index(field, i), "%q is not a field name", name)
			case token.EqualFold(name, "Set-Cookie") || token.EqualFold(name, "Set-Cookie2"):
				problems.Addf(configerr.Index(field, i), "%q is never exposed to scripts (Fetch §2.2.6)", name)
			case !containsFold(exposed, name):
				exposed = append(exposed, name)
			}
		}
	}
	addExposed("ExposedHeaders", base)
	addExposed("Expose", cfg.Expose)

	maxAge := cfg.MaxAge
	switch {
	case maxAge == 0:
		maxAge = DefaultMaxAge
	case maxAge < 0 || maxAge > DefaultMaxAge || maxAge%time.Second != 0:
		problems.Add("MaxAge", "must be whole seconds, at most a day")
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}

	m.star = []string{"*"}
	if len(exposed) > 0 {
		m.exposed = []string{strings.Join(exposed, ", ")}
	}
	m.allowMethods = []string{strings.Join(allowMethods, ", ")}
	m.allowHeaders = []string{strings.Join(allowHeaders, ", ")}
	m.maxAge = []string{strconv.Itoa(int(maxAge / time.Second))}
	m.trueValue = []string{"true"}
	m.varyOrigin = []string{"Origin"}
	m.varyPreflight = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
	m.varyPreflight0 = []string{"Access-Control-Request-Method, Access-Control-Request-Headers"}
	return m, nil
}

// containsFold reports whether list holds name in any case: header names
// are case-insensitive (RFC 9110 §5.1).
func containsFold(list []string, name string) bool {
	for _, item := range list {
		if token.EqualFold(item, name) {
			return true
		}
	}
	return false
}

// parseOrigin validates an origin or pattern from the config and returns
// it serialized as browsers send it (RFC 6454 §6.2: lower-case, no
// default port), or as a pattern.
func parseOrigin(s string) (string, pattern, string) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", pattern{}, `is not an origin: it needs "scheme://host"`
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", pattern{}, "has an invalid scheme (write it in lower case)"
		}
	}
	wildcard := strings.HasPrefix(rest, "*.")
	if wildcard {
		rest = "x" + rest[1:] // validate the rest as a host with one label more
	}
	u, err := url.Parse(scheme + "://" + rest)
	switch {
	case err != nil:
		return "", pattern{}, "is not an origin: " + err.Error()
	case u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(rest, "?") || strings.HasSuffix(rest, "#"):
		return "", pattern{}, `is not an origin: only "scheme://host[:port]", with no path, query or user`
	case strings.Contains(rest, "*"):
		return "", pattern{}, `may only have "*." at the start of its host`
	case u.Host != strings.ToLower(u.Host):
		return "", pattern{}, "must be in lower case, as browsers send it"
	}
	host, port := u.Hostname(), u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", pattern{}, "has an invalid port"
		}
		if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
			port = "" // browsers leave the default port out
		}
	}
	hostPort := host
	if strings.Contains(host, ":") {
		hostPort = "[" + host + "]"
	}
	if port != "" {
		hostPort += ":" + port
	}
	if !wildcard {
		return scheme + "://" + hostPort, pattern{}, ""
	}
	suffix := hostPort[1:] // ".example.com[:port]"
	if !strings.Contains(strings.TrimPrefix(host[1:], "."), ".") {
		return "", pattern{}, `matches every site under a top-level domain; name a domain ("*.example.com")`
	}
	return "", pattern{prefix: scheme + "://", suffix: suffix}, ""
}

// allowed reports whether origin may read the answer.
func (m *Middleware) allowed(origin string) bool {
	if m.anyOrigin {
		return true
	}
	for _, o := range m.exact {
		if o == origin {
			return true
		}
	}
	for _, p := range m.patterns {
		if p.match(origin) {
			return true
		}
	}
	return false
}

// match reports whether origin is scheme://label(s).suffix, with at least
// one label in place of the "*".
func (p pattern) match(origin string) bool {
	if len(origin) <= len(p.prefix)+len(p.suffix) || !strings.HasPrefix(origin, p.prefix) || !strings.HasSuffix(origin, p.suffix) {
		return false
	}
	labels := origin[len(p.prefix) : len(origin)-len(p.suffix)]
	for i := 0; i < len(labels); i++ {
		c := labels[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		case c == '.' && i > 0 && i < len(labels)-1 && labels[i-1] != '.':
		default:
			return false
		}
	}
	return true
}

// Handler is the middleware. A preflight (OPTIONS with Origin and
// Access-Control-Request-Method) is answered at once with 204: with the
// CORS headers when its origin, method and headers are allowed, without
// them otherwise, so the browser refuses the request it announced. A
// plain OPTIONS goes on to next. Every other response gets
// Access-Control-Allow-Origin and Access-Control-Expose-Headers when the
// origin is allowed (with any origin allowed: always), set before next
// runs so redirects and errors carry them too.
//
// It belongs near the top of the stack, after request ids and the
// User-Agent check and before authentication and the rate limiter: a
// preflight carries no credentials and must not cost quota.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header["Origin"]
		if r.Method == http.MethodOptions && len(origin) > 0 {
			if method := r.Header["Access-Control-Request-Method"]; len(method) > 0 {
				m.preflight(w, r, origin, method[0])
				return
			}
		}
		h := w.Header()
		if m.anyOrigin {
			// The answer does not depend on the origin: no Vary.
			h["Access-Control-Allow-Origin"] = m.star
			if m.exposed != nil {
				h["Access-Control-Expose-Headers"] = m.exposed
			}
			next.ServeHTTP(w, r)
			return
		}
		addVary(h, m.varyOrigin)
		if len(origin) == 1 && m.allowed(origin[0]) {
			h["Access-Control-Allow-Origin"] = origin[0:1:1]
			if m.credentials {
				h["Access-Control-Allow-Credentials"] = m.trueValue
			}
			if m.exposed != nil {
				h["Access-Control-Expose-Headers"] = m.exposed
			}
		} else if len(origin) > 0 && m.observer != nil {
			// The browser keeps the answer from the script. A same-origin
			// page of an origin not listed is counted too: browsers send
			// Origin on its POSTs.
			m.observer.Observe(observe.Event{Middleware: "cors", Decision: observe.CORSRefused, Detail: refusedOrigin, Request: r})
		}
		next.ServeHTTP(w, r)
	})
}

// The Details of observe.CORSRefused: what was not allowed.
const (
	refusedOrigin  = "origin"
	refusedMethod  = "method"
	refusedHeaders = "headers"
)

func (m *Middleware) preflight(w http.ResponseWriter, r *http.Request, origin []string, method string) {
	h := w.Header()
	if m.anyOrigin {
		addVary(h, m.varyPreflight0)
	} else {
		addVary(h, m.varyPreflight)
	}
	refused := ""
	switch {
	case len(origin) != 1 || !m.allowed(origin[0]):
		refused = refusedOrigin
	case !m.methodAllowed(method):
		refused = refusedMethod
	case !m.headersAllowed(r.Header["Access-Control-Request-Headers"]):
		refused = refusedHeaders
	}
	if refused == "" {
		if m.anyOrigin {
			h["Access-Control-Allow-Origin"] = m.star
		} else {
			h["Access-Control-Allow-Origin"] = origin[0:1:1]
		}
		if m.credentials {
			h["Access-Control-Allow-Credentials"] = m.trueValue
		}
		h["Access-Control-Allow-Methods"] = m.allowMethods
		h["Access-Control-Allow-Headers"] = m.allowHeaders
		h["Access-Control-Max-Age"] = m.maxAge
		// No Access-Control-Expose-Headers: the Fetch standard reads it
		// from the actual response only, when it filters that response
		// for the script.
	}
	if m.observer != nil {
		ev := observe.Event{Middleware: "cors", Decision: observe.Preflight, Request: r}
		if refused != "" {
			ev.Decision, ev.Detail = observe.CORSRefused, refused
		}
		m.observer.Observe(ev)
	}
	// A refusal is this same 204 without the CORS headers: the Fetch
	// standard's CORS check fails in the browser, which is what refuses.
	w.WriteHeader(http.StatusNoContent)
}

// methodAllowed: the CORS-safelisted methods always are (Fetch §2.2.1);
// others must be listed, compared case-sensitively, as browsers send
// them.
func (m *Middleware) methodAllowed(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	for _, m := range m.methods {
		if m == method {
			return true
		}
	}
	return false
}

// headersAllowed checks Access-Control-Request-Headers, a comma-separated
// list of lower-case names (Fetch §4.8), against the allowed ones.
func (m *Middleware) headersAllowed(values []string) bool {
	if len(values) == 0 {
		return true
	}
	if len(values) == 1 {
		if last := m.allowedRequestHeaders.Load(); last != nil && *last == values[0] {
			return true
		}
	}
	if !m.parseHeadersAllowed(values) {
		return false
	}
	if len(values) == 1 {
		last := values[0] // a copy, so the request's header slice is not kept
		m.allowedRequestHeaders.Store(&last)
	}
	return true
}

func (m *Middleware) parseHeadersAllowed(values []string) bool {
	count := 0
	for _, v := range values {
		for len(v) > 0 {
			var name string
			name, v, _ = strings.Cut(v, ",")
			name = trimSpace(name)
			if name == "" {
				continue
			}
			if count++; count > maxRequestHeaders {
				return false
			}
			if !m.headerAllowed(name) {
				return false
			}
		}
	}
	return true
}

// trimSpace trims optional whitespace (RFC 9110 §5.6.3).
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// headerAllowed compares case-insensitively: browsers send lower case,
// other clients may not.
func (m *Middleware) headerAllowed(name string) bool {
	if safelisted(name) {
		return true
	}
	for _, h := range m.headers {
		if len(h) == len(name) && (h == name || token.EqualFold(h, name)) {
			return true
		}
	}
	return false
}

// safelisted are the CORS-safelisted request headers (Fetch §2.2.2) that
// a browser may still list.
func safelisted(name string) bool {
	switch name {
	case "accept", "accept-language", "content-language", "content-type", "range":
		return true
	}
	return false
}

// addVary sets Vary to the shared value, or merges it into a Vary a
// middleware outside already set.
func addVary(h http.Header, value []string) {
	existing := h["Vary"]
	if len(existing) == 0 {
		h["Vary"] = value
		return
	}
	h["Vary"] = []string{strings.Join(existing, ", ") + ", " + value[0]}
}

// forbiddenMethod: Fetch §2.2.1.
func forbiddenMethod(method string) bool {
	switch strings.ToUpper(method) {
	case "CONNECT", "TRACE", "TRACK":
		return true
	}
	return false
}

// forbiddenRequestHeader: Fetch §2.2.2, headers a script can never set.
func forbiddenRequestHeader(name string) bool {
	key := textproto.CanonicalMIMEHeaderKey(name)
	switch key {
	case "Accept-Charset", "Accept-Encoding", "Access-Control-Request-Headers", "Access-Control-Request-Method",
		"Connection", "Content-Length", "Cookie", "Cookie2", "Date", "Dnt", "Expect", "Host", "Keep-Alive",
		"Origin", "Referer", "Set-Cookie", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Via":
		return true
	}
	return strings.HasPrefix(key, "Proxy-") || strings.HasPrefix(key, "Sec-")
}
