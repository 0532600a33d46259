package jsonp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/observe"
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

// BenchmarkRefused answers an invalid callback with its 400, with no
// Observer and with one (which must cost no allocation).
func BenchmarkRefused(b *testing.B) {
	var refused int
	for _, bc := range []struct {
		name     string
		observer observe.Observer
	}{{"observer=nil", nil}, {"observer=set", observe.Func(func(observe.Event) { refused++ })}} {
		b.Run(bc.name, func(b *testing.B) {
			m := newMiddleware(b, func(c *jsonp.Config) { c.Observer = bc.observer })
			h := m.Handler(handler(200, jsonType, `{}`))
			r := httptest.NewRequest("GET", "/posts?callback=alert(1)", nil)
			w := &discard{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, r)
			}
		})
	}
}

type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
