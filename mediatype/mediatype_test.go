package mediatype_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/mediatype"
	"github.com/myblog/apikit/observe"
)

const headerKey = "X-Acme-Media-Type"

// echo answers 200 with the MediaType in the context, as "v3/raw/json",
// or "none".
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	m, ok := mediatype.FromContext(r.Context())
	if !ok {
		_, _ = io.WriteString(w, "none")
		return
	}
	_, _ = io.WriteString(w, m.Version+"/"+m.Param+"/"+m.Format)
})

func serve(h http.Handler, accept ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/posts/1", nil)
	for _, a := range accept {
		r.Header.Add("Accept", a)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Vendor: "acme", Params: []string{"raw", "full"}})
	h := n.Handler(echo)
	tests := []struct {
		name   string
		accept []string
		body   string
		header string
	}{
		{"no Accept", nil, "v3//json", "acme.v3; format=json"},
		{"application/json", lines("application/json"), "v3//json", "acme.v3; format=json"},
		{"GitHub's type", lines("application/vnd.github.v3+json"), "v3//json", "acme.v3; format=json"},
		{"the vendor type", lines("application/vnd.acme.v3+json"), "v3//json", "acme.v3; format=json"},
		{"raw: GitHub's header form", lines("application/vnd.acme.v3.raw+json"), "v3/raw/json", "acme.v3; param=raw; format=json"},
		{"full on a second line", lines("text/html", "application/vnd.acme.full+json"), "v3/full/json", "acme.v3; param=full; format=json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.accept...)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tt.body, w.Body.String())
			assert.Equal(t, http.Header{
				headerKey:      {tt.header},
				"Vary":         {"Accept"},
				"Content-Type": {"text/plain; charset=utf-8"},
			}, w.Header())
		})
	}
}

func TestHandlerNotAcceptable(t *testing.T) {
	called := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })

	t.Run("a nil Writer: GitHub's shape", func(t *testing.T) {
		w := serve(newNegotiator(t, mediatype.Config{}).Handler(next), "application/vnd.acme.v9+json")
		assert.False(t, called, "next never runs")
		assert.Equal(t, http.StatusNotAcceptable, w.Code)
		body := `{"message":"Unsupported 'Accept' header: \"application/vnd.acme.v9+json\". Must accept one of: application/vnd.acme.v3+json, application/json."}`
		assert.Equal(t, body, w.Body.String())
		assert.Equal(t, http.Header{
			headerKey:                {"acme.v3; format=json"},
			"Vary":                   {"Accept"},
			"Content-Type":           {"application/json; charset=utf-8"},
			"Content-Length":         {strconv.Itoa(len(body))},
			"X-Content-Type-Options": {"nosniff"},
		}, w.Header(), "the 406 says which representation its body is")
	})

	t.Run("the configured Writer", func(t *testing.T) {
		errs, err := apierrors.NewWriter(apierrors.Config{Format: apierrors.FormatHeroku, DocumentationURL: "https://developer.example.com/v3"})
		require.NoError(t, err)
		w := serve(newNegotiator(t, mediatype.Config{Errors: errs}).Handler(next), "application/vnd.acme.v9+json")
		assert.False(t, called)
		assert.Equal(t, http.StatusNotAcceptable, w.Code)
		assert.JSONEq(t, `{
			"id": "not_acceptable",
			"message": "Unsupported 'Accept' header: \"application/vnd.acme.v9+json\". Must accept one of: application/vnd.acme.v3+json, application/json.",
			"url": "https://developer.example.com/v3"
		}`, w.Body.String())
		assert.Equal(t, "acme.v3; format=json", w.Header().Get(headerKey))
	})

	t.Run("a huge media range is cut in the message", func(t *testing.T) {
		w := serve(newNegotiator(t, mediatype.Config{}).Handler(next), "application/vnd.acme.v9"+strings.Repeat("9", 1000)+"+json")
		assert.Equal(t, http.StatusNotAcceptable, w.Code)
		assert.Contains(t, w.Body.String(), `"application/vnd.acme.v99999`)
		assert.Less(t, w.Body.Len(), 300)
	})
}

