package useragent

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/observe"
)

// MsgForbidden is the message of the 403, GitHub's words. With
// Config.Site, a last sentence sends the reader there: "Check
// https://developer.example.com for other possible causes."
const MsgForbidden = "Request forbidden by administrative rules. Please make sure your request has a User-Agent header."

// Config configures a Middleware. The zero value refuses every request
// without a User-Agent with a 403 in the Errors writer's shape.
type Config struct {
	// Site is the developer site the 403's message sends people to. It
	// must be an absolute http or https URL with a host and no user
	// information, and hold only visible ASCII other than < > & " ' (a
	// hook may well show the message as HTML; percent-encode the rest).
	// Default: none, and the message names no site.
	Site string
	// Exempt requests may come without a User-Agent: health checks from
	// a load balancer or an orchestrator that sends none. It is only
	// called for requests that lack one. Default: none is exempt.
	Exempt func(*http.Request) bool
	// OnError answers a request without a User-Agent. It gets the 403
	// *apierrors.Error (ID "user_agent_required", Message MsgForbidden
	// and the Site sentence) after Connection: close is set, before
	// anything is written. Default: Errors.WriteError.
	OnError apierrors.Hook
	// Errors writes the 403 when OnError is nil. Default: a nil
	// *apierrors.Writer, GitHub's shape.
	Errors *apierrors.Writer
	// Observer, when set, sees each refusal: observe.Forbidden, Detail
	// "user_agent".
	Observer observe.Observer
}

// Middleware refuses requests that do not say who is calling. Build one
// with New; it is safe for concurrent use.
type Middleware struct {
	exempt   func(*http.Request) bool
	onError  apierrors.Hook // nil: errors.WriteError(refusal)
	errors   *apierrors.Writer
	observer observe.Observer
	// refusal is the 403, made once. The Errors writer only reads it, so
	// it is shared; a hook gets a copy of its own, which it may keep or
	// change.
	refusal apierrors.Error

	// connection is the Connection value, made once and shared by every
	// refusal; len == cap, so an Add elsewhere appends into a fresh array
	// rather than into the next response's header.
	connection []string
}

// New validates cfg and returns its Middleware.
func New(cfg Config) (*Middleware, error) {
	problems := configerr.New("useragent")
	if cfg.Site != "" {
		if reason := checkSite(cfg.Site); reason != "" {
			problems.Add("Site", strconv.Quote(cfg.Site)+" "+reason)
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	message := MsgForbidden
	if cfg.Site != "" {
		message += " Check " + cfg.Site + " for other possible causes."
	}
	return &Middleware{
		exempt:     cfg.Exempt,
		onError:    cfg.OnError,
		errors:     cfg.Errors,
		observer:   cfg.Observer,
		refusal:    apierrors.Error{Status: http.StatusForbidden, Message: message, ID: "user_agent_required"},
		connection: []string{"close"},
	}, nil
}

// checkSite says what is wrong with site as the developer site, or "".
func checkSite(site string) string {
	for i := 0; i < len(site); i++ {
		// A hook may put the message into HTML: a site that could open a
		// tag, an attribute or an entity would let the config inject
		// markup.
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
// says otherwise, is answered at once through Config.OnError; by default,
// in GitHub's shape:
//
//	HTTP/1.1 403 Forbidden
//	Connection: close
//	Content-Length: 111
//	Content-Type: application/json; charset=utf-8
//	X-Content-Type-Options: nosniff
//
//	{"message":"Request forbidden by administrative rules. Please make sure your request has a User-Agent header."}
//
// Headers that middlewares outside have already set (a request id) stay.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasUserAgent(r.Header["User-Agent"]) || m.exempt != nil && m.exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		if m.observer != nil {
			m.observer.Observe(observe.Event{Middleware: "useragent", Decision: observe.Forbidden, Detail: "user_agent", Request: r})
		}
		// The client is not one we want to keep talking to: net/http
		// closes the connection after this response.
		w.Header()["Connection"] = m.connection
		if m.onError == nil {
			m.errors.WriteError(w, r, &m.refusal)
			return
		}
		refusal := m.refusal
		m.onError(w, r, &refusal)
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
