package useragent_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/useragent"
)

// A request without a User-Agent is refused with the seed's text; one
// with any User-Agent goes on.
func Example() {
	ua, err := useragent.New(useragent.Config{})
	if err != nil {
		log.Fatal(err)
	}
	api := ua.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"ok":true}`)
	}))

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get("Connection"))
	fmt.Print(w.Body)

	r.Header.Set("User-Agent", "Awesome-Octocat-App")
	w = httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 403 text/html close
	// Request forbidden by administrative rules.
	// Please make sure your request has a User-Agent header.
	// Check https://developer.myblog.com for other possible causes.
	// 200 {"ok":true}
}

// A load balancer's health check sends no User-Agent; it is exempt, and
// the 403 of everything else points at the service's own developer site.
func ExampleConfig_exempt() {
	ua, err := useragent.New(useragent.Config{
		Site:   "https://developer.example.com",
		Exempt: func(r *http.Request) bool { return r.URL.Path == "/healthz" },
	})
	if err != nil {
		log.Fatal(err)
	}
	api := ua.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))

	for _, path := range []string{"/healthz", "/posts"} {
		w := httptest.NewRecorder()
		api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Print(path, " ", w.Code, " ", w.Body)
	}
	// Output:
	// /healthz 200 ok
	// /posts 403 Request forbidden by administrative rules.
	// Please make sure your request has a User-Agent header.
	// Check https://developer.example.com for other possible causes.
}

// New refuses a developer site that is not an absolute http(s) URL.
func ExampleNew() {
	_, err := useragent.New(useragent.Config{Site: "developer.example.com"})
	fmt.Println(err)
	// Output:
	// useragent: Config.Site: "developer.example.com" must be an absolute http or https URL
}
