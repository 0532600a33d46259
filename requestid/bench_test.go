package requestid_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/requestid"
)

// headerOnly is the cheapest ResponseWriter, so that the benchmarks
// measure the middleware rather than a recorder.
type headerOnly struct{ header http.Header }

func (w *headerOnly) Header() http.Header         { return w.header }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}

func benchmarkHandler(b *testing.B, r *http.Request) {
	m := newMiddleware(b, requestid.Config{Resolver: newResolver(b, "10.0.0.0/8")})
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := &headerOnly{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, r)
	}
}

// The hot path: a direct client, a new UUID.
func BenchmarkHandlerNew(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "203.0.113.9:5678"
	benchmarkHandler(b, r)
}

// Behind a trusted load balancer that sets X-Request-Id.
func BenchmarkHandlerTrusted(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Header.Set("X-Request-Id", "f058ebd6-02f7-4d3f-942e-904344e8cde5")
	benchmarkHandler(b, r)
}

// A client that sends its own X-Request-Id: checked, ignored, a new UUID.
func BenchmarkHandlerSpoofed(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "203.0.113.9:5678"
	r.Header.Set("X-Request-Id", "f058ebd6-02f7-4d3f-942e-904344e8cde5")
	benchmarkHandler(b, r)
}

func BenchmarkNewUUID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = requestid.NewUUID()
	}
}
