package pagination_test

import (
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/pagination"
)

// BenchmarkSetLinks builds the four-link header of a middle page.
func BenchmarkSetLinks(b *testing.B) {
	p, err := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com"})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/posts?sort=created&page=5&per_page=10", nil)
	page, err := p.Page(r)
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
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
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Page(r); err != nil {
			b.Fatal(err)
		}
	}
}
