package useragent_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/useragent"
)

// refusalBody is the default 403, GitHub's shape and words.
const refusalBody = `{"message":"Request forbidden by administrative rules. Please make sure your request has a User-Agent header."}`

// refusalHeader is the whole header set of the default refusal.
var refusalHeader = http.Header{
	"Connection":             {"close"},
	"Content-Length":         {strconv.Itoa(len(refusalBody))},
	"Content-Type":           {"application/json; charset=utf-8"},
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
				assert.Equal(t, refusalBody, w.Body.String())
				return
			}
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, http.Header{"X-Next": {"ran"}, "Content-Type": {"text/plain; charset=utf-8"}}, w.Header())
			assert.Equal(t, "next", w.Body.String())
		})
	}
}

func TestErrorsWriter(t *testing.T) {
	errs, err := apierrors.NewWriter(apierrors.Config{Format: apierrors.FormatHeroku, DocumentationURL: "https://developer.example.com/v3"})
	require.NoError(t, err)
	h := newMiddleware(t, useragent.Config{Errors: errs, Site: "https://developer.example.com"}).Handler(next)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(http.MethodGet, "/posts", nil))
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.JSONEq(t, `{
		"id": "user_agent_required",
		"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header. Check https://developer.example.com for other possible causes.",
		"url": "https://developer.example.com/v3"
	}`, w.Body.String())
	assert.Equal(t, "close", w.Header().Get("Connection"))
}

