package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/myblog/apikit/conditional"
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

// A 304 is given back to the quota only when it answers a validator the
// client got from us. Here the limiter sits outside apikit's conditional
// middleware: a client that sends back the ETag it got revalidates for
// free; "If-None-Match: *", which matches every resource, gets its 304
// but counts.
func ExampleLimiter_Handler_notModified() {
	limiter, err := ratelimit.New(ratelimit.Config{})
	if err != nil {
		panic(err)
	}
	cond, err := conditional.New(conditional.Config{})
	if err != nil {
		panic(err)
	}
	handler := limiter.Handler(cond.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":1}]`)
	})))
	get := func(ifNoneMatch string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/posts", nil)
		if ifNoneMatch != "" {
			r.Header.Set("If-None-Match", ifNoneMatch)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	first := get("")
	fmt.Println(first.Code, first.Header().Get("X-RateLimit-Remaining"))
	for _, tags := range []string{first.Header().Get("ETag"), "*"} {
		w := get(tags)
		fmt.Println(w.Code, w.Header().Get("X-RateLimit-Remaining"))
	}
	// Output:
	// 200 59
	// 304 59
	// 304 58
}

// A full Memory never lets a newcomer in unlimited: it evicts the
// windows that counted the least and carries their counts, so a flood of
// distinct addresses neither grows it past MaxKeys nor resets the count
// of a client that used up its quota.
func ExampleMemory_full() {
	ctx := context.Background()
	store := &ratelimit.Memory{MaxKeys: 64}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	exhausted := ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.Anonymous, ID: "203.0.113.9"}}
	for range 2 {
		_, _ = store.Take(ctx, exhausted, 2, time.Hour, now)
	}
	for i := range 10_000 {
		flood := ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.Anonymous, ID: "2001:db8:" + strconv.Itoa(i) + "::/64"}}
		if _, err := store.Take(ctx, flood, 2, time.Hour, now); err != nil {
			panic(err)
		}
	}
	u, _ := store.Take(ctx, exhausted, 2, time.Hour, now)
	windows, _ := store.Len()
	evicted, _ := store.Evicted()
	fmt.Println(u.Allowed, u.Used, windows <= 64, evicted > 9_000)
	// Output:
	// false 2 true true
}
