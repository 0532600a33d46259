package bench

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/mediatype"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/render"
	"github.com/myblog/apikit/requestid"
	"github.com/myblog/apikit/timezone"
	"github.com/myblog/apikit/useragent"
)

// stackQuota is the hourly quota of users and of anonymous client IPs in
// BenchmarkStack: more than any run makes, so that nothing is refused.
const stackQuota = 1 << 30

// stackSubject is the user the token kind authenticates as.
const stackSubject = "u-alice"

// stack is the example server's middleware chain in front of a handler,
// and what a request needs to go through it authenticated.
type stack struct {
	handler http.Handler
	token   string // an access token for stackSubject
	// authorizations are Authorization values of stackUsers users, so
	// that authenticated requests come from many users, as they do.
	authorizations [][]string
}

// stackUsers is how many users the token kind's requests come from.
const stackUsers = 1000

// layer is one middleware of the stack.
type layer struct {
	name string
	wrap func(http.Handler) http.Handler
}

// newStack composes stackLayers in front of next.
func newStack(tb testing.TB, next http.Handler) stack {
	layers, token, auths := stackLayers(tb)
	h := next
	for _, l := range layers {
		h = l.wrap(h)
	}
	return stack{handler: h, token: token, authorizations: auths}
}

// stackLayers builds apikit's middlewares exactly as examples/blog's
// newApp does (same packages, same Config fields) and returns them
// innermost first, in the order of design.md's "How headers flow through
// the stack", with an access token for stackSubject. The blog's database
// is replaced by memory: the auth stores are the in-memory defaults, the
// password check refuses everyone (no request here logs in), and the
// user-zone lookup is the blog's cache after its first miss. The access
// log goes to slog.DiscardHandler; the quotas are stackQuota.
func stackLayers(tb testing.TB) ([]layer, string, [][]string) {
	tb.Helper()
	logger := slog.New(slog.DiscardHandler)
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3", Logger: logger})
	require.NoError(tb, err)
	decoder, err := apierrors.NewDecoder(apierrors.DecoderConfig{MaxBytes: 1 << 20, AllowAnyContentType: true})
	require.NoError(tb, err)
	rd := render.New(render.Config{Errors: errs}) // -envelope=false

	isHealthCheck := func(r *http.Request) bool { return r.URL.Path == "/healthz" }
	subjectOf := func(r *http.Request) (string, bool) {
		id, ok := auth.IdentityFrom(r.Context())
		return id.Subject, ok
	}
	isAuthenticated := func(r *http.Request) bool {
		_, ok := auth.IdentityFrom(r.Context())
		return ok
	}
	createsContent := func(r *http.Request) bool {
		switch r.Method {
		case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
			return r.URL.Path != "/login" && r.URL.Path != "/authorizations/refresh-tokens"
		}
		return false
	}

	limiter, err := ratelimit.New(ratelimit.Config{
		Resources:      []ratelimit.Resource{{Name: "core", Limit: stackQuota, AnonymousLimit: stackQuota}},
		User:           subjectOf,
		Store:          new(ratelimit.Memory),
		Exempt:         isHealthCheck,
		CreatesContent: createsContent,
		Render:         rd,
		Errors:         errs,
		Logger:         logger,
	})
	require.NoError(tb, err)
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{Issuer: "myblog", Keys: []auth.Key{{Secret: []byte("0123456789abcdef0123456789abcdef")}}},
		CheckPassword: func(context.Context, string, string) (string, error) {
			return "", auth.ErrBadCredentials
		},
		AccountKey:   func(_ context.Context, login string) (string, error) { return "unknown:" + login, nil },
		MaxFailures:  10,
		AttemptStore: new(auth.MemoryAttempts),
		TokenStore:   new(auth.MemoryTokens),
		ClientIP:     limiter.ClientIP,
		Realm:        "myblog",
		Render:       rd,
		Decoder:      decoder,
		Errors:       errs,
		Logger:       logger,
	})
	require.NoError(tb, err)
	token, _, err := authn.Tokens().Sign(auth.Access, stackSubject, "session", nil)
	require.NoError(tb, err)
	auths := make([][]string, stackUsers)
	for i := range auths {
		t, _, err := authn.Tokens().Sign(auth.Access, "u-"+strconv.Itoa(i), "session", nil)
		require.NoError(tb, err)
		auths[i] = []string{"Bearer " + t}
	}
	cond, err := conditional.New(conditional.Config{Authenticated: isAuthenticated, Errors: errs})
	require.NoError(tb, err)
	wrap, err := jsonp.New(jsonp.Config{Headers: []string{"X-myblog-Media-Type", "X-Poll-Interval"}, Errors: errs})
	require.NoError(tb, err)
	media, err := mediatype.New(mediatype.Config{Vendor: "myblog", Errors: errs})
	require.NoError(tb, err)
	crossOrigin, err := cors.New(cors.Config{})
	require.NoError(tb, err)
	users := new(userZones)
	zones, err := timezone.New(timezone.Config{UserZone: users.userZone, Remember: users.rememberZone, Errors: errs, Logger: logger})
	require.NoError(tb, err)
	agents, err := useragent.New(useragent.Config{Exempt: isHealthCheck})
	require.NoError(tb, err)
	ids, err := requestid.New(requestid.Config{})
	require.NoError(tb, err)

	logged := func(next http.Handler) http.Handler { return accessLog(logger, limiter.ClientIP, next) }
	recovered := func(next http.Handler) http.Handler { return recoverer(errs, next) }

	// The stack of apikit's design, innermost first: newApp's order read
	// from the router outwards.
	return []layer{
		{"timezone", zones.Handler},    // 9. time zone
		{"conditional", cond.Handler},  // 8. ETag, 304, 412
		{"jsonp", wrap.Handler},        // 7. JSON-P
		{"ratelimit", limiter.Handler}, // 6. rate limits
		{"auth", authn.Handler},        // 5. authentication
		{"mediatype", media.Handler},   // 4. media type
		{"cors", crossOrigin.Handler},  // 3. CORS
		{"useragent", agents.Handler},  // 2. User-Agent
		{"accesslog", logged},          // 1. access log,
		{"nosniff", nosniff},           //    nosniff,
		{"requestid", ids.Handler},     //    request id,
		{"recover", recovered},         //    recover
	}, token, auths
}

