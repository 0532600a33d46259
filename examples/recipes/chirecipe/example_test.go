package chirecipe_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/examples/recipes/chirecipe"
	"github.com/myblog/apikit/forwarded"
)

// A chi service behind load balancers in 10.0.0.0/8: a repeated GET is a
// 304 that does not count against the quota.
func Example() {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		panic(err)
	}
	app, err := chirecipe.New(recipes.Config{
		Resolver: resolver,
		Now:      func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()

	get := func(etag string) *http.Response {
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
		return resp
	}
	first := get("")
	get(first.Header.Get("Etag"))
	// Output:
	// 200 OK "4503235d47e9d0f1" remaining 59
	// 304 Not Modified "4503235d47e9d0f1" remaining 59
}
