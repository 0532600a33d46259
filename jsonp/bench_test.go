package jsonp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkWrap wraps a 1 KiB JSON body with rate-limit headers and a
// two-link Link header.
func BenchmarkWrap(b *testing.B) {
	m := newMiddleware(b)
	body := make([]byte, 0, 1024)
	body = append(body, '[')
	for len(body) < 1000 {
		body = append(body, `{"id":12345,"title":"hello"},`...)
	}
	body[len(body)-1] = ']'
	h := rateLimited(m.Handler(handler(200, jsonType, string(body), "Link", `<https://api.myblog.com/posts?page=2>; rel="next", <https://api.myblog.com/posts?page=9>; rel="last"`)))
	r := httptest.NewRequest("GET", "/posts?callback=cb", nil)
	w := &discard{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, r)
	}
}

type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
