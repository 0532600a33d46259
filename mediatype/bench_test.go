package mediatype_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/mediatype"
)

// commonAccepts are the Accept fields the hot path must handle cheaply.
var commonAccepts = []struct {
	name   string
	accept string
}{
	{"none", ""},
	{"application-json", "application/json"},
	{"any", "*/*"},
	{"github-v3", "application/vnd.github.v3+json"},
	{"acme-v3", "application/vnd.acme.v3+json"},
	{"acme-v3-raw", "application/vnd.acme.v3.raw+json"},
	{"browser", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
}

// headerOnly is a ResponseWriter that keeps headers and discards the rest.
type headerOnly struct{ header http.Header }

func (w *headerOnly) Header() http.Header         { return w.header }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}

func BenchmarkHandler(b *testing.B) {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Params: []string{"raw", "full"}})
	if err != nil {
		b.Fatal(err)
	}
	h := n.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, bm := range commonAccepts {
		b.Run(bm.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/posts", nil)
			if bm.accept != "" {
				r.Header.Set("Accept", bm.accept)
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

func BenchmarkNegotiate(b *testing.B) {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Params: []string{"raw", "full"}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range commonAccepts {
		b.Run(bm.name, func(b *testing.B) {
			var accept []string
			if bm.accept != "" {
				accept = []string{bm.accept}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.Negotiate(accept); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNotAcceptable(b *testing.B) {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme"})
	if err != nil {
		b.Fatal(err)
	}
	h := n.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/posts", nil)
	r.Header.Set("Accept", "application/vnd.acme.v9+json")
	w := &headerOnly{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, r)
	}
}

// The 406 with an Observer: no allocation more than BenchmarkNotAcceptable.
func BenchmarkNotAcceptableObserved(b *testing.B) {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Observer: &counter{}})
	if err != nil {
		b.Fatal(err)
	}
	h := n.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/posts", nil)
	r.Header.Set("Accept", "application/vnd.acme.v9+json")
	w := &headerOnly{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, r)
	}
}
