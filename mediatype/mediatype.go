package mediatype

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/configerr"
	httptoken "github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/observe"
)

// DefaultVersion is the version served when Config.Versions is empty.
const DefaultVersion = "v3"

// MsgNotAcceptable is the message of the 406, after GitHub's: the media
// range asked for, quoted, then the media types the service serves.
const MsgNotAcceptable = "Unsupported 'Accept' header: %s. Must accept one of: %s."

// maxQuoted bounds the bytes of the client's media range echoed in a 406.
const maxQuoted = 100

// Config configures a Negotiator. Vendor is required; the rest defaults
// to version v3 only and no alternative representations, GitHub's.
type Config struct {
	// Vendor is the name in application/vnd.<Vendor>... and in the
	// X-<Vendor>-Media-Type header: "acme" for application/vnd.acme.v3+json,
	// as "github" is GitHub's. Required: a vendor type names its owner,
	// and no default could be yours. It must be a lower-case token
	// without '.' or '+', which would make the media type ambiguous: a
	// letter, then letters, digits and '-'.
	Vendor string
	// Versions are the versions served, the first being the default.
	// Default []string{"v3"}. Each is "v" followed by digits, without a
	// leading zero.
	Versions []string
	// Params are the alternative representations handlers offer ("raw",
	// "full", "text", "html"): lower-case tokens, a letter then letters,
	// digits and '-', not shaped like a version. Default: none.
	Params []string
	// OnError answers a request refused with 406 Not Acceptable. It gets
	// the *apierrors.Error (ID "not_acceptable") after X-<Vendor>-Media-Type
	// (the default representation's, the one the error is in) and Vary:
	// Accept are set, before anything is written. Default:
	// Errors.WriteError.
	OnError apierrors.Hook
	// Errors writes the 406 when OnError is nil. Default: a nil
	// *apierrors.Writer, GitHub's shape.
	Errors *apierrors.Writer
	// Observer, when set, sees each 406: observe.NotAcceptable, Detail
	// "version" (the one refusal: a version not served).
	Observer observe.Observer
}

// MediaType is the representation a request negotiated.
type MediaType struct {
	// Version is one of Config.Versions: "v3".
	Version string
	// Param is one of Config.Params ("raw", "full"), or "" for the
	// default representation.
	Param string
	// Format is "json", the one format served.
	Format string
}

// formatJSON is the one format served: a vendor type without a suffix
// (application/vnd.acme.v3.raw) or with "+json" is JSON.
const formatJSON = "json"

// Negotiator chooses the representation of each request from its Accept
// field. Build one with New; it is safe for concurrent use.
type Negotiator struct {
	vendor     string
	prefix     string // "vnd.acme", lower-case, matched against subtypes
	versions   []string
	params     []string
	headerName string // "X-acme-Media-Type", as ExposedHeaders gives it
	headerKey  string // "X-Acme-Media-Type", canonical
	onError    apierrors.Hook
	observer   observe.Observer

	// reps[v][0] is version v's default representation, reps[v][p+1] its
	// params[p]; reps[0][0] is the default. The context holds pointers
	// into it, so putting a result there costs no allocation of its own.
	reps [][]representation
	// acceptable lists the types served, for the 406 message.
	acceptable string
	// common are the Accept values most requests send, each with the
	// representation choose found for it in New: a request sending exactly
	// one of them skips the parser.
	common []commonAccept
}

type commonAccept struct {
	value string
	rep   *representation
}

// representation is a MediaType with its header value, made once and
// shared by every response (len == cap, so an Add elsewhere gets a fresh
// array).
type representation struct {
	mediaType MediaType
	header    []string
}

