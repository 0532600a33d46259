package pagination_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/pagination"
)

// BenchmarkSetLinks builds the four-link header of a middle page.
func BenchmarkSetLinks(b *testing.B) {
	p, err := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com"})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/posts?sort=created&page=5&per_page=10", nil)
	w := httptest.NewRecorder()
	page, ok := p.Page(w, r)
	if !ok {
		b.Fatal(w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		p.SetLinks(w, r, page, 500)
	}
}

func BenchmarkPage(b *testing.B) {
	p, err := pagination.New(pagination.Config{})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/posts?sort=created&page=5&per_page=10", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Page(w, r); !ok {
			b.Fatal(w.Body)
		}
	}
}

// BenchmarkRefused answers ?page=0 with its 422, with no Observer and
// with one (which must cost no allocation).
func BenchmarkRefused(b *testing.B) {
	var refused int
	for _, bc := range []struct {
		name     string
		observer observe.Observer
	}{{"observer=nil", nil}, {"observer=set", observe.Func(func(observe.Event) { refused++ })}} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := pagination.New(pagination.Config{Observer: bc.observer})
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/posts?page=0", nil)
			w := &discard{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				if _, ok := p.Page(w, r); ok {
					b.Fatal("page=0 accepted")
				}
			}
		})
	}
}

type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkSetDeepLinks builds the header of the deepest page in reach
// of a list of a million items: next by cursor, first and prev.
func BenchmarkSetDeepLinks(b *testing.B) {
	p, err := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com", MaxOffset: 3000})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/posts?page=100", nil)
	w := httptest.NewRecorder()
	page, ok := p.Page(w, r)
	if !ok {
		b.Fatal(w.Body)
	}
	next := pagination.Cursor{Param: pagination.After, Value: "eyJ0IjoiMjAyNi0xMi0wMVQwOTowMDowMC4wMDAwMDAwMDBaIiwiaSI6IjQyIn0"}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		p.SetDeepLinks(w, r, page, 1000000, next)
	}
}
