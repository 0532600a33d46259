package echorecipe

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/examples/recipes/internal/recipetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// builders are the two recipes: the echo instance wrapped whole, and
// apikit as echo middleware with WriteErrors inside it.
var builders = []struct {
	name string
	new  func(recipes.Config) (http.Handler, error)
}{
	{name: "echo wrapped whole", new: New},
	{name: "WrapMiddleware with WriteErrors", new: func(cfg recipes.Config) (http.Handler, error) {
		return NewWithMiddleware(cfg)
	}},
}

func TestRecipes(t *testing.T) {
	for _, b := range builders {
		newServer := func(t *testing.T) *httptest.Server {
			t.Helper()
			app, err := b.new(recipes.Config{AnonymousLimit: 3, Now: recipetest.Clock})
			require.NoError(t, err)
			srv := httptest.NewServer(app)
			t.Cleanup(srv.Close)
			return srv
		}
		t.Run(b.name, func(t *testing.T) {
			t.Run("RFC 9110 13.1.2: If-None-Match with the ETag is a 304", func(t *testing.T) {
				srv := newServer(t)
				recipetest.CheckNotModified(t, srv.Client(), srv.URL+"/posts/1")
			})
			t.Run("over the anonymous quota: GitHub's 403", func(t *testing.T) {
				srv := newServer(t)
				recipetest.CheckRateLimited(t, srv.Client(), srv.URL+"/posts", 3, "127.0.0.1", nil)
			})
			t.Run("RFC 8288: Link header of a paged list", func(t *testing.T) {
				srv := newServer(t)
				recipetest.CheckLinks(t, srv.Client(), srv.URL, srv.URL)
			})
			t.Run("returned errors arrive whole, counted", func(t *testing.T) {
				srv := newServer(t)
				cases := []struct {
					name, path string
					status     int
					body       string
				}{
					{name: "a handler's 404", path: "/posts/9", status: http.StatusNotFound, body: `{"message":"Not Found","documentation_url":"` + recipes.DocumentationURL + `"}`},
					{name: "echo's own 404", path: "/nowhere", status: http.StatusNotFound, body: `{"message":"Not Found","documentation_url":"` + recipes.DocumentationURL + `"}`},
					{
						name: "the paginator's 422, written rather than returned", path: "/posts?page=0", status: http.StatusUnprocessableEntity,
						body: `{"message":"Validation Failed","errors":[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"}],"documentation_url":"` + recipes.DocumentationURL + `"}`,
					},
				}
				for i, tc := range cases {
					resp := recipetest.Get(t, srv.Client(), srv.URL+tc.path)
					assert.Equal(t, tc.status, resp.StatusCode, tc.name)
					assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), tc.name)
					assert.JSONEq(t, tc.body, resp.Body, tc.name)
					assert.Empty(t, resp.Header.Get("Etag"), "%s: RFC 9110 13.2.1: no validator on an error", tc.name)
					assert.Equal(t, []string{"2", "1", "0"}[i], resp.Header.Get("X-RateLimit-Remaining"), tc.name)
				}
			})
		})
	}
}

// The trap: echo.WrapMiddleware runs the handler inside the apikit
// middleware, but returns the handler's error out of it; echo's
// ServeHTTP writes that error (HTTPErrorHandler) only after every
// middleware has returned, into the echo.Response that wraps the
// innermost apikit writer, which is done with the request by then. What
// the client gets is what the apikit middlewares saw: a response the
// handler never wrote.
func TestWrapMiddlewareLosesReturnedErrors(t *testing.T) {
	cases := []struct {
		name        string
		middlewares func(*recipes.Kit) []echo.MiddlewareFunc
		header      []string
		status      int
		etag        string
		body        string
	}{{
		name: "rate limiter and conditional: the conditional middleware answers the empty body it saw",
		middlewares: func(kit *recipes.Kit) []echo.MiddlewareFunc {
			return []echo.MiddlewareFunc{echo.WrapMiddleware(kit.Limiter.Handler), echo.WrapMiddleware(kit.Conditional.Handler)}
		},
		status: http.StatusOK,
		etag:   conditional.ETag(nil),
	}, {
		name: "rate limiter alone, a conditional GET: its writer (kept to refund a 304) was released",
		middlewares: func(kit *recipes.Kit) []echo.MiddlewareFunc {
			return []echo.MiddlewareFunc{echo.WrapMiddleware(kit.Limiter.Handler)}
		},
		header: []string{"If-None-Match", `"stale"`},
		status: http.StatusOK,
	}, {
		name: "rate limiter alone, a plain GET: it handed the response down unwrapped, so the error arrives",
		middlewares: func(kit *recipes.Kit) []echo.MiddlewareFunc {
			return []echo.MiddlewareFunc{echo.WrapMiddleware(kit.Limiter.Handler)}
		},
		status: http.StatusNotFound,
		body:   `{"message":"Not Found","documentation_url":"` + recipes.DocumentationURL + `"}`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kit, err := recipes.NewKit(recipes.Config{Now: recipetest.Clock})
			require.NoError(t, err)
			e := newEcho(kit)
			e.Use(tc.middlewares(kit)...)
			srv := httptest.NewServer(e)
			defer srv.Close()

			for _, path := range []string{"/posts/9", "/nowhere"} {
				resp := recipetest.Get(t, srv.Client(), srv.URL+path, tc.header...)
				assert.Equal(t, tc.status, resp.StatusCode, "%s: the handler returned a 404", path)
				assert.Equal(t, tc.etag, resp.Header.Get("Etag"), path)
				if tc.body == "" {
					assert.Empty(t, resp.Body, "%s: the error's body is lost", path)
				} else {
					assert.JSONEq(t, tc.body, resp.Body, path)
				}

				// The next request on the same server is whole.
				next := recipetest.Get(t, srv.Client(), srv.URL+"/posts/1")
				assert.Equal(t, http.StatusOK, next.StatusCode)
				assert.JSONEq(t, recipetest.PostJSON("1"), next.Body)
			}
		})
	}
}
