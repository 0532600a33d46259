package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/ratelimit"
)

// A service limits every route, counting users by their ID and anonymous
// clients by IP, and serves its callers' figures at /rate_limit.
func Example() {
	errs, _ := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	limiter, err := ratelimit.New(ratelimit.Config{
		// With apikit's auth: id, ok := auth.IdentityFrom(r.Context()); return id.Subject, ok
		User:           func(r *http.Request) (string, bool) { return "", false },
		TrustedProxies: []string{"10.0.0.0/8"}, // the load balancer
		Resources:      []ratelimit.Resource{{Name: "core", AnonymousLimit: 2}},
		Errors:         errs,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /rate_limit", limiter.Status())
	mux.HandleFunc("GET /posts", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[]`)
	})
	handler := limiter.Handler(mux)

	for range 3 {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.RemoteAddr = "10.0.0.1:5000"
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("X-RateLimit-Limit"), w.Header().Get("X-RateLimit-Remaining"), w.Header().Get("X-RateLimit-Used"))
		if w.Code != 200 {
			fmt.Println(w.Body.String())
		}
	}
	// Output:
	// 200 2 1 1
	// 200 2 0 2
	// 403 2 0 2
	// {"message":"API rate limit exceeded for 203.0.113.9. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"https://developer.myblog.com/v3/#rate-limiting"}
}
