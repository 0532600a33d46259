package bench

import (
	"testing"

	peterhellberg "github.com/peterhellberg/link"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tomnomnom/linkheader"

	"github.com/myblog/apikit/link"
)

// fourLinks is the Link header of a middle page, as pagination writes it.
const fourLinks = `<https://api.myblog.com/posts?page=3&per_page=10>; rel="next", <https://api.myblog.com/posts?page=50&per_page=10>; rel="last", <https://api.myblog.com/posts?page=1&per_page=10>; rel="first", <https://api.myblog.com/posts?page=1&per_page=10>; rel="prev"`

// TestLinkParsersAgree checks that the three parsers read the same four
// links from fourLinks, so the benchmark compares equal work.
func TestLinkParsersAgree(t *testing.T) {
	want := map[string]string{
		"next":  "https://api.myblog.com/posts?page=3&per_page=10",
		"last":  "https://api.myblog.com/posts?page=50&per_page=10",
		"first": "https://api.myblog.com/posts?page=1&per_page=10",
		"prev":  "https://api.myblog.com/posts?page=1&per_page=10",
	}
	got := map[string]string{}
	for _, l := range link.Parse(fourLinks) {
		got[l.Rel] = l.URL
	}
	assert.Equal(t, want, got, "apikit")

	got = map[string]string{}
	for _, l := range linkheader.Parse(fourLinks) {
		got[l.Rel] = l.URL
	}
	assert.Equal(t, want, got, "tomnomnom/linkheader")

	got = map[string]string{}
	for rel, l := range peterhellberg.Parse(fourLinks) {
		got[rel] = l.URI
	}
	assert.Equal(t, want, got, "peterhellberg/link")
}

// BenchmarkLinkParse parses the four-link header of a middle page.
func BenchmarkLinkParse(b *testing.B) {
	b.Run("impl=apikit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(link.Parse(fourLinks)) != 4 {
				b.Fatal("want 4 links")
			}
		}
	})
	b.Run("impl=tomnomnom-linkheader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(linkheader.Parse(fourLinks)) != 4 {
				b.Fatal("want 4 links")
			}
		}
	})
	b.Run("impl=peterhellberg-link", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(peterhellberg.Parse(fourLinks)) != 4 {
				b.Fatal("want 4 links")
			}
		}
	})
}

// BenchmarkLinkFormat writes the same four links; peterhellberg/link has
// no writer.
func BenchmarkLinkFormat(b *testing.B) {
	ours := link.Parse(fourLinks)
	theirs := linkheader.Parse(fourLinks)
	require.Len(b, ours, 4)
	b.Run("impl=apikit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = link.Format(ours...)
		}
	})
	b.Run("impl=tomnomnom-linkheader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = theirs.String()
		}
	})
}
