package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/myblog/apikit/ratelimit"
)

// BenchmarkHandler is the middleware's hot path: an anonymous GET from one
// of 10,000 client IPs, headers included, over a handler that does nothing,
// with a quota of 5000 an hour that no IP exhausts during a run.
func BenchmarkHandler(b *testing.B) {
	limiter, err := ratelimit.New(ratelimit.Config{Resources: []ratelimit.Resource{{Name: "core", AnonymousLimit: 5000}}})
	if err != nil {
		b.Fatal(err)
	}
	h := limiter.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	addrs := make([]string, 10_000)
	for i := range addrs {
		addrs[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + ":4000"
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/posts", nil)
		w := httptest.NewRecorder()
		i := int(next.Add(1000))
		for pb.Next() {
			r.RemoteAddr = addrs[i%len(addrs)]
			i++
			clear(w.Header())
			h.ServeHTTP(w, r)
		}
	})
}

// BenchmarkHandlerUser is the same for one authenticated user with a quota
// too large to exhaust: after its first 10,000 requests, its Remaining and
// Used values are past the tables and formatted per response, the path
// that allocates.
func BenchmarkHandlerUser(b *testing.B) {
	limiter, err := ratelimit.New(ratelimit.Config{
		Resources: []ratelimit.Resource{{Name: "core", Limit: 1 << 30}},
		User:      func(r *http.Request) (string, bool) { return "42", true },
	})
	if err != nil {
		b.Fatal(err)
	}
	h := limiter.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/posts", nil)
		w := httptest.NewRecorder()
		for pb.Next() {
			clear(w.Header())
			h.ServeHTTP(w, r)
		}
	})
}
