package chirecipe

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/examples/recipes/internal/recipetest"
	"github.com/myblog/apikit/forwarded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newServer(t *testing.T, cfg recipes.Config) *httptest.Server {
	t.Helper()
	cfg.Now = recipetest.Clock
	app, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv
}

func newResolver(t *testing.T, trusted ...string) *forwarded.Resolver {
	t.Helper()
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: trusted})
	require.NoError(t, err)
	return resolver
}

func TestRecipe(t *testing.T) {
	t.Run("RFC 9110 13.1.2: If-None-Match with the ETag is a 304", func(t *testing.T) {
		srv := newServer(t, recipes.Config{AnonymousLimit: 3})
		recipetest.CheckNotModified(t, srv.Client(), srv.URL+"/posts/1")
	})
	t.Run("over the anonymous quota: GitHub's 403", func(t *testing.T) {
		srv := newServer(t, recipes.Config{AnonymousLimit: 3})
		recipetest.CheckRateLimited(t, srv.Client(), srv.URL+"/posts", 3, "127.0.0.1", nil)
	})
	t.Run("RFC 8288: Link header of a paged list", func(t *testing.T) {
		srv := newServer(t, recipes.Config{AnonymousLimit: 3})
		recipetest.CheckLinks(t, srv.Client(), srv.URL, srv.URL)
	})
}

// spoofed gives each request its own X-Forwarded-For, as a client that
// wants a fresh quota every time would send.
func spoofed(n int) []string {
	return []string{"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", n)}
}

// The trap: chi's middleware.RealIP sets RemoteAddr from True-Client-IP,
// X-Real-IP or X-Forwarded-For, which any client sends, before apikit
// reads it; every request then counts against a quota of its own
// choosing. Whatever Resolver apikit has, the peer it sees is the
// address the client wrote.
func TestRealIPDefeatsPerIPLimits(t *testing.T) {
	const requests = 120 // twice the anonymous quota of 60
	cases := []struct {
		name     string
		resolver *forwarded.Resolver
		header   func(n int) []string
	}{
		{name: "X-Forwarded-For, no resolver", header: spoofed},
		{name: "X-Forwarded-For, a resolver trusting only the load balancers", resolver: newResolver(t, "10.0.0.0/8"), header: spoofed},
		{name: "X-Real-IP, no resolver", header: func(n int) []string {
			return []string{"X-Real-IP", fmt.Sprintf("198.51.100.%d", n)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kit, err := recipes.NewKit(recipes.Config{Resolver: tc.resolver, Now: recipetest.Clock})
			require.NoError(t, err)
			//lint:ignore SA1019 this test shows why RealIP is deprecated
			app := routes(kit, middleware.RealIP, kit.Limiter.Handler, kit.Conditional.Handler)
			srv := httptest.NewServer(app)
			defer srv.Close()
			for n := 1; n <= requests; n++ {
				resp := recipetest.Get(t, srv.Client(), srv.URL+"/posts", tc.header(n)...)
				require.Equal(t, http.StatusOK, resp.StatusCode, "request %d is never limited", n)
				require.Equal(t, "59", resp.Header.Get("X-RateLimit-Remaining"), "request %d opens a fresh quota", n)
			}
		})
	}
}

// The recipe: no RealIP; apikit's Resolver believes forwarding headers
// only from the proxies it is told to trust.
func TestResolverLimitsSpoofingClients(t *testing.T) {
	t.Run("a client's own X-Forwarded-For is ignored: limited at 60 by its address", func(t *testing.T) {
		srv := newServer(t, recipes.Config{Resolver: newResolver(t, "10.0.0.0/8")})
		recipetest.CheckRateLimited(t, srv.Client(), srv.URL+"/posts", 60, "127.0.0.1", spoofed)
	})
	// The test client plays the load balancer at 127.0.0.1: it appends
	// the address it got the request from (203.0.113.9) to whatever the
	// client sent.
	behindProxy := func(n int) []string {
		return []string{
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d, 203.0.113.9", n),
			"X-Forwarded-Proto", "https",
			"X-Forwarded-Host", "api.example.com",
		}
	}
	t.Run("behind a trusted proxy: limited at 60 by the address the proxy saw", func(t *testing.T) {
		srv := newServer(t, recipes.Config{Resolver: newResolver(t, "127.0.0.1")})
		recipetest.CheckRateLimited(t, srv.Client(), srv.URL+"/posts", 60, "203.0.113.9", behindProxy)
	})
	t.Run("behind a trusted proxy: Link URLs have the scheme and host the client used", func(t *testing.T) {
		resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"127.0.0.1"}, TrustProto: true, TrustHost: true})
		require.NoError(t, err)
		srv := newServer(t, recipes.Config{Resolver: resolver})
		recipetest.CheckLinks(t, srv.Client(), srv.URL, "https://api.example.com", behindProxy(1)...)
	})
	t.Run("a client's own X-Forwarded-Proto and -Host are ignored", func(t *testing.T) {
		srv := newServer(t, recipes.Config{Resolver: newResolver(t, "10.0.0.0/8")})
		resp := recipetest.Get(t, srv.Client(), srv.URL+"/posts", behindProxy(1)...)
		assert.Contains(t, resp.Header.Get("Link"), "<"+srv.URL+"/posts?page=2>")
	})
}
