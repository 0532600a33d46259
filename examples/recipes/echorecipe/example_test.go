package echorecipe_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/examples/recipes/echorecipe"
)

// An error a handler returns arrives whole, in apikit's error shape, with
// the rate limiter's headers.
func Example() {
	app, err := echorecipe.New(recipes.Config{
		Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(app) // in production: http.Server{Handler: app}
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/posts/9")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, "remaining", resp.Header.Get("X-RateLimit-Remaining"))
	fmt.Println(string(body))
	// Output:
	// 404 Not Found remaining 59
	// {"message":"Not Found","documentation_url":"https://docs.example.com/v3"}
}
