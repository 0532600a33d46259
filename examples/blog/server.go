package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/mediatype"
	"github.com/myblog/apikit/pagination"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
	"github.com/myblog/apikit/render"
	"github.com/myblog/apikit/requestid"
	"github.com/myblog/apikit/timezone"
	"github.com/myblog/apikit/useragent"
)

// documentationURL is the seed's documentation address, the base of every
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
	}
	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	logger.Info("blog: listening", "url", "http://"+listener.Addr().String(), "config", cfg.String())
	if onListen != nil {
		onListen(listener.Addr())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
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
	cfg        config
	logger     *slog.Logger
	store      *store
	errors     *apierrors.Writer
	render     *render.Renderer
	decoder    *apierrors.Decoder
	authn      *auth.Authenticator
	limiter    *ratelimit.Limiter
	pages      *pagination.Paginator
	cond       *conditional.Middleware
	proxies    *forwarded.Resolver
	bcryptCost int
	jobs       chan struct{} // wakes the export worker

	zones sync.Map // user id -> last known zone (string), a cache of users.time_zone
}

// newApp opens the database, builds every middleware from cfg and
// composes them in the order of apikit's design.
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
	proxies, err := forwarded.New(forwarded.Config{TrustedProxies: cfg.proxies()})
	if err != nil {
		return fail(err)
	}
	st, err := newStore(ctx, db)
	if err != nil {
		return fail(err)
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
	if a.bcryptCost == 0 {
		a.bcryptCost = bcrypt.DefaultCost
	}

	// Shared state: Redis when several instances run, else memory and
	// SQLite.
	var (
		quotas   ratelimit.Store   = new(ratelimit.Memory)
		attempts auth.AttemptStore = new(auth.MemoryAttempts)
		tokens   auth.TokenStore   = sessions{db: db}
		client   redis.UniversalClient
	)
	if cfg.redisURL != "" {
		client, err = redisstore.NewClient(cfg.redisURL, redisstore.DefaultTimeout)
		if err != nil {
			return fail(err)
		}
		out.close = append(out.close, func() { _ = client.Close() })
		shared, err := redisstore.New(redisstore.Config{Client: client, Prefix: "myblog:"})
		if err != nil {
			return fail(err)
		}
		quotas, attempts, tokens = shared, shared, shared
	}

	secret, err := jwtSecret(ctx, db, cfg.jwtSecret)
	if err != nil {
		return fail(err)
	}
	issuer := cfg.baseURL
	if issuer == "" {
		issuer = "myblog"
	}
	a.limiter, err = ratelimit.New(ratelimit.Config{
		Resources:      []ratelimit.Resource{{Name: "core", Limit: cfg.rateLimit, AnonymousLimit: cfg.rateLimitAnonymous}},
		User:           subjectOf,
		TrustedProxies: cfg.proxies(),
		Store:          quotas,
		Exempt:         isHealthCheck,
		CreatesContent: createsContent,
		Now:            cfg.rateLimitNow,
		Render:         a.render,
		Errors:         errs,
		Logger:         logger,
	})
	if err != nil {
		return fail(err)
	}
	a.authn, err = auth.New(auth.Config{
		Tokens:        auth.TokenConfig{Issuer: issuer, Keys: []auth.Key{{Secret: secret}}},
		CheckPassword: a.checkPassword,
		AccountKey:    a.accountKey,
		MaxFailures:   cfg.loginMaxFailures,
		AttemptStore:  attempts,
		TokenStore:    tokens,
		ClientIP:      a.limiter.ClientIP,
		Realm:         "myblog",
		Render:        a.render,
		Decoder:       decoder,
		Errors:        errs,
		Logger:        logger,
	})
	if err != nil {
		return fail(err)
	}
	a.pages, err = pagination.New(pagination.Config{BaseURL: cfg.baseURL, TrustedProxies: cfg.proxies(), Resource: "Query"})
	if err != nil {
		return fail(err)
	}
	a.cond, err = conditional.New(conditional.Config{Authenticated: isAuthenticated, Errors: errs})
	if err != nil {
		return fail(err)
	}
	wrap, err := jsonp.New(jsonp.Config{Headers: []string{"X-myblog-Media-Type", "X-Poll-Interval"}, Errors: errs})
	if err != nil {
		return fail(err)
	}
	media, err := mediatype.New(mediatype.Config{Vendor: "myblog", Errors: errs})
	if err != nil {
		return fail(err)
	}
	crossOrigin, err := cors.New(cors.Config{})
	if err != nil {
		return fail(err)
	}
	zones, err := timezone.New(timezone.Config{UserZone: a.userZone, Remember: a.rememberZone, Errors: errs, Logger: logger})
	if err != nil {
		return fail(err)
	}
	agents, err := useragent.New(useragent.Config{Exempt: isHealthCheck})
	if err != nil {
		return fail(err)
	}
	ids, err := requestid.New(requestid.Config{TrustedProxies: cfg.proxies()})
	if err != nil {
		return fail(err)
	}

	// The export worker: jobs left running by a stopped server go back
	// in the queue first.
	if n, err := a.store.requeueRunning(ctx); err != nil {
		return fail(err)
	} else if n > 0 {
		logger.Info("blog: requeued interrupted jobs", "jobs", n)
	}
	workerCtx, stopWorker := context.WithCancel(context.Background())
	var workerDone sync.WaitGroup
	workerDone.Go(func() { a.runJobs(workerCtx) })
	out.close = append(out.close, func() { stopWorker(); workerDone.Wait() })

	// The stack of apikit's design, outermost first.
	var h http.Handler = a.routes()
	h = zones.Handler(h)       // 9. time zone
	h = a.cond.Handler(h)      // 8. ETag, 304, 412
	h = wrap.Handler(h)        // 7. JSON-P
	h = a.limiter.Handler(h)   // 6. rate limits
	h = a.authn.Handler(h)     // 5. authentication
	h = media.Handler(h)       // 4. media type
	h = crossOrigin.Handler(h) // 3. CORS
	h = agents.Handler(h)      // 2. User-Agent
	h = a.accessLog(h)         // 1. access log,
	h = nosniff(h)             //    nosniff,
	h = ids.Handler(h)         //    request id,
	h = a.recoverer(h)         //    recover
	out.handler = h
	return out, nil
}

