package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/logthrottle"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/render"
)

// Messages of the limits' refusals. The primary ones are GitHub's texts;
// clients match on their beginning, "API rate limit exceeded". The
// secondary one is GitHub's abuse-detection text with "secondary rate
// limit" added, the phrase Octokit's throttling plugin looks for.
const (
	MsgAnonymousLimited = "API rate limit exceeded for %s. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	MsgUserLimited      = "API rate limit exceeded for user ID %s."
	MsgAppLimited       = "API rate limit exceeded for client ID %s."
	MsgSecondaryLimited = "You have triggered an abuse detection mechanism (a secondary rate limit) and have been temporarily blocked from content creation. Please retry your request again later."
	MsgBadClient        = "Bad credentials"
	MsgUnavailable      = "Rate limiting is temporarily unavailable. Please try again later."
)

// IDs of the refusals: the ID of the *apierrors.Error the Limiter hands
// to Config.OnError (and the "id" of a Heroku-format body), one per kind
// of refusal, so that one hook can tell them apart.
const (
	// IDLimited: the request is over its primary quota (403 or 429,
	// X-RateLimit-Remaining: 0, Retry-After). "rate_limit" is Heroku's id
	// for the same refusal.
	IDLimited = "rate_limit"
	// IDSecondaryLimited: the request is over a secondary limit (403 or
	// 429, Retry-After).
	IDSecondaryLimited = "secondary_rate_limit"
	// IDBadClient: client_id and client_secret were sent and CheckClient
	// refused them (401, WWW-Authenticate: Basic). It is the id apikit's
	// auth gives its own "Bad credentials".
	IDBadClient = "bad_credentials"
	// IDUnavailable: the store failed and Config.FailClosed is set (503,
	// Retry-After).
	IDUnavailable = "rate_limit_unavailable"
)

// Documentation URL fragments of the refusals, joined to the error
// Writer's DocumentationURL: go-github tells a secondary limit by the
// suffix "#abuse-rate-limits".
const (
	DocRateLimiting    = "#rate-limiting"
	DocAbuseRateLimits = "#abuse-rate-limits"
)

// Kind is the kind of caller a quota belongs to.
type Kind uint8

const (
	// Anonymous callers are counted by client address
	// (forwarded.Resolver.ClientKey: IPv6 by prefix).
	Anonymous Kind = iota
	// User callers are authenticated users, counted by user ID.
	User
	// App callers are applications sending client_id and client_secret,
	// counted by client ID.
	App
)

func (k Kind) String() string {
	switch k {
	case Anonymous:
		return "ip"
	case User:
		return "user"
	case App:
		return "app"
	}
	return "kind" + strconv.Itoa(int(k))
}

// Caller is who a request counts against.
type Caller struct {
	Kind Kind
	// ID is the user ID, the client ID, or the client key ("192.0.2.7",
	// "2001:db8:1:2::/64").
	ID string
}

// String returns "user:42", "app:Iv1.8a61f9b3", "ip:192.0.2.7".
func (c Caller) String() string { return c.Kind.String() + ":" + c.ID }

// Resource is a quota that applies to some routes: "core" for most,
// "search" for the search API, as GitHub has.
type Resource struct {
	// Name appears in X-RateLimit-Resource and in the status document.
	Name string
	// Window is the quota's period. Default: one hour.
	Window time.Duration
	// Limit is the quota of users and applications. Default 5000.
	Limit int
	// AnonymousLimit is the quota of anonymous callers. Default 60.
	AnonymousLimit int
}

// Default resources: GitHub's figures, 5000 (60 anonymous) an hour for
// most routes and 30 (10) a minute for search.
var (
	Core   = Resource{Name: "core", Window: time.Hour, Limit: 5000, AnonymousLimit: 60}
	Search = Resource{Name: "search", Window: time.Minute, Limit: 30, AnonymousLimit: 10}
)

// Default secondary limits: GitHub's figures.
const (
	DefaultCreatesPerMinute = 80
	DefaultCreatesPerHour   = 500
	DefaultMaxConcurrent    = 100
	// DefaultSecondaryRetryAfter is Config.SecondaryRetryAfter's
	// default: about GitHub's.
	DefaultSecondaryRetryAfter = time.Minute
	DefaultStatusPath          = "/rate_limit"
	// DefaultRealm is the realm of the Basic challenge of a wrong client
	// secret, the same as apikit's auth's default.
	DefaultRealm = "API"
)

// UnavailableRetryAfter is the Retry-After of the 503 a FailClosed
// Limiter answers while its store fails: long enough for a breaker or a
// failover to act, short enough that clients come back soon after.
const UnavailableRetryAfter = 30 * time.Second

