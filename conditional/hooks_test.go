package conditional_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
)

// A custom OnError answers the 412 whole on a real server: its status,
// its own Content-Type and body reach the client, and the headers the
// middleware sets (Cache-Control, Vary, the computed ETag) were set before
// it ran.
func TestOnErrorAnswersWholeOnARealServer(t *testing.T) {
	type call struct {
		err    *apierrors.Error
		header http.Header
	}
	calls := make(chan call, 1)
	m := newMiddleware(t, func(c *conditional.Config) {
		c.OnError = func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			calls <- call{err: e, header: w.Header().Clone()}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Refused-By", "hook")
			w.WriteHeader(e.Status)
			_, _ = io.WriteString(w, "stale copy: "+e.Message+"\n")
		}
	})
	current := conditional.State{Exists: true, ETag: `"v2"`}
	mux := http.NewServeMux()
	mux.Handle("GET /user", m.Handler(resource(nil)))
	mux.Handle("PATCH /user", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.Check(w, r, current) {
			return
		}
		t.Error("a PATCH of a stale copy changed something")
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name       string
		method     string
		ifMatch    string
		wantHeader map[string]string // set by the middleware before the hook ran
	}{
		{
			name: "RFC 9110 13.1.1: GET with a stale If-Match", method: http.MethodGet, ifMatch: `"stale"`,
			wantHeader: map[string]string{
				"Cache-Control": "public, max-age=60, s-maxage=60",
				"Vary":          "Accept, Authorization, Cookie",
				"Etag":          bodyETag,
				"Content-Type":  "application/json; charset=utf-8", // the handler's, which the hook replaces
			},
		},
		{
			name: "RFC 9110 13.1.1: Check refuses a PATCH of a stale copy", method: http.MethodPatch, ifMatch: `"v1"`,
			wantHeader: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+"/user", nil)
			require.NoError(t, err)
			req.Header.Set("If-Match", tt.ifMatch)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())

			assert.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "hook", resp.Header.Get("X-Refused-By"))
			assert.Equal(t, "stale copy: Precondition Failed\n", string(got))

			c := <-calls
			assert.Equal(t, &apierrors.Error{Status: http.StatusPreconditionFailed, Message: conditional.MsgPreconditionFailed, ID: "precondition_failed"}, c.err)
			for key, want := range tt.wantHeader {
				assert.Equal(t, want, c.header.Get(key), key)
			}
			assert.Empty(t, c.header.Get("Content-Length"), "no Content-Length of a body the 412 replaces")
		})
	}
}

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (o *recorder) Observe(ev observe.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev.Middleware+" "+string(ev.Decision)+" "+ev.Detail+" "+ev.Request.Method)
}

func TestObserverSeesEvery304And412(t *testing.T) {
	obs := &recorder{}
	m := newMiddleware(t, func(c *conditional.Config) { c.Observer = obs })
	get := m.Handler(resource(map[string]string{"Last-Modified": "Thu, 05 Jul 2012 15:31:30 GMT"}))
	current := conditional.State{Exists: true, ETag: `"v2"`, LastModified: modified}
	check := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Check(w, r, current) {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	traffic := []struct {
		h      http.Handler
		method string
		header []string
		code   int
	}{
		{get, "GET", nil, 200},
		{get, "GET", []string{"If-None-Match", `"stale"`}, 200},
		{get, "GET", []string{"If-None-Match", bodyETag}, 304},
		{get, "HEAD", []string{"If-None-Match", bodyETag}, 304},
		{get, "GET", []string{"If-Modified-Since", "Thu, 05 Jul 2012 15:31:30 GMT"}, 304},
		{get, "GET", []string{"If-Match", `"stale"`}, 412},
		{get, "GET", []string{"If-Unmodified-Since", "Thu, 05 Jul 2012 15:00:00 GMT"}, 412},
		{check, "PATCH", []string{"If-Match", `"v2"`}, 204},
		{check, "PATCH", []string{"If-Match", `"v1"`}, 412},
		{check, "DELETE", []string{"If-Unmodified-Since", "Thu, 05 Jul 2012 15:00:00 GMT"}, 412},
		{check, "GET", []string{"If-None-Match", `"v2"`}, 304},
	}
	for _, req := range traffic {
		w := serve(req.h, req.method, req.header...)
		require.Equal(t, req.code, w.Code, "%s %v", req.method, req.header)
	}
	assert.Equal(t, []string{
		"conditional not_modified etag GET",
		"conditional not_modified etag HEAD",
		"conditional not_modified last_modified GET",
		"conditional precondition_failed etag GET",
		"conditional precondition_failed last_modified GET",
		"conditional precondition_failed etag PATCH",
		"conditional precondition_failed last_modified DELETE",
		"conditional not_modified etag GET",
	}, obs.events)
}

// A nil Observer costs nothing, and a set one no allocation either.
func TestObserverCostsNoAllocation(t *testing.T) {
	var count int
	counting := observe.Func(func(observe.Event) { count++ })
	allocs := map[string]float64{}
	for name, o := range map[string]observe.Observer{"nil": nil, "set": counting} {
		m := newMiddleware(t, func(c *conditional.Config) { c.Observer = o })
		h := m.Handler(resource(nil))
		r := httptest.NewRequest("GET", "/user", nil)
		r.Header.Set("If-None-Match", bodyETag)
		w := &discard{header: http.Header{}}
		allocs[name] = testing.AllocsPerRun(100, func() {
			clear(w.header)
			h.ServeHTTP(w, r)
		})
		assert.Equal(t, http.StatusNotModified, w.code)
	}
	assert.Equal(t, allocs["nil"], allocs["set"])
	assert.Equal(t, 101, count)
}
