package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/logthrottle"
	httptoken "github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/render"
)

// Messages of the errors auth answers with: GitHub's texts and the
// conventions' lockout message, byte for byte, because clients match on
// them.
const (
	MsgBadCredentials          = "Bad credentials"
	MsgRequiresAuthentication  = "Requires authentication"
	MsgLoginAttemptsExceeded   = "Maximum number of login attempts exceeded. Please try again later."
	MsgAuthenticationSuspended = "Authentication is temporarily unavailable. Please try again later."
)

// Defaults of Config.
const (
	DefaultMaxFailures    = 10
	DefaultLockoutWindow  = 15 * time.Minute
	DefaultRealm          = "API"
	DefaultRefreshPath    = "/authorizations/refresh-tokens"
	DefaultMaxHeaderBytes = 4096
)

// storeRetryAfter is the Retry-After (RFC 9110 §10.2.3) of the 503 that
// answers while the AttemptStore or the TokenStore is failing: long
// enough not to hammer a store that is coming back, short enough for a
// user at a login form.
const storeRetryAfter = "30"

// ErrBadCredentials is what Config.CheckPassword returns for an unknown
// login or a wrong password. Any other error is a failure of the check
// itself (a database outage) and answers 503.
var ErrBadCredentials = errors.New("auth: bad credentials")

