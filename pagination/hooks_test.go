package pagination_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/pagination"
)

// A custom OnError answers every refusal whole on a real server: its
// status, its own Content-Type and body reach the client, and the
// headers a middleware outside set are kept.
func TestOnErrorAnswersWholeOnARealServer(t *testing.T) {
	calls := make(chan *apierrors.Error, 1)
	p := newPaginator(t, pagination.Config{OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		calls <- e
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(e.Status)
		_, _ = io.WriteString(w, "refused: "+e.Message+"\n")
	}})
	mux := http.NewServeMux()
	mux.HandleFunc("/posts", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := p.Page(w, r); ok {
			t.Error("a bad page was accepted")
		}
	})
	mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := p.Cursor(w, r); ok {
			t.Error("two cursors were accepted")
		}
	})
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		var v struct{}
		if p.DecodeCursor(w, r, pagination.Cursor{Param: pagination.After, Value: r.URL.Query().Get("after")}, &v) {
			t.Error("a forged cursor was decoded")
		}
	})
	mux.HandleFunc("/apps", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := p.Range(w, r); ok {
			t.Error("a bad Range was accepted")
		}
	})
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4999") // set by a middleware outside
		mux.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(outer)
	defer srv.Close()

	tests := []struct {
		name    string
		path    string
		header  http.Header
		status  int
		message string
	}{
		{"a bad page: 422", "/posts?page=0", nil, 422, "Validation Failed"},
		{"two cursors: 422", "/users?since=1&after=x", nil, 422, "Validation Failed"},
		{"a forged cursor: 422", "/feed?after=forged", nil, 422, "Validation Failed"},
		{"a bad Range: 400", "/apps", http.Header{"Range": {"bytes=0-100"}}, 400, "Invalid Range header: the range must be over one of: id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())

			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "refused: "+tt.message+"\n", string(got))
			assert.Equal(t, "4999", resp.Header.Get("X-RateLimit-Remaining"))
			e := <-calls
			assert.Equal(t, tt.status, e.Status)
			assert.Equal(t, tt.message, e.Message)
		})
	}
}

func TestObserverSeesEveryRefusal(t *testing.T) {
	var mu sync.Mutex
	var details []string
	p := newPaginator(t, pagination.Config{Observer: observe.Func(func(ev observe.Event) {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, "pagination", ev.Middleware)
		assert.Equal(t, observe.Invalid, ev.Decision)
		require.NotNil(t, ev.Request)
		details = append(details, ev.Detail+" "+ev.Request.URL.Path)
	})})
	var v struct{}
	for i, step := range []struct {
		accepted bool
		run      func() bool
	}{
		{true, func() bool { _, ok := p.Page(httptest.NewRecorder(), request("/posts?page=2")); return ok }},
		{false, func() bool { _, ok := p.Page(httptest.NewRecorder(), request("/posts?page=x&per_page=0")); return ok }},
		{false, func() bool { _, ok := p.Page(httptest.NewRecorder(), request("/posts?per_page=1000")); return ok }},
		{true, func() bool { _, ok := p.Cursor(httptest.NewRecorder(), request("/users?since=1")); return ok }},
		{false, func() bool { _, ok := p.Cursor(httptest.NewRecorder(), request("/users?since=1&before=2")); return ok }},
		{false, func() bool {
			return p.DecodeCursor(httptest.NewRecorder(), request("/feed"), pagination.Cursor{Param: pagination.Before, Value: "x"}, &v)
		}},
		{true, func() bool {
			_, ok := p.Range(httptest.NewRecorder(), request("/apps", "Range", "id ..; max=5"))
			return ok
		}},
		{false, func() bool {
			_, ok := p.Range(httptest.NewRecorder(), request("/apps", "Range", "id ..; max=0"))
			return ok
		}},
	} {
		assert.Equal(t, step.accepted, step.run(), "step %d", i)
	}
	assert.Equal(t, []string{
		"page /posts",
		"per_page /posts",
		"cursor /users",
		"cursor /feed",
		"range /apps",
	}, details)
}
