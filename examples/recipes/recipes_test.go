package recipes

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewKitReportsConfigErrors(t *testing.T) {
	_, err := NewKit(Config{AnonymousLimit: -1})
	var configErr *apierrors.ConfigError
	require.True(t, errors.As(err, &configErr), "%v", err)
	assert.Equal(t, "ratelimit", configErr.Package)
}

func TestListPosts(t *testing.T) {
	kit, err := NewKit(Config{})
	require.NoError(t, err)
	cases := []struct {
		name, query string
		ids         []string
	}{
		{name: "first page of 2", query: "", ids: []string{"1", "2"}},
		{name: "last page holds the rest", query: "?page=3", ids: []string{"5"}},
		{name: "past the end: empty", query: "?page=4", ids: []string{}},
		{name: "one page of all", query: "?per_page=100", ids: []string{"1", "2", "3", "4", "5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			posts, ok := kit.ListPosts(w, httptest.NewRequest("GET", "/posts"+tc.query, nil))
			require.True(t, ok, w.Body.String())
			ids := []string{}
			for _, p := range posts {
				ids = append(ids, p.ID)
			}
			assert.Equal(t, tc.ids, ids)
		})
	}
	t.Run("a bad page is answered 422", func(t *testing.T) {
		w := httptest.NewRecorder()
		_, ok := kit.ListPosts(w, httptest.NewRequest("GET", "/posts?page=x", nil))
		assert.False(t, ok)
		assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
		assert.Contains(t, w.Body.String(), `"field":"page","code":"invalid"`)
	})
}
