package jsonp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/render"
)

func newMiddleware(t testing.TB, mutate ...func(*jsonp.Config)) *jsonp.Middleware {
	t.Helper()
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	require.NoError(t, err)
	cfg := jsonp.Config{Errors: errs}
	for _, m := range mutate {
		m(&cfg)
	}
	m, err := jsonp.New(cfg)
	require.NoError(t, err)
	return m
}

// rateLimited stands for the rate limiter outside: it sets its headers
// before the handler runs.
func rateLimited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-RateLimit-Limit", "5000")
		h.Set("X-RateLimit-Remaining", "4966")
		h.Set("X-RateLimit-Reset", "1372700873")
		h.Set("X-RateLimit-Used", "34")
		h.Set("X-RateLimit-Resource", "core")
		next.ServeHTTP(w, r)
	})
}

func handler(status int, contentType, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Header().Set("Content-Length", "999")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

const jsonType = "application/json; charset=utf-8"

func get(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const meta = `"status":200,"X-RateLimit-Limit":"5000","X-RateLimit-Remaining":"4966","X-RateLimit-Reset":"1372700873","X-RateLimit-Used":"34","X-RateLimit-Resource":"core"`

func TestWraps(t *testing.T) {
	m := newMiddleware(t)
	tests := []struct {
		name    string
		handler http.Handler
		target  string
		want    string
	}{
		{"GitHub's example: meta with the rate limit and Link", handler(200, jsonType, `{"login":"octocat"}`, "Link", `<https://api.myblog.com?page=2>; rel="next"`), "/?callback=foo",
			`/**/foo({"meta":{` + meta + `,"Link":[["https://api.myblog.com?page=2",{"rel":"next"}]]},"data":{"login":"octocat"}})`},
		{"GitHub's Link example: other parameters too", handler(200, jsonType, `[]`, "Link", `<url1>; rel="next", <url2>; rel="foo"; bar="baz"`), "/?callback=foo",
			`/**/foo({"meta":{` + meta + `,"Link":[["url1",{"rel":"next"}],["url2",{"rel":"foo","bar":"baz"}]]},"data":[]})`},
		{"an identifier path", handler(200, jsonType, `1`), "/?callback=jQuery.callbacks.cb_1",
			`/**/jQuery.callbacks.cb_1({"meta":{` + meta + `},"data":1})`},
		{"the real status in meta, 200 outside", handler(404, jsonType, `{"message":"Not Found"}`), "/?callback=cb",
			`/**/cb({"meta":{` + strings.Replace(meta, "200", "404", 1) + `},"data":{"message":"Not Found"}})`},
		{"a non-JSON body is a string", handler(200, "text/plain", "</script><script>alert(1)</script>"), "/?callback=cb",
			`/**/cb({"meta":{` + meta + `},"data":"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e"})`},
		{"invalid JSON labelled JSON is a string, so it cannot break out", handler(200, jsonType, `1});alert(1);//`), "/?callback=cb",
			`/**/cb({"meta":{` + meta + `},"data":"1});alert(1);//"})`},
		{"U+2028 and U+2029 escaped", handler(200, jsonType, "\"a\u2028b\u2029c\""), "/?callback=cb",
			`/**/cb({"meta":{` + meta + `},"data":"a\u2028b\u2029c"})`},
		{"no body: null", handler(204, "", ""), "/?callback=cb",
			`/**/cb({"meta":{` + strings.Replace(meta, "200", "204", 1) + `},"data":null})`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(rateLimited(m.Handler(tt.handler)), tt.target)
			assert.Equal(t, 200, w.Code)
			assert.Equal(t, tt.want, w.Body.String())
			assert.Equal(t, "application/javascript; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			assert.Equal(t, len(tt.want), int(w.Result().ContentLength), "Content-Length of the script, not the handler's")
		})
	}
}

func TestBadCallbacks(t *testing.T) {
	m := newMiddleware(t)
	for _, callback := range []string{
		"alert(1)", "a;alert(1)", "1abc", "a..b", ".a", "a.", "a-b", "a%20b", "%3Cscript%3E",
		"caf%C3%A9", strings.Repeat("a", 129), "a%00", "a[0]",
	} {
		t.Run(callback, func(t *testing.T) {
			w := get(m.Handler(handler(200, jsonType, `{}`)), "/?callback="+callback)
			assert.Equal(t, 400, w.Code)
			assert.Equal(t, `{"message":"Invalid callback: use a JavaScript function name such as foo or jQuery123_456, or a.b.c","documentation_url":"https://developer.myblog.com/v3"}`, w.Body.String())
		})
	}
}

func TestValidCallback(t *testing.T) {
	for name, want := range map[string]bool{
		"foo": true, "jQuery123_456": true, "a.b.c": true, "$": true, "_x.$y": true, strings.Repeat("a", 128): true,
		"": false, "1a": false, "a.1": false, "a b": false, "a-b": false, "a.": false, "é": false,
	} {
		assert.Equal(t, want, jsonp.ValidCallback(name), name)
	}
}

func TestPassesThrough(t *testing.T) {
	m := newMiddleware(t)
	h := m.Handler(handler(200, jsonType, `{"ok":true}`))
	tests := []struct {
		name   string
		method string
		target string
	}{
		{"no callback", "GET", "/"},
		{"an empty callback", "GET", "/?callback="},
		{"POST", "POST", "/?callback=cb"},
		{"HEAD", "HEAD", "/?callback=cb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, jsonType, w.Header().Get("Content-Type"))
			if tt.method != "HEAD" {
				assert.Equal(t, `{"ok":true}`, w.Body.String())
			}
		})
	}
}

func TestConfiguredHeadersAndParam(t *testing.T) {
	m := newMiddleware(t, func(c *jsonp.Config) {
		c.Param = "jsonp"
		c.Headers = []string{"X-myblog-Media-Type", "x-ratelimit-limit"}
	})
	h := m.Handler(handler(200, jsonType, `{}`, "X-Myblog-Media-Type", "myblog.v3; format=json", "X-RateLimit-Limit", "60"))
	w := get(h, "/?jsonp=cb")
	assert.Equal(t, `/**/cb({"meta":{"status":200,"X-RateLimit-Limit":"60","X-myblog-Media-Type":"myblog.v3; format=json"},"data":{}})`, w.Body.String())
}

func TestEveryRateLimitHeader(t *testing.T) {
	m := newMiddleware(t)
	h := m.Handler(handler(200, jsonType, `{}`, "X-RateLimit-Search-Remaining", "9", "X-RateLimit-Abuse", "x", "X-RateLimit-Limit", "60"))
	w := get(h, "/?callback=cb")
	assert.Equal(t, `/**/cb({"meta":{"status":200,"X-RateLimit-Limit":"60","X-RateLimit-Abuse":"x","X-RateLimit-Search-Remaining":"9"},"data":{}})`, w.Body.String())
}

func TestNeverABare304(t *testing.T) {
	m := newMiddleware(t)
	cond, err := conditional.New(conditional.Config{})
	require.NoError(t, err)
	inner := cond.Handler(handler(200, jsonType, `{"login":"octocat"}`))
	plain := get(inner, "/user")
	etag := plain.Header().Get("ETag")
	require.NotEmpty(t, etag)

	w := get(m.Handler(inner), "/user?callback=cb", "If-None-Match", etag)
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, `/**/cb({"meta":{"status":200},"data":{"login":"octocat"}})`, w.Body.String())
	assert.Empty(t, w.Header().Get("ETag"), "the tag described the JSON, not this script")
}

