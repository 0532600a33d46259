package conditional_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
)

const body = `{"login":"octocat","id":1}`

var bodyETag = conditional.ETag([]byte(body))

func newMiddleware(t testing.TB, mutate ...func(*conditional.Config)) *conditional.Middleware {
	t.Helper()
	errs, err := apierrors.NewWriter(apierrors.Config{})
	require.NoError(t, err)
	cfg := conditional.Config{
		Errors:        errs,
		Authenticated: func(r *http.Request) bool { return r.Header.Get("Authorization") != "" },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	m, err := conditional.New(cfg)
	require.NoError(t, err)
	return m
}

// resource answers like a handler that renders JSON: headers, then one
// or more writes.
func resource(header map[string]string, chunks ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if len(chunks) == 0 {
			chunks = []string{body}
		}
		for _, c := range chunks {
			_, _ = w.Write([]byte(c))
		}
	}
}

func serve(h http.Handler, method string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/user", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestGetComputesETag(t *testing.T) {
	m := newMiddleware(t)
	w := serve(m.Handler(resource(nil)), "GET")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, body, w.Body.String())
	assert.Equal(t, http.Header{
		"Etag":           {bodyETag},
		"Content-Length": {"26"},
		"Content-Type":   {"application/json; charset=utf-8"},
		"Cache-Control":  {"public, max-age=60, s-maxage=60"},
		"Vary":           {"Accept, Authorization, Cookie"},
	}, w.Header())
}

func TestNotModified(t *testing.T) {
	m := newMiddleware(t)
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// What the outer middlewares set before the handler runs.
			h := w.Header()
			h.Set("X-RateLimit-Limit", "5000")
			h.Set("X-RateLimit-Remaining", "4996")
			h.Set("X-RateLimit-Reset", "1372700873")
			h.Set("X-RateLimit-Used", "4")
			h.Set("X-RateLimit-Resource", "core")
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", "ETag, Link")
			next.ServeHTTP(w, r)
		})
	}
	handler := outer(m.Handler(resource(map[string]string{
		"Last-Modified":    "Thu, 05 Jul 2012 15:31:30 GMT",
		"Content-Location": "/users/octocat",
		"Expires":          "Thu, 05 Jul 2012 15:32:30 GMT",
		"Content-Encoding": "identity",
	})))
	w := serve(handler, "GET", "If-None-Match", bodyETag, "Origin", "https://example.com")
	assert.Equal(t, 304, w.Code)
	assert.Empty(t, w.Body.String())
	// RFC 9110 15.4.5: a 304 keeps Cache-Control, Content-Location, Date,
	// ETag, Expires and Vary; here also Last-Modified (as GitHub),
	// X-RateLimit-* and the CORS headers; no Content-Type or -Length.
	assert.Equal(t, http.Header{
		"Etag":                          {bodyETag},
		"Last-Modified":                 {"Thu, 05 Jul 2012 15:31:30 GMT"},
		"Cache-Control":                 {"public, max-age=60, s-maxage=60"},
		"Vary":                          {"Accept, Authorization, Cookie"},
		"Content-Location":              {"/users/octocat"},
		"Expires":                       {"Thu, 05 Jul 2012 15:32:30 GMT"},
		"X-Ratelimit-Limit":             {"5000"},
		"X-Ratelimit-Remaining":         {"4996"},
		"X-Ratelimit-Reset":             {"1372700873"},
		"X-Ratelimit-Used":              {"4"},
		"X-Ratelimit-Resource":          {"core"},
		"Access-Control-Allow-Origin":   {"*"},
		"Access-Control-Expose-Headers": {"ETag, Link"},
	}, w.Header())

	// If-Modified-Since alone, against the handler's Last-Modified.
	w = serve(handler, "GET", "If-Modified-Since", "Thu, 05 Jul 2012 15:31:30 GMT")
	assert.Equal(t, 304, w.Code)
	// If-Modified-Since is ignored next to an If-None-Match that fails.
	w = serve(handler, "GET", "If-None-Match", `"stale"`, "If-Modified-Since", "Thu, 05 Jul 2012 15:31:30 GMT")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, body, w.Body.String())
}

func TestHandlerETags(t *testing.T) {
	m := newMiddleware(t)
	tests := []struct {
		name     string
		etag     string
		request  string
		wantCode int
	}{
		{"a strong handler ETag is kept", `"v42"`, `"v42"`, 304},
		{"a weak handler ETag is kept, weakly compared", `W/"v42"`, `"v42"`, 304},
		{"a stale client tag", `"v42"`, `"v41"`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(m.Handler(resource(map[string]string{"ETag": tt.etag})), "GET", "If-None-Match", tt.request)
			assert.Equal(t, tt.wantCode, w.Code)
			assert.Equal(t, tt.etag, w.Header().Get("ETag"))
		})
	}
}

