// Package stack builds apikit's whole middleware stack, in the order of
// the module doc (go doc github.com/myblog/apikit), from one Config: the
// example server, the quick start and the benchmarks all build theirs
// here, so what is benchmarked is what ships.
//
//	s, err := stack.New(stack.Config{Vendor: "acme", Errors: errs, Logger: logger})
//	if err != nil {
//		log.Fatal(err) // every middleware's config problems, at once
//	}
//	http.ListenAndServe(addr, s.Handler(mux))
//
// The shared parts are given once and handed to every middleware whose
// own config leaves them unset: the error Writer, the forwarded.Resolver,
// the observe.Observer, the logger and the vendor name. The CORS expose
// list is what the configured middlewares send (the rate limiter's
// fields, IETF ones included when enabled, the media-type and request-id
// headers), plus CORS.Expose.
//
// It is an example, not a library package: a service that needs another
// order, or fewer layers, copies New and edits it.
package stack

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/chain"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/mediatype"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/recovery"
	"github.com/myblog/apikit/requestid"
	"github.com/myblog/apikit/timezone"
	"github.com/myblog/apikit/useragent"
)

// Config is the stack's configuration: the shared parts, then each
// middleware's own Config (the shared parts fill the fields it leaves
// unset).
type Config struct {
	// Vendor names the media type (application/vnd.<Vendor>.v3+json) and
	// the X-<Vendor>-* headers. Required.
	Vendor string
	// Errors writes every refusal and 500. Default: a nil Writer.
	Errors *apierrors.Writer
	// Resolver finds the client's address, scheme and host, believing
	// only trusted proxies. Default nil: the direct peer.
	Resolver *forwarded.Resolver
	// Observer sees every middleware's decisions. Default none.
	Observer observe.Observer
	// Logger receives the access log, panics and store failures.
	// Default: slog.Default().
	Logger *slog.Logger

	// Auth, when set, adds authentication (layer 7). The rate limiter
	// then counts users by their subject, and conditional marks answers
	// to credentialed requests private, unless their configs say
	// otherwise. Its OTPHeaders default to X-<Vendor>-OTP.
	Auth *auth.Config

	RequestID   requestid.Config
	AccessLog   accesslog.Config
	Recovery    recovery.Config
	UserAgent   useragent.Config
	CORS        cors.Config
	MediaType   mediatype.Config
	RateLimit   ratelimit.Config
	JSONP       jsonp.Config
	Conditional conditional.Config
	TimeZone    timezone.Config
}

// Stack is the built middlewares, and the chain of them. The fields give
// handlers what they need of a middleware (the authenticator's Login, the
// limiter's Status, the conditional middleware's Check).
type Stack struct {
	IDs         *requestid.Middleware
	Logs        *accesslog.Middleware
	Recoverer   *recovery.Middleware
	Agents      *useragent.Middleware
	CORS        *cors.Middleware
	Media       *mediatype.Negotiator
	Auth        *auth.Authenticator // nil without Config.Auth
	Limiter     *ratelimit.Limiter
	JSONP       *jsonp.Middleware
	Conditional *conditional.Middleware
	Zones       *timezone.Resolver

	layers []Layer
	chain  chain.Chain
}

// Layer is one middleware of the stack, named for benchmarks and logs.
type Layer struct {
	Name string
	Wrap chain.Middleware
}

