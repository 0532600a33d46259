package useragent_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/useragent"
)

// seedBody is the seed's refusal, word for word.
const seedBody = "Request forbidden by administrative rules.\n" +
	"Please make sure your request has a User-Agent header.\n" +
	"Check https://developer.myblog.com for other possible causes.\n"

// refusalHeader is the whole header set of a refusal with the seed's body.
var refusalHeader = http.Header{
	"Connection":             {"close"},
	"Content-Length":         {"160"},
	"Content-Type":           {"text/html"},
	"X-Content-Type-Options": {"nosniff"},
}

func newMiddleware(t testing.TB, cfg useragent.Config) *useragent.Middleware {
	t.Helper()
	m, err := useragent.New(cfg)
	require.NoError(t, err)
	return m
}

// next answers 200 "next" and marks that it ran.
var next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Next", "ran")
	_, _ = io.WriteString(w, "next")
})

// newRequest builds a request whose User-Agent field lines are exactly
// lines (none when lines is nil), as a transport could deliver them.
func newRequest(method, path string, lines []string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	if lines != nil {
		r.Header["User-Agent"] = lines
	}
	return r
}

func TestHandler(t *testing.T) {
	h := newMiddleware(t, useragent.Config{}).Handler(next)
	tests := []struct {
		name      string
		userAgent []string
		refused   bool
	}{
		{name: "no User-Agent: refused", userAgent: nil, refused: true},
		{name: "empty User-Agent: refused", userAgent: []string{""}, refused: true},
		{name: "spaces only: refused", userAgent: []string{"   "}, refused: true},
		{name: "tabs and spaces only: refused", userAgent: []string{" \t "}, refused: true},
		{name: "other ASCII whitespace only: refused", userAgent: []string{"\r\n\v\f"}, refused: true},
		{name: "several blank lines: refused", userAgent: []string{"", " "}, refused: true},
		{name: "a header with no line: refused", userAgent: []string{}, refused: true},
		{name: "curl", userAgent: []string{"curl/8.5.0"}},
		{name: "GitHub's example", userAgent: []string{"Awesome-Octocat-App"}},
		{name: "Go's default client", userAgent: []string{"Go-http-client/1.1"}},
		{name: "one character", userAgent: []string{"x"}},
		{name: "padded with spaces", userAgent: []string{"  my-app  "}},
		{name: "a second line that is not blank", userAgent: []string{"", "my-app"}},
		{name: "non-ASCII is not blank", userAgent: []string{"\u00a0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest(http.MethodGet, "/posts", tt.userAgent))
			if tt.refused {
				assert.Equal(t, http.StatusForbidden, w.Code)
				assert.Equal(t, refusalHeader, w.Header())
				assert.Equal(t, seedBody, w.Body.String())
				return
			}
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, http.Header{"X-Next": {"ran"}, "Content-Type": {"text/plain; charset=utf-8"}}, w.Header())
			assert.Equal(t, "next", w.Body.String())
		})
	}
}

func TestHandlerHead(t *testing.T) {
	h := newMiddleware(t, useragent.Config{}).Handler(next)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(http.MethodHead, "/posts", nil))
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Equal(t, refusalHeader, w.Header(), "HEAD: the headers of the GET")
	assert.Empty(t, w.Body.String(), "HEAD: no body")
}

func TestHandlerKeepsOuterHeaders(t *testing.T) {
	h := newMiddleware(t, useragent.Config{}).Handler(next)
	w := httptest.NewRecorder()
	w.Header().Set("X-Myblog-Request-Id", "5d1f3c1e-0c4b-4e5a-9d7e-2f7b1a3c4d5e")
	h.ServeHTTP(w, newRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Equal(t, "5d1f3c1e-0c4b-4e5a-9d7e-2f7b1a3c4d5e", w.Header().Get("X-Myblog-Request-Id"))
}

func TestExempt(t *testing.T) {
	calls := 0
	h := newMiddleware(t, useragent.Config{Exempt: func(r *http.Request) bool {
		calls++
		return r.URL.Path == "/healthz"
	}}).Handler(next)
	tests := []struct {
		name      string
		path      string
		userAgent []string
		code      int
		calls     int
	}{
		{name: "exempt path without User-Agent passes", path: "/healthz", code: http.StatusOK, calls: 1},
		{name: "other path without User-Agent refused", path: "/posts", code: http.StatusForbidden, calls: 1},
		{name: "with a User-Agent Exempt is not asked", path: "/posts", userAgent: []string{"curl/8.5.0"}, code: http.StatusOK, calls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest(http.MethodGet, tt.path, tt.userAgent))
			assert.Equal(t, tt.code, w.Code)
			assert.Equal(t, tt.calls, calls)
		})
	}
}

