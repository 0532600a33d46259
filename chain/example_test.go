package chain_test

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/chain"
	"github.com/myblog/apikit/recovery"
)

// say is a middleware that prints its name on the way in and on the way
// out.
func say(name string) chain.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Println("in ", name)
			next.ServeHTTP(w, r)
			fmt.Println("out", name)
		})
	}
}

// The chain reads in the order a request meets the middlewares: New(a, b,
// c).Then(h) is a(b(c(h))).
func Example() {
	handler := chain.New(say("a"), say("b"), say("c")).Then(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		fmt.Println("handler")
	}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Output:
	// in  a
	// in  b
	// in  c
	// handler
	// out c
	// out b
	// out a
}

// apikit's middlewares are types with a Handler method: their method
// values (logs.Handler, recoverer.Handler) are chain.Middlewares, and go
// into New as they are, next to plain functions. Here the access log
// records the 500 that recovery, inside it, answers a panic with.
func Example_methodValues() {
	logs, err := accesslog.New(accesslog.Config{
		Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey || a.Key == "duration" {
					return slog.Attr{} // the same output on every run
				}
				return a
			},
		})),
	})
	if err != nil {
		log.Fatal(err)
	}
	recoverer, err := recovery.New(recovery.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	nosniff := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			next.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts", func(http.ResponseWriter, *http.Request) { panic("the cache is gone") })

	handler := chain.New(logs.Handler, recoverer.Handler, nosniff).Then(accesslog.RecordRoute(mux))

	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
	fmt.Println(w.Code, w.Header().Get("X-Content-Type-Options"), w.Body)
	// Output:
	// level=INFO msg=request method=GET path=/posts route="GET /posts" status=500 bytes=35 user_agent="" client_ip=192.0.2.1
	// 500 nosniff {"message":"Internal Server Error"}
}
