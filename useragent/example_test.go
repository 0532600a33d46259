package useragent_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/useragent"
)

// A request without a User-Agent is refused with GitHub's 403; one with
// any User-Agent goes on.
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
	fmt.Println(w.Body)

	r.Header.Set("User-Agent", "Awesome-Octocat-App")
	w = httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 403 application/json; charset=utf-8 close
	// {"message":"Request forbidden by administrative rules. Please make sure your request has a User-Agent header."}
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
		fmt.Fprint(w, "ok")
	}))

	for _, path := range []string{"/healthz", "/posts"} {
		w := httptest.NewRecorder()
		api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, w.Code, w.Body)
	}
	// Output:
	// /healthz 200 ok
	// /posts 403 {"message":"Request forbidden by administrative rules. Please make sure your request has a User-Agent header. Check https://developer.example.com for other possible causes."}
}

// OnError answers the refusal in a shape of the service's own: here the
// plain text GitHub sends. Connection: close is already set.
func ExampleConfig_onError() {
	ua, err := useragent.New(useragent.Config{
		OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(e.Status)
			_, _ = io.WriteString(w, e.Message+"\n")
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	api := ua.Handler(http.NotFoundHandler())
	w := httptest.NewRecorder()
	api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/posts", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get("Connection"))
	fmt.Print(w.Body)
	// Output:
	// 403 text/plain; charset=utf-8 close
	// Request forbidden by administrative rules. Please make sure your request has a User-Agent header.
}

// New refuses a developer site that is not an absolute http(s) URL.
func ExampleNew() {
	_, err := useragent.New(useragent.Config{Site: "developer.example.com"})
	fmt.Println(err)
	// Output:
	// useragent: Site: "developer.example.com" must be an absolute http or https URL
}