// TestHeaderBeforeNext: the header is set before next runs, so whatever
// next answers carries it.
func TestHeaderBeforeNext(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Vendor: "acme", Params: []string{"raw"}})
	tests := []struct {
		name string
		next http.HandlerFunc
		code int
	}{
		{"a handler that writes nothing", func(http.ResponseWriter, *http.Request) {}, http.StatusOK},
		{"a 304", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }, http.StatusNotModified},
		{"an error", func(w http.ResponseWriter, r *http.Request) {
			(*apierrors.Writer)(nil).Write(w, r, apierrors.NotFound())
		}, http.StatusNotFound},
		{"a redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/posts/2", http.StatusFound)
		}, http.StatusFound},
		{"a handler that writes twice", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "{")
			_, _ = io.WriteString(w, "}")
		}, http.StatusOK},
		{"a handler that sees the header", func(w http.ResponseWriter, r *http.Request) {
			if w.Header().Get(headerKey) != "acme.v3; param=raw; format=json" {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(n.Handler(tt.next), "application/vnd.acme.v3.raw+json")
			assert.Equal(t, tt.code, w.Code)
			assert.Equal(t, []string{"acme.v3; param=raw; format=json"}, w.Header()[headerKey])
			assert.Equal(t, []string{"Accept"}, w.Header()["Vary"])
		})
	}
}

func TestVary(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{})
	tests := []struct {
		name  string
		outer []string
		want  []string
	}{
		{"none set: Accept", nil, []string{"Accept"}},
		{"merged after the outer middleware's", []string{"Origin"}, []string{"Origin, Accept"}},
		{"over several lines", []string{"Origin", "Accept-Encoding"}, []string{"Origin, Accept-Encoding, Accept"}},
		{"already there, any case", []string{"Origin, accept"}, []string{"Origin, accept"}},
		{"not confused with Accept-Encoding", []string{"Accept-Encoding"}, []string{"Accept-Encoding, Accept"}},
		{"RFC 9110 12.5.5: * already covers it", []string{"*"}, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Vary"] = tt.outer
				n.Handler(echo).ServeHTTP(w, r)
			})
			w := serve(outer)
			assert.Equal(t, tt.want, w.Header()["Vary"])
		})
	}
}

func TestSharedValuesNeverLeak(t *testing.T) {
	// rs/cors issue 198: an outer middleware or a handler appending to a
	// shared header value must not change the next response.
	n := newNegotiator(t, mediatype.Config{Vendor: "acme", Params: []string{"raw"}})
	appendingNext := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add(headerKey, "handler")
		w.Header().Add("Vary", "Authorization")
	})
	appendingOuter := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			w.Header().Add(headerKey, "outer")
			w.Header().Add("Vary", "Cookie")
		})
	}
	for _, tt := range []struct {
		accept  string
		appends int
	}{{"", 2}, {"application/vnd.acme.v3.raw+json", 2}, {"application/vnd.acme.v9+json", 1}} {
		w := serve(appendingOuter(n.Handler(appendingNext)), tt.accept)
		require.Len(t, w.Header()[headerKey], 1+tt.appends, "the appends happened")
		for _, accept := range []string{"", "application/vnd.acme.v3.raw+json"} {
			w := serve(n.Handler(echo), accept)
			assert.Len(t, w.Header()[headerKey], 1)
			assert.Equal(t, []string{"Accept"}, w.Header()["Vary"])
			assert.Equal(t, 1, cap(w.Header()[headerKey]), "len == cap")
			assert.Equal(t, 1, cap(w.Header()["Vary"]), "len == cap")
		}
	}
	assert.Equal(t, "acme.v3; format=json", serve(n.Handler(echo)).Header().Get(headerKey))
	assert.Equal(t, "acme.v3; param=raw; format=json", serve(n.Handler(echo), "application/vnd.acme.v3.raw+json").Header().Get(headerKey))
}

// TestInAStack runs the middleware behind a real server, with an outer
// middleware that rewrites headers and a handler that flushes: the
// ResponseWriter is never wrapped, so http.ResponseController works.
func TestInAStack(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Vendor: "acme", Params: []string{"raw"}})
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Origin")
			next.ServeHTTP(w, r)
		})
	}
	flushing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := mediatype.FromContext(r.Context())
		_, _ = io.WriteString(w, m.Param)
		if err := http.NewResponseController(w).Flush(); err != nil {
			w.Header().Set("X-Flush-Error", err.Error()) // too late: caught by the body check
		}
		_, _ = io.WriteString(w, "!")
	})
	srv := httptest.NewServer(outer(n.Handler(flushing)))
	defer srv.Close()

	get := func(accept string) (*http.Response, string) {
		req, err := http.NewRequest("GET", srv.URL, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", accept)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}

	resp, body := get("application/vnd.acme.v3.raw+json")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "raw!", body)
	assert.Equal(t, "acme.v3; param=raw; format=json", resp.Header.Get("X-acme-Media-Type"))
	assert.Equal(t, []string{"Origin, Accept"}, resp.Header.Values("Vary"))

	resp, body = get("application/vnd.acme.v9+json")
	assert.Equal(t, http.StatusNotAcceptable, resp.StatusCode)
	assert.Contains(t, body, "Must accept one of")
	assert.Equal(t, "acme.v3; format=json", resp.Header.Get("X-acme-Media-Type"))
}

