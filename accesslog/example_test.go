package accesslog_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/myblog/apikit/accesslog"
)

// One record per request, and the same facts for metrics through Done.
func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		// Drop the time and the duration, so that the output is the same
		// on every run.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	logs, err := accesslog.New(accesslog.Config{
		Logger: logger,
		Done: func(r *http.Request, e accesslog.Entry) {
			fmt.Printf("metrics: route=%q status=%d\n", e.Route, e.Status)
		},
		Now: func() time.Time { return time.Unix(0, 0) },
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"id":1}`) })
	handler := logs.Handler(mux)

	r := httptest.NewRequest("GET", "/posts/1?access_token=secret", nil)
	r.Header.Set("User-Agent", "curl/8.5.0")
	handler.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// metrics: route="GET /posts/{id}" status=200
	// level=INFO msg=request method=GET path=/posts/1 route="GET /posts/{id}" status=200 bytes=8 user_agent=curl/8.5.0 client_ip=192.0.2.1
}
