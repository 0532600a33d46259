package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/render"
)

// Messages of the errors auth answers with: GitHub's and the seed's texts,
// byte for byte, because clients match on them.
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

// ErrBadCredentials is what Config.CheckPassword returns for an unknown
// login or a wrong password. Any other error is a failure of the check
// itself (a database outage) and answers 500.
var ErrBadCredentials = errors.New("auth: bad credentials")

// Config configures an Authenticator. Tokens.Keys and Tokens.Issuer are
// required; every other zero value is the seed's default.
type Config struct {
	// Tokens configures the JWTs: keys, issuer, lifetimes, leeway.
	Tokens TokenConfig

	// CheckPassword checks a login (a username or an email address, as
	// the client sent it) and its password, and returns the account's
	// subject: the "sub" of its tokens, a stable id rather than a name
	// that can change. It returns ErrBadCredentials for an unknown login
	// or a wrong password, and must take about as long for both so that
	// logins cannot be enumerated by timing. Nil: HTTP Basic is refused
	// and Login answers 404.
	CheckPassword func(ctx context.Context, login, password string) (subject string, err error)
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
	// from the same client IP, are refused with 403 until LockoutWindow
	// has passed since the first of them. Default 10.
	MaxFailures int
	// LockoutWindow is the window MaxFailures counts in. Default 15 minutes.
	LockoutWindow time.Duration
	// AttemptStore keeps the failure counters. Default: a MemoryAttempts.
	AttemptStore AttemptStore
	// LockoutFailOpen lets password checks go on, uncounted, when the
	// AttemptStore fails (the failure is logged). Default: they are
	// refused with 503 until the store is back, so an outage never turns
	// into unlimited password guessing.
	LockoutFailOpen bool
	// TokenStore keeps refresh-token sessions. Default: a MemoryTokens.
	TokenStore TokenStore

	// ClientIP returns the client's address for the per-IP lockout.
	// Default: the host of RemoteAddr. Behind a proxy, pass the same
	// resolver the rate limiter uses (one that believes X-Forwarded-For
	// only from trusted proxies).
	ClientIP func(*http.Request) string
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

	// Render writes the token pairs Login and Refresh answer with.
	// Default: the seed's envelope {"data": {...}, "code": "200",
	// "msg": "SUCCESS"}; pass render.New(render.Config{}) for a bare body.
	Render *render.Renderer
	// Decoder reads Login and Refresh bodies. Default: apierrors' zero
	// DecoderConfig.
	Decoder *apierrors.Decoder
	// Errors writes every refusal. Default: a nil *apierrors.Writer.
	Errors *apierrors.Writer
	// OnError, when set, answers every refusal instead of Errors (401,
	// 403, 404, 422, 5xx): e is ready to write, with its headers
	// (WWW-Authenticate, Retry-After).
	OnError func(w http.ResponseWriter, r *http.Request, e *apierrors.Error)
	// Logger receives store failures and refresh-token reuse. Passwords
	// and tokens are never logged.
	Logger *slog.Logger
	// Now is the clock of the lockout and of Tokens when Tokens.Now is
	// nil. Default time.Now.
	Now func() time.Time
}

// ConfigError is one problem with a Config or TokenConfig; New and
// NewTokens return all of them at once, joined with errors.Join.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "auth: " + e.Field + ": " + e.Reason }

// Authenticator authenticates requests, and answers login, token refresh
// and logout. Build one with New; it is safe for concurrent use.
type Authenticator struct {
	tokens          *Tokens
	checkPassword   func(ctx context.Context, login, password string) (string, error)
	accountKey      func(ctx context.Context, login string) (string, error)
	basic           bool
	maxFailures     int
	lockoutWindow   time.Duration
	attempts        AttemptStore
	lockoutFailOpen bool
	sessions        TokenStore
	clientIP        func(*http.Request) string
	refreshPath     string
	maxHeaderBytes  int
	cache           *tokenCache // nil: off
	render          *render.Renderer
	decoder         *apierrors.Decoder
	errors          *apierrors.Writer
	onError         func(http.ResponseWriter, *http.Request, *apierrors.Error)
	logger          *slog.Logger
	now             func() time.Time

	// Challenges, quoted once (RFC 9110 §11.6.1, RFC 6750 §3).
	bearerChallenge  string
	invalidChallenge string
	basicChallenge   string
}

