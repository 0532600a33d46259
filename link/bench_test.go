package link_test

import (
	"testing"

	"github.com/myblog/apikit/link"
)

const fourLinks = `<https://api.myblog.com/posts?page=3&per_page=10>; rel="next", <https://api.myblog.com/posts?page=50&per_page=10>; rel="last", <https://api.myblog.com/posts?page=1&per_page=10>; rel="first", <https://api.myblog.com/posts?page=1&per_page=10>; rel="prev"`

var fourLinksParsed = link.Parse(fourLinks)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(link.Parse(fourLinks)) != 4 {
			b.Fatal("want 4 links")
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = link.Append(buf[:0], fourLinksParsed...)
	}
}
