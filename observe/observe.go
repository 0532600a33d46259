// Package observe is the one shape in which every apikit middleware
// reports its decisions: a request admitted, limited or refunded by the
// rate limiter, a token accepted or refused, a lockout, a 304 or 412, a
// CORS refusal, a store error. A service hands one Observer to every
// middleware's Config and turns the events into metrics, traces or logs
// (examples/blog exports them as Prometheus counters).
//
// A nil Observer costs nothing: middlewares test for nil before building
// an Event. An Event is passed by value and holds no allocation of its
// own, so a non-nil Observer costs one interface call per decision.
//
// observe is a leaf: it imports only the standard library, and every
// package may import it. It is not a middleware and has no place in the
// stack.
package observe

import "net/http"

// Observer receives the decisions of middlewares. Observe is called on
// the request's goroutine, inline: it must be quick and safe for
// concurrent use, and must not retain ev.Request after it returns.
type Observer interface {
	Observe(ev Event)
}

// Func adapts a function to an Observer.
type Func func(ev Event)

// Observe calls f(ev).
func (f Func) Observe(ev Event) { f(ev) }

// Event is one decision of one middleware about one request.
type Event struct {
	// Middleware is the package that decided: "ratelimit", "auth",
	// "conditional", "cors", "mediatype", "useragent", "jsonp",
	// "timezone", "pagination", "requestid"; "redisstore" for a store's
	// changes of state.
	Middleware string
	// Decision is what it decided.
	Decision Decision
	// Detail qualifies the decision with a low-cardinality word, fit for
	// a metric label: the rate-limit resource ("core"), the kind of
	// caller ("ip", "user", "app"), the reason a token was refused
	// ("expired", "signature"). Never a user id, an address or a token.
	Detail string
	// Request is the request decided on; nil for StoreDown and StoreUp,
	// which belong to no request.
	Request *http.Request
	// Err is the error behind the decision (a store failure, a token's
	// verification error), for logs; nil for ordinary decisions.
	Err error
}

// Decision is what a middleware decided. The values are stable words,
// fit for metric labels.
type Decision string

// Decisions of the rate limiter.
const (
	// Admitted: the request was counted and is within its quota.
	Admitted Decision = "admitted"
	// Limited: the request is over its primary (hourly) quota.
	Limited Decision = "limited"
	// SecondaryLimited: the request is over a secondary (abuse) limit.
	SecondaryLimited Decision = "secondary_limited"
	// Refunded: a 304 gave the request back to the quota.
	Refunded Decision = "refunded"
	// Exempt: the request is not counted (health checks, the status
	// document).
	Exempt Decision = "exempt"
)

// Decisions of authentication.
const (
	// TokenAccepted: credentials were verified; the request has an
	// identity.
	TokenAccepted Decision = "token_accepted"
	// TokenRefused: credentials were sent and refused (401).
	TokenRefused Decision = "token_refused"
	// LoginSucceeded and LoginFailed: a password login's outcome.
	LoginSucceeded Decision = "login_succeeded"
	LoginFailed    Decision = "login_failed"
	// LockedOut: a login was refused because its account or address is
	// locked out.
	LockedOut Decision = "locked_out"
	// Refreshed: a refresh token was exchanged for a new pair.
	Refreshed Decision = "refreshed"
	// RefreshReused: a refresh token was presented twice; its family
	// was revoked.
	RefreshReused Decision = "refresh_reused"
	// Forbidden: an identity lacks what the route requires (a scope, an
	// owner), or a request lacks what the service requires (a
	// User-Agent).
	Forbidden Decision = "forbidden"
)

// Decisions of conditional requests and content negotiation.
const (
	// NotModified: a 304 answered a GET or HEAD.
	NotModified Decision = "not_modified"
	// PreconditionFailed: a 412 refused a request.
	PreconditionFailed Decision = "precondition_failed"
	// NotAcceptable: a 406 refused an Accept no representation meets.
	NotAcceptable Decision = "not_acceptable"
	// Invalid: a request parameter or header was refused as malformed
	// (a 400 or 422: a bad Time-Zone, page or callback).
	Invalid Decision = "invalid"
)

// Decisions of CORS.
const (
	// Preflight: a preflight was answered with the access it asked for.
	Preflight Decision = "preflight"
	// CORSRefused: a cross-origin request or preflight was refused (an
	// origin, method or header not allowed).
	CORSRefused Decision = "cors_refused"
)

// StoreError: a shared store (Redis, a database) failed; the middleware
// followed its documented outage policy. Err holds the failure.
const StoreError Decision = "store_error"

// Changes of a shared store's state, reported by the store itself
// (Middleware "redisstore") with a nil Request: they belong to no request.
const (
	// StoreDown: the store's breaker opened after a run of failures;
	// until StoreUp, operations fail at once and each middleware follows
	// its outage policy. Err holds the failure that opened it.
	StoreDown Decision = "store_down"
	// StoreUp: the store answers again.
	StoreUp Decision = "store_up"
)
