package recovery_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/recovery"
)

// A panicking handler answers the errors package's 500, in the service's
// one error format.
func Example() {
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://docs.example.com/v3"})
	if err != nil {
		panic(err)
	}
	recoverer, err := recovery.New(recovery.Config{Errors: errs})
	if err != nil {
		panic(err)
	}
	handler := recoverer.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("the posts cache is gone") // a bug in a handler
	}))
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
	fmt.Println(w.Code, w.Body.String())
	// Output: 500 {"message":"Internal Server Error","documentation_url":"https://docs.example.com/v3"}
}