// Config configures a Limiter. The zero value gives GitHub's quotas: 5000
// requests an hour for users and applications, 60 for anonymous clients
// by address, search at 30 (10) a minute, and GitHub's secondary limits.
type Config struct {
	// Resources are the quotas, by name. Core and Search are always
	// there; a Resource with their name replaces them.
	Resources []Resource
	// Resource names the resource a request counts against. Default: "core".
	Resource func(*http.Request) string

	// User returns the authenticated user's ID. With apikit's auth, read
	// the identity it put in the context:
	//
	//	User: func(r *http.Request) (string, bool) {
	//		id, ok := auth.FromContext(r.Context())
	//		return id.Subject, ok
	//	},
	//
	// Default: no request is a user's.
	User func(*http.Request) (id string, ok bool)
	// CheckClient verifies the client_id and client_secret query
	// parameters of an application (secrets compared in constant time).
	// false means a wrong secret: 401 "Bad credentials" with a Basic
	// challenge, never a silent fall back to the anonymous quota; an
	// error is a 500. Nil: the parameters are ignored.
	CheckClient func(ctx context.Context, clientID, clientSecret string) (bool, error)
	// Realm is the realm of the WWW-Authenticate: Basic challenge of that
	// 401 (RFC 7617 §2): printable ASCII without '"' or '\'. Give it the
	// realm auth's challenges name. Default "API".
	Realm string
	// Caller, when set, replaces User, CheckClient and the client
	// address: it picks who a request counts against. An *apierrors.Error
	// it returns is the refusal handed to OnError, its Header set on the
	// response first; any other error is a 500.
	Caller func(*http.Request) (Caller, error)
	// Resolver finds the client of a request: anonymous callers are
	// counted by Resolver.ClientKey, IPv6 clients by network
	// (forwarded.Config.IPv6Prefix, default /64). Hand the Limiter the
	// one Resolver the service gives every package. Nil: the direct peer
	// (RemoteAddr); no forwarding header is believed.
	Resolver *forwarded.Resolver

	// CreatesPerMinute and CreatesPerHour are the secondary limits on
	// content creation (POST, PATCH, PUT, DELETE) per caller: token
	// buckets holding that many requests. Defaults 80 and 500; negative
	// disables one.
	CreatesPerMinute int
	CreatesPerHour   int
	// SecondaryRetryAfter is the least Retry-After of a refusal by the
	// secondary limits (content creation, requests in flight): GitHub
	// answers about a minute, and clients that wait only until one
	// request would pass (Octokit's throttling plugin) trip the limit
	// again at once. It is never less than the wait until the request
	// would be admitted (a bucket's next token). Default
	// DefaultSecondaryRetryAfter (60 seconds), at most an hour; negative:
	// that wait alone.
	SecondaryRetryAfter time.Duration
	// MaxConcurrent caps a caller's requests in flight (on this
	// process). Default 100; negative disables the cap.
	MaxConcurrent int
	// CreatesContent reports whether a request creates content, and so
	// counts against CreatesPerMinute and CreatesPerHour. Default: POST,
	// PATCH, PUT and DELETE do. A service may leave out requests that
	// change nothing a user publishes (logins, token refreshes), which
	// have limits of their own.
	CreatesContent func(*http.Request) bool

	// Status is the status of the limits' refusals: 403 (the default,
	// GitHub's) or 429.
	Status int
	// IETFHeaders adds the IETF draft's RateLimit-Policy and RateLimit
	// fields (draft-ietf-httpapi-ratelimit-headers).
	IETFHeaders bool
	// HerokuHeader adds Heroku's RateLimit-Remaining.
	HerokuHeader bool
	// StatusPath is where Status is mounted. Requests to it are never
	// counted; their X-RateLimit-* headers show the current figures.
	// Default "/rate_limit".
	StatusPath string
	// Exempt requests are neither counted nor limited nor given headers
	// (health checks).
	Exempt func(*http.Request) bool

	// Store keeps the primary quotas. Default: a Memory.
	Store Store
	// Buckets keeps the secondary buckets. Default: Store, when it is a
	// BucketStore, else a Memory.
	Buckets BucketStore
	// FailClosed refuses requests with 503 and Retry-After
	// (UnavailableRetryAfter) when the store fails. Default: they go on
	// under local limits (Instances), with those limits' X-RateLimit-*
	// headers. Failures are logged at Error when refused, Warn when they
	// went on: the first at once, then one line every 10 seconds that
	// says how many it stands for.
	FailClosed bool
	// Instances is how many instances of the service share Store. While
	// the store fails and the Limiter fails open, each instance keeps
	// its share of every limit in memory: each quota and each bucket
	// divided by Instances (at least 1), so that the service as a whole
	// stays within its limits. Default 1.
	Instances int

	// OnError answers every refusal: the limits' 403 or 429, the 401 of a
	// wrong client secret, the 503 of a failing store with FailClosed,
	// the 500 of a failing CheckClient. When it runs, the Limiter has set
	// its headers (X-RateLimit-*, Retry-After, WWW-Authenticate) and
	// written nothing; e is the error it would write, e.ID one of the ID
	// constants (a 500 has none). Default: Errors.WriteError.
	OnError apierrors.Hook
	// Render writes the Status document. Default: a bare body, GitHub's
	// shape (render.New with only Errors).
	Render *render.Renderer
	// Errors writes every refusal when OnError is nil. Default: a nil
	// *apierrors.Writer.
	Errors *apierrors.Writer
	// Observer, when set, receives every decision: observe.Admitted,
	// Limited, SecondaryLimited, Refunded (a 304), Exempt (Exempt
	// requests and the status document) with the resource's name as
	// Detail; TokenRefused (a wrong client secret) with the resource's
	// name; StoreError with the failed operation ("take", "peek",
	// "refund", "allow", "check_client") as Detail and the failure as Err.
	Observer observe.Observer
	// Logger receives store failures: Warn when the request went on
	// without limits (or a 304 was not refunded), Error when it was
	// answered with a 5xx.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Limiter enforces the primary and secondary limits. Build one with New;
// it is safe for concurrent use.
type Limiter struct {
	resources   map[string]*resource
	core        *resource
	ordered     []*resource
	resourceOf  func(*http.Request) string
	user        func(*http.Request) (string, bool)
	checkClient func(context.Context, string, string) (bool, error)
	challenge   string
	caller      func(*http.Request) (Caller, error)
	resolver    *forwarded.Resolver
	buckets     []Bucket
	// secondaryRetryAfter is the least wait a secondary refusal names.
	secondaryRetryAfter time.Duration
	creates             func(*http.Request) bool
	concurrency         *concurrency
	status              int
	ietf                bool
	heroku              bool
	statusPath          string
	exempt              func(*http.Request) bool
	store               Store
	bucketStore         BucketStore
	combined            QuotaBucketStore // store, when it is one and keeps the buckets
	failClosed          bool
	// local and localBuckets are the fallback while the store fails and
	// the Limiter fails open: each resource's local share (resource.local).
	local        *Memory
	localBuckets []Bucket
	failLog      logthrottle.Throttle
	onError      apierrors.Hook
	render       *render.Renderer
	observer     observe.Observer
	logger       *slog.Logger
	now          func() time.Time
	lastReset    atomic.Pointer[resetCache]
}

// resource is a Resource with its header values computed once.
type resource struct {
	Resource
	windowSeconds int64
	// Header values, made once and shared by every response (len == cap).
	limitValue           []string // X-RateLimit-Limit for users and apps
	anonymousLimitValue  []string // X-RateLimit-Limit for anonymous callers
	nameValue            []string // X-RateLimit-Resource
	policyValue          []string // RateLimit-Policy for users and apps
	anonymousPolicyValue []string
	// Tables of X-RateLimit-Remaining values for quotas above
	// maxSharedNumber (numbers.go); nil for smaller ones.
	remaining, anonymousRemaining func() *numberTable
	// local is this instance's share of the resource, kept in memory
	// while the store fails (Config.Instances); the resource itself when
	// one instance runs.
	local *resource
}

func newResource(res Resource) *resource {
	r := &resource{Resource: res, windowSeconds: int64(res.Window / time.Second)}
	r.limitValue = []string{strconv.Itoa(res.Limit)}
	r.anonymousLimitValue = []string{strconv.Itoa(res.AnonymousLimit)}
	r.nameValue = []string{res.Name}
	r.policyValue = []string{policy(res.Name, res.Limit, r.windowSeconds)}
	r.anonymousPolicyValue = []string{policy(res.Name, res.AnonymousLimit, r.windowSeconds)}
	r.remaining, r.anonymousRemaining = remainingTable(res.Limit), remainingTable(res.AnonymousLimit)
	r.local = r
	return r
}

// share is one instance's share of limit: at least one request.
func share(limit, instances int) int { return max(1, limit/instances) }

// remainingValue returns X-RateLimit-Remaining's value from the shared
// table or the quota's own, or nil when neither holds it.
func (r *resource) remainingValue(kind Kind, remaining int) []string {
	if v := sharedNumber(remaining); v != nil {
		return v
	}
	table := r.remaining
	if kind == Anonymous {
		table = r.anonymousRemaining
	}
	if table == nil {
		return nil
	}
	return table().value(remaining)
}

func (r *resource) limit(kind Kind) int {
	if kind == Anonymous {
		return r.AnonymousLimit
	}
	return r.Limit
}

// New validates cfg and returns its Limiter. Every problem is an
// *apierrors.ConfigError, all of them joined with errors.Join.
func New(cfg Config) (*Limiter, error) {
	problems := configerr.New("ratelimit")
	l := &Limiter{
		resources:   make(map[string]*resource),
		resourceOf:  cfg.Resource,
		user:        cfg.User,
		checkClient: cfg.CheckClient,
		caller:      cfg.Caller,
		resolver:    cfg.Resolver,
		status:      cfg.Status,
		ietf:        cfg.IETFHeaders,
		heroku:      cfg.HerokuHeader,
		statusPath:  cfg.StatusPath,
		exempt:      cfg.Exempt,
		creates:     cfg.CreatesContent,
		store:       cfg.Store,
		bucketStore: cfg.Buckets,
		failClosed:  cfg.FailClosed,
		onError:     cfg.OnError,
		render:      cfg.Render,
		observer:    cfg.Observer,
		logger:      cfg.Logger,
		now:         cfg.Now,
	}
	// Core and Search first, each replaced by a configured resource of
	// the same name; then the other configured ones, in order.
	resources := []Resource{Core, Search}
	seen := make(map[string]bool, len(cfg.Resources))
	for i, res := range cfg.Resources {
		field := configerr.Index("Resources", i)
		if res.Window == 0 {
			res.Window = time.Hour
		}
		if res.Limit == 0 {
			res.Limit = Core.Limit
		}
		if res.AnonymousLimit == 0 {
			res.AnonymousLimit = Core.AnonymousLimit
		}
		switch {
		case !isResourceName(res.Name):
			problems.Addf(field+".Name", "%q must be lower-case letters, digits, '_' or '-'", res.Name)
			continue
		case seen[res.Name]:
			problems.Addf(field+".Name", "%q is listed twice", res.Name)
			continue
		}
		if res.Window < time.Second || res.Window%time.Second != 0 {
			problems.Add(field+".Window", "must be a whole number of seconds, at least one")
		}
		if res.Limit < 0 {
			problems.Add(field+".Limit", "must not be negative")
		}
		if res.AnonymousLimit < 0 {
			problems.Add(field+".AnonymousLimit", "must not be negative")
		}
		seen[res.Name] = true
		switch res.Name {
		case Core.Name:
			resources[0] = res
		case Search.Name:
			resources[1] = res
		default:
			resources = append(resources, res)
		}
	}
	instances := defaulted(cfg.Instances, 1)
	if instances < 0 {
		problems.Add("Instances", "must not be negative")
		instances = 1
	}
	for _, res := range resources {
		r := newResource(res)
		if instances > 1 {
			localRes := res
			localRes.Limit, localRes.AnonymousLimit = share(res.Limit, instances), share(res.AnonymousLimit, instances)
			r.local = newResource(localRes)
		}
		l.resources[res.Name] = r
		l.ordered = append(l.ordered, r)
	}
	l.core = l.resources[Core.Name]
	realm := cfg.Realm
	switch {
	case realm == "":
		realm = DefaultRealm
	case !isRealm(realm):
		problems.Addf("Realm", "%q must be printable ASCII without '\"' or '\\'", realm)
	}
	l.challenge = `Basic realm="` + realm + `"`
	perMinute, perHour := defaulted(cfg.CreatesPerMinute, DefaultCreatesPerMinute), defaulted(cfg.CreatesPerHour, DefaultCreatesPerHour)
	if perMinute > 0 {
		l.buckets = append(l.buckets, Bucket{Limit: perMinute, Per: time.Minute})
	}
	if perHour > 0 {
		l.buckets = append(l.buckets, Bucket{Limit: perHour, Per: time.Hour})
	}
	for _, b := range l.buckets {
		l.localBuckets = append(l.localBuckets, Bucket{Limit: share(b.Limit, instances), Per: b.Per})
	}
	l.local = new(Memory)
	switch {
	case cfg.SecondaryRetryAfter == 0:
		l.secondaryRetryAfter = DefaultSecondaryRetryAfter
	case cfg.SecondaryRetryAfter > time.Hour:
		problems.Addf("SecondaryRetryAfter", "%v is more than an hour", cfg.SecondaryRetryAfter)
	case cfg.SecondaryRetryAfter > 0:
		l.secondaryRetryAfter = cfg.SecondaryRetryAfter
	}
	if maxConcurrent := defaulted(cfg.MaxConcurrent, DefaultMaxConcurrent); maxConcurrent > 0 {
		l.concurrency = newConcurrency(maxConcurrent)
	}
	switch l.status {
	case 0:
		l.status = http.StatusForbidden
	case http.StatusForbidden, http.StatusTooManyRequests:
	default:
		problems.Addf("Status", "must be 403 or 429, not %d", l.status)
	}
	switch {
	case l.statusPath == "":
		l.statusPath = DefaultStatusPath
	case !strings.HasPrefix(l.statusPath, "/"):
		problems.Add("StatusPath", `must start with "/"`)
	}
	if l.store == nil {
		l.store = new(Memory)
	}
	if l.bucketStore == nil {
		if bs, ok := l.store.(BucketStore); ok {
			l.bucketStore = bs
		} else {
			l.bucketStore = new(Memory)
		}
	}
	if qb, ok := l.store.(QuotaBucketStore); ok && cfg.Buckets == nil {
		l.combined = qb
	}
	if l.onError == nil {
		l.onError = cfg.Errors.WriteError
	}
	if l.render == nil {
		l.render = render.New(render.Config{Errors: cfg.Errors})
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.creates == nil {
		l.creates = createsContent
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

func defaulted(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func isResourceName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isRealm reports whether s can be sent as a quoted-string without
// escapes (RFC 9110 §5.6.4: qdtext is printable ASCII but '"' and '\').
func isRealm(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// policy is a RateLimit-Policy item: "core";q=5000;w=3600.
func policy(name string, quota int, windowSeconds int64) string {
	return `"` + name + `";q=` + strconv.Itoa(quota) + ";w=" + strconv.FormatInt(windowSeconds, 10)
}

// ExposedHeaders returns the response headers the Limiter sends that a
// cross-origin script must be allowed to read
// (Access-Control-Expose-Headers): the X-RateLimit-* fields and
// Retry-After, plus RateLimit and RateLimit-Policy with IETFHeaders and
// RateLimit-Remaining with HerokuHeader. Each call returns a new slice.
func (l *Limiter) ExposedHeaders() []string {
	names := []string{
		"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
		"X-RateLimit-Used", "X-RateLimit-Resource", "Retry-After",
	}
	if l.ietf {
		names = append(names, "RateLimit", "RateLimit-Policy")
	}
	if l.heroku {
		names = append(names, "RateLimit-Remaining")
	}
	return names
}

// Canonical header keys, set by direct map assignment.
const (
	headerLimit           = "X-Ratelimit-Limit"
	headerRemaining       = "X-Ratelimit-Remaining"
	headerReset           = "X-Ratelimit-Reset"
	headerUsed            = "X-Ratelimit-Used"
	headerResource        = "X-Ratelimit-Resource"
	headerPolicy          = "Ratelimit-Policy"
	headerRateLimit       = "Ratelimit"
	headerHeroku          = "Ratelimit-Remaining"
	headerRetryAfter      = "Retry-After"
	headerWWWAuthenticate = "Www-Authenticate"
)

// Handler is the middleware. It counts the request against its caller's
// quota, sets the X-RateLimit-* headers, refuses a request over a limit,
// and gives back a request whose response ends as 304 Not Modified to a
// validator the client got from us (see the package doc: not to
// "If-None-Match: *", nor to an If-Modified-Since later than Config.Now).
//
// It belongs after authentication (it keys quotas by the user) and
// before the conditional middleware, whose 304s it refunds; JSON-P sits
// outside both (its scripts are anonymous). The in-flight cap is checked
// first, then the store is asked once: the quota, and for a request that
// creates content its buckets too.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.exempt != nil && l.exempt(r) {
			if l.observer != nil {
				l.observe(r, observe.Exempt, l.resourceFor(r).Name, nil)
			}
			next.ServeHTTP(w, r)
			return
		}
		res := l.resourceFor(r)
		caller, refusal := l.callerOf(r, res)
		if refusal != nil {
			l.refuse(w, r, refusal)
			return
		}
		now := l.now()
		key := Key{Resource: res.Name, Caller: caller}

		if r.URL.Path == l.statusPath {
			if usage, used, err := l.peek(r, key, res, now); err == nil {
				l.setHeaders(w.Header(), used, caller.Kind, usage, now)
			}
			l.observe(r, observe.Exempt, res.Name, nil)
			next.ServeHTTP(w, r)
			return
		}

		if l.concurrency != nil {
			slot, ok := l.concurrency.enter(caller)
			if !ok {
				// Not counted: the headers show the quota as it stands.
				if usage, used, err := l.peek(r, key, res, now); err == nil {
					l.setHeaders(w.Header(), used, caller.Kind, usage, now)
				}
				l.secondary(w, r, res, time.Second)
				return
			}
			defer leave(slot)
		}
		var d decision
		if err := l.decide(r, key, res, len(l.buckets) > 0 && l.creates(r), now, &d); err != nil {
			l.unavailable(w, r, err)
			return
		}
		h := w.Header()
		l.setHeaders(h, d.res, caller.Kind, d.usage, now)
		switch {
		case !d.usage.Allowed:
			h[headerRetryAfter] = []string{retryAfter(d.usage.Reset.Sub(now))}
			l.observe(r, observe.Limited, res.Name, nil)
			l.refuse(w, r, &apierrors.Error{
				Status:           l.status,
				Message:          limitedMessage(caller),
				ID:               IDLimited,
				DocumentationURL: DocRateLimiting,
			})
			return
		case !d.bucketsOK:
			l.secondary(w, r, res, d.wait)
			return
		}
		l.observe(r, observe.Admitted, res.Name, nil)
		if isConditional(r) {
			rw := &refundWriter{w: w, quota: quota{limiter: l, store: d.store, request: r, key: key, res: d.res, usage: d.usage, now: now, header: h}}
			defer rw.release()
			next.ServeHTTP(rw, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decision is what the stores said of one request.
type decision struct {
	// res is the resource whose figures apply: res.local when the
	// request was decided by the local fallback.
	res *resource
	// store is where the request was counted, for a refund.
	store     Store
	usage     Usage
	bucketsOK bool
	wait      time.Duration
}

// decide counts a request against its quota and, when it creates
// content, its buckets: in one step on a QuotaBucketStore. When a store
// fails, a fail-closed Limiter returns the error (a 503); otherwise the
// request is decided by the local fallback, against this instance's
// share of the limits.
func (l *Limiter) decide(r *http.Request, key Key, res *resource, creates bool, now time.Time, d *decision) error {
	op, err := l.take(r, l.store, l.bucketStore, l.combined, res, l.buckets, key, creates, now, d)
	if err == nil {
		return nil
	}
	if l.failClosed {
		l.storeFailed(r, op, err, slog.LevelError)
		return err
	}
	l.storeFailed(r, op, err, slog.LevelWarn)
	_, _ = l.take(r, l.local, l.local, nil, res.local, l.localBuckets, key, creates, now, d)
	return nil
}

// take decides a request on one set of stores, into d. It returns the
// failed operation's name with a store's error.
func (l *Limiter) take(r *http.Request, store Store, bucketStore BucketStore, combined QuotaBucketStore, res *resource, buckets []Bucket, key Key, creates bool, now time.Time, d *decision) (string, error) {
	ctx := r.Context()
	*d = decision{res: res, store: store, bucketsOK: true}
	limit := res.limit(key.Caller.Kind)
	if creates && combined != nil {
		var err error
		d.usage, d.bucketsOK, d.wait, err = combined.TakeAll(ctx, key, limit, res.Window, buckets, now)
		return "take", err
	}
	var err error
	if d.usage, err = store.Take(ctx, key, limit, res.Window, now); err != nil {
		return "take", err
	}
	if !creates || !d.usage.Allowed {
		return "", nil
	}
	ok, wait, err := bucketStore.Allow(ctx, key.Caller, buckets, now)
	if err == nil && ok {
		return "", nil
	}
	// Not admitted after all: the quota gets its request back.
	if refundErr := store.Refund(ctx, key, d.usage.Reset, now); refundErr != nil {
		l.storeFailed(r, "refund", refundErr, slog.LevelWarn)
	} else {
		d.usage.Used--
	}
	if err != nil {
		return "allow", err
	}
	d.bucketsOK, d.wait = false, wait
	return "", nil
}

// peek reads a quota without counting: from the store, or, when it fails
// and the Limiter fails open, from the local fallback. It returns the
// resource whose figures apply.
func (l *Limiter) peek(r *http.Request, key Key, res *resource, now time.Time) (Usage, *resource, error) {
	usage, err := l.store.Peek(r.Context(), key, res.Window, now)
	if err == nil {
		return usage, res, nil
	}
	if l.failClosed {
		l.storeFailed(r, "peek", err, slog.LevelError)
		return usage, res, err
	}
	l.storeFailed(r, "peek", err, slog.LevelWarn)
	usage, _ = l.local.Peek(r.Context(), key, res.Window, now)
	return usage, res.local, nil
}

func createsContent(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// isConditional reports whether r could end as 304 Not Modified: only a
// GET or HEAD with If-None-Match or If-Modified-Since can (RFC 9110
// §13.1.2, §13.1.3, §15.4.5). Other requests skip the response wrapper,
// which gives back only the 304s that refundable accepts.
func isConditional(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.Header["If-None-Match"] != nil || r.Header["If-Modified-Since"] != nil
}

func limitedMessage(c Caller) string {
	switch c.Kind {
	case User:
		return fmt.Sprintf(MsgUserLimited, c.ID)
	case App:
		return fmt.Sprintf(MsgAppLimited, c.ID)
	}
	return fmt.Sprintf(MsgAnonymousLimited, c.ID)
}

// secondary refuses a request over a secondary limit, admitted again in
// wait; Retry-After names at least Config.SecondaryRetryAfter.
// X-RateLimit-Remaining keeps its real value: a 0 would make clients
// (go-github) report a primary limit instead.
func (l *Limiter) secondary(w http.ResponseWriter, r *http.Request, res *resource, wait time.Duration) {
	w.Header()[headerRetryAfter] = []string{retryAfter(max(wait, l.secondaryRetryAfter))}
	l.observe(r, observe.SecondaryLimited, res.Name, nil)
	l.refuse(w, r, &apierrors.Error{
		Status:           l.status,
		Message:          MsgSecondaryLimited,
		ID:               IDSecondaryLimited,
		DocumentationURL: DocAbuseRateLimits,
	})
}

// unavailable refuses a request because the store failed and the Limiter
// fails closed: 503 with Retry-After (RFC 9110 §15.6.4).
func (l *Limiter) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	w.Header()[headerRetryAfter] = []string{retryAfter(UnavailableRetryAfter)}
	l.refuse(w, r, &apierrors.Error{Status: http.StatusServiceUnavailable, Message: MsgUnavailable, ID: IDUnavailable, Err: err})
}

// refuse hands e to OnError. The Limiter's own headers are already set on
// w; those e carries (a Basic challenge, a Config.Caller error's) are set
// now, so that a hook finds every header in place and writes the status
// itself.
func (l *Limiter) refuse(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
	if len(e.Header) > 0 {
		h := w.Header()
		for name, values := range e.Header {
			h[http.CanonicalHeaderKey(name)] = slices.Clone(values)
		}
	}
	l.onError(w, r, e)
}

// retryAfter is Retry-After in whole seconds, rounded up (RFC 9110 §10.2.3).
func retryAfter(wait time.Duration) string {
	seconds := int64(wait / time.Second)
	if wait%time.Second != 0 || seconds < 1 {
		seconds++
	}
	return strconv.FormatInt(seconds, 10)
}

// setHeaders sets the X-RateLimit-* fields (and the optional ones),
// usually without allocating: the limit, the resource name, Used and
// Remaining (numbers.go) are one-element slices made once and shared by
// every response, and the latest X-RateLimit-Reset value is cached. A shared
// slice has len == cap, so a middleware that appends to it (Header().Add)
// gets a fresh array and can never write into another response's headers
// (the bug of rs/cors issue 198); Set and Del replace the slice itself.
func (l *Limiter) setHeaders(h http.Header, res *resource, kind Kind, usage Usage, now time.Time) {
	limit := res.limit(kind)
	remaining := max(limit-usage.Used, 0)
	resetUnix := resetSeconds(usage.Reset)
	limitValue, policyValue := res.limitValue, res.policyValue
	if kind == Anonymous {
		limitValue, policyValue = res.anonymousLimitValue, res.anonymousPolicyValue
	}
	remainingValue, usedValue := res.remainingValue(kind, remaining), sharedNumber(usage.Used)
	if remainingValue == nil || usedValue == nil {
		// Past the tables (numbers.go): both numbers in one string and one
		// array, two allocations.
		var buf [48]byte
		b := strconv.AppendInt(buf[:0], int64(remaining), 10)
		mid := len(b)
		b = strconv.AppendInt(b, int64(usage.Used), 10)
		text := string(b)
		pair := []string{text[:mid], text[mid:]}
		remainingValue, usedValue = pair[0:1:1], pair[1:2:2]
	}
	h[headerLimit] = limitValue
	h[headerRemaining] = remainingValue
	h[headerReset] = l.resetValue(resetUnix)
	h[headerUsed] = usedValue
	h[headerResource] = res.nameValue
	if l.ietf {
		var buf [64]byte
		b := append(buf[:0], '"')
		b = append(b, res.Name...)
		b = append(b, `";r=`...)
		b = strconv.AppendInt(b, int64(remaining), 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, max(resetUnix-now.Unix(), 0), 10)
		h[headerPolicy] = policyValue
		h[headerRateLimit] = []string{string(b)}
	}
	if l.heroku {
		h[headerHeroku] = remainingValue
	}
}

// resetValue returns X-RateLimit-Reset's value. Windows that open in the
// same second share it, so the last one formatted is kept.
func (l *Limiter) resetValue(unix int64) []string {
	if cached := l.lastReset.Load(); cached != nil && cached.unix == unix {
		return cached.value
	}
	v := &resetCache{unix: unix, value: []string{strconv.FormatInt(unix, 10)}}
	l.lastReset.Store(v)
	return v.value
}

type resetCache struct {
	unix  int64
	value []string
}

func (l *Limiter) resourceFor(r *http.Request) *resource {
	if l.resourceOf == nil {
		return l.core
	}
	if res := l.resources[l.resourceOf(r)]; res != nil {
		return res
	}
	return l.core
}

// callerOf picks who r counts against: Config.Caller, else the user,
// else an application with valid client credentials, else the client's
// key. It returns the refusal to hand to OnError when there is none.
func (l *Limiter) callerOf(r *http.Request, res *resource) (Caller, *apierrors.Error) {
	if l.caller != nil {
		caller, err := l.caller(r)
		if err == nil {
			return caller, nil
		}
		var e *apierrors.Error
		if errors.As(err, &e) && e != nil {
			return Caller{}, e
		}
		return Caller{}, apierrors.Internal(fmt.Errorf("ratelimit: Caller: %w", err))
	}
	if l.user != nil {
		if id, ok := l.user(r); ok {
			return Caller{Kind: User, ID: id}, nil
		}
	}
	if l.checkClient != nil && r.URL.RawQuery != "" {
		query := r.URL.Query()
		if id := query.Get("client_id"); id != "" {
			ok, err := l.checkClient(r.Context(), id, query.Get("client_secret"))
			if err != nil {
				l.failed(r, "ratelimit: CheckClient failed", "check_client", err, slog.LevelError)
				return Caller{}, apierrors.Internal(fmt.Errorf("ratelimit: CheckClient: %w", err))
			}
			if !ok {
				l.observe(r, observe.TokenRefused, res.Name, nil)
				return Caller{}, &apierrors.Error{
					Status:  http.StatusUnauthorized,
					Message: MsgBadClient,
					ID:      IDBadClient,
					Header:  http.Header{headerWWWAuthenticate: {l.challenge}},
				}
			}
			return Caller{Kind: App, ID: id}, nil
		}
	}
	return Caller{Kind: Anonymous, ID: l.resolver.ClientKey(r)}, nil
}

// observe reports a decision to the Observer, if there is one. The test
// comes first, so that a nil Observer builds no Event.
func (l *Limiter) observe(r *http.Request, decision observe.Decision, detail string, err error) {
	if l.observer != nil {
		l.observer.Observe(observe.Event{Middleware: "ratelimit", Decision: decision, Detail: detail, Request: r, Err: err})
	}
}

// failed reports a failed operation to the Observer (StoreError, op as
// Detail) and the Logger. The path is logged without the query, which
// may hold a client_secret.
func (l *Limiter) failed(r *http.Request, msg, op string, err error, level slog.Level) {
	l.observe(r, observe.StoreError, op, err)
	if l.logger == nil {
		return
	}
	l.logger.LogAttrs(r.Context(), level, msg,
		slog.String("op", op),
		slog.Any("error", err),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path))
}

// storeFailed reports a failed store operation: Warn when the request
// went on without it, Error when it was answered with a 5xx. Every
// failure reaches the Observer; the log gets the first at once, then one
// line every 10 seconds with the count of those it did not log, so a
// store that is down costs a handful of lines, not one per request.
func (l *Limiter) storeFailed(r *http.Request, op string, err error, level slog.Level) {
	l.observe(r, observe.StoreError, op, err)
	if l.logger == nil {
		return
	}
	log, suppressed := l.failLog.Allow(l.now())
	if !log {
		return
	}
	l.logger.LogAttrs(r.Context(), level, "ratelimit: store failed",
		slog.String("op", op),
		slog.Any("error", err),
		slog.Int64("not_logged_since_last", suppressed),
		slog.Bool("fail_closed", l.failClosed),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path))
}
