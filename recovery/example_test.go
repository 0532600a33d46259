package recovery_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/myblog/apikit/accesslog"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/recovery"
)

// A panicking handler answers the errors package's 500, in the service's
// one error format; the panic value is logged, never sent.
func Example() {
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://docs.example.com/v3"})
	if err != nil {
		log.Fatal(err)
	}
	recoverer, err := recovery.New(recovery.Config{
		Errors: errs,
		Logger: slog.New(slog.DiscardHandler), // a real one gets the value and the stack
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := recoverer.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("the posts cache is gone") // a bug in a handler
	}))
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
	fmt.Println(w.Code, w.Body.String())
	// Output: 500 {"message":"Internal Server Error","documentation_url":"https://docs.example.com/v3"}
}

// errCacheGone is an error a handler panics with.
var errCacheGone = errors.New("the posts cache is gone")

// OnError answers instead of the errors Writer. The *PanicError is the
// error's cause, and a panic value that is an error is still in its
// chain.
func ExampleConfig_onError() {
	recoverer, err := recovery.New(recovery.Config{
		Logger: slog.New(slog.DiscardHandler),
		OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			var p *recovery.PanicError
			if errors.As(e, &p) {
				fmt.Println("cause:", p, errors.Is(e, errCacheGone))
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(e.Status)
			io.WriteString(w, "Something went wrong on our side.\n")
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := recoverer.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(errCacheGone)
	}))
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// cause: panic: the posts cache is gone true
	// 500 Something went wrong on our side.
}

// Inside the access log, recovery uses the access log's writer to tell
// whether the response started (no writer of its own), and the access
// log records the 500 it answered.
func Example_accessLog() {
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
	handler := logs.Handler(recoverer.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/posts", nil))
	// Output:
	// level=INFO msg=request method=POST path=/posts status=500 bytes=35 user_agent="" client_ip=192.0.2.1
}
