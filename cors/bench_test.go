package cors_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/cors"
)

func benchmarkCORS(b *testing.B, cfg cors.Config, r *http.Request) {
	m, err := cors.New(cfg)
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

var allowList = cors.Config{Origins: []string{"https://blog.example.com", "https://*.myblog.dev"}, Credentials: true}

func BenchmarkActualAnyOrigin(b *testing.B) {
	r := httptest.NewRequest("GET", "/posts", nil)
	r.Header.Set("Origin", "https://app.myblog.dev")
	benchmarkCORS(b, cors.Config{}, r)
}

func BenchmarkActualAllowList(b *testing.B) {
	r := httptest.NewRequest("GET", "/posts", nil)
	r.Header.Set("Origin", "https://app.myblog.dev")
	benchmarkCORS(b, allowList, r)
}

func BenchmarkPreflight(b *testing.B) {
	r := httptest.NewRequest("OPTIONS", "/posts", nil)
	r.Header.Set("Origin", "https://app.myblog.dev")
	r.Header.Set("Access-Control-Request-Method", "PATCH")
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type,if-match")
	benchmarkCORS(b, allowList, r)
}

// A preflight and a refused actual request with an Observer: no
// allocation more than without.
func BenchmarkPreflightObserved(b *testing.B) {
	r := httptest.NewRequest("OPTIONS", "/posts", nil)
	r.Header.Set("Origin", "https://app.myblog.dev")
	r.Header.Set("Access-Control-Request-Method", "PATCH")
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type,if-match")
	cfg := allowList
	cfg.Observer = &counter{}
	benchmarkCORS(b, cfg, r)
}

func BenchmarkActualRefusedObserved(b *testing.B) {
	r := httptest.NewRequest("GET", "/posts", nil)
	r.Header.Set("Origin", "https://evil.example")
	cfg := allowList
	cfg.Observer = &counter{}
	benchmarkCORS(b, cfg, r)
}
