package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/auth/totp"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/pagination"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
	"github.com/myblog/apikit/render"
	"github.com/myblog/apikit/timezone"
	"github.com/myblog/apikit/useragent"

	"github.com/myblog/apikit/examples/stack"
)

// documentationURL is the API's documentation address, the base of every
// error's documentation_url.
const documentationURL = "https://developer.myblog.com/v3"

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 10 * time.Second

// maxBodyBytes caps every request body.
const maxBodyBytes = 1 << 20

// run serves until ctx ends, then shuts down gracefully: in-flight
// requests finish, the export worker stops, the database closes. onListen,
// when not nil, learns the bound address (tests listen on port 0).
func run(ctx context.Context, args []string, getenv func(string) string, logOutput io.Writer, onListen func(net.Addr)) error {
	cfg, err := parseConfig(args, getenv, logOutput)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOutput, nil))
	app, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	srv := &http.Server{
		Handler:           app.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		Protocols:         new(http.Protocols),
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		// HTTPS: HTTP/1.1 and HTTP/2, negotiated by ALPN.
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("-tls-cert, -tls-key: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetHTTP2(true)
		scheme = "https"
	} else {
		// Plain text: HTTP/1.1, and HTTP/2 with prior knowledge (h2c), as
		// proxies that speak it to their backends send.
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	logger.Info("blog: listening", "url", scheme+"://"+listener.Addr().String()+cfg.pathPrefix, "config", cfg.String())
	if onListen != nil {
		onListen(listener.Addr())
	}

	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(listener, "", "")
			return
		}
		served <- srv.Serve(listener)
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("blog: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app is the blog: its handler and what must be closed with it.
type app struct {
	handler http.Handler
	api     *api // what the handlers share, for the tests
	close   []func()
}

// Close stops the export worker and closes the database and Redis.
func (a *app) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
}

// api holds what the handlers share.
type api struct {
	cfg     config
	logger  *slog.Logger
	store   *store
	errors  *apierrors.Writer
	render  *render.Renderer
	decoder *apierrors.Decoder
	authn   *auth.Authenticator
	limiter *ratelimit.Limiter
	pages   *pagination.Paginator
	cond    *conditional.Middleware
	proxies *forwarded.Resolver
	metrics *metrics
	// redis is the shared store with -redis, for /healthz; nil without.
	redis      *redisstore.Store
	bcryptCost int
	jobs       chan struct{} // wakes the export worker
	otp        *totp.TOTP    // two-factor codes: RFC 6238's defaults
	inFlight   atomic.Int64  // requests the API is answering, for X-Poll-Interval

	dummyHash      []byte       // bcrypt at bcryptCost, compared for logins that name no account
	bcryptCompares atomic.Int64 // bcrypt comparisons made, for the tests of constant-cost refusals

	zones sync.Map // user id -> cachedZone, a cache of users.time_zone
}

// newApp opens the database, builds every middleware from cfg and
// composes them in the stack order of the module doc.
func newApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	out := &app{}
	fail := func(err error) (*app, error) {
		out.Close()
		return nil, err
	}
	db, err := openDB(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	out.close = append(out.close, func() { _ = db.Close() })

	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: documentationURL, Logger: logger})
	if err != nil {
		return fail(err)
	}
	// A body must say it is JSON (415 otherwise), as the conventions
	// ask; GitHub itself is laxer (apierrors.DecoderConfig's
	// AllowAnyContentType would follow it).
	decoder, err := apierrors.NewDecoder(apierrors.DecoderConfig{MaxBytes: maxBodyBytes})
	if err != nil {
		return fail(err)
	}
	proxies, err := forwarded.New(cfg.forwarded())
	if err != nil {
		return fail(err)
	}
	st, err := newStore(ctx, db)
	if err != nil {
		return fail(err)
	}
	if cfg.jobLease > 0 {
		st.lease = cfg.jobLease
	}
	a := &api{
		cfg:        cfg,
		logger:     logger,
		store:      st,
		errors:     errs,
		render:     render.New(render.Config{Envelope: cfg.envelope, Errors: errs}),
		decoder:    decoder,
		proxies:    proxies,
		bcryptCost: cfg.bcryptCost,
		jobs:       make(chan struct{}, 1),
	}
	if a.otp, err = totp.New(totp.Config{}); err != nil {
		return fail(err)
	}
	if a.bcryptCost == 0 {
		a.bcryptCost = bcrypt.DefaultCost
	}
	// Compared against when a login names no account, at the cost real
	// hashes have, so that an unknown login takes as long as a wrong
	// password.
	a.dummyHash, err = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), a.bcryptCost)
	if err != nil {
		return fail(fmt.Errorf("dummy password hash: %w", err))
	}

	// Shared state: Redis when several instances run, else memory and
	// SQLite.
	a.metrics = newMetrics()
	var (
		quotas   ratelimit.Store   = &ratelimit.Memory{MaxKeys: cfg.quotaMaxKeys}
		attempts auth.AttemptStore = new(auth.MemoryAttempts)
		tokens   auth.TokenStore   = sessions{db: db}
	)
	if cfg.redisURL != "" {
		client, err := redisstore.NewClient(cfg.redisURL, redisstore.DefaultTimeout)
		if err != nil {
			return fail(err)
		}
		out.close = append(out.close, func() { _ = client.Close() })
		shared, err := redisstore.New(redisstore.Config{Client: client, Prefix: "myblog:", Logger: logger, Observer: a.metrics})
		if err != nil {
			return fail(err)
		}
		if err := shared.Check(ctx); err != nil {
			if !cfg.redisDegraded {
				return fail(fmt.Errorf("-redis: %w (start anyway with -redis-degraded)", err))
			}
			logger.Error("blog: Redis does not answer; starting degraded (-redis-degraded): rate limits are each instance's share, logins answer 503 until it does", "error", err)
		}
		if cfg.jwtSecret == "" {
			logger.Warn("blog: -redis without -jwt-secret: this instance signs tokens with a secret of its own, which other instances refuse; give every instance the same -jwt-secret")
		}
		quotas, attempts, tokens = shared, shared, shared
		a.redis = shared
	}

	secret, err := jwtSecret(ctx, db, cfg.jwtSecret)
	if err != nil {
		return fail(err)
	}
	issuer := cfg.baseURL
	if issuer == "" {
		issuer = "myblog"
	}
	kit, err := stack.New(stack.Config{
		Vendor:   "myblog",
		Errors:   errs,
		Resolver: proxies,
		Observer: a.metrics,
		Logger:   logger,
		Auth: &auth.Config{
			Tokens:        auth.TokenConfig{Issuer: issuer, Keys: []auth.Key{{Secret: secret}}},
			CheckPassword: a.checkPassword,
			CheckOTP:      a.checkOTP,
			OTPHeaders:    otpHeaders,
			AccountKey:    a.accountKey,
			MaxFailures:   cfg.loginMaxFailures,
			Instances:     cfg.instances,
			AttemptStore:  attempts,
			TokenStore:    tokens,
			Realm:         "myblog",
			Scopes:        blogScopes,
			TokenPrefix:   tokenPrefix,
			CheckToken:    a.checkToken,
			Render:        a.render,
			Decoder:       decoder,
		},
		RateLimit: ratelimit.Config{
			Resources:      []ratelimit.Resource{{Name: "core", Limit: cfg.rateLimit, AnonymousLimit: cfg.rateLimitAnonymous}},
			Resource:       rateResource, // search has its own quota, GitHub's 30 (10 anonymous) a minute
			Store:          quotas,
			Instances:      cfg.instances,
			Exempt:         isHealthCheck,
			CreatesContent: createsContent,
			// Zero in the tests' configs: the library's default, 60 s.
			SecondaryRetryAfter: cfg.secondaryRetry,
			CreatesPerMinute:    cfg.createsPerMinute,
			Now:                 cfg.rateLimitNow,
			Render:              a.render,
		},
		AccessLog: accesslog.Config{Done: a.metrics.requestDone},
		UserAgent: useragent.Config{Exempt: isHealthCheck},
		// The export jobs' poll interval and the scopes, read by scripts
		// too.
		CORS:     cors.Config{Expose: []string{"X-Poll-Interval", auth.HeaderOAuthScopes, auth.HeaderAcceptedOAuthScopes}},
		JSONP:    jsonp.Config{Headers: []string{"X-myblog-Media-Type", "X-Poll-Interval"}},
		TimeZone: timezone.Config{UserZone: a.userZone, Remember: a.rememberZone},
	})
	if err != nil {
		return fail(err)
	}
	a.authn, a.limiter, a.cond = kit.Auth, kit.Limiter, kit.Conditional
	prefix := cfg.pathPrefix
	if cfg.baseURL != "" {
		prefix = "" // -base-url names it
	}
	a.pages, err = pagination.New(pagination.Config{BaseURL: cfg.baseURL, PathPrefix: prefix, Resolver: proxies, Resource: "Query", MaxOffset: cmp.Or(cfg.maxPageOffset, maxPageOffset), Errors: errs, Observer: a.metrics})
	if err != nil {
		return fail(err)
	}

	// The export worker. Jobs left running by a server that died are
	// claimed again once their lease has passed (claimJob).
	workerCtx, stopWorker := context.WithCancel(context.Background())
	var workerDone sync.WaitGroup
	workerDone.Go(func() { a.runJobs(workerCtx) })
	out.close = append(out.close, func() { stopWorker(); workerDone.Wait() })

	// /metrics is the operators', outside the API's stack: no quota, no
	// User-Agent requirement, never cached or wrapped in JSON-P. A public
	// deployment keeps it from the internet at its proxy.
	root := http.NewServeMux()
	root.Handle("GET /metrics", a.metrics.handler())
	api := a.counted(kit.Handler(a.routes()))
	if p := cfg.pathPrefix; p == "" {
		root.Handle("/", api)
	} else {
		// The API under -path-prefix, its handlers seeing the paths of
		// docs/blog-api.md; anything else a JSON 404 through the stack
		// (CORS, request id, rate limits). GitHub Enterprise's clients ask
		// GraphQL beside the REST prefix (/api/graphql for /api/v3).
		root.Handle(p+"/", stripPrefix(p, api))
		root.Handle(p, stripPrefix(p, api))
		root.Handle(strings.TrimSuffix(path.Dir(p), "/")+"/graphql", kit.Handler(http.HandlerFunc(a.graphqlNotServed)))
		root.Handle("/", kit.Handler(a.errors.Handler(apierrors.NotFound())))
	}
	out.handler = root
	out.api = a
	return out, nil
}