// userZones is the blog's user-zone cache (api.userZone and
// api.rememberZone) without the database behind it.
type userZones struct {
	zones sync.Map // user id -> last known zone (string)
}

func (u *userZones) userZone(r *http.Request) (string, error) {
	id, ok := auth.IdentityFrom(r.Context())
	if !ok {
		return "", nil
	}
	if zone, cached := u.zones.Load(id.Subject); cached {
		return zone.(string), nil
	}
	return "", nil
}

func (u *userZones) rememberZone(r *http.Request, zone string) {
	if id, ok := auth.IdentityFrom(r.Context()); ok {
		u.zones.Store(id.Subject, zone)
	}
}

// nosniffValue is X-Content-Type-Options' value, shared by every
// response, as the blog's.
var nosniffValue = []string{"nosniff"}

// nosniff is the blog's: X-Content-Type-Options: nosniff on every
// response.
func nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = nosniffValue
		next.ServeHTTP(w, r)
	})
}

// recoverer is the blog's: a panic becomes the errors package's 500.
func recoverer(errs *apierrors.Writer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				errs.Write(w, r, apierrors.Internal(fmt.Errorf("panic: %v", v)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// accessLog is the blog's: one log line per request, with the request
// id, the status, the size and the client IP.
func accessLog(logger *slog.Logger, clientIP func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		id, _ := requestid.FromContext(r.Context())
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", clientIP(r)),
		)
	})
}

