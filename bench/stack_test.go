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

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/render"
	"github.com/myblog/apikit/timezone"
	"github.com/myblog/apikit/useragent"

	kitstack "github.com/myblog/apikit/examples/stack"
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

// stackLayers builds the example server's stack with the same code
// (examples/stack, which examples/blog's newApp calls) and the same
// fields, and returns its layers innermost first, with an access token
// for stackSubject. The blog's database is replaced by memory: the auth
// stores are the in-memory defaults, the password check refuses everyone
// (no request here logs in), and the user-zone lookup is the blog's cache
// after its first miss. The logs go to slog.DiscardHandler; the quotas
// are stackQuota.
func stackLayers(tb testing.TB) ([]layer, string, [][]string) {
	tb.Helper()
	logger := slog.New(slog.DiscardHandler)
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3", Logger: logger})
	require.NoError(tb, err)
	decoder, err := apierrors.NewDecoder(apierrors.DecoderConfig{MaxBytes: 1 << 20, AllowAnyContentType: true})
	require.NoError(tb, err)
	rd := render.New(render.Config{Errors: errs}) // -envelope=false

	isHealthCheck := func(r *http.Request) bool { return r.URL.Path == "/healthz" }
	createsContent := func(r *http.Request) bool {
		switch r.Method {
		case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
			return r.URL.Path != "/login" && r.URL.Path != "/authorizations/refresh-tokens"
		}
		return false
	}
	users := new(userZones)
	kit, err := kitstack.New(kitstack.Config{
		Vendor: "myblog",
		Errors: errs,
		Logger: logger,
		Auth: &auth.Config{
			Tokens: auth.TokenConfig{Issuer: "myblog", Keys: []auth.Key{{Secret: []byte("0123456789abcdef0123456789abcdef")}}},
			CheckPassword: func(context.Context, string, string) (string, error) {
				return "", auth.ErrBadCredentials
			},
			AccountKey:   func(_ context.Context, login string) (string, error) { return "unknown:" + login, nil },
			MaxFailures:  10,
			AttemptStore: new(auth.MemoryAttempts),
			TokenStore:   new(auth.MemoryTokens),
			Realm:        "myblog",
			Render:       rd,
			Decoder:      decoder,
		},
		RateLimit: ratelimit.Config{
			Resources:      []ratelimit.Resource{{Name: "core", Limit: stackQuota, AnonymousLimit: stackQuota}},
			Store:          new(ratelimit.Memory),
			Exempt:         isHealthCheck,
			CreatesContent: createsContent,
			Render:         rd,
		},
		AccessLog: accesslog.Config{Done: func(*http.Request, accesslog.Entry) {}},
		UserAgent: useragent.Config{Exempt: isHealthCheck},
		CORS:      cors.Config{Expose: []string{"X-Poll-Interval"}},
		JSONP:     jsonp.Config{Headers: []string{"X-myblog-Media-Type", "X-Poll-Interval"}},
		TimeZone:  timezone.Config{UserZone: users.userZone, Remember: users.rememberZone},
	})
	require.NoError(tb, err)
	token, _, err := kit.Auth.Tokens().Sign(auth.Access, stackSubject, "session", nil)
	require.NoError(tb, err)
	auths := make([][]string, stackUsers)
	for i := range auths {
		t, _, err := kit.Auth.Tokens().Sign(auth.Access, "u-"+strconv.Itoa(i), "session", nil)
		require.NoError(tb, err)
		auths[i] = []string{"Bearer " + t}
	}
	outermostFirst := kit.Layers()
	layers := make([]layer, 0, len(outermostFirst))
	for i := len(outermostFirst) - 1; i >= 0; i-- {
		layers = append(layers, layer{outermostFirst[i].Name, outermostFirst[i].Wrap})
	}
	return layers, token, auths
}

// userZones is the blog's user-zone cache (api.userZone and
// api.rememberZone) without the database behind it.
type userZones struct {
	zones sync.Map // user id -> last known zone (string)
}

func (u *userZones) userZone(r *http.Request) (string, error) {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		return "", nil
	}
	if zone, cached := u.zones.Load(id.Subject); cached {
		return zone.(string), nil
	}
	return "", nil
}

func (u *userZones) rememberZone(r *http.Request, zone string) {
	if id, ok := auth.FromContext(r.Context()); ok {
		u.zones.Store(id.Subject, zone)
	}
}

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
// all thirteen (layers=13-requestid), so that the difference between a row
// and the one before is what that middleware costs inside the stack. It
// makes 28 sub-benchmarks, so it runs only when named:
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