// Config configures an Authenticator. Tokens.Keys and Tokens.Issuer are
// required; every other zero value is a default documented on its field.
type Config struct {
	// Tokens configures the JWTs: keys, issuer, lifetimes, leeway. Its
	// Now must be nil: the Authenticator's clock is Config.Now. A service
	// whose users only sign in at identity providers leaves it zero and
	// lists them in Issuers: then Login, Refresh and Logout answer 404,
	// Issue is ErrCannotSign, and Tokens is nil.
	Tokens TokenConfig

	// TokenPrefix starts every personal access token of the service
	// ("myblog_pat_"); a bearer token or a Basic password with it goes to
	// CheckToken (see TokenGrant). Required with CheckToken.
	TokenPrefix string
	// CheckToken checks a personal access token (with its prefix) and
	// returns what it grants, or ErrBadCredentials for a token it does
	// not know or that was revoked; any other error is a 503. It is
	// called on every request that carries one (tokens are not cached).
	// Nil: no personal access tokens.
	CheckToken func(ctx context.Context, token string) (TokenGrant, error)

	// Scopes are the scopes this service defines ("posts:read",
	// "posts:write", "user"): the X-OAuth-Scopes of an unrestricted
	// credential (HTTP Basic with the password, a token Login issued),
	// which has them all. Empty: such a response has no X-OAuth-Scopes.
	Scopes []string

	// Issuers are other issuers whose access tokens are accepted too
	// (identity providers: see IssuerConfig), each with its own
	// audience. A token goes to the one its "iss" names; the service's
	// own tokens keep their fast path. Their Now must be nil.
	Issuers []IssuerConfig

	// CheckPassword checks a login (a username or an email address, as
	// the client sent it) and its password, and returns the account's
	// subject: the "sub" of its tokens, a stable id rather than a name
	// that can change. It returns ErrBadCredentials for an unknown login
	// or a wrong password, and must take about as long for both so that
	// logins cannot be enumerated by timing. Nil: HTTP Basic is refused
	// and Login answers 404.
	CheckPassword func(ctx context.Context, login, password string) (subject string, err error)
	// CheckOTP is the second factor of password authentication (Login
	// and HTTP Basic; tokens never need it): once CheckPassword accepted
	// a login and password, it is asked with the account's subject and
	// the code the request carries in OTPHeaders ("" without one). It
	// returns nil when the account has no second factor or the code is
	// right and not used before, and ErrOTPRequired when the account has
	// one and the code is missing, wrong or already used (keeping each
	// code single-use is CheckOTP's: see package totp); any other error
	// answers 503. A refusal is 401 "Must specify two-factor
	// authentication OTP code." with every OTPHeaders name set to
	// "required; app", GitHub's answer. A wrong code counts toward the
	// lockout as a wrong password does; a missing one does not, since
	// that is how a client learns it needs one. Nil: no second factor.
	CheckOTP func(ctx context.Context, subject, code string) error
	// OTPHeaders name the request headers a code is read from (any of
	// them; two different codes are a wrong code) and the headers of
	// the 401 that asks for one. Default {"X-GitHub-OTP"}, GitHub's,
	// which go-github and Octokit know; examples/stack defaults to
	// X-<Vendor>-OTP. Name both to serve the vendor's and GitHub's
	// clients.
	OTPHeaders []string
	// AccountKey maps a login to the key its lockout counter is kept
	// under. Default: the login in lower case, so "Alice" and "alice"
	// share one counter. Set it when an account has several logins (a
	// username and an email address) so that they share one too.
	AccountKey func(ctx context.Context, login string) (string, error)
	// DisableBasic refuses HTTP Basic credentials (401) even when
	// CheckPassword is set, leaving tokens as the only way in.
	DisableBasic bool

	// MaxFailures is the number of failed password checks (Login and
	// Basic alike) after which further attempts on the same account, or
	// from the same client, are refused with 403 until LockoutWindow
	// has passed since the first of them. Default 10.
	MaxFailures int
	// LockoutWindow is the window MaxFailures counts in. Default 15 minutes.
	LockoutWindow time.Duration
	// AttemptStore keeps the failure counters. Default: a MemoryAttempts.
	AttemptStore AttemptStore
	// LockoutFailOpen lets password checks go on when the AttemptStore
	// fails (logged at Warn level), counted in memory against this
	// instance's share of MaxFailures (MaxFailures/Instances, at least
	// 1). Default: they are refused with 503 and Retry-After: 30 until
	// the store is back, so an outage never turns into unlimited
	// password guessing.
	LockoutFailOpen bool
	// Instances is how many instances of the service share the
	// AttemptStore, for LockoutFailOpen's local share. Default 1.
	Instances int
	// TokenStore keeps refresh-token sessions. Default: a MemoryTokens.
	// While it fails, Login, Refresh and Logout answer 503 with
	// Retry-After: 30.
	TokenStore TokenStore

	// Resolver finds the client of a request. The per-client lockout
	// counts by Resolver.ClientKey: an IPv4 address, or an IPv6 client's
	// network of forwarded.Config.IPv6Prefix bits (/64 by default), since
	// one subscriber holds a whole /64. Nil: the direct peer
	// (RemoteAddr), no forwarding header believed. Behind a proxy, pass
	// the one Resolver every middleware of the service shares.
	Resolver *forwarded.Resolver
	// Realm is the realm of WWW-Authenticate challenges. Default "API".
	Realm string
	// RefreshPath is the path where Refresh and Logout are mounted. There,
	// the middleware lets a bearer token through unchecked, since it is a
	// refresh token that those handlers verify. Default
	// "/authorizations/refresh-tokens".
	RefreshPath string
	// MaxHeaderBytes caps the Authorization header; a longer one is 401
	// without being parsed. Default 4096.
	MaxHeaderBytes int
	// TokenCacheSize is how many verified access tokens are remembered,
	// so that a client sending the same token again does not pay for its
	// signature again; an entry is used only while the token is still
	// valid by its own claims. Default 10,000 (about 2 MB); negative
	// turns the cache off.
	TokenCacheSize int
	// BasicCacheTTL is how long a Basic credential that passed the
	// password check is remembered, so that a client sending it request
	// after request pays for the password hash (bcrypt: tens of
	// milliseconds) once per BasicCacheTTL: it is kept as a keyed hash
	// of the login and password, never the password. Requests carrying
	// one credential at the same time share one check (and one lockout
	// attempt). A remembered credential keeps working for up to
	// BasicCacheTTL after the password changed on another process;
	// ForgetCredentials drops it at once on this one. Default
	// DefaultBasicCacheTTL (1 minute); negative turns the cache off.
	BasicCacheTTL time.Duration
	// BasicCacheSize caps the credentials remembered. Default
	// DefaultBasicCacheSize (10,000, about 1 MB).
	BasicCacheSize int

	// Render writes the token pairs Login and Refresh answer with, and
	// Logout's empty success. Default: bare bodies, GitHub's shape
	// (render.New(render.Config{})): {"token": "...", "refresh_token":
	// "...", "expires_in": 7200}, and 204 for Logout. Pass
	// render.New(render.Config{Envelope: true}) for the envelope
	// {"data": {...}, "code": "200", "msg": "SUCCESS"}.
	Render *render.Renderer
	// Decoder reads Login and Refresh bodies. Default: apierrors' zero
	// DecoderConfig.
	Decoder *apierrors.Decoder
	// Errors writes every refusal when OnError is nil. Default: a nil
	// *apierrors.Writer.
	Errors *apierrors.Writer
	// OnError answers every refusal (401, 403, 404, 400/422 on a body,
	// 5xx). When it runs, the middleware has already set its headers on
	// w (WWW-Authenticate, Retry-After; they are in e.Header too) and
	// written no status, so the hook's own status, headers and body reach
	// the client whole. Nil: Errors.WriteError.
	OnError apierrors.Hook
	// Observer receives every decision: observe.TokenAccepted and
	// TokenRefused, LoginSucceeded and LoginFailed, LockedOut, Refreshed,
	// RefreshReused, Invalid and StoreError, with Middleware "auth" (see
	// the package doc for each Detail). Nil: nothing is observed, at no
	// cost.
	Observer observe.Observer
	// Logger receives store failures (Error level when the request is
	// answered 5xx, Warn when it went on), failures of CheckPassword and
	// AccountKey (Error), and refresh-token reuse (Warn). Passwords and
	// tokens are never logged.
	Logger *slog.Logger
	// Now is the one clock of the Authenticator: token issue and
	// verification, the token cache, the lockout windows and the
	// refresh sessions. Default time.Now.
	Now func() time.Time
}

