package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/cors"
)

// A blog's front end on its own origin, with cookies.
func Example() {
	c, err := cors.New(cors.Config{
		Origins:     []string{"https://blog.example.com", "https://*.preview.example.com"},
		Credentials: true,
	})
	if err != nil {
		panic(err) // a contradiction in the config fails at start-up
	}
	api := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":true}`)
	}))

	preflight := httptest.NewRequest("OPTIONS", "/posts/1", nil)
	preflight.Header.Set("Origin", "https://pr-42.preview.example.com")
	preflight.Header.Set("Access-Control-Request-Method", "PATCH")
	preflight.Header.Set("Access-Control-Request-Headers", "authorization,if-match")
	w := httptest.NewRecorder()
	api.ServeHTTP(w, preflight)
	fmt.Println(w.Code, w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials"))

	other := httptest.NewRequest("GET", "/posts", nil)
	other.Header.Set("Origin", "https://evil.example.net")
	w = httptest.NewRecorder()
	api.ServeHTTP(w, other)
	fmt.Printf("%d %q\n", w.Code, w.Header().Get("Access-Control-Allow-Origin"))

	_, err = cors.New(cors.Config{Credentials: true})
	fmt.Println(err)
	// Output:
	// 204 https://pr-42.preview.example.com true
	// 200 ""
	// cors: Origins[0]: "*" cannot be used with Credentials: a page from any site could act as the user
}

// The exposed list follows what the stack sends: the default (no vendor
// header unless a Vendor is named), plus what the configured middlewares
// add, such as the rate limiter's IETF RateLimit fields.
func ExampleConfig_expose() {
	c, err := cors.New(cors.Config{
		Vendor: "acme",
		Expose: []string{"RateLimit", "RateLimit-Policy"},
	})
	if err != nil {
		panic(err)
	}
	api := c.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/posts", nil)
	r.Header.Set("Origin", "https://app.example.net")
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Header().Get("Access-Control-Expose-Headers"))
	// Output:
	// ETag, Link, Location, Retry-After, X-acme-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, X-acme-Media-Type, X-acme-Request-Id, RateLimit, RateLimit-Policy
}
