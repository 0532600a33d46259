package pagination_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/pagination"
)

func TestMaxOffset(t *testing.T) {
	const refused = `{"message":"Validation Failed","errors":[{"resource":"Query","field":"page","code":"invalid",` +
		`"message":"page numbers reach the first 100 items: follow the Link header's rel=\"next\", which goes on by cursor"}]}`
	tests := []struct {
		name       string
		clamp      bool
		query      string
		wantNumber int // 0: refused
	}{
		{"the deepest page in reach", false, "?page=4&per_page=30", 4}, // items 90-119: the first is the 91st
		{"one page deeper", false, "?page=5&per_page=30", 0},
		{"an exact fit", false, "?page=10&per_page=10", 10},
		{"past an exact fit", false, "?page=11&per_page=10", 0},
		{"page 1 is always in reach", false, "?per_page=100", 1},
		{"clamped to the deepest page", true, "?page=999&per_page=30", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPaginator(t, pagination.Config{MaxOffset: 100, Clamp: tt.clamp})
			w := httptest.NewRecorder()
			page, ok := p.Page(w, request("/posts"+tt.query))
			if tt.wantNumber == 0 {
				require.False(t, ok)
				assert.Equal(t, 422, w.Code)
				assert.JSONEq(t, refused, w.Body.String())
				return
			}
			require.True(t, ok, w.Body.String())
			assert.Equal(t, tt.wantNumber, page.Number)
		})
	}
}

func TestMaxOffsetNegative(t *testing.T) {
	_, err := pagination.New(pagination.Config{MaxOffset: -1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MaxOffset")
}

func TestDeepLinks(t *testing.T) {
	const base = "https://api.myblog.com/posts"
	next := pagination.Cursor{Param: pagination.After, Value: "K+/="}
	tests := []struct {
		name   string
		target string
		total  int
		next   pagination.Cursor
		want   string
	}{
		{"a list in reach: Links, last included", "/posts?page=2&per_page=10", 95, next,
			`<` + base + `?page=3&per_page=10>; rel="next", <` + base + `?page=10&per_page=10>; rel="last", <` + base + `?page=1&per_page=10>; rel="first", <` + base + `?page=1&per_page=10>; rel="prev"`},
		{"past reach: no last", "/posts?per_page=10", 1000000, next,
			`<` + base + `?per_page=10&page=2>; rel="next"`},
		{"the deepest page: next by cursor, page dropped", "/posts?page=10&per_page=10&q=go", 1000000, next,
			`<` + base + `?per_page=10&q=go&after=K%2B%2F%3D>; rel="next", <` + base + `?page=1&per_page=10&q=go>; rel="first", <` + base + `?page=9&per_page=10&q=go>; rel="prev"`},
		{"per_page not given stays out of the cursor link", "/posts?page=4", 1000000, next,
			`<` + base + `?after=K%2B%2F%3D>; rel="next", <` + base + `?page=1>; rel="first", <` + base + `?page=3>; rel="prev"`},
		{"the deepest page without a cursor: no next", "/posts?page=10&per_page=10", 1000000, pagination.Cursor{},
			`<` + base + `?page=1&per_page=10>; rel="first", <` + base + `?page=9&per_page=10>; rel="prev"`},
		{"one item past reach", "/posts?page=10&per_page=10", 101, next,
			`<` + base + `?per_page=10&after=K%2B%2F%3D>; rel="next", <` + base + `?page=1&per_page=10>; rel="first", <` + base + `?page=9&per_page=10>; rel="prev"`},
		{"an empty list", "/posts", 0, next, ``},
	}
	p := newPaginator(t, pagination.Config{BaseURL: "https://api.myblog.com", MaxOffset: 100})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.target)
			page := mustPage(t, p, r)
			w := httptest.NewRecorder()
			p.SetDeepLinks(w, r, page, tt.total, tt.next)
			assert.Equal(t, tt.want, w.Header().Get("Link"))
		})
	}
}