func TestHead(t *testing.T) {
	m := newMiddleware(t)
	handler := m.Handler(resource(nil))
	get := serve(handler, "GET")
	head := serve(handler, "HEAD")
	assert.Equal(t, 200, head.Code)
	assert.Empty(t, head.Body.String())
	assert.Equal(t, get.Header(), head.Header(), "the ETag and Content-Length of the GET body")

	w := serve(handler, "HEAD", "If-None-Match", bodyETag)
	assert.Equal(t, 304, w.Code)

	quiet := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
	}))
	w = serve(quiet, "HEAD")
	assert.Equal(t, 200, w.Code)
	assert.Empty(t, w.Header().Get("ETag"), "a HEAD handler that renders nothing gets no made-up ETag")
	assert.Empty(t, w.Header().Get("Content-Length"))
}

func TestNon2xxIgnoresPreconditions(t *testing.T) {
	m := newMiddleware(t)
	notFound := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found"}`))
	}))
	for _, header := range [][]string{{"If-None-Match", "*"}, {"If-Match", `"x"`}, {"If-Modified-Since", "Thu, 05 Jul 2012 15:31:30 GMT"}} {
		w := serve(notFound, "GET", header...)
		assert.Equal(t, 404, w.Code, "RFC 9110 13.2.1: %v", header)
		assert.Equal(t, `{"message":"Not Found"}`, w.Body.String())
		assert.Empty(t, w.Header().Get("ETag"))
		assert.Empty(t, w.Header().Get("Cache-Control"))
	}
}

func TestIfMatchOnGet(t *testing.T) {
	m := newMiddleware(t)
	w := serve(m.Handler(resource(nil)), "GET", "If-Match", `"stale"`)
	assert.Equal(t, 412, w.Code)
	assert.Equal(t, `{"message":"Precondition Failed"}`, w.Body.String())
	assert.Empty(t, w.Header().Get("ETag"))
}

func TestLargeBodiesStream(t *testing.T) {
	m := newMiddleware(t, func(c *conditional.Config) { c.MaxBodyBytes = 64 })
	chunk := strings.Repeat("x", 40)
	handler := m.Handler(resource(nil, chunk, chunk, chunk))
	w := serve(handler, "GET")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, chunk+chunk+chunk, w.Body.String(), "every byte, in order")
	assert.Empty(t, w.Header().Get("ETag"), "no computed ETag past MaxBodyBytes")
	assert.Empty(t, w.Header().Get("Content-Length"))
	assert.Equal(t, "public, max-age=60, s-maxage=60", w.Header().Get("Cache-Control"))

	// A handler's own ETag still answers 304, and the rest of the body is
	// dropped.
	tagged := m.Handler(resource(map[string]string{"ETag": `"big"`}, chunk, chunk, chunk))
	w = serve(tagged, "GET", "If-None-Match", `"big"`)
	assert.Equal(t, 304, w.Code)
	assert.Empty(t, w.Body.String())
}

func TestFlushingHandlersStream(t *testing.T) {
	m := newMiddleware(t)
	var flushedBeforeEnd bool
	handler := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("event 1\n"))
		require.NoError(t, http.NewResponseController(w).Flush())
		flushedBeforeEnd = w.(interface{ Unwrap() http.ResponseWriter }).Unwrap().(*httptest.ResponseRecorder).Flushed
		_, _ = w.Write([]byte("event 2\n"))
		w.(http.Flusher).Flush()
	}))
	w := serve(handler, "GET")
	assert.True(t, flushedBeforeEnd, "the first event reached the client before the handler ended")
	assert.Equal(t, "event 1\nevent 2\n", w.Body.String())
	assert.Empty(t, w.Header().Get("ETag"))
}

func TestCachingHeaders(t *testing.T) {
	m := newMiddleware(t)
	w := serve(m.Handler(resource(nil)), "GET", "Authorization", "Bearer x")
	assert.Equal(t, "private, max-age=60, s-maxage=60", w.Header().Get("Cache-Control"), "authenticated: private")

	w = serve(m.Handler(resource(map[string]string{"Cache-Control": "no-store", "Vary": "Accept-Encoding, accept"})), "GET")
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), "the handler's own wins")
	assert.Equal(t, "Accept-Encoding, accept, Authorization, Cookie", w.Header().Get("Vary"), "merged without duplicates")

	w = serve(m.Handler(resource(map[string]string{"Vary": "*"})), "GET")
	assert.Equal(t, "*", w.Header().Get("Vary"))

	custom := newMiddleware(t, func(c *conditional.Config) {
		c.PublicCacheControl = "public, max-age=300"
		c.Vary = []string{}
	})
	w = serve(custom.Handler(resource(nil)), "GET")
	assert.Equal(t, "public, max-age=300", w.Header().Get("Cache-Control"))
	assert.Empty(t, w.Header().Values("Vary"))

	none := newMiddleware(t, func(c *conditional.Config) { c.NoCacheControl = true })
	w = serve(none.Handler(resource(nil)), "GET")
	assert.Empty(t, w.Header().Get("Cache-Control"))
}

func TestSharedHeaderValuesNeverLeak(t *testing.T) {
	m := newMiddleware(t)
	appending := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			w.Header().Add("Cache-Control", "tampered")
			w.Header().Add("Vary", "Tampered")
		})
	}
	serve(appending(m.Handler(resource(nil))), "GET")
	w := serve(m.Handler(resource(nil)), "GET")
	assert.Equal(t, []string{"public, max-age=60, s-maxage=60"}, w.Header()["Cache-Control"])
	assert.Equal(t, []string{"Accept, Authorization, Cookie"}, w.Header()["Vary"])
}