// New validates cfg and returns its Authenticator.
func New(cfg Config) (*Authenticator, error) {
	var errs []error
	fail := func(field, reason string) {
		errs = append(errs, &ConfigError{Field: "Config." + field, Reason: reason})
	}
	if cfg.Tokens.Now == nil {
		cfg.Tokens.Now = cfg.Now
	}
	tokens, err := NewTokens(cfg.Tokens)
	if err != nil {
		errs = append(errs, prefixConfigErrors(err, "Config.Tokens.", "TokenConfig.")...)
	}
	a := &Authenticator{
		tokens:          tokens,
		checkPassword:   cfg.CheckPassword,
		accountKey:      cfg.AccountKey,
		basic:           cfg.CheckPassword != nil && !cfg.DisableBasic,
		maxFailures:     cfg.MaxFailures,
		lockoutWindow:   cfg.LockoutWindow,
		attempts:        cfg.AttemptStore,
		lockoutFailOpen: cfg.LockoutFailOpen,
		sessions:        cfg.TokenStore,
		clientIP:        cfg.ClientIP,
		refreshPath:     cfg.RefreshPath,
		maxHeaderBytes:  cfg.MaxHeaderBytes,
		render:          cfg.Render,
		decoder:         cfg.Decoder,
		errors:          cfg.Errors,
		onError:         cfg.OnError,
		logger:          cfg.Logger,
		now:             cfg.Now,
	}
	switch {
	case a.maxFailures == 0:
		a.maxFailures = DefaultMaxFailures
	case a.maxFailures < 0:
		fail("MaxFailures", "must not be negative")
	}
	switch {
	case a.lockoutWindow == 0:
		a.lockoutWindow = DefaultLockoutWindow
	case a.lockoutWindow < time.Second:
		fail("LockoutWindow", "must be at least one second")
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
	if a.clientIP == nil {
		a.clientIP = remoteIP
	}
	realm := cfg.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	if !isQuotable(realm) {
		fail("Realm", "must be printable ASCII")
	}
	switch {
	case a.refreshPath == "":
		a.refreshPath = DefaultRefreshPath
	case !strings.HasPrefix(a.refreshPath, "/"):
		fail("RefreshPath", `must start with "/"`)
	}
	switch {
	case a.maxHeaderBytes == 0:
		a.maxHeaderBytes = DefaultMaxHeaderBytes
	case a.maxHeaderBytes < 256:
		fail("MaxHeaderBytes", "must be at least 256 (a signed token does not fit in less)")
	}
	switch {
	case cfg.TokenCacheSize == 0:
		a.cache = newTokenCache(DefaultTokenCacheSize)
	case cfg.TokenCacheSize > 0:
		a.cache = newTokenCache(cfg.TokenCacheSize)
	}
	if a.render == nil {
		a.render = render.New(render.Config{Envelope: true, Errors: cfg.Errors})
	}
	if a.now == nil {
		a.now = time.Now
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	quoted := quote(realm)
	a.bearerChallenge = "Bearer realm=" + quoted
	a.invalidChallenge = a.bearerChallenge + `, error="invalid_token"`
	a.basicChallenge = "Basic realm=" + quoted + `, charset="UTF-8"`
	return a, nil
}

// prefixConfigErrors renames the fields of NewTokens' errors to where they
// sit in Config.
func prefixConfigErrors(err error, prefix, trim string) []error {
	var list []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list = joined.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var ce *ConfigError
		if errors.As(e, &ce) {
			e = &ConfigError{Field: prefix + strings.TrimPrefix(ce.Field, trim), Reason: ce.Reason}
		}
		out = append(out, e)
	}
	return out
}

func lowerCaseLogin(_ context.Context, login string) (string, error) {
	return strings.ToLower(login), nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
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
}

// HasScope reports whether the identity's token carries scope.
func (id Identity) HasScope(scope string) bool {
	for _, s := range id.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

type identityKey struct{}

// identityContext carries an Identity. It is a context of its own rather
// than a context.WithValue, so that the identity and the context are one
// allocation.
type identityContext struct {
	context.Context
	id Identity
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

// IdentityFrom returns the identity the middleware put in ctx, and whether
// there is one (false: the request is anonymous).
func IdentityFrom(ctx context.Context) (Identity, bool) {
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
// that does not exist, as the seed and GitHub require. Write the error
// with the service's apierrors.Writer.
func CheckOwner(ctx context.Context, owner string) error {
	if id, ok := IdentityFrom(ctx); ok && owner != "" && id.Subject == owner {
		return nil
	}
	return apierrors.NotFound()
}

// Handler is the middleware in optional mode: a request with valid
// credentials carries its Identity in the context (IdentityFrom), one
// without any goes on anonymous, and one with bad credentials is answered
// 401 "Bad credentials" at once. Locked-out Basic credentials are 403.
//
// It belongs after CORS (a preflight carries no credentials) and before
// the rate limiter, which keys quotas by the identity.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, done := IdentityFrom(r.Context()); done {
			next.ServeHTTP(w, r)
			return
		}
		id, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if id != nil {
			r = r.WithContext(id)
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
		if _, ok := IdentityFrom(r.Context()); !ok {
			a.fail(w, r, a.unauthorized(MsgRequiresAuthentication, a.bearerChallenge))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// authenticate reads the request's credentials. It returns the request's
// context with the identity (nil: anonymous) and true, or answers the
// request and returns false.
func (a *Authenticator) authenticate(w http.ResponseWriter, r *http.Request) (*identityContext, bool) {
	values := r.Header["Authorization"]
	if len(values) == 0 {
		return nil, true
	}
	if len(values) > 1 {
		// Two credentials: which one would be the caller's is a guess.
		a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
		return nil, false
	}
	if entry, ok := a.cachedToken(r, values[0]); ok {
		return tokenIdentity(r, entry), true
	}
	creds, err := parseAuthorization(values[0], a.maxHeaderBytes)
	if err != nil {
		a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
		return nil, false
	}
	switch creds.scheme {
	case schemeToken:
		if r.URL.Path == a.refreshPath {
			return nil, true
		}
		entry, ok := a.verifiedToken(creds.token)
		if !ok {
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
			return nil, false
		}
		return tokenIdentity(r, entry), true
	case schemeBasic:
		if !a.basic {
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.bearerChallenge))
			return nil, false
		}
		subject, e := a.attemptPassword(r, creds.user, creds.password, true)
		if e != nil {
			a.fail(w, r, e)
			return nil, false
		}
		return &identityContext{Context: r.Context(), id: Identity{Subject: subject, Method: MethodBasic}}, true
	}
	return nil, true
}

// tokenIdentity is the context of a request authenticated by the access
// token whose claims entry holds.
func tokenIdentity(r *http.Request, entry *cachedToken) *identityContext {
	c := &identityContext{Context: r.Context(), id: Identity{
		Subject:   entry.subject,
		Method:    MethodToken,
		TokenID:   entry.id,
		Session:   entry.session,
		ExpiresAt: entry.exp,
	}}
	if entry.scope != "" {
		c.id.Scopes = strings.Fields(entry.scope)
	}
	return c
}

// cachedToken is the fast path for the usual header, "Bearer <token>" or
// "token <token>" (the scheme in any case) with one space, when the cache
// holds that token: the cache only holds tokens that passed
// parseAuthorization and verification, so the hit skips both. Anything
// else, the refresh path included, takes the full way.
func (a *Authenticator) cachedToken(r *http.Request, value string) (*cachedToken, bool) {
	if a.cache == nil || len(value) > a.maxHeaderBytes || r.URL.Path == a.refreshPath {
		return nil, false
	}
	scheme, token, ok := strings.Cut(value, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		return nil, false
	}
	return a.cache.get(token, a.tokens.now())
}

// verifiedToken verifies an access token and returns its claims,
// remembering them in the cache when there is one.
func (a *Authenticator) verifiedToken(token string) (*cachedToken, bool) {
	var claims rawClaims
	if err := a.tokens.verify(token, Access, &claims); err != nil {
		return nil, false
	}
	exp, _ := numericDate(claims.ExpiresAt)
	entry := &cachedToken{subject: claims.Subject, id: claims.ID, session: claims.Session, scope: claims.Scope, exp: exp}
	if a.cache != nil {
		entry.expiresAt = exp.Add(a.tokens.leeway)
		if nbf, ok := numericDate(claims.NotBefore); ok {
			entry.notBefore = nbf.Add(-a.tokens.leeway)
		}
		a.cache.put(token, entry, a.tokens.now())
	}
	return entry, true
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

func (a *Authenticator) fail(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
	if a.onError != nil {
		a.onError(w, r, e)
		return
	}
	a.errors.Write(w, r, e)
}

// attemptPassword checks a login and password under the lockout: the
// client IP and the account each get MaxFailures failures per window.
// An attempt is counted before the password is checked and given back
// when it succeeds, so that however many run at once, no more than
// MaxFailures wrong passwords are ever checked per window.
func (a *Authenticator) attemptPassword(r *http.Request, login, password string, basic bool) (string, *apierrors.Error) {
	ctx := r.Context()
	now := a.now()
	ipKey := "ip:" + a.clientIP(r)
	account, err := a.accountKey(ctx, login)
	if err != nil {
		return "", apierrors.Internal(fmt.Errorf("auth: AccountKey: %w", err))
	}
	accountKey := "account:" + account

	ipCounted, e := a.acquire(ctx, ipKey, now)
	if e != nil {
		return "", e
	}
	accountCounted, e := a.acquire(ctx, accountKey, now)
	if e != nil {
		a.release(ctx, ipKey, ipCounted, now)
		return "", e
	}
	subject, err := a.checkPassword(ctx, login, password)
	switch {
	case err == nil && subject != "":
		a.release(ctx, ipKey, ipCounted, now)
		if accountCounted {
			if err := a.attempts.Reset(ctx, accountKey); err != nil {
				a.logStoreError(ctx, "reset", err)
			}
		}
		return subject, nil
	case err == nil, errors.Is(err, ErrBadCredentials):
		// The counted attempts stay: they are the failures.
		challenge := a.bearerChallenge
		if basic {
			challenge = a.basicChallenge
		}
		return "", a.unauthorized(MsgBadCredentials, challenge)
	default:
		a.release(ctx, ipKey, ipCounted, now)
		a.release(ctx, accountKey, accountCounted, now)
		return "", apierrors.Internal(fmt.Errorf("auth: CheckPassword: %w", err))
	}
}

// acquire counts an attempt for key. It reports whether it was counted
// (false when the store failed and LockoutFailOpen let it through), or
// the error that refuses it.
func (a *Authenticator) acquire(ctx context.Context, key string, now time.Time) (bool, *apierrors.Error) {
	ok, reset, err := a.attempts.Acquire(ctx, key, a.maxFailures, a.lockoutWindow, now)
	if err != nil {
		a.logStoreError(ctx, "acquire", err)
		if a.lockoutFailOpen {
			return false, nil
		}
		return false, &apierrors.Error{
			Status:  http.StatusServiceUnavailable,
			Message: MsgAuthenticationSuspended,
			ID:      "lockout_unavailable",
			Err:     err,
		}
	}
	if ok {
		return true, nil
	}
	return false, &apierrors.Error{
		Status:  http.StatusForbidden,
		Message: MsgLoginAttemptsExceeded,
		ID:      "login_attempts_exceeded",
		Header:  http.Header{"Retry-After": {retryAfter(reset, now)}},
	}
}

func (a *Authenticator) release(ctx context.Context, key string, counted bool, now time.Time) {
	if !counted {
		return
	}
	if err := a.attempts.Release(ctx, key, now); err != nil {
		a.logStoreError(ctx, "release", err)
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

func (a *Authenticator) logStoreError(ctx context.Context, op string, err error) {
	if a.logger != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "auth: store failed", slog.String("op", op), slog.Any("error", err))
	}
}
