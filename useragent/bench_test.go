package useragent_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/useragent"
)

// headerOnly is the cheapest ResponseWriter, so that the benchmarks
// measure the middleware rather than a recorder.
type headerOnly struct {
	header http.Header
	code   int
}

func (w *headerOnly) Header() http.Header         { return w.header }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(code int)        { w.code = code }

func benchmarkHandler(b *testing.B, r *http.Request) {
	m, err := useragent.New(useragent.Config{Exempt: func(r *http.Request) bool { return r.URL.Path == "/healthz" }})
	if err != nil {
		b.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := &headerOnly{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, r)
	}
}

// The hot path: a request with a User-Agent goes on.
func BenchmarkHandlerPass(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36")
	benchmarkHandler(b, r)
}

// A refusal: the Error and the default writer's body.
func BenchmarkHandlerRefuse(b *testing.B) {
	benchmarkHandler(b, httptest.NewRequest(http.MethodGet, "/posts", nil))
}

// An exempt health check without a User-Agent.
func BenchmarkHandlerExempt(b *testing.B) {
	benchmarkHandler(b, httptest.NewRequest(http.MethodGet, "/healthz", nil))
}

// A refusal and a pass with an Observer.
func BenchmarkHandlerObserved(b *testing.B) {
	for _, bm := range []struct {
		name      string
		userAgent string
	}{{"pass", "curl/8.5.0"}, {"refuse", ""}} {
		b.Run(bm.name, func(b *testing.B) {
			m, err := useragent.New(useragent.Config{Observer: &counter{}})
			if err != nil {
				b.Fatal(err)
			}
			h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, "/posts", nil)
			if bm.userAgent != "" {
				r.Header.Set("User-Agent", bm.userAgent)
			}
			w := &headerOnly{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, r)
			}
		})
	}
}