func isHealthCheck(r *http.Request) bool { return r.URL.Path == "/healthz" }

// counted serves h, counting the requests in flight (api.inFlight).
func (a *api) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.inFlight.Add(1)
		defer a.inFlight.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// stripPrefix serves h with prefix taken off the request's path ("/" for
// the prefix itself), as the API's routes are written without it.
func stripPrefix(prefix string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = strings.TrimPrefix(r.URL.Path, prefix)
		u.RawPath = strings.TrimPrefix(r.URL.RawPath, prefix)
		if u.Path == "" {
			u.Path, u.RawPath = "/", ""
		}
		r2.URL = &u
		h.ServeHTTP(w, r2)
	})
}

// createsContent decides what counts against the secondary limits on
// content creation: every write but logging in and refreshing tokens,
// which the login lockout guards instead.
func createsContent(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return r.URL.Path != "/login" && r.URL.Path != "/authorizations/refresh-tokens"
	}
	return false
}

// maxPasswordBytes is bcrypt's limit: it reads at most 72 bytes, and
// golang.org/x/crypto/bcrypt refuses longer passwords outright.
const maxPasswordBytes = 72

// checkPassword is auth's CheckPassword: a login (username or email) and
// a password against the bcrypt hash. Every refusal costs one bcrypt
// comparison at the server's cost, whatever was wrong (no such login, a
// wrong password, one longer than bcrypt reads), so that the time a
// refused login takes does not tell whether the login exists.
func (a *api) checkPassword(ctx context.Context, login, password string) (string, error) {
	u, err := a.store.userByLoginOrEmail(ctx, login)
	switch {
	case errors.Is(err, errNotFound):
		a.comparePassword(a.dummyHash, password)
		return "", auth.ErrBadCredentials
	case err != nil:
		return "", err
	}
	if len(password) > maxPasswordBytes {
		// bcrypt would refuse it without hashing: hash against the dummy
		// so this refusal takes as long as the others.
		a.comparePassword(a.dummyHash, password)
		return "", auth.ErrBadCredentials
	}
	if !a.comparePassword([]byte(u.PasswordHash), password) {
		return "", auth.ErrBadCredentials
	}
	return u.ID, nil
}