func TestHandlerKeepsOuterHeaders(t *testing.T) {
	h := newMiddleware(t, useragent.Config{}).Handler(next)
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "5d1f3c1e-0c4b-4e5a-9d7e-2f7b1a3c4d5e")
	h.ServeHTTP(w, newRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Equal(t, "5d1f3c1e-0c4b-4e5a-9d7e-2f7b1a3c4d5e", w.Header().Get("X-Request-Id"))
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
		want string // the last sentence of the message
	}{
		{name: "none: no site named", site: "", want: ""},
		{name: "https with a path", site: "https://docs.example.com/api/", want: " Check https://docs.example.com/api/ for other possible causes."},
		{name: "http with a port", site: "http://localhost:8080", want: " Check http://localhost:8080 for other possible causes."},
		{name: "a query without &", site: "https://example.com/help?topic=user-agent", want: " Check https://example.com/help?topic=user-agent for other possible causes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMiddleware(t, useragent.Config{Site: tt.site}).Handler(next)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest(http.MethodGet, "/", nil))
			var body struct{ Message string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Equal(t, useragent.MsgForbidden+tt.want, body.Message)
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		site string
		want string
	}{
		{name: "relative", site: "developer.example.com", want: `useragent: Site: "developer.example.com" must be an absolute http or https URL`},
		{name: "another scheme", site: "ftp://developer.example.com", want: `useragent: Site: "ftp://developer.example.com" must be an absolute http or https URL`},
		{name: "no host", site: "https://", want: `useragent: Site: "https://" has no host`},
		{name: "opaque", site: "https:developer.example.com", want: `useragent: Site: "https:developer.example.com" has no host`},
		{name: "a port but no host", site: "https://:443", want: `useragent: Site: "https://:443" has no host`},
		{name: "user information", site: "https://user:pass@developer.example.com", want: `useragent: Site: "https://user:pass@developer.example.com" must not hold user information`},
		{name: "a space", site: "https://developer.example.com/a b", want: `useragent: Site: "https://developer.example.com/a b" may hold only visible ASCII characters other than < > & " '`},
		{name: "markup", site: "https://x.com/<script>", want: `useragent: Site: "https://x.com/<script>" may hold only visible ASCII characters other than < > & " '`},
		{name: "an entity", site: "https://x.com/?a=1&amp;b=2", want: `useragent: Site: "https://x.com/?a=1&amp;b=2" may hold only visible ASCII characters other than < > & " '`},
		{name: "a line break", site: "https://x.com/\nSet-Cookie: a=b", want: `useragent: Site: "https://x.com/\nSet-Cookie: a=b" may hold only visible ASCII characters other than < > & " '`},
		{name: "non-ASCII", site: "https://bücher.example", want: `useragent: Site: "https://bücher.example" may hold only visible ASCII characters other than < > & " '`},
		{name: "not a URL", site: "https://x.com:port", want: `useragent: Site: "https://x.com:port" is not a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := useragent.New(useragent.Config{Site: tt.site})
			require.Error(t, err)
			assert.Nil(t, m)
			assert.EqualError(t, err, tt.want)
			var configErr *apierrors.ConfigError
			require.ErrorAs(t, err, &configErr)
			assert.Equal(t, "useragent", configErr.Package)
			assert.Equal(t, "Site", configErr.Field)
		})
	}
}

// appendingWriter is an outer middleware's writer that adds to headers
// as the response goes out, as a careless logger or tracer might.
type appendingWriter struct{ http.ResponseWriter }

func (w appendingWriter) WriteHeader(code int) {
	w.Header().Add("Connection", "outer")
	w.ResponseWriter.WriteHeader(code)
}

func (w appendingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The shared Connection value has len == cap: an Add outside on one
// response cannot reach the next one (rs/cors issue 198).
func TestSharedHeaderValuesDoNotLeak(t *testing.T) {
	h := newMiddleware(t, useragent.Config{}).Handler(next)
	first := httptest.NewRecorder()
	h.ServeHTTP(appendingWriter{first}, newRequest(http.MethodGet, "/", nil))
	require.Equal(t, []string{"close", "outer"}, first.Header()["Connection"])

	second := httptest.NewRecorder()
	h.ServeHTTP(second, newRequest(http.MethodGet, "/", nil))
	assert.Equal(t, refusalHeader, second.Header())
}

// counter is an Observer that allocates nothing itself.
type counter struct{ n int }

func (c *counter) Observe(observe.Event) { c.n++ }

func TestPassAllocatesNothing(t *testing.T) {
	for _, observer := range []*counter{nil, {}} {
		cfg := useragent.Config{Exempt: func(*http.Request) bool { return false }}
		if observer != nil {
			cfg.Observer = observer
		}
		h := newMiddleware(t, cfg).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		r := newRequest(http.MethodGet, "/posts", []string{"curl/8.5.0"})
		w := httptest.NewRecorder()
		allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
		assert.Zero(t, allocs, "observer %v", observer != nil)
	}
}

// recorder is an Observer that keeps what it saw.
type recorder struct {
	mu     sync.Mutex
	events []observe.Event
}

func (o *recorder) Observe(ev observe.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev)
}

func TestObserver(t *testing.T) {
	var seen recorder
	h := newMiddleware(t, useragent.Config{
		Observer: &seen,
		Exempt:   func(r *http.Request) bool { return r.URL.Path == "/healthz" },
	}).Handler(next)
	requests := []*http.Request{
		newRequest(http.MethodGet, "/posts", []string{"curl/8.5.0"}),
		newRequest(http.MethodGet, "/posts", nil),
		newRequest(http.MethodGet, "/healthz", nil),
		newRequest(http.MethodPost, "/posts", []string{" "}),
	}
	for _, r := range requests {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	assert.Equal(t, []observe.Event{
		{Middleware: "useragent", Decision: observe.Forbidden, Detail: "user_agent", Request: requests[1]},
		{Middleware: "useragent", Decision: observe.Forbidden, Detail: "user_agent", Request: requests[3]},
	}, seen.events, "only the refusals; a pass and an exempt request are no decision")
}

// do sends one request to srv and returns its response, body read.
func do(t *testing.T, srv *httptest.Server, method, userAgent string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/posts", nil)
	require.NoError(t, err)
	// Go's client leaves User-Agent out when it is set to "".
	req.Header.Set("User-Agent", userAgent)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// In a real stack, over a real connection: the refusal closes it, a
// request that passes keeps it.
func TestServer(t *testing.T) {
	srv := httptest.NewServer(newMiddleware(t, useragent.Config{}).Handler(next))
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		method    string
		userAgent string
		code      int
		body      string
		closed    bool
	}{
		{name: "no User-Agent", method: http.MethodGet, userAgent: "", code: http.StatusForbidden, body: refusalBody, closed: true},
		{name: "blank User-Agent", method: http.MethodGet, userAgent: " ", code: http.StatusForbidden, body: refusalBody, closed: true},
		{name: "HEAD: the headers of the GET, no body", method: http.MethodHead, userAgent: "", code: http.StatusForbidden, body: "", closed: true},
		{name: "a User-Agent", method: http.MethodGet, userAgent: "my-app/1.0", code: http.StatusOK, body: "next"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, srv, tt.method, tt.userAgent)
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Equal(t, tt.body, body)
			assert.Equal(t, tt.closed, resp.Close, "Connection: close")
			if tt.closed {
				assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
				assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
				assert.Equal(t, int64(len(refusalBody)), resp.ContentLength)
			}
		})
	}
}

// A custom hook's status, headers and body arrive whole on a real
// connection, and the middleware's own header was set before it ran.
func TestOnErrorOnARealServer(t *testing.T) {
	var got *apierrors.Error
	var connectionBeforeHook string
	m := newMiddleware(t, useragent.Config{
		Site: "https://developer.example.com",
		OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			got = e
			connectionBeforeHook = w.Header().Get("Connection")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Hook", "ran")
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, "say who you are\n")
		},
	})
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("next ran") })))
	t.Cleanup(srv.Close)

	resp, body := do(t, srv, http.MethodGet, "")
	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "ran", resp.Header.Get("X-Hook"))
	assert.Equal(t, "say who you are\n", body)
	assert.True(t, resp.Close, "the middleware's Connection: close went out with the hook's answer")
	assert.Equal(t, "close", connectionBeforeHook, "set before the hook ran")
	require.NotNil(t, got)
	assert.Equal(t, &apierrors.Error{
		Status:  http.StatusForbidden,
		Message: useragent.MsgForbidden + " Check https://developer.example.com for other possible causes.",
		ID:      "user_agent_required",
	}, got)
}

// A hook gets an Error of its own: changing it changes no later refusal.
func TestOnErrorGetsItsOwnError(t *testing.T) {
	var kept []*apierrors.Error
	m := newMiddleware(t, useragent.Config{OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		kept = append(kept, e)
		(*apierrors.Writer)(nil).WriteError(w, r, e)
		e.Message = "changed after writing"
	}})
	h := m.Handler(next)
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newRequest(http.MethodGet, "/", nil))
		assert.Equal(t, refusalBody, w.Body.String())
	}
	require.Len(t, kept, 2)
	assert.NotSame(t, kept[0], kept[1])
}
