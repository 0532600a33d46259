package jsonp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/jsonp"
)

func Example() {
	wrap, _ := jsonp.New(jsonp.Config{})
	posts := wrap.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Link", `<https://api.myblog.com/posts?page=2>; rel="next"`)
		fmt.Fprint(w, `[{"id":1}]`)
	}))
	w := httptest.NewRecorder()
	posts.ServeHTTP(w, httptest.NewRequest("GET", "/posts?callback=showPosts", nil))
	fmt.Println(w.Header().Get("Content-Type"))
	fmt.Println(w.Body.String())
	// Output:
	// application/javascript; charset=utf-8
	// /**/showPosts({"meta":{"status":200,"Link":[["https://api.myblog.com/posts?page=2",{"rel":"next"}]]},"data":[{"id":1}]})
}