func TestVendor(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Vendor: "kit", Versions: []string{"v1"}, Params: []string{"raw"}})
	tests := []struct {
		name   string
		accept string
		code   int
		header string
	}{
		{"its own type", "application/vnd.kit.v1.raw+json", http.StatusOK, "kit.v1; param=raw; format=json"},
		{"another vendor's version is no concern", "application/vnd.acme.v9+json", http.StatusOK, "kit.v1; format=json"},
		{"its own unserved version", "application/vnd.kit.v3+json", http.StatusNotAcceptable, "kit.v1; format=json"},
		{"RFC 9110 8.3.1: case folding is ASCII: the Kelvin sign is no k", "application/vnd.\u212ait.v3+json", http.StatusOK, "kit.v1; format=json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(n.Handler(echo), tt.accept)
			assert.Equal(t, tt.code, w.Code)
			assert.Equal(t, []string{tt.header}, w.Header()["X-Kit-Media-Type"])
		})
	}
	w := serve(n.Handler(echo), "application/vnd.kit.v3+json")
	assert.Contains(t, w.Body.String(), "Must accept one of: application/vnd.kit.v1+json, application/json.")
}

func TestHeaderValue(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{})
	assert.Equal(t, "acme.v3; format=json", n.HeaderValue(v3))
	assert.Equal(t, "acme.v3; param=raw; format=json", n.HeaderValue(v3Raw))
	assert.Equal(t, "acme.v4", n.HeaderValue(mediatype.MediaType{Version: "v4"}))
}

func TestContext(t *testing.T) {
	_, ok := mediatype.FromContext(context.Background())
	assert.False(t, ok, "nothing negotiated")

	ctx := mediatype.WithMediaType(context.Background(), v3Raw)
	got, ok := mediatype.FromContext(ctx)
	assert.True(t, ok)
	assert.Equal(t, v3Raw, got)

	// A handler tested without the middleware.
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(mediatype.WithMediaType(r.Context(), v3Full))
	w := httptest.NewRecorder()
	echo.ServeHTTP(w, r)
	assert.Equal(t, "v3/full/json", w.Body.String())

	// Handler puts a copy: a handler changing its MediaType changes no
	// other request's.
	n := newNegotiator(t, mediatype.Config{})
	mutating := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := mediatype.FromContext(r.Context())
		m.Version = "v0"
		echo.ServeHTTP(w, r)
	})
	assert.Equal(t, "v3//json", serve(n.Handler(mutating)).Body.String())
	assert.Equal(t, "v3//json", serve(n.Handler(echo)).Body.String())
}

