package useragent

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultSite is the page the 403 body points at, the seed's.
const DefaultSite = "https://developer.myblog.com"

// Config configures a Middleware. The zero value is the seed's rule: every
// request without a User-Agent is refused, and the body points at
// DefaultSite.
type Config struct {
	// Site is the developer site the 403 body sends people to. It must be
	// an absolute http or https URL with a host and no user information;
	// since the body is served as text/html, it may not hold spaces,
	// control characters, non-ASCII bytes (percent-encode them) or any
	// of < > & " '. Default: DefaultSite.
	Site string
	// Exempt requests may come without a User-Agent: health checks from
	// a load balancer or an orchestrator that sends none. It is only
	// called for requests that lack one. Default: none is exempt.
	Exempt func(*http.Request) bool
	// OnForbidden, when set, answers a request without a User-Agent
	// instead of the seed's 403 page (to answer in the service's JSON
	// error shape, say).
	OnForbidden http.Handler
}

// ConfigError is one problem with a Config; New returns all of them at
// once, joined with errors.Join.
type ConfigError struct {
	// Field names the Config field: "Site".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

func (e *ConfigError) Error() string { return "useragent: Config." + e.Field + ": " + e.Reason }

// Middleware refuses requests that do not say who is calling. Build one
// with New; it is safe for concurrent use.
type Middleware struct {
	exempt      func(*http.Request) bool
	onForbidden http.Handler
	body        []byte

	// Header values, made once and shared by every refusal. Each slice
	// has len == cap, so an Add elsewhere appends into a fresh array
	// rather than into the next response's header.
	contentType   []string
	contentLength []string
	nosniff       []string
	connection    []string
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	site := cfg.Site
	if site == "" {
		site = DefaultSite
	}
	var problems []error
	if reason := checkSite(site); reason != "" {
		problems = append(problems, &ConfigError{Field: "Site", Reason: strconv.Quote(site) + " " + reason})
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	body := "Request forbidden by administrative rules.\n" +
		"Please make sure your request has a User-Agent header.\n" +
		"Check " + site + " for other possible causes.\n"
	return &Middleware{
		exempt:        cfg.Exempt,
		onForbidden:   cfg.OnForbidden,
		body:          []byte(body),
		contentType:   []string{"text/html"},
		contentLength: []string{strconv.Itoa(len(body))},
		nosniff:       []string{"nosniff"},
		connection:    []string{"close"},
	}, nil
}

// checkSite says what is wrong with site as the developer site, or "".
func checkSite(site string) string {
	for i := 0; i < len(site); i++ {
		// The body is text/html: a site that could open a tag, an
		// attribute or an entity would let the config inject markup.
		if c := site[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>&"'`, c) >= 0 {
			return "may hold only visible ASCII characters other than < > & \" '"
		}
	}
	u, err := url.Parse(site)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an absolute http or https URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "must not hold user information"
	}
	return ""
}

// Handler is the middleware. A request with a User-Agent that is not
// blank goes to next untouched. Any other request, unless Config.Exempt
// says otherwise, is answered at once:
//
//	HTTP/1.1 403 Forbidden
//	Connection: close
//	Content-Length: 160
//	Content-Type: text/html
//	X-Content-Type-Options: nosniff
//
//	Request forbidden by administrative rules.
//	Please make sure your request has a User-Agent header.
//	Check https://developer.myblog.com for other possible causes.
//
// A HEAD request gets the same status and headers, without the body.
// Headers that middlewares outside have already set (a request id) stay.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasUserAgent(r.Header["User-Agent"]) || m.exempt != nil && m.exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		if m.onForbidden != nil {
			m.onForbidden.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = m.contentType
		h["Content-Length"] = m.contentLength
		h["X-Content-Type-Options"] = m.nosniff
		// The client is not one we want to keep talking to: net/http
		// closes the connection after this response.
		h["Connection"] = m.connection
		w.WriteHeader(http.StatusForbidden)
		if r.Method != http.MethodHead {
			_, _ = w.Write(m.body)
		}
	})
}

// hasUserAgent reports whether one of the User-Agent field lines holds
// something other than whitespace. RFC 9110 §10.1.5 makes it a single
// product list, but a client that sends a second line still said who it
// is.
func hasUserAgent(lines []string) bool {
	for _, line := range lines {
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case ' ', '\t', '\r', '\n', '\v', '\f':
			default:
				return true
			}
		}
	}
	return false
}
