package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/render"
)

// Messages of the limits' refusals. The primary ones are the seed's (and
// GitHub's) texts; clients match on their beginning, "API rate limit
// exceeded". The secondary one keeps the seed's words and adds "secondary
// rate limit", the phrase Octokit's throttling plugin looks for.
const (
	MsgAnonymousLimited = "API rate limit exceeded for %s. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	MsgUserLimited      = "API rate limit exceeded for user ID %s."
	MsgAppLimited       = "API rate limit exceeded for client ID %s."
	MsgSecondaryLimited = "You have triggered an abuse detection mechanism (a secondary rate limit) and have been temporarily blocked from content creation. Please retry your request again later."
	MsgBadClient        = "Bad credentials"
	MsgUnavailable      = "Rate limiting is temporarily unavailable. Please try again later."
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
	// Anonymous callers are counted by client IP (IPv6 by prefix).
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
	// ID is the user ID, the client ID, or the client IP ("192.0.2.7",
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

// Default resources: GitHub's and the seed's figures.
var (
	Core   = Resource{Name: "core", Window: time.Hour, Limit: 5000, AnonymousLimit: 60}
	Search = Resource{Name: "search", Window: time.Minute, Limit: 30, AnonymousLimit: 10}
)

// Default secondary limits: GitHub's figures.
const (
	DefaultCreatesPerMinute = 80
	DefaultCreatesPerHour   = 500
	DefaultMaxConcurrent    = 100
	DefaultIPv6Prefix       = 64
	DefaultStatusPath       = "/rate_limit"
)

// Config configures a Limiter. The zero value gives the seed's quotas:
// 5000 requests an hour for users and applications, 60 for anonymous
// clients by IP, search at 30 (10) a minute, and GitHub's secondary limits.
type Config struct {
	// Resources are the quotas, by name. Core and Search are always
	// there; a Resource with their name replaces them.
	Resources []Resource
	// Resource names the resource a request counts against. Default: "core".
	Resource func(*http.Request) string

	// User returns the authenticated user's ID, for example from
	// auth.IdentityFrom. Default: no request is a user's.
	User func(*http.Request) (id string, ok bool)
	// CheckClient verifies the client_id and client_secret query
	// parameters of an application (secrets compared in constant time).
	// false means a wrong secret: 401 "Bad credentials", never a silent
	// fall back to the anonymous quota. Nil: the parameters are ignored.
	CheckClient func(ctx context.Context, clientID, clientSecret string) (bool, error)
	// Caller, when set, replaces User, CheckClient and the client IP:
	// it picks who a request counts against. An *apierrors.Error it
	// returns is written as it is.
	Caller func(*http.Request) (Caller, error)
	// TrustedProxies are the proxies whose X-Forwarded-For and Forwarded
	// headers name the client (see package forwarded). Default: none.
	TrustedProxies []string
	// IPv6Prefix is the prefix length anonymous IPv6 clients are counted
	// by: one subscriber holds a whole /64. Default 64; 128 counts each
	// address.
	IPv6Prefix int

	// CreatesPerMinute and CreatesPerHour are the secondary limits on
	// content creation (POST, PATCH, PUT, DELETE) per caller: token
	// buckets holding that many requests. Defaults 80 and 500; negative
	// disables one.
	CreatesPerMinute int
	CreatesPerHour   int
	// MaxConcurrent caps a caller's requests in flight (on this
	// process). Default 100; negative disables the cap.
	MaxConcurrent int
	// CreatesContent reports whether a request creates content, and so
	// counts against CreatesPerMinute and CreatesPerHour. Default: POST,
	// PATCH, PUT and DELETE do. A service may leave out requests that
	// change nothing a user publishes (logins, token refreshes), which
	// have limits of their own.
	CreatesContent func(*http.Request) bool

	// Status is the status of refusals: 403 (the default, the seed's and
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
	// FailClosed refuses requests with 503 when the store fails. Default:
	// they go on, unlimited and without X-RateLimit-* headers, and the
	// failure is logged.
	FailClosed bool

	// OnLimited, when set, answers a request over its primary quota
	// instead of the seed's 403; the X-RateLimit-* and Retry-After
	// headers are already set.
	OnLimited http.Handler
	// OnSecondary, when set, answers a request over a secondary limit;
	// Retry-After is already set.
	OnSecondary http.Handler
	// Render writes the Status document. Default: a bare body, GitHub's
	// shape.
	Render *render.Renderer
	// Errors writes every refusal. Default: a nil *apierrors.Writer.
	Errors *apierrors.Writer
	// Logger receives store failures.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// ConfigError is one problem with a Config; New returns all of them at
// once, joined with errors.Join.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "ratelimit: Config." + e.Field + ": " + e.Reason }

// Limiter enforces the primary and secondary limits. Build one with New;
// it is safe for concurrent use.
type Limiter struct {
	resources   map[string]*resource
	core        *resource
	ordered     []*resource
	resourceOf  func(*http.Request) string
	user        func(*http.Request) (string, bool)
	checkClient func(context.Context, string, string) (bool, error)
	caller      func(*http.Request) (Caller, error)
	proxies     *forwarded.Resolver
	ipv6Prefix  int
	buckets     []Bucket
	creates     func(*http.Request) bool
	concurrency *concurrency
	status      int
	ietf        bool
	heroku      bool
	statusPath  string
	exempt      func(*http.Request) bool
	store       Store
	bucketStore BucketStore
	failClosed  bool
	onLimited   http.Handler
	onSecondary http.Handler
	render      *render.Renderer
	errors      *apierrors.Writer
	logger      *slog.Logger
	now         func() time.Time
	lastReset   atomic.Pointer[resetCache]
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
}

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

// New validates cfg and returns its Limiter.
func New(cfg Config) (*Limiter, error) {
	var errs []error
	fail := func(field, reason string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Reason: fmt.Sprintf(reason, args...)})
	}
	l := &Limiter{
		resources:   make(map[string]*resource),
		resourceOf:  cfg.Resource,
		user:        cfg.User,
		checkClient: cfg.CheckClient,
		caller:      cfg.Caller,
		ipv6Prefix:  cfg.IPv6Prefix,
		status:      cfg.Status,
		ietf:        cfg.IETFHeaders,
		heroku:      cfg.HerokuHeader,
		statusPath:  cfg.StatusPath,
		exempt:      cfg.Exempt,
		creates:     cfg.CreatesContent,
		store:       cfg.Store,
		bucketStore: cfg.Buckets,
		failClosed:  cfg.FailClosed,
		onLimited:   cfg.OnLimited,
		onSecondary: cfg.OnSecondary,
		render:      cfg.Render,
		errors:      cfg.Errors,
		logger:      cfg.Logger,
		now:         cfg.Now,
	}
	// Core and Search first, each replaced by a configured resource of
	// the same name; then the other configured ones, in order.
	resources := []Resource{Core, Search}
	seen := make(map[string]bool, len(cfg.Resources))
	for i, res := range cfg.Resources {
		field := fmt.Sprintf("Resources[%d]", i)
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
			fail(field+".Name", "%q must be lower-case letters, digits, '_' or '-'", res.Name)
			continue
		case seen[res.Name]:
			fail(field+".Name", "%q is listed twice", res.Name)
			continue
		case res.Window < time.Second || res.Window%time.Second != 0:
			fail(field+".Window", "must be a whole number of seconds, at least one")
		case res.Limit < 0 || res.AnonymousLimit < 0:
			fail(field, "limits must not be negative")
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
	for _, res := range resources {
		r := &resource{Resource: res, windowSeconds: int64(res.Window / time.Second)}
		r.limitValue = []string{strconv.Itoa(res.Limit)}
		r.anonymousLimitValue = []string{strconv.Itoa(res.AnonymousLimit)}
		r.nameValue = []string{res.Name}
		r.policyValue = []string{policy(res.Name, res.Limit, r.windowSeconds)}
		r.anonymousPolicyValue = []string{policy(res.Name, res.AnonymousLimit, r.windowSeconds)}
		r.remaining, r.anonymousRemaining = remainingTable(res.Limit), remainingTable(res.AnonymousLimit)
		l.resources[res.Name] = r
		l.ordered = append(l.ordered, r)
	}
	l.core = l.resources[Core.Name]
	proxies, err := forwarded.New(forwarded.Config{TrustedProxies: cfg.TrustedProxies})
	if err != nil {
		fail("TrustedProxies", "%v", err)
	}
	l.proxies = proxies
	switch {
	case l.ipv6Prefix == 0:
		l.ipv6Prefix = DefaultIPv6Prefix
	case l.ipv6Prefix < 1 || l.ipv6Prefix > 128:
		fail("IPv6Prefix", "must be between 1 and 128")
	}
	perMinute, perHour := defaulted(cfg.CreatesPerMinute, DefaultCreatesPerMinute), defaulted(cfg.CreatesPerHour, DefaultCreatesPerHour)
	if perMinute > 0 {
		l.buckets = append(l.buckets, Bucket{Limit: perMinute, Per: time.Minute})
	}
	if perHour > 0 {
		l.buckets = append(l.buckets, Bucket{Limit: perHour, Per: time.Hour})
	}
	if maxConcurrent := defaulted(cfg.MaxConcurrent, DefaultMaxConcurrent); maxConcurrent > 0 {
		l.concurrency = newConcurrency(maxConcurrent)
	}
	switch l.status {
	case 0:
		l.status = http.StatusForbidden
	case http.StatusForbidden, http.StatusTooManyRequests:
	default:
		fail("Status", "must be 403 or 429, not %d", l.status)
	}
	switch {
	case l.statusPath == "":
		l.statusPath = DefaultStatusPath
	case !strings.HasPrefix(l.statusPath, "/"):
		fail("StatusPath", `must start with "/"`)
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
	if l.render == nil {
		l.render = render.New(render.Config{Errors: cfg.Errors})
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.creates == nil {
		l.creates = createsContent
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
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

// policy is a RateLimit-Policy item: "core";q=5000;w=3600.
func policy(name string, quota int, windowSeconds int64) string {
	return `"` + name + `";q=` + strconv.Itoa(quota) + ";w=" + strconv.FormatInt(windowSeconds, 10)
}

// Canonical header keys, set by direct map assignment.
const (
	headerLimit      = "X-Ratelimit-Limit"
	headerRemaining  = "X-Ratelimit-Remaining"
	headerReset      = "X-Ratelimit-Reset"
	headerUsed       = "X-Ratelimit-Used"
	headerResource   = "X-Ratelimit-Resource"
	headerPolicy     = "Ratelimit-Policy"
	headerRateLimit  = "Ratelimit"
	headerHeroku     = "Ratelimit-Remaining"
	headerRetryAfter = "Retry-After"
)

// Handler is the middleware. It counts the request against its caller's
// quota, sets the X-RateLimit-* headers, refuses a request over a limit,
// and gives back a request whose response ends as 304 Not Modified.
//
// It belongs after authentication (it keys quotas by the user) and
// before JSON-P and the conditional middleware, whose 304s it refunds.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.exempt != nil && l.exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		caller, err := l.callerOf(r)
		if err != nil {
			l.writeError(w, r, err)
			return
		}
		res := l.resourceFor(r)
		ctx := r.Context()
		now := l.now()
		key := Key{Resource: res.Name, Caller: caller}
		limit := res.limit(caller.Kind)

		if r.URL.Path == l.statusPath {
			if usage, err := l.store.Peek(ctx, key, res.Window, now); err == nil {
				l.setHeaders(w.Header(), res, caller.Kind, usage, now)
			} else {
				l.logStoreError(ctx, "peek", err)
			}
			next.ServeHTTP(w, r)
			return
		}

		usage, err := l.store.Take(ctx, key, limit, res.Window, now)
		if err != nil {
			l.logStoreError(ctx, "take", err)
			if l.failClosed {
				l.writeError(w, r, &apierrors.Error{Status: http.StatusServiceUnavailable, Message: MsgUnavailable, ID: "rate_limit_unavailable", Err: err})
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		l.setHeaders(h, res, caller.Kind, usage, now)
		if !usage.Allowed {
			h[headerRetryAfter] = []string{retryAfter(usage.Reset.Sub(now))}
			if l.onLimited != nil {
				w.WriteHeader(l.status)
				l.onLimited.ServeHTTP(w, r)
				return
			}
			l.writeError(w, r, &apierrors.Error{
				Status:           l.status,
				Message:          limitedMessage(caller),
				ID:               "rate_limit",
				DocumentationURL: DocRateLimiting,
			})
			return
		}

		q := quota{limiter: l, ctx: ctx, key: key, res: res, usage: usage, now: now, header: h}
		if l.concurrency != nil {
			slot, ok := l.concurrency.enter(caller)
			if !ok {
				q.refund()
				l.secondary(w, r, time.Second)
				return
			}
			defer leave(slot)
		}
		if len(l.buckets) > 0 && l.creates(r) {
			ok, wait, err := l.bucketStore.Allow(ctx, caller, l.buckets, now)
			switch {
			case err != nil:
				l.logStoreError(ctx, "allow", err)
				if l.failClosed {
					q.refund()
					l.writeError(w, r, &apierrors.Error{Status: http.StatusServiceUnavailable, Message: MsgUnavailable, ID: "rate_limit_unavailable", Err: err})
					return
				}
			case !ok:
				q.refund()
				l.secondary(w, r, wait)
				return
			}
		}
		if isConditional(r) {
			next.ServeHTTP(&refundWriter{ResponseWriter: w, quota: q}, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// quota is one request's count, kept so that it can be given back.
type quota struct {
	limiter *Limiter
	ctx     context.Context
	key     Key
	res     *resource
	usage   Usage
	now     time.Time
	header  http.Header
}

// refund gives the request back and corrects the headers already set.
func (q *quota) refund() {
	if err := q.limiter.store.Refund(q.ctx, q.key, q.usage.Reset, q.now); err != nil {
		q.limiter.logStoreError(q.ctx, "refund", err)
		return
	}
	q.usage.Used--
	q.limiter.setHeaders(q.header, q.res, q.key.Caller.Kind, q.usage, q.now)
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
// §13.1.2, §13.1.3, §15.4.5). Other requests skip the response wrapper.
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

// secondary answers a request over a secondary limit. X-RateLimit-Remaining
// keeps its real value: a 0 would make clients (go-github) report a
// primary limit instead.
func (l *Limiter) secondary(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	w.Header()[headerRetryAfter] = []string{retryAfter(wait)}
	if l.onSecondary != nil {
		w.WriteHeader(l.status)
		l.onSecondary.ServeHTTP(w, r)
		return
	}
	l.writeError(w, r, &apierrors.Error{
		Status:           l.status,
		Message:          MsgSecondaryLimited,
		ID:               "secondary_rate_limit",
		DocumentationURL: DocAbuseRateLimits,
	})
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

// errBadClient marks a wrong client secret.
var errBadClient = &apierrors.Error{Status: http.StatusUnauthorized, Message: MsgBadClient, ID: "bad_credentials"}

// callerOf picks who r counts against: Config.Caller, else the user,
// else an application with valid client credentials, else the client IP.
func (l *Limiter) callerOf(r *http.Request) (Caller, error) {
	if l.caller != nil {
		return l.caller(r)
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
				return Caller{}, apierrors.Internal(fmt.Errorf("ratelimit: CheckClient: %w", err))
			}
			if !ok {
				return Caller{}, &apierrors.Error{
					Status:  errBadClient.Status,
					Message: errBadClient.Message,
					ID:      errBadClient.ID,
					Header:  http.Header{"Www-Authenticate": {`Basic realm="API"`}},
				}
			}
			return Caller{Kind: App, ID: id}, nil
		}
	}
	return Caller{Kind: Anonymous, ID: l.clientID(r)}, nil
}

// ClientIP returns the address anonymous requests are counted by: the
// client's IP (believing forwarding headers only from TrustedProxies),
// IPv6 reduced to its IPv6Prefix ("2001:db8:1:2::/64"). Pass it to the
// auth lockout so both agree on who the client is.
func (l *Limiter) ClientIP(r *http.Request) string { return l.clientID(r) }

func (l *Limiter) clientID(r *http.Request) string {
	ip := l.proxies.ClientIP(r)
	if l.ipv6Prefix == 128 || strings.IndexByte(ip, ':') < 0 {
		return ip
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return netip.PrefixFrom(addr, l.ipv6Prefix).Masked().String()
}

func (l *Limiter) writeError(w http.ResponseWriter, r *http.Request, err error) {
	l.errors.Write(w, r, err)
}

func (l *Limiter) logStoreError(ctx context.Context, op string, err error) {
	if l.logger != nil {
		l.logger.LogAttrs(ctx, slog.LevelError, "ratelimit: store failed", slog.String("op", op), slog.Any("error", err))
	}
}

// refundWriter gives the request back to the quota when the response is a
// 304, before the status line goes out, so the 304's own
// X-RateLimit-Remaining and -Used already count it out.
type refundWriter struct {
	http.ResponseWriter
	quota       quota
	wroteHeader bool
}

func (w *refundWriter) WriteHeader(code int) {
	if !w.wroteHeader && code != http.StatusContinue && code != http.StatusEarlyHints {
		w.wroteHeader = true
		if code == http.StatusNotModified {
			w.quota.refund()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *refundWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Flush keeps http.Flusher working through the wrapper for handlers that
// assert it directly; http.ResponseController uses Unwrap.
func (w *refundWriter) Flush() {
	w.wroteHeader = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *refundWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
