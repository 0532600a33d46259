package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/ratelimit"
)

// A service limits every route, counting users by their ID and anonymous
// clients by address, and serves its callers' figures at /rate_limit.
func Example() {
	errs, _ := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	// One resolver for the whole service: the load balancer is 10.0.0.0/8.
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		panic(err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		// With apikit's auth: id, ok := auth.FromContext(r.Context()); return id.Subject, ok
		User:      func(r *http.Request) (string, bool) { return "", false },
		Resolver:  resolver,
		Resources: []ratelimit.Resource{{Name: "core", AnonymousLimit: 2}},
		Errors:    errs,
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

// OnError replaces the refusals' answer. The limiter has set
// X-RateLimit-* and Retry-After and written nothing, so the hook chooses
// the status, the Content-Type and the body; the error's ID tells a
// primary limit from a secondary one.
func ExampleConfig_onError() {
	limiter, err := ratelimit.New(ratelimit.Config{
		Resources: []ratelimit.Resource{{Name: "core", AnonymousLimit: 1}},
		OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			switch e.ID {
			case ratelimit.IDLimited, ratelimit.IDSecondaryLimited:
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprintf(w, "slow down: try again in %s s\n", w.Header().Get("Retry-After"))
			default:
				w.WriteHeader(e.Status)
				fmt.Fprintln(w, e.Message)
			}
		},
	})
	if err != nil {
		panic(err)
	}
	handler := limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 2 {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
		fmt.Printf("%d %s %s %q\n", w.Code, w.Header().Get("Content-Type"), w.Header().Get("X-RateLimit-Remaining"), w.Body.String())
	}
	// Output:
	// 200  0 ""
	// 429 text/plain; charset=utf-8 0 "slow down: try again in 3600 s\n"
}

// ExposedHeaders is the list a CORS middleware must expose for browsers
// to read the limiter's headers.
func ExampleLimiter_ExposedHeaders() {
	limiter, err := ratelimit.New(ratelimit.Config{IETFHeaders: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(limiter.ExposedHeaders())
	// Output:
	// [X-RateLimit-Limit X-RateLimit-Remaining X-RateLimit-Reset X-RateLimit-Used X-RateLimit-Resource Retry-After RateLimit RateLimit-Policy]
}
