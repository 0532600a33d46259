package pagination_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/pagination"
)

func TestCursor(t *testing.T) {
	p := newPaginator(t, pagination.Config{})
	tests := []struct {
		name       string
		query      string
		want       pagination.Cursor
		wantErrors string
	}{
		{"the start", "", pagination.Cursor{PerPage: 30}, ""},
		{"since", "?since=135&per_page=10", pagination.Cursor{Param: "since", Value: "135", PerPage: 10}, ""},
		{"after, unescaped", "?after=eyJpZCI6M30%3D", pagination.Cursor{Param: "after", Value: "eyJpZCI6M30=", PerPage: 30}, ""},
		{"before", "?before=abc", pagination.Cursor{Param: "before", Value: "abc", PerPage: 30}, ""},
		{"two cursors", "?since=1&after=abc", pagination.Cursor{},
			`[{"resource":"Query","field":"after","code":"invalid","message":"only one of since, after and before may be given"}]`},
		{"a bad escape", "?after=%zz", pagination.Cursor{},
			`[{"resource":"Query","field":"after","code":"invalid","message":"after is not a valid query value"}]`},
		{"a bad per_page", "?since=1&per_page=0", pagination.Cursor{},
			`[{"resource":"Query","field":"per_page","code":"invalid","message":"per_page must be a whole number from 1 to 100"}]`},
		{"every problem in one 422", "?per_page=0&since=1&before=x", pagination.Cursor{},
			`[{"resource":"Query","field":"per_page","code":"invalid","message":"per_page must be a whole number from 1 to 100"},` +
				`{"resource":"Query","field":"before","code":"invalid","message":"only one of since, after and before may be given"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, ok := p.Cursor(w, request("/users"+tt.query))
			if tt.wantErrors == "" {
				require.True(t, ok)
				assert.Empty(t, w.Body.String(), "nothing written")
				assert.Equal(t, tt.want.Param, c.Param)
				assert.Equal(t, tt.want.Value, c.Value)
				assert.Equal(t, tt.want.PerPage, c.PerPage)
				return
			}
			assert.False(t, ok)
			assert.Equal(t, 422, w.Code)
			assert.JSONEq(t, `{"message":"Validation Failed","errors":`+tt.wantErrors+`}`, w.Body.String())
		})
	}
}

func TestCursorLinks(t *testing.T) {
	p := newPaginator(t, pagination.Config{BaseURL: "https://api.myblog.com"})
	tests := []struct {
		name   string
		target string
		next   pagination.Cursor
		prev   pagination.Cursor
		want   string
	}{
		{"GitHub's since: next only", "/users?since=100&per_page=10", pagination.SinceID(135), pagination.Cursor{},
			`<https://api.myblog.com/users?since=135&per_page=10>; rel="next"`},
		{"since added when absent; per_page not given, not added", "/users", pagination.SinceID(46), pagination.Cursor{},
			`<https://api.myblog.com/users?since=46>; rel="next"`},
		{"opaque cursors, escaped, both ways; the other cursor dropped", "/posts?q=go&after=AAA",
			pagination.Cursor{Param: pagination.After, Value: "B+/="}, pagination.Cursor{Param: pagination.Before, Value: "C"},
			`<https://api.myblog.com/posts?q=go&after=B%2B%2F%3D>; rel="next", <https://api.myblog.com/posts?q=go&before=C>; rel="prev"`},
		{"the end: no links", "/users?since=900", pagination.Cursor{}, pagination.Cursor{}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.target)
			current, ok := p.Cursor(httptest.NewRecorder(), r)
			require.True(t, ok)
			w := httptest.NewRecorder()
			p.SetCursorLinks(w, r, current, tt.next, tt.prev)
			assert.Equal(t, tt.want, w.Header().Get("Link"))
		})
	}
}

func TestEncodeDecodeCursor(t *testing.T) {
	p := newPaginator(t, pagination.Config{})
	type keyset struct {
		CreatedAt string `json:"t"`
		ID        string `json:"id"`
	}
	token, err := pagination.EncodeCursor(keyset{CreatedAt: "2026-11-26T12:00:00Z", ID: "0f3c"})
	require.NoError(t, err)
	var back keyset
	w := httptest.NewRecorder()
	require.True(t, p.DecodeCursor(w, request("/posts"), pagination.Cursor{Param: pagination.After, Value: token}, &back))
	assert.Empty(t, w.Body.String(), "nothing written")
	assert.Equal(t, keyset{CreatedAt: "2026-11-26T12:00:00Z", ID: "0f3c"}, back)

	w = httptest.NewRecorder()
	assert.False(t, p.DecodeCursor(w, request("/posts"), pagination.Cursor{Param: pagination.After, Value: "not a cursor"}, &back))
	assert.Equal(t, 422, w.Code)
	assert.JSONEq(t, `{"message":"Validation Failed","errors":[{"resource":"Query","field":"after","code":"invalid","message":"after is not a cursor this API gave out"}]}`, w.Body.String())

	_, err = pagination.EncodeCursor(make(chan int))
	assert.Error(t, err)
}
