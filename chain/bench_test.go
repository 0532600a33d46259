package chain_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/chain"
)

func pass(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
}

var end = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// BenchmarkServe compares a request through ten middlewares chained and
// nested by hand: the two must cost the same.
func BenchmarkServe(b *testing.B) {
	mws := make([]chain.Middleware, 10)
	for i := range mws {
		mws[i] = pass
	}
	nested := http.Handler(end)
	for range mws {
		nested = pass(nested)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"impl=nested", nested},
		{"impl=chain", chain.New(mws...).Then(end)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkThen is the construction, once per server.
func BenchmarkThen(b *testing.B) {
	c := chain.New(pass, pass, pass, pass, pass, pass, pass, pass, pass, pass)
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Then(end)
	}
}
