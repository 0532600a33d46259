package ginrecipe

import (
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/examples/recipes/internal/recipetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // no route listing on stdout
	os.Exit(m.Run())
}

func newServer(t *testing.T, cfg recipes.Config) *httptest.Server {
	t.Helper()
	cfg.Now = recipetest.Clock
	app, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv
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
	t.Run("gin's own 404 goes through apikit too", func(t *testing.T) {
		srv := newServer(t, recipes.Config{AnonymousLimit: 3})
		resp := recipetest.Get(t, srv.Client(), srv.URL+"/nowhere")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Remaining"))
	})
}

// adapt is the adapter the trap is made of: it runs an apikit middleware
// as gin middleware, going on with c.Next inside the middleware's next
// handler. The ResponseWriter the middleware hands to next is dropped:
// gin's handlers write to c.Writer, which is a gin.ResponseWriter, not
// to it.
func adapt(middleware func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
	}
}

func newAdaptedServer(t *testing.T, anonymousLimit int, handled *atomic.Int32) *httptest.Server {
	t.Helper()
	kit, err := recipes.NewKit(recipes.Config{AnonymousLimit: anonymousLimit, Now: recipetest.Clock})
	require.NoError(t, err)
	engine := gin.New()
	engine.Use(adapt(kit.Limiter.Handler), adapt(kit.Conditional.Handler))
	engine.Use(func(*gin.Context) { handled.Add(1) })
	routes(engine, kit)
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)
	return srv
}

// The trap, as it behaves: the handler's c.JSON goes through gin's writer,
// beneath the conditional middleware's, straight to the client. The
// middleware's buffer stays empty; it computes the tag of nothing and
// sets it, and Cache-Control, on a header map already sent. No ETag
// reaches the client, If-None-Match never matches, and every
// conditional GET is a full 200 that counts against the quota.
func TestAdapterTurns304Into200(t *testing.T) {
	var handled atomic.Int32
	srv := newAdaptedServer(t, 60, &handled)
	url := srv.URL + "/posts/1"

	first := recipetest.Get(t, srv.Client(), url)
	require.Equal(t, http.StatusOK, first.StatusCode)
	assert.Equal(t, recipetest.PostJSON("1"), first.Body)
	assert.Empty(t, first.Header.Get("Etag"), "the ETag is set after the response was sent")
	assert.Empty(t, first.Header.Get("Cache-Control"), "so is Cache-Control")

	again := recipetest.Get(t, srv.Client(), url, "If-None-Match", conditional.ETag([]byte(first.Body)))
	assert.Equal(t, http.StatusOK, again.StatusCode, "the tag of the body does not match the tag of nothing")
	assert.Equal(t, recipetest.PostJSON("1"), again.Body)
	assert.Equal(t, "58", again.Header.Get("X-RateLimit-Remaining"), "a 200 counts")
}

// The second half of the trap: gin runs the next handler in the chain
// when a middleware returns without calling c.Next (only c.Abort stops
// it). A request the rate limiter refused still reaches the handler; its
// writes come after the 403 and are dropped, but what it does (a POST's
// insert) is done.
func TestAdapterRunsRefusedRequests(t *testing.T) {
	var handled atomic.Int32
	srv := newAdaptedServer(t, 1, &handled)

	admitted := recipetest.Get(t, srv.Client(), srv.URL+"/posts/1")
	require.Equal(t, http.StatusOK, admitted.StatusCode)
	refused := recipetest.Get(t, srv.Client(), srv.URL+"/posts/1")
	require.Equal(t, http.StatusForbidden, refused.StatusCode)
	assert.Contains(t, refused.Body, `"message":"API rate limit exceeded for 127.0.0.1.`, "the 403's body arrives whole")
	assert.Equal(t, int32(2), handled.Load(), "the refused request was handled too")
}

// With the engine wrapped whole, the same If-None-Match is a 304, and a
// refused request never reaches gin.
func TestWrappedEngineHandlesOnlyAdmittedRequests(t *testing.T) {
	var handled atomic.Int32
	kit, err := recipes.NewKit(recipes.Config{AnonymousLimit: 1, Now: recipetest.Clock})
	require.NoError(t, err)
	engine := gin.New()
	engine.Use(func(*gin.Context) { handled.Add(1) })
	routes(engine, kit)
	srv := httptest.NewServer(kit.Handler(engine))
	defer srv.Close()

	admitted := recipetest.Get(t, srv.Client(), srv.URL+"/posts/1")
	require.Equal(t, http.StatusOK, admitted.StatusCode)
	refused := recipetest.Get(t, srv.Client(), srv.URL+"/posts/1")
	require.Equal(t, http.StatusForbidden, refused.StatusCode)
	assert.Equal(t, int32(1), handled.Load(), "the refused request never reached gin")
}