// New validates cfg and returns its Negotiator.
func New(cfg Config) (*Negotiator, error) {
	problems := configerr.New("mediatype")
	vendor := cfg.Vendor
	switch {
	case vendor == "":
		problems.Add("Vendor", `is required: the name in application/vnd.<Vendor>.v3+json and X-<Vendor>-Media-Type ("acme")`)
	case !isName(vendor):
		problems.Addf("Vendor", "%q must be a lower-case token: a letter, then letters, digits and '-'", vendor)
	}

	versions := cfg.Versions
	if len(versions) == 0 {
		versions = []string{DefaultVersion}
	}
	for i, v := range versions {
		field := configerr.Index("Versions", i)
		switch {
		case !isVersion(v) || len(v) > 2 && v[1] == '0':
			problems.Addf(field, `%q must be "v" followed by digits, without a leading zero ("v3")`, v)
		case indexOf(versions[:i], v) >= 0:
			problems.Addf(field, "%q is listed twice", v)
		}
	}

	for i, p := range cfg.Params {
		field := configerr.Index("Params", i)
		switch {
		case !isName(p):
			problems.Addf(field, "%q must be a lower-case token: a letter, then letters, digits and '-'", p)
		case isVersion(p):
			problems.Addf(field, "%q is shaped like a version: application/vnd.<vendor>.%s+json would ask for version %s", p, p, p)
		case indexOf(cfg.Params[:i], p) >= 0:
			problems.Addf(field, "%q is listed twice", p)
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}

	onError := cfg.OnError
	if onError == nil {
		onError = cfg.Errors.WriteError
	}
	n := &Negotiator{
		vendor:     vendor,
		prefix:     "vnd." + vendor,
		versions:   append([]string(nil), versions...),
		params:     append([]string(nil), cfg.Params...),
		headerName: "X-" + vendor + "-Media-Type",
		headerKey:  http.CanonicalHeaderKey("X-" + vendor + "-Media-Type"),
		onError:    onError,
		observer:   cfg.Observer,
	}
	n.reps = make([][]representation, len(n.versions))
	var acceptable []string
	for v, version := range n.versions {
		n.reps[v] = make([]representation, 1+len(n.params))
		for p := range n.reps[v] {
			m := MediaType{Version: version, Format: formatJSON}
			if p > 0 {
				m.Param = n.params[p-1]
			}
			n.reps[v][p] = representation{mediaType: m, header: []string{n.HeaderValue(m)}}
		}
		acceptable = append(acceptable, "application/"+n.prefix+"."+version+"+json")
	}
	n.acceptable = strings.Join(append(acceptable, "application/json"), ", ")

	common := append([]string{"application/json", "*/*", "application/vnd.github.v3+json", "application/" + n.prefix + "+json"}, acceptable...)
	for _, p := range n.params {
		common = append(common, "application/"+n.prefix+"."+n.versions[0]+"."+p+"+json")
	}
	for _, value := range common {
		if rep, _ := n.choose([]string{value}); rep != nil {
			n.common = append(n.common, commonAccept{value: value, rep: rep})
		}
	}
	return n, nil
}

// HeaderValue returns the X-<Vendor>-Media-Type value that describes m, in
// GitHub's form: "acme.v3; format=json", "acme.v3; param=raw;
// format=json". It is a method of the Negotiator, not of MediaType,
// because the vendor is the Negotiator's. Handler sets it on every
// response; a handler that answers with another representation than the
// one negotiated may set it again.
func (n *Negotiator) HeaderValue(m MediaType) string {
	s := n.vendor + "." + m.Version
	if m.Param != "" {
		s += "; param=" + m.Param
	}
	if m.Format != "" {
		s += "; format=" + m.Format
	}
	return s
}

// ExposedHeaders returns the name of the header Handler sets,
// X-<Vendor>-Media-Type, for a CORS expose list (cors.Config.Expose), so
// that scripts on other origins can read it.
func (n *Negotiator) ExposedHeaders() []string { return []string{n.headerName} }

// Handler is the middleware. It negotiates the request's Accept field,
// sets X-<Vendor>-Media-Type and merges Vary: Accept before next runs (so
// errors, redirects and 304s written further in carry them), puts the
// MediaType in the request's context for FromContext, and calls next. When
// Accept asks only for versions the service does not serve, it answers
// 406 through Config.OnError instead (by default Config.Errors), with the
// default representation's X-<Vendor>-Media-Type.
//
// It belongs after CORS and before authentication: a preflight never
// reaches it, and a 406 costs neither a credential check nor quota.
func (n *Negotiator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, unserved := n.choose(r.Header["Accept"])
		h := w.Header()
		addVaryAccept(h)
		if rep == nil {
			h[n.headerKey] = n.reps[0][0].header
			if n.observer != nil {
				n.observer.Observe(observe.Event{Middleware: "mediatype", Decision: observe.NotAcceptable, Detail: "version", Request: r})
			}
			n.onError(w, r, n.notAcceptable(unserved))
			return
		}
		h[n.headerKey] = rep.header
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, &rep.mediaType)))
	})
}