func isHealthCheck(r *http.Request) bool { return r.URL.Path == "/healthz" }

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

func subjectOf(r *http.Request) (string, bool) {
	id, ok := auth.IdentityFrom(r.Context())
	return id.Subject, ok
}

func isAuthenticated(r *http.Request) bool {
	_, ok := auth.IdentityFrom(r.Context())
	return ok
}

// dummyHash is compared against when a login names no account, so that
// an unknown login takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)

// checkPassword is auth's CheckPassword: a login (username or email) and
// a password against the bcrypt hash.
func (a *api) checkPassword(ctx context.Context, login, password string) (string, error) {
	u, err := a.store.userByLoginOrEmail(ctx, login)
	switch {
	case errors.Is(err, errNotFound):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", auth.ErrBadCredentials
	case err != nil:
		return "", err
	}
	if len(password) > 72 || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return "", auth.ErrBadCredentials
	}
	return u.ID, nil
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
	id, ok := auth.IdentityFrom(r.Context())
	if !ok {
		return "", nil
	}
	if zone, cached := a.zones.Load(id.Subject); cached {
		return zone.(string), nil
	}
	u, err := a.store.userByID(r.Context(), id.Subject)
	if err != nil {
		return "", err
	}
	// LoadOrStore: a rememberZone that ran meanwhile has the newer zone.
	zone, _ := a.zones.LoadOrStore(id.Subject, u.TimeZone.String)
	return zone.(string), nil
}

// rememberZone records a Time-Zone header as an authenticated user's last
// known zone (the seed's rule), writing only when it changed.
func (a *api) rememberZone(r *http.Request, zone string) {
	id, ok := auth.IdentityFrom(r.Context())
	if !ok {
		return
	}
	if previous, loaded := a.zones.Swap(id.Subject, zone); loaded && previous.(string) == zone {
		return
	}
	if err := a.store.setTimeZone(r.Context(), id.Subject, zone); err != nil {
		a.logger.Warn("blog: recording a time zone", "error", err)
	}
}

// baseURL is -base-url, or the scheme and host the request came to
// (believing forwarding headers only from -trusted-proxies).
func (a *api) baseURL(r *http.Request) string {
	if a.cfg.baseURL != "" {
		return a.cfg.baseURL
	}
	return a.proxies.Scheme(r) + "://" + a.proxies.Host(r)
}

// nosniffValue is X-Content-Type-Options' value, shared by every
// response (len == cap, so an Add elsewhere appends to a fresh array).
var nosniffValue = []string{"nosniff"}

// nosniff sets X-Content-Type-Options: nosniff on every response, as
// conventions.md requires: the body writers set it too, but a 204 (a
// like, a delete, a logout, a CORS preflight) goes through none of them.
func nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = nosniffValue
		next.ServeHTTP(w, r)
	})
}

// recoverer answers a panic with the 500 of the errors package, logged
// with its cause, instead of a dropped connection.
func (a *api) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.errors.Write(w, r, apierrors.Internal(fmt.Errorf("panic: %v", v)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// accessLog logs one line per request: never the query (it may hold a
// client_secret) nor any header value but the user agent.
func (a *api) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		id, _ := requestid.FromContext(r.Context())
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		a.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", a.limiter.ClientIP(r)),
		)
	})
}

// statusRecorder notes the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush keeps http.Flusher working through the recorder.
func (s *statusRecorder) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