func TestSite(t *testing.T) {
	tests := []struct {
		name string
		site string
		want string // the third line of the body
	}{
		{name: "default", site: "", want: "Check https://developer.myblog.com for other possible causes."},
		{name: "https with a path", site: "https://docs.example.com/api/", want: "Check https://docs.example.com/api/ for other possible causes."},
		{name: "http with a port", site: "http://localhost:8080", want: "Check http://localhost:8080 for other possible causes."},
		{name: "a query without &", site: "https://example.com/help?topic=user-agent", want: "Check https://example.com/help?topic=user-agent for other possible causes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMiddleware(t, useragent.Config{Site: tt.site}).Handler(next)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest(http.MethodGet, "/", nil))
			want := "Request forbidden by administrative rules.\nPlease make sure your request has a User-Agent header.\n" + tt.want + "\n"
			assert.Equal(t, want, w.Body.String())
			assert.Equal(t, []string{strconv.Itoa(len(want))}, w.Header()["Content-Length"])
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		site string
		want string
	}{
		{name: "relative", site: "developer.myblog.com", want: `useragent: Config.Site: "developer.myblog.com" must be an absolute http or https URL`},
		{name: "another scheme", site: "ftp://developer.myblog.com", want: `useragent: Config.Site: "ftp://developer.myblog.com" must be an absolute http or https URL`},
		{name: "no host", site: "https://", want: `useragent: Config.Site: "https://" has no host`},
		{name: "opaque", site: "https:developer.myblog.com", want: `useragent: Config.Site: "https:developer.myblog.com" has no host`},
		{name: "a port but no host", site: "https://:443", want: `useragent: Config.Site: "https://:443" has no host`},
		{name: "user information", site: "https://user:pass@developer.myblog.com", want: `useragent: Config.Site: "https://user:pass@developer.myblog.com" must not hold user information`},
		{name: "a space", site: "https://developer.myblog.com/a b", want: `useragent: Config.Site: "https://developer.myblog.com/a b" may hold only visible ASCII characters other than < > & " '`},
		{name: "markup", site: "https://x.com/<script>", want: `useragent: Config.Site: "https://x.com/<script>" may hold only visible ASCII characters other than < > & " '`},
		{name: "an entity", site: "https://x.com/?a=1&amp;b=2", want: `useragent: Config.Site: "https://x.com/?a=1&amp;b=2" may hold only visible ASCII characters other than < > & " '`},
		{name: "a line break", site: "https://x.com/\nSet-Cookie: a=b", want: `useragent: Config.Site: "https://x.com/\nSet-Cookie: a=b" may hold only visible ASCII characters other than < > & " '`},
		{name: "non-ASCII", site: "https://bücher.example", want: `useragent: Config.Site: "https://bücher.example" may hold only visible ASCII characters other than < > & " '`},
		{name: "not a URL", site: "https://x.com:port", want: `useragent: Config.Site: "https://x.com:port" is not a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := useragent.New(useragent.Config{Site: tt.site})
			require.Error(t, err)
			assert.Nil(t, m)
			assert.EqualError(t, err, tt.want)
			var configErr *useragent.ConfigError
			require.True(t, errors.As(err, &configErr))
			assert.Equal(t, "Site", configErr.Field)
		})
	}
}

// appendingWriter is an outer middleware's writer that adds to headers
// as the response goes out, as a careless logger or tracer might.
type appendingWriter struct{ http.ResponseWriter }

func (w appendingWriter) WriteHeader(code int) {
	for _, key := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options", "Connection"} {
		w.Header().Add(key, "outer")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w appendingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The shared header values have len == cap: an Add outside on one
// response cannot reach the next one (rs/cors issue 198).
func TestSharedHeaderValuesDoNotLeak(t *testing.T) {
	h := newMiddleware(t, useragent.Config{}).Handler(next)
	first := httptest.NewRecorder()
	h.ServeHTTP(appendingWriter{first}, newRequest(http.MethodGet, "/", nil))
	require.Equal(t, []string{"text/html", "outer"}, first.Header()["Content-Type"])

	second := httptest.NewRecorder()
	h.ServeHTTP(second, newRequest(http.MethodGet, "/", nil))
	assert.Equal(t, refusalHeader, second.Header())
}

func TestPassAllocatesNothing(t *testing.T) {
	h := newMiddleware(t, useragent.Config{Exempt: func(*http.Request) bool { return false }}).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := newRequest(http.MethodGet, "/posts", []string{"curl/8.5.0"})
	w := httptest.NewRecorder()
	allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
	assert.Zero(t, allocs)
}

// In a real stack, over a real connection: the refusal closes it, a
// request that passes keeps it.
func TestServer(t *testing.T) {
	ua := newMiddleware(t, useragent.Config{})
	srv := httptest.NewServer(ua.Handler(next))
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		userAgent string
		code      int
		body      string
		closed    bool
	}{
		// Go's client leaves User-Agent out when it is set to "".
		{name: "no User-Agent", userAgent: "", code: http.StatusForbidden, body: seedBody, closed: true},
		{name: "blank User-Agent", userAgent: " ", code: http.StatusForbidden, body: seedBody, closed: true},
		{name: "a User-Agent", userAgent: "my-app/1.0", code: http.StatusOK, body: "next"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/posts", nil)
			require.NoError(t, err)
			req.Header.Set("User-Agent", tt.userAgent)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Equal(t, tt.body, string(body))
			assert.Equal(t, tt.closed, resp.Close, "Connection: close")
			if tt.closed {
				assert.Equal(t, "text/html", resp.Header.Get("Content-Type"))
				assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
				assert.Equal(t, int64(len(seedBody)), resp.ContentLength)
				assert.True(t, strings.HasPrefix(string(body), "Request forbidden"))
			}
		})
	}
}

func TestOnForbiddenReplacesThePage(t *testing.T) {
	m, err := useragent.New(useragent.Config{OnForbidden: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"Missing User-Agent"}`))
	})})
	require.NoError(t, err)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Del("User-Agent")
	w := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("next ran") })).ServeHTTP(w, r)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, `{"message":"Missing User-Agent"}`, w.Body.String())
}
