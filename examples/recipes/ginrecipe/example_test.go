package ginrecipe_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/examples/recipes/ginrecipe"
)

// The handler New returns is the gin engine wrapped in apikit: a repeated
// GET is a 304 that does not count against the quota, and a request over
// the quota never reaches gin.
func Example() {
	gin.SetMode(gin.ReleaseMode)
	app, err := ginrecipe.New(recipes.Config{
		AnonymousLimit: 3,
		Now:            func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(app) // in production: http.Server{Handler: app}
	defer srv.Close()

	get := func(etag string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/posts/1", nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status, resp.Header.Get("Etag"), "remaining", resp.Header.Get("X-RateLimit-Remaining"))
		return resp.Header.Get("Etag")
	}
	etag := get("")
	get(etag)
	get("")
	get("")
	get("")
	// Output:
	// 200 OK "4503235d47e9d0f1" remaining 2
	// 304 Not Modified "4503235d47e9d0f1" remaining 2
	// 200 OK "4503235d47e9d0f1" remaining 1
	// 200 OK "4503235d47e9d0f1" remaining 0
	// 403 Forbidden  remaining 0
}
