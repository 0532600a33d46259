package pagination_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/pagination"
)

func TestRange(t *testing.T) {
	p := newPaginator(t, pagination.Config{RangeFields: []string{"id", "name"}})
	tests := []struct {
		name    string
		header  []string
		want    pagination.Range
		present bool
		wantErr string
	}{
		{"no Range", nil, pagination.Range{}, false, ""},
		{"Heroku's first page", []string{"Range", "id ..; max=10"}, pagination.Range{Field: "id", Max: 10}, true, ""},
		{"default max", []string{"Range", "id .."}, pagination.Range{Field: "id", Max: 30}, true, ""},
		{"exclusive start, descending", []string{"Range", "name ]my-app..; max=5, order=desc"}, pagination.Range{Field: "name", Start: "my-app", Exclusive: true, Max: 5, Descending: true}, true, ""},
		{"start and end", []string{"Range", "id 01234567..89abcdef; order=asc"}, pagination.Range{Field: "id", Start: "01234567", End: "89abcdef", Max: 30}, true, ""},
		{"an unknown field", []string{"Range", "created_at ..; max=10"}, pagination.Range{}, true, "Invalid Range header: the range must be over one of: id, name"},
		{"bytes, as a browser sends", []string{"Range", "bytes=0-100"}, pagination.Range{}, true, "Invalid Range header: the range must be over one of: id, name"},
		{"no ..", []string{"Range", "id 5; max=10"}, pagination.Range{}, true, `Invalid Range header: the range must be "start..end"`},
		{"max too big", []string{"Range", "id ..; max=1000"}, pagination.Range{}, true, "Invalid Range header: max must be a whole number from 1 to 100"},
		{"bad order", []string{"Range", "id ..; order=up"}, pagination.Range{}, true, `Invalid Range header: order must be "asc" or "desc"`},
		{"unknown parameter", []string{"Range", "id ..; limit=3"}, pagination.Range{}, true, `Invalid Range header: unknown parameter "limit"`},
		{"two Range fields", []string{"Range", "id ..", "Range", "id .."}, pagination.Range{}, true, "Invalid Range header: one Range header at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			rg, ok := p.Range(w, request("/apps", tt.header...))
			if tt.wantErr != "" {
				assert.False(t, ok)
				assert.Nil(t, rg)
				assert.Equal(t, 400, w.Code)
				assert.JSONEq(t, `{"message":`+strconv.Quote(tt.wantErr)+`}`, w.Body.String())
				return
			}
			require.True(t, ok)
			assert.Empty(t, w.Body.String(), "nothing written")
			if !tt.present {
				assert.Nil(t, rg)
				return
			}
			require.NotNil(t, rg)
			assert.Equal(t, tt.want, *rg)
		})
	}
}

func TestRangeHeaders(t *testing.T) {
	p := newPaginator(t, pagination.Config{})
	rg, ok := p.Range(httptest.NewRecorder(), request("/apps", "Range", "id ..; max=2, order=desc"))
	require.True(t, ok)
	require.NotNil(t, rg)

	w := httptest.NewRecorder()
	next := rg.Next("0f3c")
	assert.Equal(t, 206, p.SetRangeHeaders(w, &next))
	assert.Equal(t, "id ]0f3c..; max=2, order=desc", w.Header().Get("Next-Range"))
	assert.Equal(t, "id", w.Header().Get("Accept-Ranges"))

	w = httptest.NewRecorder()
	assert.Equal(t, 200, p.SetRangeHeaders(w, nil), "the last page is a 200")
	assert.Empty(t, w.Header().Get("Next-Range"))

	back, ok := p.Range(httptest.NewRecorder(), request("/apps", "Range", next.String()))
	require.True(t, ok)
	require.NotNil(t, back)
	assert.Equal(t, next, *back, "Next-Range is a valid Range")
}