// Negotiate chooses the representation for the Accept field lines accept
// (r.Header["Accept"]), by the rules in the package documentation. The
// error, when Accept asks only for versions the service does not serve,
// is an *apierrors.Error with status 406 and ID "not_acceptable". It does
// not allocate unless it fails.
func (n *Negotiator) Negotiate(accept []string) (MediaType, error) {
	rep, unserved := n.choose(accept)
	if rep == nil {
		return MediaType{}, n.notAcceptable(unserved)
	}
	return rep.mediaType, nil
}

// choose returns the representation for accept, or nil and the first
// acceptable media range that names a version the service does not serve.
//
// The ranges are ranked as RFC 9110 §12.5.1 has it: the highest weight
// first, then the most specific (type/subtype over type/* over */*), then
// the first in the field. The best range that matches a representation
// wins. q=0 only takes a range out of the running.
func (n *Negotiator) choose(accept []string) (*representation, mediaRange) {
	switch len(accept) {
	case 0:
		return &n.reps[0][0], mediaRange{} // RFC 9110 §12.5.1: any type
	case 1:
		for _, c := range n.common {
			if c.value == accept[0] {
				return c.rep, mediaRange{}
			}
		}
	}
	var best *representation
	bestWeight, bestSpecificity := 0, 0
	var unserved mediaRange
	sc := rangeScanner{lines: accept}
	for {
		r, valid, ok := sc.next()
		if !ok {
			break
		}
		if !valid || r.weight == 0 || r.weight < bestWeight {
			continue
		}
		rep, specificity, unservedVersion := n.match(r)
		if unservedVersion && unserved.typ == "" {
			unserved = r
		}
		if rep != nil && (best == nil || r.weight > bestWeight || specificity > bestSpecificity) {
			best, bestWeight, bestSpecificity = rep, r.weight, specificity
		}
	}
	if best == nil && unserved.typ == "" {
		// Nothing we serve was asked for, or only excluded (q=0): RFC 9110
		// §12.5.1 lets the server disregard Accept rather than answer 406,
		// and the convention is to serve the default.
		best = &n.reps[0][0]
	}
	return best, unserved
}

// match returns the representation the range r selects, if any, with the
// range's specificity; unserved reports a vendor type naming a version the
// service does not serve.
func (n *Negotiator) match(r mediaRange) (rep *representation, specificity int, unserved bool) {
	if r.typ == "*" {
		return &n.reps[0][0], 0, false // "*/*": parseRange refuses "*/json"
	}
	if !httptoken.EqualFold(r.typ, "application") {
		return nil, 0, false
	}
	switch {
	case r.subtype == "*":
		return &n.reps[0][0], 1, false
	case httptoken.EqualFold(r.subtype, "json"):
		return &n.reps[0][0], 2, false
	case !httptoken.HasPrefixFold(r.subtype, n.prefix):
		return nil, 0, false
	}

	// GitHub's application/vnd.<vendor>[.version][.param][+json].
	rest := r.subtype[len(n.prefix):]
	if i := strings.LastIndexByte(rest, '+'); i >= 0 {
		if !httptoken.EqualFold(rest[i+1:], formatJSON) {
			return nil, 0, false // a format not served: another type
		}
		rest = rest[:i]
	}
	if rest == "" {
		return &n.reps[0][0], 2, false
	}
	if rest[0] != '.' {
		return nil, 0, false // vnd.acmecorp: another vendor
	}
	rest = rest[1:]
	v, param := 0, rest
	if first, after, _ := strings.Cut(rest, "."); isVersionFold(first) {
		if v = n.versionIndex(first); v < 0 {
			return nil, 0, true
		}
		param = after
	}
	// A param the service does not offer is no param: the default
	// representation, not a 406.
	return &n.reps[v][n.paramIndex(param)+1], 2, false
}

