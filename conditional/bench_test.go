package conditional_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/observe"
)

// discard is a ResponseWriter that keeps headers and drops the body, so
// the benchmarks measure the middleware, not a recorder.
type discard struct {
	header http.Header
	code   int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// jsonHandler renders n posts as JSON on every request, as a list handler
// does.
func jsonHandler(n int) http.Handler {
	type post struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	posts := make([]post, n)
	for i := range posts {
		posts[i] = post{ID: i, Title: "Post number " + strings.Repeat("x", 10), Body: strings.Repeat("lorem ipsum ", 4)}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(posts)
	})
}

func benchmarkBody(b *testing.B, posts int) {
	m, err := conditional.New(conditional.Config{})
	if err != nil {
		b.Fatal(err)
	}
	handler := jsonHandler(posts)
	size := httptest.NewRecorder()
	handler.ServeHTTP(size, httptest.NewRequest("GET", "/posts", nil))
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", handler}, {"conditional", m.Handler(handler)}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/posts", nil)
			w := &discard{header: http.Header{}}
			b.SetBytes(int64(size.Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkBody1KiB: a 1 KiB JSON body (10 posts), bare and through the
// middleware (buffered, hashed, ETag and caching headers set).
func BenchmarkBody1KiB(b *testing.B) { benchmarkBody(b, 10) }

// BenchmarkBody1MiB: a JSON body just under 1 MiB (10,100 posts), the
// largest the default config buffers and hashes.
func BenchmarkBody1MiB(b *testing.B) { benchmarkBody(b, 10_100) }

// BenchmarkNotModified: a 1 KiB body answered 304 to a client that sends
// its ETag back, with no Observer and with one (which must cost no
// allocation).
func BenchmarkNotModified(b *testing.B) {
	handler := jsonHandler(10)
	size := httptest.NewRecorder()
	handler.ServeHTTP(size, httptest.NewRequest("GET", "/posts", nil))
	etag := conditional.ETag(size.Body.Bytes())
	var decisions int
	for _, bc := range []struct {
		name     string
		observer observe.Observer
	}{{"observer=nil", nil}, {"observer=set", observe.Func(func(observe.Event) { decisions++ })}} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := conditional.New(conditional.Config{Observer: bc.observer})
			if err != nil {
				b.Fatal(err)
			}
			h := m.Handler(handler)
			r := httptest.NewRequest("GET", "/posts", nil)
			r.Header.Set("If-None-Match", etag)
			w := &discard{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, r)
			}
			if w.code != http.StatusNotModified {
				b.Fatalf("status %d, want 304", w.code)
			}
		})
	}
}

// BenchmarkETag1MiB is the hash alone, for its throughput.
func BenchmarkETag1MiB(b *testing.B) {
	body := make([]byte, 1<<20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = conditional.ETag(body)
	}
}
