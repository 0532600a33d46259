package link_test

import (
	"fmt"

	"github.com/myblog/apikit/link"
)

func ExampleParse() {
	header := `<https://api.myblog.com/posts?page=3&per_page=100>; rel="next", <https://api.myblog.com/posts?page=50&per_page=100>; rel="last"`
	for _, l := range link.Parse(header) {
		fmt.Println(l.Rel, l.URL)
	}
	// Output:
	// next https://api.myblog.com/posts?page=3&per_page=100
	// last https://api.myblog.com/posts?page=50&per_page=100
}

func ExampleFormat() {
	fmt.Println(link.Format(
		link.Link{URL: "https://api.myblog.com/posts?page=2&tags=go,http", Rel: "next"},
		link.Link{URL: "https://api.myblog.com/posts?page=5&tags=go,http", Rel: "last"},
	))
	// Output:
	// <https://api.myblog.com/posts?page=2&tags=go%2Chttp>; rel="next", <https://api.myblog.com/posts?page=5&tags=go%2Chttp>; rel="last"
}