func TestTooLarge(t *testing.T) {
	m := newMiddleware(t, func(c *jsonp.Config) { c.MaxBodyBytes = 10 })
	w := get(m.Handler(handler(200, jsonType, `{"a":"0123456789"}`)), "/?callback=cb")
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, `/**/cb({"meta":{"status":500},"data":{"message":"The response is too large for JSON-P"}})`, w.Body.String())
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := jsonp.New(jsonp.Config{Param: "call back", MaxBodyBytes: -1, Headers: []string{"X-Ok", "bad name"}})
	require.Error(t, err)
	assert.Equal(t, `jsonp: Param: "call back" must not need escaping in a query`+"\n"+
		"jsonp: MaxBodyBytes: must not be negative\n"+
		`jsonp: Headers[1]: "bad name" is not a field name`, err.Error())
	var ce *apierrors.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, &apierrors.ConfigError{Package: "jsonp", Field: "Param", Reason: `"call back" must not need escaping in a query`}, ce)
}

// A JSON-P request is served anonymous: a browser attaches its cookies
// and cached Basic credentials to any page's script tag, so the handler
// must never see them there; a request without a callback keeps them.
func TestScriptsAreAnonymous(t *testing.T) {
	m := newMiddleware(t)
	seen := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		_, _ = fmt.Fprintf(w, `{"authorization":%q,"cookie":%q}`, r.Header.Get("Authorization"), r.Header.Get("Cookie"))
	})
	tests := []struct {
		name   string
		target string
		want   string
	}{
		{"a script", "/user?callback=cb", `/**/cb({"meta":{"status":200},"data":{"authorization":"","cookie":""}})`},
		{"a plain request keeps them", "/user", `{"authorization":"Basic b2N0b2NhdDpwdw==","cookie":"session=1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(m.Handler(seen), tt.target, "Authorization", "Basic b2N0b2NhdDpwdw==", "Cookie", "session=1")
			assert.Equal(t, tt.want, w.Body.String())
		})
	}
	// The caller's request is not changed.
	r := httptest.NewRequest("GET", "/user?callback=cb", nil)
	r.Header.Set("Authorization", "token abc")
	m.Handler(seen).ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "token abc", r.Header.Get("Authorization"))
}

// The script's data is the resource itself: a handler answering through
// an enveloped render.Renderer writes the bare representation for a
// script, and the envelope otherwise.
func TestDataIsTheBareResource(t *testing.T) {
	rd := render.New(render.Config{Envelope: true})
	posts := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.JSON(w, r, http.StatusOK, []map[string]string{{"title": "Hello"}})
	})
	tests := []struct {
		name   string
		target string
		body   string
	}{
		{"a script", "/posts?callback=show", `/**/show({"meta":{"status":200},"data":[{"title":"Hello"}]})`},
		{"no script", "/posts", `{"data":[{"title":"Hello"}],"code":"200","msg":"SUCCESS"}`},
	}
	h := newMiddleware(t).Handler(posts)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.body, get(h, tt.target).Body.String())
		})
	}
}
