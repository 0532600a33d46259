package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/ratelimit"
)

// BenchmarkHandler is the middleware's hot path: an anonymous GET from one
// of 10,000 client IPs, headers included, over a handler that does nothing,
// with a quota of 5000 an hour that no IP exhausts during a run.
func BenchmarkHandler(b *testing.B) {
	benchmarkAnonymous(b, ratelimit.Config{}, nil)
}

// BenchmarkHandlerObserved is BenchmarkHandler with an Observer, which
// must cost no allocation: the Event is passed by value.
func BenchmarkHandlerObserved(b *testing.B) {
	var admitted atomic.Int64
	benchmarkAnonymous(b, ratelimit.Config{Observer: observe.Func(func(ev observe.Event) {
		if ev.Decision == observe.Admitted {
			admitted.Add(1)
		}
	})}, nil)
	if admitted.Load() == 0 {
		b.Fatal("the Observer saw no admitted request")
	}
}

// BenchmarkHandlerConditional is BenchmarkHandler for a GET with
// If-None-Match, which may end as 304 and so goes through the refund
// writer (one allocation: the writer, made for the request).
func BenchmarkHandlerConditional(b *testing.B) {
	benchmarkAnonymous(b, ratelimit.Config{}, http.Header{"If-None-Match": {`"v1"`}})
}

func benchmarkAnonymous(b *testing.B, cfg ratelimit.Config, header http.Header) {
	cfg.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: 5000}}
	limiter, err := ratelimit.New(cfg)
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
		for name, values := range header {
			r.Header[name] = values
		}
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

// BenchmarkHandlerNotModified is the refund path: a GET with the ETag of
// the handler's 304, whose request is given back after the check that
// the 304 answers that ETag (no allocation beyond the refund writer).
func BenchmarkHandlerNotModified(b *testing.B) {
	cfg := ratelimit.Config{Resources: []ratelimit.Resource{{Name: "core", AnonymousLimit: 5000}}}
	limiter, err := ratelimit.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	etag := []string{`"9a3f04c2e1d07b55"`}
	h := limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Etag"] = etag
		w.WriteHeader(http.StatusNotModified)
	}))
	newRequest := func() *http.Request {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.Header["If-None-Match"] = []string{`"x", W/"9a3f04c2e1d07b55"`}
		return r
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := newRequest()
		w := httptest.NewRecorder()
		for pb.Next() {
			clear(w.Header())
			h.ServeHTTP(w, r)
		}
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest())
	if got := w.Header().Get("X-RateLimit-Remaining"); got != "5000" {
		b.Errorf("X-RateLimit-Remaining %q: the 304s were not given back", got)
	}
}

// BenchmarkMemoryFull is a flood of distinct callers into a full store:
// every Take is a newcomer that takes another window's place.
func BenchmarkMemoryFull(b *testing.B) {
	ctx := context.Background()
	store := &ratelimit.Memory{MaxKeys: 64 * 1024}
	now := time.Date(2013, 7, 1, 16, 47, 53, 0, time.UTC)
	keys := make([]ratelimit.Key, 1<<20)
	for i := range keys {
		keys[i] = ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{Kind: ratelimit.Anonymous, ID: "2001:db8:" + strconv.FormatInt(int64(i), 16) + "::/64"}}
	}
	for _, k := range keys[:64*1024] {
		_, _ = store.Take(ctx, k, 60, time.Hour, now)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)) % len(keys)
			_, _ = store.Take(ctx, keys[i], 60, time.Hour, now)
		}
	})
}