// New builds every middleware and composes them. It returns every
// problem of every config at once.
func New(cfg Config) (*Stack, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Stack{}
	var problems []error
	build := func(err error) {
		if err != nil {
			problems = append(problems, err)
		}
	}
	var err error

	ids := cfg.RequestID
	ids.Vendor = or(ids.Vendor, cfg.Vendor)
	ids.Resolver = orPtr(ids.Resolver, cfg.Resolver)
	s.IDs, err = requestid.New(ids)
	build(err)

	logs := cfg.AccessLog
	if logs.Logger == nil {
		logs.Logger = logger
	}
	logs.Resolver = orPtr(logs.Resolver, cfg.Resolver)
	if logs.Attrs == nil {
		logs.Attrs = requestIDAttr
	}
	s.Logs, err = accesslog.New(logs)
	build(err)

	rec := cfg.Recovery
	rec.Errors = orPtr(rec.Errors, cfg.Errors)
	if rec.Logger == nil {
		rec.Logger = logger
	}
	if rec.Attrs == nil {
		rec.Attrs = requestIDAttr
	}
	s.Recoverer, err = recovery.New(rec)
	build(err)

	agents := cfg.UserAgent
	agents.Errors = orPtr(agents.Errors, cfg.Errors)
	agents.Observer = orObserver(agents.Observer, cfg.Observer)
	s.Agents, err = useragent.New(agents)
	build(err)

	media := cfg.MediaType
	media.Vendor = or(media.Vendor, cfg.Vendor)
	media.Errors = orPtr(media.Errors, cfg.Errors)
	media.Observer = orObserver(media.Observer, cfg.Observer)
	s.Media, err = mediatype.New(media)
	build(err)

	if cfg.Auth != nil {
		a := *cfg.Auth
		a.Resolver = orPtr(a.Resolver, cfg.Resolver)
		a.Errors = orPtr(a.Errors, cfg.Errors)
		a.Observer = orObserver(a.Observer, cfg.Observer)
		if a.OTPHeaders == nil {
			a.OTPHeaders = []string{"X-" + cfg.Vendor + "-OTP"}
		}
		if a.Logger == nil {
			a.Logger = logger
		}
		s.Auth, err = auth.New(a)
		build(err)
	}

	limits := cfg.RateLimit
	limits.Resolver = orPtr(limits.Resolver, cfg.Resolver)
	limits.Errors = orPtr(limits.Errors, cfg.Errors)
	limits.Observer = orObserver(limits.Observer, cfg.Observer)
	if limits.Logger == nil {
		limits.Logger = logger
	}
	if limits.User == nil && cfg.Auth != nil {
		limits.User = Subject
	}
	if limits.Realm == "" && cfg.Auth != nil {
		limits.Realm = cfg.Auth.Realm // one realm in every Basic challenge
	}
	s.Limiter, err = ratelimit.New(limits)
	build(err)

	wrap := cfg.JSONP
	wrap.Errors = orPtr(wrap.Errors, cfg.Errors)
	wrap.Observer = orObserver(wrap.Observer, cfg.Observer)
	if wrap.Headers == nil && s.Media != nil {
		wrap.Headers = s.Media.ExposedHeaders()
	}
	s.JSONP, err = jsonp.New(wrap)
	build(err)

	cond := cfg.Conditional
	cond.Errors = orPtr(cond.Errors, cfg.Errors)
	cond.Observer = orObserver(cond.Observer, cfg.Observer)
	if cond.Authenticated == nil && cfg.Auth != nil {
		cond.Authenticated = Authenticated
	}
	s.Conditional, err = conditional.New(cond)
	build(err)

	zones := cfg.TimeZone
	zones.Errors = orPtr(zones.Errors, cfg.Errors)
	zones.Observer = orObserver(zones.Observer, cfg.Observer)
	if zones.Logger == nil {
		zones.Logger = logger
	}
	s.Zones, err = timezone.New(zones)
	build(err)

	// CORS last: its expose list is what the others send.
	crossOrigin := cfg.CORS
	crossOrigin.Vendor = or(crossOrigin.Vendor, cfg.Vendor)
	crossOrigin.Observer = orObserver(crossOrigin.Observer, cfg.Observer)
	var sent []string
	if s.Limiter != nil {
		sent = append(sent, s.Limiter.ExposedHeaders()...)
	}
	if s.Media != nil {
		sent = append(sent, s.Media.ExposedHeaders()...)
	}
	if s.IDs != nil {
		sent = append(sent, s.IDs.ExposedHeaders()...)
	}
	crossOrigin.Expose = slices.Concat(sent, crossOrigin.Expose)
	s.CORS, err = cors.New(crossOrigin)
	build(err)

	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}

	// The stack of the module doc, outermost first.
	s.layers = []Layer{
		{"requestid", s.IDs.Handler},      // 1. request id
		{"accesslog", s.Logs.Handler},     // 2. access log
		{"recovery", s.Recoverer.Handler}, // 3. recovery
		{"nosniff", Nosniff},              //    X-Content-Type-Options on every answer
		{"useragent", s.Agents.Handler},   // 4. User-Agent
		{"cors", s.CORS.Handler},          // 5. CORS
		{"mediatype", s.Media.Handler},    // 6. media type
		{"jsonp", s.JSONP.Handler},        // 7. JSON-P, always anonymous
	}
	if s.Auth != nil {
		s.layers = append(s.layers, Layer{"auth", s.Auth.Handler}) // 8. authentication
	}
	s.layers = append(s.layers,
		Layer{"ratelimit", s.Limiter.Handler},       // 9. rate limits
		Layer{"conditional", s.Conditional.Handler}, // 10. ETag, 304, 412
		Layer{"timezone", s.Zones.Handler},          // 11. time zone
		Layer{"route", accesslog.RecordRoute},       //     the router's pattern, for the access log
	)
	mws := make([]chain.Middleware, len(s.layers))
	for i, l := range s.layers {
		mws[i] = l.Wrap
	}
	s.chain = chain.New(mws...)
	return s, nil
}

// Layers returns the stack's middlewares, outermost first (a copy).
func (s *Stack) Layers() []Layer { return slices.Clone(s.layers) }

// Handler wraps router (12.) in the stack.
func (s *Stack) Handler(router http.Handler) http.Handler { return s.chain.Then(router) }

// Subject is the rate limiter's User: the authenticated subject.
func Subject(r *http.Request) (string, bool) {
	id, ok := auth.FromContext(r.Context())
	return id.Subject, ok
}

// Authenticated is conditional's Authenticated: the request has an
// identity, so its answers are private to caches.
func Authenticated(r *http.Request) bool {
	_, ok := auth.FromContext(r.Context())
	return ok
}

// requestIDAttr adds the request id to the access log's record.
func requestIDAttr(r *http.Request) []slog.Attr {
	id, _ := requestid.FromContext(r.Context())
	return []slog.Attr{slog.String("request_id", id)}
}

// nosniffValue is shared by every response; len == cap, so an Add
// elsewhere appends to a fresh array.
var nosniffValue = []string{"nosniff"}

// Nosniff sets X-Content-Type-Options: nosniff on every response, as the
// conventions require: the body writers set it too, but a 204 (a delete,
// a logout, a CORS preflight) goes through none of them.
func Nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = nosniffValue
		next.ServeHTTP(w, r)
	})
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

func orObserver(a, b observe.Observer) observe.Observer {
	if a != nil {
		return a
	}
	return b
}
