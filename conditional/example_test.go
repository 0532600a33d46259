package conditional_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
)

// A GET answered once in full, then with 304 Not Modified to a client
// that sends the ETag back.
func Example() {
	cond, _ := conditional.New(conditional.Config{})
	user := cond.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `{"login":"octocat"}`)
	}))

	w := httptest.NewRecorder()
	user.ServeHTTP(w, httptest.NewRequest("GET", "/user", nil))
	etag := w.Header().Get("ETag")
	fmt.Println(w.Code, w.Header().Get("Cache-Control"), w.Body.String())

	r := httptest.NewRequest("GET", "/user", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	user.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("ETag") == etag, w.Body.Len())
	// Output:
	// 200 public, max-age=60, s-maxage=60 {"login":"octocat"}
	// 304 true 0
}

// A PATCH checks If-Match against the post's version before it changes
// anything.
func ExampleMiddleware_Check() {
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	cond, _ := conditional.New(conditional.Config{Errors: errs})
	version := conditional.ETag([]byte("post-42@2026-11-26T12:00:00Z"))
	updated := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	patch := func(w http.ResponseWriter, r *http.Request) {
		if !cond.Check(w, r, conditional.State{Exists: true, ETag: version, LastModified: updated}) {
			return
		}
		fmt.Fprint(w, `{"title":"edited"}`)
	}
	for _, ifMatch := range []string{`"an-older-version"`, version} {
		r := httptest.NewRequest("PATCH", "/posts/42", nil)
		r.Header.Set("If-Match", ifMatch)
		w := httptest.NewRecorder()
		patch(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 412 {"message":"Precondition Failed"}
	// 200 {"title":"edited"}
}

// If-Modified-Since is answered on the server's clock (Config.Now): the
// Last-Modified the client got back is a 304, a date later than the
// clock, which no response of ours carried, is ignored and answered in
// full.
func ExampleMiddleware_Handler_ifModifiedSince() {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cond, _ := conditional.New(conditional.Config{Now: func() time.Time { return now }})
	post := cond.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", now.Add(-time.Hour).Format(http.TimeFormat))
		fmt.Fprint(w, `{"title":"hello"}`)
	}))
	for _, since := range []time.Time{now.Add(-time.Hour), now.Add(time.Hour)} {
		r := httptest.NewRequest("GET", "/posts/42", nil)
		r.Header.Set("If-Modified-Since", since.Format(http.TimeFormat))
		w := httptest.NewRecorder()
		post.ServeHTTP(w, r)
		fmt.Printf("%s: %d %q\n", r.Header.Get("If-Modified-Since"), w.Code, w.Body.String())
	}
	// Output:
	// Thu, 26 Nov 2026 11:00:00 GMT: 304 ""
	// Thu, 26 Nov 2026 13:00:00 GMT: 200 "{\"title\":\"hello\"}"
}