// Authenticator authenticates requests, and answers login, token refresh
// and logout. Build one with New; it is safe for concurrent use.
type Authenticator struct {
	tokens          *Tokens
	issuers         map[string]*Issuer // by "iss"; nil without Config.Issuers
	allScopes       []string           // X-OAuth-Scopes of an unrestricted credential; nil: none
	tokenPrefix     string
	checkToken      func(ctx context.Context, token string) (TokenGrant, error)
	maxIssuerBytes  int // the largest MaxTokenBytes of issuers
	checkPassword   func(ctx context.Context, login, password string) (string, error)
	checkOTP        func(ctx context.Context, subject, code string) error
	otpHeaders      []string // canonical keys
	accountKey      func(ctx context.Context, login string) (string, error)
	basic           bool
	maxFailures     int
	lockoutWindow   time.Duration
	attempts        AttemptStore
	lockoutFailOpen bool
	// localAttempts and localMaxFailures count attempts while the
	// AttemptStore fails and LockoutFailOpen is set.
	localAttempts    *MemoryAttempts
	localMaxFailures int
	// failLogs holds one logthrottle.Throttle per failed operation.
	failLogs       sync.Map
	sessions       TokenStore
	resolver       *forwarded.Resolver
	refreshPath    string
	maxHeaderBytes int
	cache          *tokenCache // nil: off
	basicCache     *basicCache // nil: off
	render         *render.Renderer
	decoder        *apierrors.Decoder
	onError        apierrors.Hook
	observer       observe.Observer
	logger         *slog.Logger
	now            func() time.Time

	// Challenges, quoted once (RFC 9110 §11.6.1, RFC 6750 §3).
	bearerChallenge  string
	invalidChallenge string
	basicChallenge   string
}

