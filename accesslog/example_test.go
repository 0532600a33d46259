package accesslog_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/myblog/apikit/accesslog"
)

// textLogger writes records without their time, so that the output is
// the same on every run.
func textLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// steppingClock returns a clock that advances by step at every reading:
// each request takes exactly step.
func steppingClock(step time.Duration) func() time.Time {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		t := now
		now = now.Add(step)
		return t
	}
}

// One record per request: never the query, which here holds a token.
// RecordRoute around the router gives the record the pattern it matched.
func Example() {
	logs, err := accesslog.New(accesslog.Config{
		Logger: textLogger(),
		Now:    steppingClock(1200 * time.Microsecond),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":42}`)
	})
	handler := logs.Handler(accesslog.RecordRoute(mux))

	r := httptest.NewRequest("GET", "/posts/42?access_token=secret", nil)
	r.Header.Set("User-Agent", "curl/8.5.0")
	handler.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// level=INFO msg=request method=GET path=/posts/42 route="GET /posts/{id}" status=200 bytes=9 duration=1.2ms user_agent=curl/8.5.0 client_ip=192.0.2.1
}

// Done hands the same facts to metrics: here a count by route and status,
// as a Prometheus histogram would be labelled. Requests no route matched
// share one label, so that scanners cannot grow the label set.
func ExampleConfig_done() {
	counts := map[string]int{}
	logs, err := accesslog.New(accesslog.Config{
		Logger: slog.New(slog.DiscardHandler),
		Done: func(r *http.Request, e accesslog.Entry) {
			route := e.Route
			if route == "" {
				route = "unmatched"
			}
			counts[fmt.Sprintf("%s %d", route, e.Status)]++
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "1" {
			http.NotFound(w, r)
		}
	})
	handler := logs.Handler(accesslog.RecordRoute(mux))
	for _, path := range []string{"/posts/1", "/posts/1", "/posts/2", "/wp-login.php"} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	fmt.Println(counts)
	// Output: map[GET /posts/{id} 200:2 GET /posts/{id} 404:1 unmatched 404:1]
}

// The request id (or anything else from the context set outside the
// access log) comes through Attrs.
func ExampleConfig_attrs() {
	type tenantKey struct{}
	logs, err := accesslog.New(accesslog.Config{
		Logger: textLogger(),
		Now:    steppingClock(time.Millisecond),
		Attrs: func(r *http.Request) []slog.Attr {
			tenant, _ := r.Context().Value(tenantKey{}).(string)
			return []slog.Attr{slog.String("tenant", tenant)}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := logs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest("DELETE", "/posts/42", nil)
	r = r.WithContext(context.WithValue(r.Context(), tenantKey{}, "acme"))
	handler.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// level=INFO msg=request method=DELETE path=/posts/42 status=204 bytes=0 duration=1ms user_agent="" client_ip=192.0.2.1 tenant=acme
}
