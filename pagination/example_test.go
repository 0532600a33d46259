package pagination_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/pagination"
)

// A list handler reads the page, queries one page of rows, and sets the
// Link header from the total.
func Example() {
	pages, _ := pagination.New(pagination.Config{BaseURL: "https://api.myblog.com"})
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	const total = 95 // SELECT count(*) FROM posts WHERE published
	listPosts := func(w http.ResponseWriter, r *http.Request) {
		page, err := pages.Page(r)
		if err != nil {
			errs.Write(w, r, err) // 422 for ?page=abc
			return
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
	cursor, _ := pages.Cursor(r)
	// SELECT ... WHERE id > 100 ORDER BY id LIMIT 2: ids 101 and 135
	w := httptest.NewRecorder()
	pages.SetCursorLinks(w, r, cursor, pagination.SinceID(135), pagination.Cursor{})
	fmt.Println(w.Header().Get("Link"))
	// Output:
	// <https://api.myblog.com/users?since=135&per_page=2>; rel="next"
}