// New validates cfg and returns its Authenticator. Every problem is an
// *apierrors.ConfigError; those of Tokens are named by their full path
// ("auth: Tokens.Keys[0].Secret: ...").
func New(cfg Config) (*Authenticator, error) {
	problems := configerr.New("auth")
	a := &Authenticator{
		checkPassword:   cfg.CheckPassword,
		checkOTP:        cfg.CheckOTP,
		accountKey:      cfg.AccountKey,
		basic:           cfg.CheckPassword != nil && !cfg.DisableBasic,
		maxFailures:     cfg.MaxFailures,
		lockoutWindow:   cfg.LockoutWindow,
		attempts:        cfg.AttemptStore,
		lockoutFailOpen: cfg.LockoutFailOpen,
		sessions:        cfg.TokenStore,
		resolver:        cfg.Resolver,
		refreshPath:     cfg.RefreshPath,
		maxHeaderBytes:  cfg.MaxHeaderBytes,
		render:          cfg.Render,
		decoder:         cfg.Decoder,
		onError:         cfg.OnError,
		observer:        cfg.Observer,
		logger:          cfg.Logger,
		now:             cfg.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if cfg.Tokens.Now != nil {
		problems.Add("Tokens.Now", "must be nil: Now is the clock of the whole Authenticator, tokens included")
	}
	// A service whose users only sign in at identity providers needs no
	// tokens of its own: Tokens left zero with Issuers set.
	var tokens *Tokens
	if cfg.Tokens.Issuer != "" || len(cfg.Tokens.Keys) > 0 || len(cfg.Issuers) == 0 {
		tokenConfig := cfg.Tokens
		tokenConfig.Now = a.now
		var err error
		tokens, err = NewTokens(tokenConfig)
		problems.Nested("Tokens", err)
	}
	a.tokens = tokens
	a.otpHeaders = otpHeaders(cfg.OTPHeaders, problems)
	if cfg.CheckOTP != nil && cfg.CheckPassword == nil {
		problems.Add("CheckOTP", "needs CheckPassword: it is the second factor of a password")
	}
	if len(cfg.Scopes) > 0 {
		a.allScopes = []string{strings.Join(cfg.Scopes, ", ")}
	}
	if field, problem := checkPersonalConfig(cfg); problem != "" {
		problems.Add(field, problem)
	}
	a.tokenPrefix, a.checkToken = cfg.TokenPrefix, cfg.CheckToken
	for n, s := range cfg.Scopes {
		if s == "" || strings.ContainsAny(s, " ,\"") {
			problems.Addf(configerr.Index("Scopes", n), "%q: a scope is a non-empty word without spaces, commas or quotes", s)
		}
	}
	for n, ic := range cfg.Issuers {
		field := configerr.Index("Issuers", n)
		if ic.Now != nil {
			problems.Add(field+".Now", "must be nil: Now is the clock of the whole Authenticator, issuers included")
		}
		issuer, err := newIssuer(ic, a.now)
		problems.Nested(field, err)
		if issuer == nil {
			continue
		}
		if tokens != nil && issuer.issuer == tokens.issuer {
			problems.Addf(field+".Issuer", "%q is this service's own issuer (Tokens.Issuer)", issuer.issuer)
			continue
		}
		if _, dup := a.issuers[issuer.issuer]; dup {
			problems.Addf(field+".Issuer", "%q is listed twice", issuer.issuer)
			continue
		}
		if a.issuers == nil {
			a.issuers = make(map[string]*Issuer, len(cfg.Issuers))
		}
		a.issuers[issuer.issuer] = issuer
		a.maxIssuerBytes = max(a.maxIssuerBytes, issuer.maxBytes)
	}
	switch {
	case a.maxFailures == 0:
		a.maxFailures = DefaultMaxFailures
	case a.maxFailures < 0:
		problems.Add("MaxFailures", "must not be negative")
	}
	instances := cfg.Instances
	switch {
	case instances == 0:
		instances = 1
	case instances < 0:
		problems.Add("Instances", "must not be negative")
		instances = 1
	}
	a.localAttempts, a.localMaxFailures = new(MemoryAttempts), max(1, a.maxFailures/instances)
	switch {
	case a.lockoutWindow == 0:
		a.lockoutWindow = DefaultLockoutWindow
	case a.lockoutWindow < time.Second:
		problems.Add("LockoutWindow", "must be at least one second")
	}
	if a.accountKey == nil {
		a.accountKey = lowerCaseLogin
	}
	if a.attempts == nil {
		a.attempts = new(MemoryAttempts)
	}
	if a.sessions == nil {
		a.sessions = new(MemoryTokens)
	}
	realm := cfg.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	if !isQuotable(realm) {
		problems.Add("Realm", "must be printable ASCII")
	}
	switch {
	case a.refreshPath == "":
		a.refreshPath = DefaultRefreshPath
	case !strings.HasPrefix(a.refreshPath, "/"):
		problems.Add("RefreshPath", `must start with "/"`)
	}
	switch {
	case a.maxHeaderBytes == 0:
		a.maxHeaderBytes = DefaultMaxHeaderBytes
	case a.maxHeaderBytes < 256:
		problems.Add("MaxHeaderBytes", "must be at least 256 (a signed token does not fit in less)")
	}
	switch {
	case cfg.TokenCacheSize == 0:
		a.cache = newTokenCache(DefaultTokenCacheSize)
	case cfg.TokenCacheSize > 0:
		a.cache = newTokenCache(cfg.TokenCacheSize)
	}
	basicSize := cfg.BasicCacheSize
	switch {
	case basicSize == 0:
		basicSize = DefaultBasicCacheSize
	case basicSize < 0:
		problems.Add("BasicCacheSize", "must not be negative (0 means the default, 10,000)")
	}
	switch {
	case cfg.BasicCacheTTL == 0 && a.basic:
		a.basicCache = newBasicCache(DefaultBasicCacheTTL, basicSize)
	case cfg.BasicCacheTTL > 0 && a.basic:
		a.basicCache = newBasicCache(cfg.BasicCacheTTL, basicSize)
	}
	if a.render == nil {
		a.render = render.New(render.Config{Errors: cfg.Errors})
	}
	if a.onError == nil {
		a.onError = cfg.Errors.WriteError
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	quoted := quote(realm)
	a.bearerChallenge = "Bearer realm=" + quoted
	a.invalidChallenge = a.bearerChallenge + `, error="invalid_token"`
	a.basicChallenge = "Basic realm=" + quoted + `, charset="UTF-8"`
	return a, nil
}

func lowerCaseLogin(_ context.Context, login string) (string, error) {
	return strings.ToLower(login), nil
}

func isQuotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// quote returns s as an RFC 9110 §5.6.4 quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Tokens returns the Authenticator's token signer and verifier, to issue
// tokens outside Login (after a sign-up, say) or verify them elsewhere.
// It runs on the Authenticator's clock, Config.Now. It is nil for a
// service with Issuers and no tokens of its own.
func (a *Authenticator) Tokens() *Tokens { return a.tokens }

// Method says how a request authenticated.
type Method uint8

const (
	// MethodToken: an access token, as "Bearer <t>" or "token <t>".
	MethodToken Method = iota + 1
	// MethodBasic: HTTP Basic, a login and password.
	MethodBasic
)

func (m Method) String() string {
	switch m {
	case MethodToken:
		return "token"
	case MethodBasic:
		return "basic"
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// Identity is who a request authenticated as.
type Identity struct {
	// Subject is the account's stable id ("sub").
	Subject string
	// Method says whether a token or Basic credentials proved it.
	Method Method
	// TokenID is the access token's "jti"; empty for Basic.
	TokenID string
	// Session is the login session the token descends from ("sid");
	// empty for Basic.
	Session string
	// Scopes are the token's scopes, if it has any.
	Scopes []string
	// ExpiresAt is when the token expires; zero for Basic.
	ExpiresAt time.Time
	// Issuer is the token's "iss": this service's own TokenConfig.Issuer,
	// or one of Config.Issuers; empty for Basic.
	Issuer string

	// token is the verified token, whose claims DecodeClaims reads.
	token string
	// unrestricted: the credential has every scope (see Unrestricted).
	unrestricted bool
}

// ErrNoClaims: DecodeClaims on an identity no token proved (Basic, or
// one built by hand).
var ErrNoClaims = errors.New("auth: the identity has no token claims")

// DecodeClaims decodes the verified claims of the identity's token into
// v, with encoding/json: a struct of the claims a handler needs beyond
// the standard ones (a tenant id, roles, permissions, Entra's "tid" or
// Auth0's namespaced claims). The claims are read from the token when
// asked, so an identity costs nothing for them until then. An identity
// without a token gives ErrNoClaims.
func (id Identity) DecodeClaims(v any) error {
	_, rest, ok := strings.Cut(id.token, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if id.token == "" || !ok || !ok2 {
		return ErrNoClaims
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return fmt.Errorf("auth: the token's claims: %w", err)
	}
	return json.Unmarshal(data, v)
}

// HasScope reports whether the identity may act with scope: it is
// unrestricted, or one of its scopes is scope or a parent of it ("posts"
// covers "posts:write"; see RequireScopes).
func (id Identity) HasScope(scope string) bool { return id.hasAny([]string{scope}) }

type identityKey struct{}

// identityContext carries an Identity. It is a context of its own rather
// than a context.WithValue, so that the identity and the context are one
// allocation.
type identityContext struct {
	context.Context
	id Identity
	// scopesHeader is X-OAuth-Scopes when already known (a cached
	// token's); nil: computed from id.
	scopesHeader []string
}

func (c *identityContext) Value(key any) any {
	if key == (identityKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *identityContext) String() string {
	if s, ok := c.Context.(interface{ String() string }); ok {
		return s.String() + ".WithValue(auth.Identity)"
	}
	return "context.WithValue(auth.Identity)"
}

// FromContext returns the identity the middleware put in ctx, and whether
// there is one (false: the request is anonymous).
func FromContext(ctx context.Context) (Identity, bool) {
	c, ok := ctx.Value(identityKey{}).(*identityContext)
	if !ok {
		return Identity{}, false
	}
	return c.id, true
}

// WithIdentity returns a copy of ctx carrying id, as the middleware does:
// for tests of handlers, and for services with a way in of their own.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return &identityContext{Context: ctx, id: id}
}

// CheckOwner returns nil when the request in ctx is authenticated as owner,
// and otherwise the same 404 Not Found a missing resource answers, so a
// private resource ("exists, but not yours") cannot be told apart from one
// that does not exist, as GitHub answers. Write the error with the
// service's apierrors.Writer.
func CheckOwner(ctx context.Context, owner string) error {
	if id, ok := FromContext(ctx); ok && owner != "" && id.Subject == owner {
		return nil
	}
	return apierrors.NotFound()
}

// Handler is the middleware in optional mode: a request with valid
// credentials carries its Identity in the context (FromContext), one
// without any goes on anonymous, and one with bad credentials is answered
// 401 "Bad credentials" at once. Locked-out Basic credentials are 403.
//
// It belongs after CORS (a preflight carries no credentials) and before
// the rate limiter, which keys quotas by the identity.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, done := FromContext(r.Context()); done {
			next.ServeHTTP(w, r)
			return
		}
		id, accepted, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if id != nil {
			h := id.scopesHeader
			if h == nil {
				h = a.scopesHeader(&id.id)
			}
			if h != nil {
				w.Header()[oauthScopesKey] = h
			}
			r = r.WithContext(id)
			if accepted != "" && a.observer != nil {
				a.observer.Observe(observe.Event{Middleware: "auth", Decision: observe.TokenAccepted, Detail: accepted, Request: r})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Require is the middleware in required mode: like Handler, and a request
// without credentials is answered 401 "Requires authentication". Wrap
// the routes that need a user with it; under Handler it costs one context
// lookup.
func (a *Authenticator) Require(next http.Handler) http.Handler {
	return a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); !ok {
			a.emit(r, observe.TokenRefused, "missing", nil)
			a.fail(w, r, a.unauthorized(MsgRequiresAuthentication, a.bearerChallenge))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// authenticate reads the request's credentials. It returns the request's
// context with the identity (nil: anonymous) and true, or answers the
// request and returns false. accepted is the Detail of the TokenAccepted
// event the caller reports for an access token ("cached" or
// "verified"); empty for Basic, which attemptPassword reported.
func (a *Authenticator) authenticate(w http.ResponseWriter, r *http.Request) (id *identityContext, accepted string, ok bool) {
	values := r.Header["Authorization"]
	if len(values) == 0 {
		return nil, "", true
	}
	if len(values) > 1 {
		// Two credentials: which one would be the caller's is a guess.
		a.refuseToken(w, r, a.invalidChallenge, "duplicate", nil)
		return nil, "", false
	}
	if entry, token, ok := a.cachedToken(r, values[0]); ok {
		return tokenIdentity(r, entry, token, a.tokens.issuer), "cached", true
	}
	creds, err := parseAuthorization(values[0], a.maxHeaderBytes)
	if err != nil {
		a.refuseToken(w, r, a.invalidChallenge, headerRefusal(err), err)
		return nil, "", false
	}
	switch creds.scheme {
	case schemeToken:
		if r.URL.Path == a.refreshPath {
			return nil, "", true
		}
		if a.isPersonalToken(creds.token) {
			id, ok := a.personalToken(w, r, creds.token, "token")
			return id, "", ok
		}
		if a.issuers != nil && (a.tokens == nil || !a.tokens.ownHeader(creds.token)) {
			if id, err, ours := a.externalToken(r.Context(), creds.token); !ours {
				if err != nil {
					a.refuseToken(w, r, a.invalidChallenge, tokenRefusal(err), err)
					return nil, "", false
				}
				return &identityContext{Context: r.Context(), id: id}, "issuer", true
			}
		}
		entry, err := a.verifiedToken(creds.token)
		if err != nil {
			a.refuseToken(w, r, a.invalidChallenge, tokenRefusal(err), err)
			return nil, "", false
		}
		return tokenIdentity(r, entry, creds.token, a.tokens.issuer), "verified", true
	case schemeBasic:
		if !a.basic {
			a.refuseToken(w, r, a.bearerChallenge, "basic_disabled", nil)
			return nil, "", false
		}
		if a.isPersonalToken(creds.password) {
			// A token as the password, as GitHub takes them: the token
			// decides, whatever the username.
			id, ok := a.personalToken(w, r, creds.password, "basic")
			return id, "", ok
		}
		subject, e := a.basicLogin(r, creds.user, creds.password)
		if e != nil {
			a.fail(w, r, e)
			return nil, "", false
		}
		return &identityContext{Context: r.Context(), id: Identity{Subject: subject, Method: MethodBasic, unrestricted: true}}, "", true
	}
	return nil, "", true
}

// tokenIdentity is the context of a request authenticated by token, one
// of the service's own access tokens (of issuer), whose claims entry
// holds.
func tokenIdentity(r *http.Request, entry *cachedToken, token, issuer string) *identityContext {
	c := &identityContext{Context: r.Context(), id: Identity{
		Subject:   entry.subject,
		Method:    MethodToken,
		TokenID:   entry.id,
		Session:   entry.session,
		ExpiresAt: entry.exp,
		Issuer:    issuer,
		token:     token,
	}}
	if entry.scope != "" {
		c.id.Scopes = strings.Fields(entry.scope)
		c.scopesHeader = entry.scopesHeader
	} else {
		c.id.unrestricted = true // issued by Login or Refresh: the account itself
	}
	return c
}

// cachedToken is the fast path for the usual header, "Bearer <token>" or
// "token <token>" (the scheme in any case) with one space, when the cache
// holds that token: the cache only holds tokens that passed
// parseAuthorization and verification, so the hit skips both. Anything
// else, the refresh path included, takes the full way.
func (a *Authenticator) cachedToken(r *http.Request, value string) (*cachedToken, string, bool) {
	if a.cache == nil || a.tokens == nil || len(value) > a.maxHeaderBytes || r.URL.Path == a.refreshPath {
		return nil, "", false
	}
	scheme, token, ok := strings.Cut(value, " ")
	if !ok || !httptoken.EqualFold(scheme, "bearer") && !httptoken.EqualFold(scheme, "token") {
		return nil, "", false
	}
	entry, ok := a.cache.get(token, a.now())
	return entry, token, ok
}

// externalToken verifies a token that is not on the own tokens' fast
// path against the issuer its "iss" names. ours reports that no issuer
// of Config.Issuers claims it (the service's own issuer, or one nobody
// trusts): the own tokens' verification then decides, and refuses what
// is nobody's. Tokens of other issuers are not cached: a key the issuer
// withdrew must stop verifying them as soon as the key set says so.
func (a *Authenticator) externalToken(ctx context.Context, token string) (id Identity, err error, ours bool) {
	t, err := parseExternal(token, a.maxIssuerBytes)
	if err != nil {
		return Identity{}, nil, true
	}
	issuer := a.issuers[t.claims.Issuer]
	if issuer == nil {
		return Identity{}, nil, true
	}
	if len(token) > issuer.maxBytes {
		return Identity{}, fmt.Errorf("%w: %w: the token is longer than %d bytes", ErrInvalidToken, jwt.ErrTokenMalformed, issuer.maxBytes), false
	}
	if err := issuer.verify(ctx, t); err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err), false
	}
	return t.identity(), nil, false
}

// verifiedToken verifies an access token and returns its claims,
// remembering them in the cache when there is one.
func (a *Authenticator) verifiedToken(token string) (*cachedToken, error) {
	if a.tokens == nil {
		return nil, fmt.Errorf("%w: %w: no issuer this service trusts", ErrInvalidToken, jwt.ErrTokenInvalidIssuer)
	}
	var claims rawClaims
	if err := a.tokens.verify(token, Access, &claims); err != nil {
		return nil, err
	}
	exp, _ := numericDate(claims.ExpiresAt)
	entry := &cachedToken{subject: claims.Subject, id: claims.ID, session: claims.Session, scope: claims.Scope, exp: exp}
	if claims.Scope != "" {
		entry.scopesHeader = []string{strings.Join(strings.Fields(claims.Scope), ", ")}
	}
	if a.cache != nil {
		entry.expiresAt = exp.Add(a.tokens.leeway)
		if nbf, ok := numericDate(claims.NotBefore); ok {
			entry.notBefore = nbf.Add(-a.tokens.leeway)
		}
		a.cache.put(token, entry, a.now())
	}
	return entry, nil
}

// headerRefusal is the TokenRefused Detail of an Authorization header
// parseAuthorization refused.
func headerRefusal(err error) string {
	switch err {
	case errHeaderTooLarge:
		return "too_large"
	case errUnsupportedScheme:
		return "scheme"
	}
	return "malformed"
}

// unauthorized returns a 401 with the challenges RFC 9110 §15.5.2
// requires. The Basic challenge is only offered to a client that tried
// Basic: offered to every 401, it would make browsers pop up a password
// dialog over a page whose script sent a bad token.
func (a *Authenticator) unauthorized(message string, challenges ...string) *apierrors.Error {
	return &apierrors.Error{
		Status:  http.StatusUnauthorized,
		Message: message,
		ID:      idFor(message),
		Header:  http.Header{"Www-Authenticate": challenges},
	}
}

func idFor(message string) string {
	switch message {
	case MsgBadCredentials:
		return "bad_credentials"
	case MsgRequiresAuthentication:
		return "unauthorized"
	}
	return ""
}

// unavailable is the 503 of a store outage, with the Retry-After of
// RFC 9110 §15.6.4.
func unavailable(id string, err error) *apierrors.Error {
	return &apierrors.Error{
		Status:  http.StatusServiceUnavailable,
		Message: MsgAuthenticationSuspended,
		ID:      id,
		Header:  http.Header{"Retry-After": {storeRetryAfter}},
		Err:     err,
	}
}

// refuseToken answers a 401 "Bad credentials" with challenge, reported
// as TokenRefused for reason.
func (a *Authenticator) refuseToken(w http.ResponseWriter, r *http.Request, challenge, reason string, err error) {
	a.emit(r, observe.TokenRefused, reason, err)
	a.fail(w, r, a.unauthorized(MsgBadCredentials, challenge))
}

// fail answers a refusal: it sets e's headers on w, then hands e to
// OnError (by default Errors.WriteError) before any status is written.
func (a *Authenticator) fail(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
	h := w.Header()
	for key, values := range e.Header {
		h[http.CanonicalHeaderKey(key)] = slices.Clone(values)
	}
	a.onError(w, r, e)
}

// emit reports a decision to the Observer, if there is one.
func (a *Authenticator) emit(r *http.Request, decision observe.Decision, detail string, err error) {
	if a.observer != nil {
		a.observer.Observe(observe.Event{Middleware: "auth", Decision: decision, Detail: detail, Request: r, Err: err})
	}
}

// logError logs a failure at level, with the request's method and path
// (never its query, which may hold secrets).
func (a *Authenticator) logError(r *http.Request, level slog.Level, msg string, err error, attrs ...slog.Attr) {
	if a.logger == nil {
		return
	}
	attrs = append(attrs, slog.Any("error", err), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	a.logger.LogAttrs(r.Context(), level, msg, attrs...)
}

// storeFailed reports a failure of the AttemptStore or TokenStore during
// op: observed as StoreError with op as Detail, and logged at Error level
// when the request is answered 503, at Warn when it went on without the
// store.
//
// Every failure reaches the Observer; the log gets the first of each
// operation at once, then one line every 10 seconds with the count of
// those it did not log, so that a store that is down costs a handful of
// lines rather than one per request.
func (a *Authenticator) storeFailed(r *http.Request, op string, err error, answered bool) {
	a.emit(r, observe.StoreError, op, err)
	if a.logger == nil {
		return
	}
	throttle, _ := a.failLogs.LoadOrStore(op, new(logthrottle.Throttle))
	log, suppressed := throttle.(*logthrottle.Throttle).Allow(a.now())
	if !log {
		return
	}
	level, msg := slog.LevelWarn, "auth: store failed; going on without it"
	if answered {
		level, msg = slog.LevelError, "auth: store failed"
	}
	attrs := []slog.Attr{slog.String("op", op)}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int64("not_logged_since_last", suppressed))
	}
	a.logError(r, level, msg, err, attrs...)
}

// failure is the 503 of a function of the caller's that failed (field
// names it: CheckPassword, AccountKey): a user database is a store too,
// and its outage is answered as the other stores' are, 503 with
// Retry-After. It is observed as StoreError with detail
// ("check_password", "account_key") and logged at Error level.
func (a *Authenticator) failure(r *http.Request, field, detail string, err error) *apierrors.Error {
	a.emit(r, observe.StoreError, detail, err)
	a.logError(r, slog.LevelError, "auth: "+field+" failed", err)
	return unavailable("accounts_unavailable", fmt.Errorf("auth: %s: %w", field, err))
}

// attemptPassword checks a login and password under the lockout: the
// client and the account each get MaxFailures failures per window.
// An attempt is counted before the password is checked and given back
// when it succeeds, so that however many run at once, no more than
// MaxFailures wrong passwords are ever checked per window. via ("login"
// or "basic") is the Detail of the LoginSucceeded and LoginFailed events.
// With Config.CheckOTP, a right password is followed by the check of
// code, the request's second factor (codeErr: its headers were
// malformed, a wrong code): a missing code gives the attempts back, a
// wrong one keeps them.
func (a *Authenticator) attemptPassword(r *http.Request, login, password, code string, codeErr error, via string) (string, *apierrors.Error) {
	ctx := r.Context()
	now := a.now()
	ipKey := "ip:" + a.resolver.ClientKey(r)
	account, err := a.accountKey(ctx, login)
	if err != nil {
		return "", a.failure(r, "AccountKey", "account_key", err)
	}
	accountKey := "account:" + account

	keys := []string{ipKey, accountKey}
	counted, e := a.acquire(r, keys, now)
	if e != nil {
		return "", e
	}
	challenge := a.bearerChallenge
	if via == "basic" {
		challenge = a.basicChallenge
	}
	subject, err := a.checkPassword(ctx, login, password)
	switch {
	case err == nil && subject != "":
	case err == nil, errors.Is(err, ErrBadCredentials):
		// The counted attempts stay: they are the failures.
		a.emit(r, observe.LoginFailed, via, nil)
		return "", a.unauthorized(MsgBadCredentials, challenge)
	default:
		a.settle(r, counted, keys, nil, now)
		return "", a.failure(r, "CheckPassword", "check_password", err)
	}
	if a.checkOTP != nil {
		err := codeErr
		if err == nil {
			err = a.checkOTP(ctx, subject, code)
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrOTPRequired) && code == "":
			// Asked for the code: not a failure, and nothing is forgotten.
			a.settle(r, counted, keys, nil, now)
			a.emit(r, observe.LoginFailed, via+"_otp_required", nil)
			return "", a.otpRequired(challenge)
		case errors.Is(err, ErrOTPRequired), errors.Is(err, errOTPMalformed):
			// A wrong code is counted as a wrong password is.
			a.emit(r, observe.LoginFailed, via+"_otp", nil)
			return "", a.otpRequired(challenge)
		default:
			a.settle(r, counted, keys, nil, now)
			return "", a.failure(r, "CheckOTP", "check_otp", err)
		}
	}
	a.settle(r, counted, keys[:1], keys[1:], now)
	a.emit(r, observe.LoginSucceeded, via, nil)
	return subject, nil
}

// lockoutKinds are the LockedOut Details of attemptPassword's keys.
var lockoutKinds = [...]string{"ip", "account"}

// acquire counts an attempt for each key (the client's, the account's),
// or for none when one of them is locked out: one step, one round trip
// on an AttemptBatcher. It returns the store that counted them (the
// local fallback when the store failed and LockoutFailOpen let the
// attempt through), or the error that refuses the attempt.
func (a *Authenticator) acquire(r *http.Request, keys []string, now time.Time) (AttemptStore, *apierrors.Error) {
	store, limit := a.attempts, a.maxFailures
	refused, reset, err := a.acquireAll(r, store, keys, limit, now)
	if err != nil {
		a.storeFailed(r, "acquire", err, !a.lockoutFailOpen)
		if !a.lockoutFailOpen {
			return nil, unavailable("lockout_unavailable", err)
		}
		store, limit = a.localAttempts, a.localMaxFailures
		refused, reset, _ = a.acquireAll(r, store, keys, limit, now)
	}
	if refused < 0 {
		return store, nil
	}
	a.emit(r, observe.LockedOut, lockoutKinds[refused], nil)
	return nil, &apierrors.Error{
		Status:  http.StatusForbidden,
		Message: MsgLoginAttemptsExceeded,
		ID:      "login_attempts_exceeded",
		Header:  http.Header{"Retry-After": {retryAfter(reset, now)}},
	}
}

// acquireAll is AttemptBatcher.AcquireAll on any AttemptStore: key by
// key, the ones counted given back when a later one is refused.
func (a *Authenticator) acquireAll(r *http.Request, store AttemptStore, keys []string, limit int, now time.Time) (int, time.Time, error) {
	ctx := r.Context()
	if b, ok := store.(AttemptBatcher); ok {
		return b.AcquireAll(ctx, keys, limit, a.lockoutWindow, now)
	}
	for i, key := range keys {
		ok, reset, err := store.Acquire(ctx, key, limit, a.lockoutWindow, now)
		if err == nil && ok {
			continue
		}
		a.settle(r, store, keys[:i], nil, now)
		if err != nil {
			return -1, time.Time{}, err
		}
		return i, reset, nil
	}
	return -1, time.Time{}, nil
}

// settle gives back one attempt of each key of release and forgets the
// attempts of each key of reset, on the store that counted them (nil:
// none did): one round trip on an AttemptBatcher. A failure is logged
// at Warn: the attempt stays counted.
func (a *Authenticator) settle(r *http.Request, store AttemptStore, release, reset []string, now time.Time) {
	if store == nil || len(release)+len(reset) == 0 {
		return
	}
	ctx := r.Context()
	if b, ok := store.(AttemptBatcher); ok {
		if err := b.Settle(ctx, release, reset, now); err != nil {
			a.storeFailed(r, "settle", err, false)
		}
		return
	}
	for _, key := range release {
		if err := store.Release(ctx, key, now); err != nil {
			a.storeFailed(r, "release", err, false)
		}
	}
	for _, key := range reset {
		if err := store.Reset(ctx, key); err != nil {
			a.storeFailed(r, "reset", err, false)
		}
	}
}

// retryAfter is the delay-seconds of Retry-After (RFC 9110 §10.2.3),
// rounded up so a client that waits that long finds the window closed.
func retryAfter(reset, now time.Time) string {
	wait := reset.Sub(now)
	seconds := int64(wait / time.Second)
	if wait%time.Second != 0 || seconds < 1 {
		seconds++
	}
	return strconv.FormatInt(seconds, 10)
}