// comparePassword reports whether password matches hash. A password
// longer than bcrypt reads is compared by its first 72 bytes, so that it
// costs a full comparison too (the caller refuses it anyway).
func (a *api) comparePassword(hash []byte, password string) bool {
	if len(password) > maxPasswordBytes {
		password = password[:maxPasswordBytes]
	}
	a.bcryptCompares.Add(1)
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// accountKey gives a user's username and email one lockout counter.
func (a *api) accountKey(ctx context.Context, login string) (string, error) {
	u, err := a.store.userByLoginOrEmail(ctx, login)
	switch {
	case errors.Is(err, errNotFound):
		return "unknown:" + login, nil
	case err != nil:
		return "", err
	}
	return u.ID, nil
}

// userZone is the timezone package's UserZone: the authenticated user's
// last known zone, cached.
func (a *api) userZone(r *http.Request) (string, error) {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		return "", nil
	}
	now := time.Now()
	if zone, fresh := a.cachedZone(id.Subject, now); fresh {
		return zone, nil
	}
	u, err := a.store.userByID(r.Context(), id.Subject)
	if err != nil {
		return "", err
	}
	a.zones.Store(id.Subject, cachedZone{zone: u.TimeZone.String, at: now})
	return u.TimeZone.String, nil
}

// zoneCacheTTL is how long an instance believes its copy of a user's
// zone: a change made through another instance (PATCH /user, a Time-Zone
// header) is seen here within that long (docs/blog-api.md, Time zones).
const zoneCacheTTL = 10 * time.Second

