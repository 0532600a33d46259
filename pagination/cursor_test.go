package pagination_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/pagination"
)

func TestCursor(t *testing.T) {
	p := newPaginator(t, pagination.Config{})
	tests := []struct {
		name      string
		query     string
		want      pagination.Cursor
		wantField string
	}{
		{"the start", "", pagination.Cursor{PerPage: 30}, ""},
		{"since", "?since=135&per_page=10", pagination.Cursor{Param: "since", Value: "135", PerPage: 10}, ""},
		{"after, unescaped", "?after=eyJpZCI6M30%3D", pagination.Cursor{Param: "after", Value: "eyJpZCI6M30=", PerPage: 30}, ""},
		{"before", "?before=abc", pagination.Cursor{Param: "before", Value: "abc", PerPage: 30}, ""},
		{"two cursors", "?since=1&after=abc", pagination.Cursor{}, "after"},
		{"a bad escape", "?after=%zz", pagination.Cursor{}, "after"},
		{"a bad per_page", "?since=1&per_page=0", pagination.Cursor{}, "per_page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.Cursor(request("/users" + tt.query))
			if tt.wantField == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want.Param, c.Param)
				assert.Equal(t, tt.want.Value, c.Value)
				assert.Equal(t, tt.want.PerPage, c.PerPage)
				return
			}
			var e *apierrors.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 422, e.Status)
			require.Len(t, e.Errors, 1)
			assert.Equal(t, tt.wantField, e.Errors[0].Field)
			assert.Equal(t, apierrors.CodeInvalid, e.Errors[0].Code)
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
			current, err := p.Cursor(r)
			require.NoError(t, err)
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
	require.NoError(t, p.DecodeCursor(pagination.Cursor{Param: pagination.After, Value: token}, &back))
	assert.Equal(t, keyset{CreatedAt: "2026-11-26T12:00:00Z", ID: "0f3c"}, back)

	err = p.DecodeCursor(pagination.Cursor{Param: pagination.After, Value: "not a cursor"}, &back)
	var e *apierrors.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 422, e.Status)
	assert.Equal(t, []apierrors.FieldError{{Resource: "Query", Field: "after", Code: apierrors.CodeInvalid, Message: "after is not a cursor this API gave out"}}, e.Errors)

	_, err = pagination.EncodeCursor(make(chan int))
	assert.Error(t, err)
}
