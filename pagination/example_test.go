package pagination_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/pagination"
)

// A list handler reads the page, queries one page of rows, and sets the
// Link header from the total.
func Example() {
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	pages, _ := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com", Errors: errs})
	const total = 95 // SELECT count(*) FROM posts WHERE published
	listPosts := func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages.Page(w, r)
		if !ok {
			return // 422 for ?page=abc, written by errs
		}
		// SELECT ... ORDER BY published_at DESC LIMIT page.Limit() OFFSET page.Offset()
		pages.SetLinks(w, r, page, total)
		fmt.Fprintf(w, "rows %d to %d", page.Offset()+1, min(page.Offset()+page.Limit(), total))
	}

	w := httptest.NewRecorder()
	listPosts(w, httptest.NewRequest("GET", "/posts?page=2&per_page=10", nil))
	fmt.Println(w.Body.String())
	fmt.Println(w.Header().Get("Link"))

	w = httptest.NewRecorder()
	listPosts(w, httptest.NewRequest("GET", "/posts?page=abc", nil))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// rows 11 to 20
	// <https://api.myblog.com/posts?page=3&per_page=10>; rel="next", <https://api.myblog.com/posts?page=10&per_page=10>; rel="last", <https://api.myblog.com/posts?page=1&per_page=10>; rel="first", <https://api.myblog.com/posts?page=1&per_page=10>; rel="prev"
	// 422 {"message":"Validation Failed","errors":[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"}]}
}

// GitHub's /users?since= pages by the id of the last user seen.
func ExamplePaginator_SetCursorLinks() {
	pages, _ := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com"})
	r := httptest.NewRequest("GET", "/users?since=100&per_page=2", nil)
	w := httptest.NewRecorder()
	cursor, ok := pages.Cursor(w, r)
	if !ok {
		return // 422 for ?since=1&after=x
	}
	// SELECT ... WHERE id > 100 ORDER BY id LIMIT 2: ids 101 and 135
	pages.SetCursorLinks(w, r, cursor, pagination.SinceID(135), pagination.Cursor{})
	fmt.Println(w.Header().Get("Link"))
	// Output:
	// <https://api.myblog.com/users?since=135&per_page=2>; rel="next"
}

// Behind a load balancer, the links take the scheme and host the client
// used, believed from the proxies the one Resolver trusts.
func ExampleConfig_resolver() {
	proxies, _ := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustProto: true, TrustHost: true})
	pages, _ := pagination.New(pagination.Config{Resolver: proxies})
	r := httptest.NewRequest("GET", "/posts?per_page=10", nil)
	r.RemoteAddr = "10.0.0.2:41000" // the load balancer
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "api.myblog.com")
	w := httptest.NewRecorder()
	page, _ := pages.Page(w, r)
	pages.SetLinks(w, r, page, 25)
	fmt.Println(w.Header().Get("Link"))
	// Output:
	// <https://api.myblog.com/posts?per_page=10&page=2>; rel="next", <https://api.myblog.com/posts?per_page=10&page=3>; rel="last"
}

// A list of a million posts: page numbers reach the first 3,000 items,
// the deepest page links next to a cursor, and last is left out.
func ExamplePaginator_SetDeepLinks() {
	pages, _ := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com", MaxOffset: 3000})
	r := httptest.NewRequest("GET", "/posts?page=100", nil)
	w := httptest.NewRecorder()
	page, ok := pages.Page(w, r)
	if !ok {
		return // 422 for ?page=101: past the first 3,000 posts
	}
	// SELECT ... LIMIT 31 OFFSET 2970; the total from a kept count.
	const total = 1000000
	after, _ := pagination.EncodeCursor(map[string]string{"t": "2026-12-01T09:00:00Z", "i": "42"}) // the page's last post
	pages.SetDeepLinks(w, r, page, total, pagination.Cursor{Param: pagination.After, Value: after})
	fmt.Println(w.Header().Get("Link"))
	// Output:
	// <https://api.myblog.com/posts?after=eyJpIjoiNDIiLCJ0IjoiMjAyNi0xMi0wMVQwOTowMDowMFoifQ>; rel="next", <https://api.myblog.com/posts?page=1>; rel="first", <https://api.myblog.com/posts?page=99>; rel="prev"
}