func TestNewDefaults(t *testing.T) {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme"})
	require.NoError(t, err)
	got, err := n.Negotiate(nil)
	require.NoError(t, err)
	assert.Equal(t, v3, got)
	got, err = n.Negotiate(lines("application/vnd.acme.v3.raw+json"))
	require.NoError(t, err)
	assert.Equal(t, v3, got, "no Params: raw is the default representation")

	n, err = mediatype.New(mediatype.Config{Vendor: "acme", Versions: []string{}})
	require.NoError(t, err)
	got, err = n.Negotiate(nil)
	require.NoError(t, err)
	assert.Equal(t, v3, got, "an empty list is the default")
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  mediatype.Config
		want []string
	}{
		{"no vendor: required", mediatype.Config{}, []string{`mediatype: Vendor: is required: the name in application/vnd.<Vendor>.v3+json and X-<Vendor>-Media-Type ("acme")`}},
		{"an upper-case vendor", mediatype.Config{Vendor: "Acme"}, []string{`mediatype: Vendor: "Acme" must be a lower-case token: a letter, then letters, digits and '-'`}},
		{"a dot in the vendor", mediatype.Config{Vendor: "my.blog"}, []string{`mediatype: Vendor: "my.blog" must be a lower-case token`}},
		{"a plus in the vendor", mediatype.Config{Vendor: "my+blog"}, []string{`mediatype: Vendor: "my+blog" must be a lower-case token`}},
		{"a version without v", mediatype.Config{Vendor: "acme", Versions: []string{"3"}}, []string{`mediatype: Versions[0]: "3" must be "v" followed by digits, without a leading zero ("v3")`}},
		{"an upper-case V", mediatype.Config{Vendor: "acme", Versions: []string{"V3"}}, []string{`mediatype: Versions[0]: "V3" must be "v" followed by digits`}},
		{"a leading zero", mediatype.Config{Vendor: "acme", Versions: []string{"v3", "v03"}}, []string{`mediatype: Versions[1]: "v03" must be "v" followed by digits, without a leading zero`}},
		{"a date", mediatype.Config{Vendor: "acme", Versions: []string{"2022-11-28"}}, []string{`mediatype: Versions[0]: "2022-11-28" must be "v" followed by digits`}},
		{"a version twice", mediatype.Config{Vendor: "acme", Versions: []string{"v3", "v4", "v3"}}, []string{`mediatype: Versions[2]: "v3" is listed twice`}},
		{"an upper-case param", mediatype.Config{Vendor: "acme", Params: []string{"Raw"}}, []string{`mediatype: Params[0]: "Raw" must be a lower-case token`}},
		{"a dot in a param", mediatype.Config{Vendor: "acme", Params: []string{"raw.x"}}, []string{`mediatype: Params[0]: "raw.x" must be a lower-case token`}},
		{"an empty param", mediatype.Config{Vendor: "acme", Params: []string{""}}, []string{`mediatype: Params[0]: "" must be a lower-case token`}},
		{"a param shaped like a version", mediatype.Config{Vendor: "acme", Params: []string{"raw", "v2"}}, []string{`mediatype: Params[1]: "v2" is shaped like a version: application/vnd.<vendor>.v2+json would ask for version v2`}},
		{"a param twice", mediatype.Config{Vendor: "acme", Params: []string{"raw", "raw"}}, []string{`mediatype: Params[1]: "raw" is listed twice`}},
		{"every problem at once", mediatype.Config{Vendor: "My Blog", Versions: []string{"x"}, Params: []string{"+"}}, []string{
			`mediatype: Vendor: "My Blog"`,
			`mediatype: Versions[0]: "x"`,
			`mediatype: Params[0]: "+"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := mediatype.New(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, n)
			problems := strings.Split(err.Error(), "\n")
			require.Len(t, problems, len(tt.want), err.Error())
			for i, want := range tt.want {
				assert.True(t, strings.HasPrefix(problems[i], want), "%q does not start with %q", problems[i], want)
			}
			var configErr *apierrors.ConfigError
			require.ErrorAs(t, err, &configErr)
			assert.Equal(t, "mediatype", configErr.Package)
		})
	}
}

// A custom hook's status, headers and body arrive whole on a real
// connection, and the middleware's own headers were set before it ran.
func TestOnErrorOnARealServer(t *testing.T) {
	var got *apierrors.Error
	var before http.Header
	n := newNegotiator(t, mediatype.Config{OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		got = e
		before = w.Header().Clone()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "v3 only\n")
	}})
	srv := httptest.NewServer(n.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("next ran") })))
	t.Cleanup(srv.Close)

	req, err := http.NewRequest("GET", srv.URL+"/posts/1", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/vnd.acme.v9+json")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "v3 only\n", string(body))
	assert.Equal(t, "acme.v3; format=json", resp.Header.Get("X-acme-Media-Type"))
	assert.Equal(t, []string{"Accept"}, resp.Header.Values("Vary"))
	assert.Equal(t, http.Header{"X-Acme-Media-Type": {"acme.v3; format=json"}, "Vary": {"Accept"}}, before, "set before the hook ran")
	require.NotNil(t, got)
	assert.Equal(t, http.StatusNotAcceptable, got.Status)
	assert.Equal(t, "not_acceptable", got.ID)
	assert.Equal(t, notAcceptableV9, got.Message)
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
	h := newNegotiator(t, mediatype.Config{Observer: &seen}).Handler(echo)
	var refused []*http.Request
	for _, accept := range []string{"", "application/json", "application/vnd.acme.v9+json", "application/vnd.acme.v3+json", "application/vnd.acme.v4+json, text/html"} {
		r := httptest.NewRequest("GET", "/posts/1", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusNotAcceptable {
			refused = append(refused, r)
		}
	}
	require.Len(t, refused, 2)
	assert.Equal(t, []observe.Event{
		{Middleware: "mediatype", Decision: observe.NotAcceptable, Detail: "version", Request: refused[0]},
		{Middleware: "mediatype", Decision: observe.NotAcceptable, Detail: "version", Request: refused[1]},
	}, seen.events, "only the 406s")
}

// counter is an Observer that allocates nothing itself.
type counter struct{ n int }

func (c *counter) Observe(observe.Event) { c.n++ }

func TestExposedHeaders(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Vendor: "kit"})
	assert.Equal(t, []string{"X-kit-Media-Type"}, n.ExposedHeaders())
	n.ExposedHeaders()[0] = "changed"
	assert.Equal(t, []string{"X-kit-Media-Type"}, n.ExposedHeaders(), "a fresh slice each call")
	w := serve(n.Handler(echo))
	assert.Equal(t, []string{"kit.v3; format=json"}, w.Header()[http.CanonicalHeaderKey(n.ExposedHeaders()[0])], "the header Handler sets")
}