// versionIndex returns the index in n.versions of version, "v" or "V"
// followed by digits, ignoring leading zeros ("v03" is v3); -1 if it is
// not served.
func (n *Negotiator) versionIndex(version string) int {
	digits := version[1:]
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	for i, v := range n.versions {
		if v[1:] == digits {
			return i
		}
	}
	return -1
}

// paramIndex returns the index in n.params of param, ignoring case; -1 for
// none.
func (n *Negotiator) paramIndex(param string) int {
	if param == "" {
		return -1
	}
	for i, p := range n.params {
		if httptoken.EqualFold(param, p) {
			return i
		}
	}
	return -1
}

// notAcceptable returns the 406 for the media range r.
func (n *Negotiator) notAcceptable(r mediaRange) *apierrors.Error {
	mediaRange := r.typ + "/" + r.subtype
	if len(mediaRange) > maxQuoted {
		mediaRange = mediaRange[:maxQuoted] + "..."
	}
	return &apierrors.Error{
		Status:  http.StatusNotAcceptable,
		Message: fmt.Sprintf(MsgNotAcceptable, strconv.Quote(mediaRange), n.acceptable),
		ID:      "not_acceptable",
	}
}

// varyAccept is the Vary value when no middleware outside set one, shared
// (len == cap).
var varyAccept = []string{"Accept"}

// addVaryAccept merges Accept into Vary: the representation depends on it
// (RFC 9110 §12.5.5), and caches must not serve a v3 body to a client that
// asked for raw.
func addVaryAccept(h http.Header) {
	existing := h["Vary"]
	if len(existing) == 0 {
		h["Vary"] = varyAccept
		return
	}
	for _, line := range existing {
		for line != "" {
			var name string
			name, line, _ = strings.Cut(line, ",")
			if name = strings.TrimSpace(name); name == "*" || httptoken.EqualFold(name, "accept") {
				return
			}
		}
	}
	h["Vary"] = []string{strings.Join(existing, ", ") + ", Accept"}
}

// contextKey is the key of the MediaType in a request's context.
type contextKey struct{}

// FromContext returns the MediaType Handler negotiated for the request
// whose context is ctx (or that WithMediaType put there); ok is false when
// there is none.
func FromContext(ctx context.Context) (MediaType, bool) {
	m, ok := ctx.Value(contextKey{}).(*MediaType)
	if !ok || m == nil {
		return MediaType{}, false
	}
	return *m, true
}

// WithMediaType returns a copy of ctx carrying m, as Handler would: for
// testing handlers without the middleware.
func WithMediaType(ctx context.Context, m MediaType) context.Context {
	return context.WithValue(ctx, contextKey{}, &m)
}

// isName reports whether s is a lower-case letter, then lower-case
// letters, digits and '-': a token that needs no case folding and holds
// neither '.' nor '+', which separate the parts of a vendor media type.
func isName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isVersion reports whether s is "v" followed by one or more digits.
func isVersion(s string) bool {
	return len(s) > 1 && s[0] == 'v' && allDigits(s[1:])
}

// isVersionFold is isVersion ignoring the case of the "v", since a media
// type is case-insensitive.
func isVersionFold(s string) bool {
	return len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && allDigits(s[1:])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