// cachedZone is a user's zone as this instance last read or wrote it.
type cachedZone struct {
	zone string
	at   time.Time
}

// cachedZone returns the user's zone from the cache while it is younger
// than zoneCacheTTL.
func (a *api) cachedZone(userID string, now time.Time) (string, bool) {
	v, ok := a.zones.Load(userID)
	if !ok {
		return "", false
	}
	c := v.(cachedZone)
	return c.zone, now.Sub(c.at) < zoneCacheTTL
}

// rememberZone records a Time-Zone header as an authenticated user's last
// known zone (the conventions' rule), writing only when it changed.
func (a *api) rememberZone(r *http.Request, zone string) {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		return
	}
	now := time.Now()
	// A fresh copy that already says zone needs no write; a stale one
	// might hide another instance's change, so the write goes ahead (it
	// changes nothing when the database already says zone).
	if previous, fresh := a.cachedZone(id.Subject, now); fresh && previous == zone {
		return
	}
	a.zones.Store(id.Subject, cachedZone{zone: zone, at: now})
	if err := a.store.setTimeZone(r.Context(), id.Subject, zone); err != nil {
		a.logger.Warn("blog: recording a time zone", "error", err)
	}
}

// baseURL is -base-url, or the scheme and host the resolver allows: the
// request's Host when -hosts lists it, else the first of -hosts, or
// without -hosts the address the connection arrived on; never a Host or
// X-Forwarded-Host a client chose. The scheme is a trusted proxy's only
// with -proxy-proto.
func (a *api) baseURL(r *http.Request) string {
	if a.cfg.baseURL != "" {
		return a.cfg.baseURL
	}
	return a.proxies.Scheme(r) + "://" + a.proxies.Host(r) + a.cfg.pathPrefix
}