func TestUnsafeMethodsPassThroughAndCheck(t *testing.T) {
	m := newMiddleware(t)
	current := conditional.State{Exists: true, ETag: `"v2"`, LastModified: modified}
	changed := false
	patch := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.Check(w, r, current) {
			return
		}
		changed = true
		w.WriteHeader(http.StatusOK)
	}))
	w := serve(patch, "PATCH", "If-Match", `"v1"`)
	assert.Equal(t, 412, w.Code)
	assert.Equal(t, `{"message":"Precondition Failed"}`, w.Body.String())
	assert.False(t, changed, "412 before anything changed")
	assert.Empty(t, w.Header().Get("Cache-Control"), "no caching headers on unsafe methods")

	w = serve(patch, "PATCH", "If-Match", `"v2"`)
	assert.Equal(t, 200, w.Code)
	assert.True(t, changed)

	get := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.Check(w, r, current) {
			return
		}
		t.Error("rendered a body the client has")
	}))
	w = serve(get, "GET", "If-None-Match", `"v2"`)
	assert.Equal(t, 304, w.Code)
	assert.Equal(t, `"v2"`, w.Header().Get("ETag"))
	assert.Equal(t, "Thu, 05 Jul 2012 15:31:30 GMT", w.Header().Get("Last-Modified"))
}

func TestOuterSeesTheFinalStatus(t *testing.T) {
	// The rate limiter gives back a 304's quota: it must see the 304.
	m := newMiddleware(t)
	var seen int
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&statusRecorder{ResponseWriter: w, status: &seen}, r)
		})
	}
	serve(outer(m.Handler(resource(nil))), "GET", "If-None-Match", bodyETag)
	assert.Equal(t, 304, seen)
}

type statusRecorder struct {
	http.ResponseWriter
	status *int
}

func (s *statusRecorder) WriteHeader(code int) {
	*s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func TestHandlerWritesNothing(t *testing.T) {
	m := newMiddleware(t)
	w := serve(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), "GET")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "0", w.Header().Get("Content-Length"))
	assert.Equal(t, conditional.ETag(nil), w.Header().Get("ETag"))
}

func TestHandlerPanics(t *testing.T) {
	m := newMiddleware(t)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("half"))
		panic("boom")
	}))
	assert.Panics(t, func() { serve(h, "GET") })
	// The pooled buffer was given back clean: the next response is whole.
	w := serve(m.Handler(resource(nil)), "GET")
	assert.Equal(t, body, w.Body.String())
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  conditional.Config
		want []string
	}{
		{
			name: "every problem at once, the package and field named once",
			cfg: conditional.Config{
				MaxBodyBytes:        -1,
				PublicCacheControl:  "public\r\nX-Evil: 1",
				PrivateCacheControl: "private\x7f",
				Vary:                []string{"Accept", "bad name"},
			},
			want: []string{
				"conditional: MaxBodyBytes: must not be negative",
				`conditional: PublicCacheControl: "public\r\nX-Evil: 1" is not a valid field value`,
				`conditional: PrivateCacheControl: "private\x7f" is not a valid field value`,
				`conditional: Vary[1]: "bad name" is not a field name`,
			},
		},
		{
			name: "bad Cache-Control values are not checked when none is sent",
			cfg:  conditional.Config{NoCacheControl: true, PublicCacheControl: "\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := conditional.New(tt.cfg)
			if tt.want == nil {
				require.NoError(t, err)
				assert.NotNil(t, m)
				return
			}
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Equal(t, strings.Join(tt.want, "\n"), err.Error())
			var ce *apierrors.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "conditional", ce.Package)
			assert.Equal(t, "MaxBodyBytes", ce.Field)
		})
	}
}

func TestBodyIsCopiedNotRetained(t *testing.T) {
	m := newMiddleware(t)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := []byte(body)
		_, _ = w.Write(b)
		copy(b, bytes.Repeat([]byte("z"), len(b))) // io.Writer: the caller may reuse b
	}))
	w := serve(h, "GET")
	assert.Equal(t, body, w.Body.String())
	assert.Equal(t, bodyETag, w.Header().Get("ETag"))
}

func TestVaryExtendedWithoutAllocating(t *testing.T) {
	m := newMiddleware(t)
	w := serve(m.Handler(resource(map[string]string{"Vary": "Accept"})), "GET")
	assert.Equal(t, []string{"Accept, Authorization, Cookie"}, w.Header()["Vary"], "Vary: Accept from the media-type negotiation, extended")
	w = serve(m.Handler(resource(map[string]string{"Vary": "Accept, Authorization"})), "GET")
	assert.Equal(t, []string{"Accept, Authorization, Cookie"}, w.Header()["Vary"])
	w = serve(m.Handler(resource(map[string]string{"Vary": "Origin"})), "GET")
	assert.Equal(t, []string{"Origin, Accept, Authorization, Cookie"}, w.Header()["Vary"])
}