// statusRecorder is the blog's: it notes the status and size of a
// response for the log.
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

func (s *statusRecorder) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// stackPost is a post as the blog's GET /posts/{id} shows it.
type stackPost struct {
	ID          string        `json:"id"`
	URL         string        `json:"url"`
	HTMLURL     string        `json:"html_url"`
	Title       string        `json:"title"`
	Published   bool          `json:"published"`
	PublishedAt timezone.Time `json:"published_at"`
	CreatedAt   timezone.Time `json:"created_at"`
	UpdatedAt   timezone.Time `json:"updated_at"`
	TimeZone    string        `json:"time_zone"`
	Author      struct {
		ID    string `json:"id"`
		Login string `json:"login"`
		URL   string `json:"url"`
	} `json:"author"`
	CommentsURL   string `json:"comments_url"`
	Body          string `json:"body"`
	BodyHTML      string `json:"body_html"`
	CommentsCount int    `json:"comments_count"`
	LikesCount    int    `json:"likes_count"`
}

// postHandler answers every request with one post of about 1 KiB of
// JSON, through render, as the blog's getPost does once it has the post
// (without its own ETag, so the conditional middleware hashes the body).
func postHandler() http.Handler {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := stackPost{
		ID: "0f8e2c4a", URL: "https://api.myblog.com/posts/0f8e2c4a", HTMLURL: "https://myblog.com/posts/0f8e2c4a",
		Title: "How headers flow through the stack", Published: true,
		PublishedAt: timezone.NewTime(at), CreatedAt: timezone.NewTime(at), UpdatedAt: timezone.NewTime(at),
		TimeZone:    "Europe/Amsterdam",
		CommentsURL: "https://api.myblog.com/posts/0f8e2c4a/comments{?page,per_page}",
		Body:        strings.Repeat("Every middleware has its place. ", 10),
		BodyHTML:    "<p>" + strings.Repeat("Every middleware has its place. ", 10) + "</p>",
	}
	p.Author.ID, p.Author.Login, p.Author.URL = stackSubject, "alice", "https://api.myblog.com/users/alice"
	rd := render.New(render.Config{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.JSON(w, r, http.StatusOK, p)
	})
}

// stackRequest is a realistic GET of a post: a client's User-Agent,
// GitHub's media type, an Origin, and a token when one is given.
func stackRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/posts/0f8e2c4a", nil)
	r.Header.Set("User-Agent", "Awesome-Octocat-App/1.0")
	r.Header.Set("Accept", "application/vnd.github.v3+json")
	r.Header.Set("Origin", "https://blog.example.com")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// TestStack checks that the stack serves the handler's body with every
// middleware's headers, for an anonymous and an authenticated request,
// so that BenchmarkStack measures the whole chain at work.
func TestStack(t *testing.T) {
	bare := httptest.NewRecorder()
	postHandler().ServeHTTP(bare, stackRequest(""))
	require.Equal(t, http.StatusOK, bare.Code)
	assert.InDelta(t, 1024, bare.Body.Len(), 256, "a body of about 1 KiB")

	s := newStack(t, postHandler())
	for _, kind := range []struct {
		name, token, limit, cacheControl string
	}{
		{"anonymous", "", strconv.Itoa(stackQuota), conditional.DefaultPublicCacheControl},
		{"token", s.token, strconv.Itoa(stackQuota), conditional.DefaultPrivateCacheControl},
	} {
		t.Run(kind.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.handler.ServeHTTP(w, stackRequest(kind.token))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, bare.Body.String(), w.Body.String())
			h := w.Header()
			assert.NotEmpty(t, h.Get("X-Myblog-Request-Id"))
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "*", h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "myblog.v3; format=json", h.Get("X-Myblog-Media-Type"))
			assert.Equal(t, kind.limit, h.Get("X-RateLimit-Limit"))
			assert.Equal(t, "1", h.Get("X-RateLimit-Used"))
			assert.Equal(t, conditional.ETag(bare.Body.Bytes()), h.Get("ETag"))
			assert.Equal(t, kind.cacheControl, h.Get("Cache-Control"))

			// The ETag comes back: a 304, and the quota is given back.
			r := stackRequest(kind.token)
			r.Header.Set("If-None-Match", h.Get("ETag"))
			w = httptest.NewRecorder()
			s.handler.ServeHTTP(w, r)
			assert.Equal(t, http.StatusNotModified, w.Code)
			assert.Equal(t, "1", w.Header().Get("X-RateLimit-Used"))
		})
	}
}

