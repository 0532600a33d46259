package stack_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/examples/stack"
	"github.com/myblog/apikit/ratelimit"
)

var quiet = slog.New(slog.DiscardHandler)

// Every middleware's problems come back at once, each naming its package
// and field.
func TestNewReportsEveryProblem(t *testing.T) {
	_, err := stack.New(stack.Config{
		Logger:    quiet,
		RateLimit: ratelimit.Config{Status: 500},
		CORS:      cors.Config{Origins: []string{"*"}, Credentials: true},
	})
	require.Error(t, err)
	var packages []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		for _, problem := range flatten(e) {
			var ce *apierrors.ConfigError
			require.ErrorAs(t, problem, &ce, "%v", problem)
			packages = append(packages, ce.Package)
		}
	}
	assert.Contains(t, packages, "mediatype", "no Vendor")
	assert.Contains(t, packages, "ratelimit")
	assert.Contains(t, packages, "cors")
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func TestLayersInTheDocumentedOrder(t *testing.T) {
	s, err := stack.New(stack.Config{Vendor: "acme", Logger: quiet})
	require.NoError(t, err)
	var names []string
	for _, l := range s.Layers() {
		names = append(names, l.Name)
	}
	assert.Equal(t, []string{"requestid", "accesslog", "recovery", "nosniff", "useragent", "cors", "mediatype", "jsonp", "ratelimit", "conditional", "timezone", "route"}, names)
	assert.Nil(t, s.Auth, "no Config.Auth, no authentication layer")
}

// What the configured middlewares send is what browsers may read: with
// the rate limiter's IETF fields on, RateLimit and RateLimit-Policy are
// exposed.
func TestExposeFollowsTheMiddlewares(t *testing.T) {
	tests := []struct {
		name string
		cfg  stack.Config
		want string
	}{
		{
			name: "defaults",
			cfg:  stack.Config{Vendor: "acme"},
			want: "ETag, Link, Location, Retry-After, X-acme-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, X-acme-Media-Type, X-acme-Request-Id",
		},
		{
			name: "the IETF and Heroku fields when the limiter sends them",
			cfg:  stack.Config{Vendor: "acme", RateLimit: ratelimit.Config{IETFHeaders: true, HerokuHeader: true}},
			want: "ETag, Link, Location, Retry-After, X-acme-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, X-acme-Media-Type, X-acme-Request-Id, RateLimit-Policy, RateLimit, RateLimit-Remaining",
		},
		{
			name: "plus the caller's own",
			cfg:  stack.Config{Vendor: "acme", CORS: cors.Config{Expose: []string{"X-Poll-Interval"}}},
			want: "ETag, Link, Location, Retry-After, X-acme-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, X-acme-Media-Type, X-acme-Request-Id, X-Poll-Interval",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = quiet
			s, err := stack.New(tt.cfg)
			require.NoError(t, err)
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("User-Agent", "test")
			r.Header.Set("Origin", "https://app.example.com")
			w := httptest.NewRecorder()
			s.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
			got := strings.Split(w.Header().Get("Access-Control-Expose-Headers"), ", ")
			assert.ElementsMatch(t, strings.Split(tt.want, ", "), got)
		})
	}
}

// A request through the whole stack on a real server: the route reaches
// the access log through the request copies of the middlewares inside it,
// a panic is the errors package's 500 and is logged as one.
func TestThroughTheStack(t *testing.T) {
	var mu sync.Mutex
	var entries []accesslog.Entry
	s, err := stack.New(stack.Config{
		Vendor:    "acme",
		Logger:    quiet,
		AccessLog: accesslog.Config{Done: func(_ *http.Request, e accesslog.Entry) { mu.Lock(); entries = append(entries, e); mu.Unlock() }},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /notes/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"id":1}`) })
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic(errors.New("boom")) })
	srv := httptest.NewServer(s.Handler(mux))
	defer srv.Close()

	for _, path := range []string{"/notes/1", "/panic"} {
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "test")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/panic" {
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			assert.Equal(t, `{"message":"Internal Server Error"}`, string(body))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			assert.NotEmpty(t, resp.Header.Get("X-acme-Request-Id"))
		}
	}
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, entries, 2)
	assert.Equal(t, "GET /notes/{id}", entries[0].Route)
	assert.Equal(t, http.StatusOK, entries[0].Status)
	assert.Equal(t, http.StatusInternalServerError, entries[1].Status)
}