// stackAddrs are the 10,000 client IPs anonymous requests come from.
var stackAddrs = func() []string {
	addrs := make([]string, 10_000)
	for i := range addrs {
		addrs[i] = "10.1." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + ":4000"
	}
	return addrs
}()

// BenchmarkStack serves a post of about 1 KiB through the example
// server's whole middleware chain (impl=apikit) and through its handler
// alone (impl=bare), for an anonymous request from one of 10,000 client
// IPs (kind=anonymous) and for a request with a Bearer token
// (kind=token). Subtract impl=bare to get the chain's cost per request.
func BenchmarkStack(b *testing.B) {
	handler := postHandler()
	s := newStack(b, handler)
	for _, kind := range []struct {
		name  string
		auths [][]string
	}{{"anonymous", nil}, {"token", s.authorizations}} {
		for _, impl := range []struct {
			name string
			h    http.Handler
		}{{"apikit", s.handler}, {"bare", handler}} {
			b.Run("kind="+kind.name+"/impl="+impl.name, func(b *testing.B) { runStack(b, impl.h, kind.auths) })
		}
	}
}

// BenchmarkStackLayers breaks BenchmarkStack down: the handler behind the
// innermost n middlewares of the stack, from none (layers=00-handler) to
// all twelve (layers=12-recover), so that the difference between a row
// and the one before is what that middleware costs inside the stack. It
// makes 26 sub-benchmarks, so it runs only when named:
//
//	go test -run '^$' -bench StackLayers -benchmem ./bench
//	benchstat -col /kind -row /layers FILE
func BenchmarkStackLayers(b *testing.B) {
	if !strings.Contains(flag.Lookup("test.bench").Value.String(), "StackLayers") {
		b.Skip("runs only when named: -bench StackLayers")
	}
	layers, _, auths := stackLayers(b)
	for _, kind := range []struct {
		name  string
		token [][]string
	}{{"anonymous", nil}, {"token", auths}} {
		h := postHandler()
		b.Run("kind="+kind.name+"/layers=00-handler", func(b *testing.B) { runStack(b, h, kind.token) })
		for n, l := range layers {
			h = l.wrap(h)
			b.Run(fmt.Sprintf("kind=%s/layers=%02d-%s", kind.name, n+1, l.name), func(b *testing.B) { runStack(b, h, kind.token) })
		}
	}
}

// runStack serves stackRequest with h on every goroutine, from stackAddrs
// in turn and, when auths is given, as its users in turn; it checks that
// the last answer was the post.
func runStack(b *testing.B, h http.Handler, auths [][]string) {
	var offset atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := stackRequest("")
		w := &discardResponse{header: http.Header{}}
		// Each goroutine starts at its own place in stackAddrs.
		start := int(offset.Add(1000))
		i := start
		for pb.Next() {
			r.RemoteAddr = stackAddrs[i%len(stackAddrs)]
			if auths != nil {
				r.Header["Authorization"] = auths[i%len(auths)]
			}
			i++
			clear(w.header)
			w.code = 0
			h.ServeHTTP(w, r)
		}
		// A refusal would look fast: the last answer of every goroutine
		// that served anything must be the post.
		if i > start && w.code != http.StatusOK {
			b.Errorf("last status %d, want %d", w.code, http.StatusOK)
		}
	})
}
