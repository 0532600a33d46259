package cors_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
)

const (
	exposed      = "ETag, Link, Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, X-Request-Id"
	allowHeaders = "Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, If-Unmodified-Since, X-Requested-With"
	allowMethods = "GET, POST, PATCH, PUT, DELETE"
)

func newMiddleware(t testing.TB, cfg cors.Config) *cors.Middleware {
	t.Helper()
	m, err := cors.New(cfg)
	require.NoError(t, err)
	return m
}

// next answers 200 "next", or 302 / 404 by path, so that the CORS headers
// can be checked on redirects and errors too.
var next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/old":
		http.Redirect(w, r, "/new", http.StatusFound)
	case "/missing":
		http.NotFound(w, r)
	default:
		_, _ = w.Write([]byte("next"))
	}
})

func do(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if len(k) > 15 && k[:15] == "Access-Control-" || k == "Vary" {
			out[k] = v
		}
	}
	return out
}

func TestDefaultAnyOrigin(t *testing.T) {
	h := newMiddleware(t, cors.Config{}).Handler(next)
	want := http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {exposed}}
	for _, tt := range []struct {
		name   string
		path   string
		header []string
		code   int
	}{
		{"a cross-origin GET", "/", []string{"Origin", "http://example.com"}, 200},
		{"a redirect", "/old", []string{"Origin", "http://example.com"}, 302},
		{"an error", "/missing", []string{"Origin", "http://example.com"}, 404},
		{"no Origin: the same headers, as GitHub", "/", nil, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := do(h, "GET", tt.path, tt.header...)
			assert.Equal(t, tt.code, w.Code)
			assert.Equal(t, want, corsHeaders(w.Header()), "no Vary: the answer does not depend on the origin")
		})
	}
}

func TestPreflight(t *testing.T) {
	anyOrigin := newMiddleware(t, cors.Config{}).Handler(next)
	listed := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com", "https://*.myblog.dev"}, Credentials: true}).Handler(next)
	full := http.Header{
		"Access-Control-Allow-Origin":  {"*"},
		"Access-Control-Allow-Methods": {allowMethods},
		"Access-Control-Allow-Headers": {allowHeaders},
		"Access-Control-Max-Age":       {"86400"},
		"Vary":                         {"Access-Control-Request-Method, Access-Control-Request-Headers"},
	}
	echoed := http.Header{
		"Access-Control-Allow-Origin":      {"https://app.myblog.dev"},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Allow-Methods":     {allowMethods},
		"Access-Control-Allow-Headers":     {allowHeaders},
		"Access-Control-Max-Age":           {"86400"},
		"Vary":                             {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
	}
	refusedAny := http.Header{"Vary": {"Access-Control-Request-Method, Access-Control-Request-Headers"}}
	refusedListed := http.Header{"Vary": {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}
	tests := []struct {
		name    string
		handler http.Handler
		header  []string
		want    http.Header
	}{
		{"a PATCH preflight with headers", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization, if-match, content-type"}, full},
		{"a safelisted method", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "POST"}, full},
		{"several header lines", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization", "Access-Control-Request-Headers", "if-none-match"}, full},
		{"a method not allowed: no CORS headers", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "PROPFIND"}, refusedAny},
		{"methods are case-sensitive (Fetch)", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "patch"}, refusedAny},
		{"a header not allowed: no CORS headers", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-secret"}, refusedAny},
		{"too many headers: refused", anyOrigin, []string{"Origin", "http://example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "accept" + repeat(", accept", 40)}, refusedAny},
		{"an allowed pattern, echoed with credentials", listed, []string{"Origin", "https://app.myblog.dev", "Access-Control-Request-Method", "DELETE"}, echoed},
		{"an origin not listed", listed, []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"}, refusedListed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(tt.handler, "OPTIONS", "/posts", tt.header...)
			assert.Equal(t, http.StatusNoContent, w.Code, "answered at once")
			assert.Empty(t, w.Body.String(), "next never ran")
			assert.Equal(t, tt.want, corsHeaders(w.Header()))
		})
	}

	t.Run("a plain OPTIONS goes on", func(t *testing.T) {
		w := do(anyOrigin, "OPTIONS", "/posts")
		assert.Equal(t, "next", w.Body.String())
		w = do(anyOrigin, "OPTIONS", "/posts", "Origin", "http://example.com")
		assert.Equal(t, "next", w.Body.String(), "an Origin without Access-Control-Request-Method is not a preflight")
	})
}

// TestPreflightRemembersOnlyAllowedHeaderLists: the verdict cache for
// Access-Control-Request-Headers never lets a list through that the
// parse would refuse, whatever came before it, from any goroutine.
func TestPreflightRemembersOnlyAllowedHeaderLists(t *testing.T) {
	h := newMiddleware(t, cors.Config{}).Handler(next)
	preflight := func(requested ...string) bool {
		header := []string{"Origin", "http://example.com", "Access-Control-Request-Method", "PATCH"}
		for _, v := range requested {
			header = append(header, "Access-Control-Request-Headers", v)
		}
		return do(h, "OPTIONS", "/posts", header...).Header().Get("Access-Control-Allow-Origin") == "*"
	}
	tests := []struct {
		requested []string
		allowed   bool
	}{
		{[]string{"authorization,if-match"}, true},
		{[]string{"authorization,if-match"}, true},
		{[]string{"authorization,if-match,x-secret"}, false},
		{[]string{"authorization,if-match", "x-secret"}, false},
		{[]string{"x-secret"}, false},
		{[]string{"authorization,if-match"}, true},
		{[]string{"if-none-match"}, true},
		{[]string{"authorization,if-match "}, true},
		{[]string{"authorization,if-match,"}, true},
		{[]string{"authorization, cookie"}, false},
	}
	for i, tt := range tests {
		assert.Equal(t, tt.allowed, preflight(tt.requested...), "request %d: %q", i, tt.requested)
	}

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				if (i+g)%2 == 0 {
					assert.True(t, preflight("authorization"))
				} else {
					assert.False(t, preflight("authorization, x-secret"))
				}
			}
		})
	}
	wg.Wait()
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestAllowList(t *testing.T) {
	m := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com", "http://localhost:8080", "https://*.myblog.dev", "https://*.example.org:8443"}})
	h := m.Handler(next)
	tests := []struct {
		origin  string
		allowed bool
	}{
		{"https://blog.example.com", true},
		{"http://localhost:8080", true},
		{"https://app.myblog.dev", true},
		{"https://a.b.myblog.dev", true},
		{"https://x.example.org:8443", true},
		{"https://myblog.dev", false},
		{"https://evilmyblog.dev", false},
		{"https://app.myblog.dev.evil.com", false},
		{"http://app.myblog.dev", false},
		{"https://x.example.org", false},
		{"https://blog.example.com:443", false},
		{"https://BLOG.example.com", false},
		{"null", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			w := do(h, "GET", "/", "Origin", tt.origin)
			assert.Equal(t, 200, w.Code)
			assert.Equal(t, []string{"Origin"}, w.Header()["Vary"], "Vary: Origin whenever the answer depends on it")
			if tt.allowed {
				assert.Equal(t, tt.origin, w.Header().Get("Access-Control-Allow-Origin"))
				assert.Equal(t, exposed, w.Header().Get("Access-Control-Expose-Headers"))
				assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"))
			} else {
				assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
				assert.Empty(t, w.Header().Get("Access-Control-Expose-Headers"))
			}
		})
	}
	t.Run("no Origin: Vary only", func(t *testing.T) {
		w := do(h, "GET", "/")
		assert.Equal(t, http.Header{"Vary": {"Origin"}}, corsHeaders(w.Header()))
	})
}

func TestCredentials(t *testing.T) {
	h := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com"}, Credentials: true}).Handler(next)
	w := do(h, "GET", "/", "Origin", "https://blog.example.com")
	assert.Equal(t, http.Header{
		"Access-Control-Allow-Origin":      {"https://blog.example.com"},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Expose-Headers":    {exposed},
		"Vary":                             {"Origin"},
	}, corsHeaders(w.Header()))
}

func TestVaryMergesWithOuter(t *testing.T) {
	h := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com"}}).Handler(next)
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		h.ServeHTTP(w, r)
	})
	w := do(outer, "GET", "/", "Origin", "https://blog.example.com")
	assert.Equal(t, []string{"Accept-Encoding, Origin"}, w.Header()["Vary"])
}

func TestSharedValuesNeverLeak(t *testing.T) {
	// rs/cors issue 198: appending to a shared header value must not
	// change the next response.
	m := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com"}})
	appending := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Access-Control-Expose-Headers", "X-Secret")
	})
	do(m.Handler(appending), "GET", "/", "Origin", "https://blog.example.com")
	w := do(m.Handler(next), "GET", "/", "Origin", "https://blog.example.com")
	assert.Equal(t, []string{"Origin"}, w.Header()["Vary"])
	assert.Equal(t, []string{exposed}, w.Header()["Access-Control-Expose-Headers"])
}

func TestCustomLists(t *testing.T) {
	h := newMiddleware(t, cors.Config{
		Methods:        []string{"GET", "PURGE"},
		Headers:        []string{"X-Api-Key"},
		ExposedHeaders: []string{},
		MaxAge:         10 * time.Minute,
		Vendor:         "acme",
	}).Handler(next)
	w := do(h, "OPTIONS", "/", "Origin", "https://x.test", "Access-Control-Request-Method", "PURGE", "Access-Control-Request-Headers", "x-api-key")
	assert.Equal(t, "GET, PURGE", w.Header().Get("Access-Control-Allow-Methods"))
	assert.Equal(t, "X-Api-Key", w.Header().Get("Access-Control-Allow-Headers"))
	assert.Equal(t, "600", w.Header().Get("Access-Control-Max-Age"))
	assert.Empty(t, w.Header().Values("Access-Control-Expose-Headers"))

}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  cors.Config
		want []string
	}{
		{"credentials with *", cors.Config{Credentials: true}, []string{`cors: Origins[0]: "*" cannot be used with Credentials`}},
		{"* with others", cors.Config{Origins: []string{"*", "https://a.com"}}, []string{`cors: Origins[0]: "*" allows every origin and must be the only one`}},
		{"null", cors.Config{Origins: []string{"null"}}, []string{`cors: Origins[0]: "null" is the origin of sandboxed and file documents`}},
		{"malformed origins", cors.Config{Origins: []string{"example.com", "https://a.com/path", "https://a.com?q", "https://user@a.com", "https://A.com", "HTTPS://a.com", "https://a.*.com", "https://*.com", "https://a.com:99999", "https://"}},
			[]string{
				`Origins[0]: "example.com" is not an origin: it needs "scheme://host"`,
				`Origins[1]: "https://a.com/path" is not an origin: only "scheme://host[:port]"`,
				`Origins[2]: "https://a.com?q" is not an origin: only "scheme://host[:port]"`,
				`Origins[3]: "https://user@a.com" is not an origin: only "scheme://host[:port]"`,
				`Origins[4]: "https://A.com" must be in lower case`,
				`Origins[5]: "HTTPS://a.com" has an invalid scheme`,
				`Origins[6]: "https://a.*.com" may only have "*." at the start of its host`,
				`Origins[7]: "https://*.com" matches every site under a top-level domain`,
				`Origins[8]: "https://a.com:99999" has an invalid port`,
				`Origins[9]: "https://" is not an origin`,
			}},
		{"forbidden names", cors.Config{Methods: []string{"TRACE", "bad method"}, Headers: []string{"Cookie", "Sec-Fetch-Mode", "Proxy-Authorization", "x y"}, ExposedHeaders: []string{"Set-Cookie", "a b"}, Expose: []string{"ETag", "set-cookie2", "x:y"}},
			[]string{
				`Methods[0]: "TRACE" is a forbidden method`,
				`Methods[1]: "bad method" is not a method name`,
				`Headers[0]: "Cookie" is a forbidden request header`,
				`Headers[1]: "Sec-Fetch-Mode" is a forbidden request header`,
				`Headers[2]: "Proxy-Authorization" is a forbidden request header`,
				`Headers[3]: "x y" is not a field name`,
				`ExposedHeaders[0]: "Set-Cookie" is never exposed to scripts`,
				`ExposedHeaders[1]: "a b" is not a field name`,
				`Expose[1]: "set-cookie2" is never exposed to scripts`,
				`Expose[2]: "x:y" is not a field name`,
			}},
		{"max age", cors.Config{MaxAge: 48 * time.Hour}, []string{"cors: MaxAge: must be whole seconds, at most a day"}},
		{"vendor", cors.Config{Vendor: "my blog"}, []string{`cors: Vendor: "my blog" must be a token`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cors.New(tt.cfg)
			require.Error(t, err)
			problems := strings.Split(err.Error(), "\n")
			require.Len(t, problems, len(tt.want), "every problem at once, each on its own line:\n%v", err)
			for i, want := range tt.want {
				assert.Contains(t, problems[i], want)
			}
			var configErr *apierrors.ConfigError
			require.ErrorAs(t, err, &configErr)
			assert.Equal(t, "cors", configErr.Package)
		})
	}
	t.Run("default ports are normalized", func(t *testing.T) {
		h := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com:443"}}).Handler(next)
		w := do(h, "GET", "/", "Origin", "https://blog.example.com")
		assert.Equal(t, "https://blog.example.com", w.Header().Get("Access-Control-Allow-Origin"))
	})
}

func TestExposedHeaders(t *testing.T) {
	const neutral = "ETag, Link, Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource"
	const acme = "ETag, Link, Location, Retry-After, X-acme-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource"
	tests := []struct {
		name string
		cfg  cors.Config
		want []string // nil: no Access-Control-Expose-Headers
	}{
		{name: "no vendor: requestid's vendor-neutral X-Request-Id", cfg: cors.Config{}, want: []string{neutral + ", X-Request-Id"}},
		{name: "a vendor: its OTP, media type and request id", cfg: cors.Config{Vendor: "acme"}, want: []string{acme + ", X-acme-Media-Type, X-acme-Request-Id"}},
		{
			name: "Expose adds the IETF RateLimit fields",
			cfg:  cors.Config{Vendor: "acme", Expose: []string{"RateLimit", "RateLimit-Policy"}},
			want: []string{acme + ", X-acme-Media-Type, X-acme-Request-Id, RateLimit, RateLimit-Policy"},
		},
		{
			name: "RFC 9110 5.1: a name already listed, in any case, is not repeated",
			cfg:  cors.Config{Vendor: "acme", Expose: []string{"x-ratelimit-limit", "X-Acme-Request-Id", "X-Request-Id", "x-request-id", "RateLimit"}},
			want: []string{acme + ", X-acme-Media-Type, X-acme-Request-Id, X-Request-Id, RateLimit"},
		},
		{name: "ExposedHeaders replaces the default", cfg: cors.Config{Vendor: "acme", ExposedHeaders: []string{"ETag", "etag", "Link"}}, want: []string{"ETag, Link"}},
		{name: "Expose adds to ExposedHeaders", cfg: cors.Config{ExposedHeaders: []string{"ETag"}, Expose: []string{"X-Request-Id"}}, want: []string{"ETag, X-Request-Id"}},
		{name: "an empty ExposedHeaders exposes none", cfg: cors.Config{ExposedHeaders: []string{}}, want: nil},
		{name: "an empty ExposedHeaders with Expose", cfg: cors.Config{ExposedHeaders: []string{}, Expose: []string{"RateLimit"}}, want: []string{"RateLimit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(newMiddleware(t, tt.cfg).Handler(next), "GET", "/", "Origin", "https://app.example.com")
			assert.Equal(t, tt.want, w.Header()["Access-Control-Expose-Headers"])
		})
	}

	assert.Equal(t, append(strings.Split(neutral, ", "), "X-Request-Id"), cors.DefaultExposedHeaders(""))
	assert.Equal(t, append(strings.Split(acme, ", "), "X-acme-Media-Type", "X-acme-Request-Id"), cors.DefaultExposedHeaders("acme"))
	assert.Equal(t, strings.Split(allowHeaders, ", "), cors.DefaultHeaders())
	for _, name := range append(cors.DefaultExposedHeaders(""), cors.DefaultHeaders()...) {
		assert.NotContains(t, strings.ToLower(name), "myblog", "a library default names no vendor")
	}
}

// recorder is an Observer that keeps what it saw.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (o *recorder) Observe(ev observe.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev.Middleware+" "+string(ev.Decision)+" "+ev.Detail+" "+ev.Request.Method)
}

func TestObserver(t *testing.T) {
	var anyOrigin, listed recorder
	anyH := newMiddleware(t, cors.Config{Observer: &anyOrigin}).Handler(next)
	listedH := newMiddleware(t, cors.Config{Origins: []string{"https://blog.example.com"}, Observer: &listed}).Handler(next)
	preflight := func(h http.Handler, origin, method, headers string) {
		header := []string{"Origin", origin, "Access-Control-Request-Method", method}
		if headers != "" {
			header = append(header, "Access-Control-Request-Headers", headers)
		}
		do(h, "OPTIONS", "/posts", header...)
	}

	preflight(anyH, "http://example.com", "PATCH", "authorization")
	preflight(anyH, "http://example.com", "PROPFIND", "")
	preflight(anyH, "http://example.com", "GET", "x-secret")
	do(anyH, "GET", "/", "Origin", "http://example.com")
	do(anyH, "OPTIONS", "/", "Origin", "http://example.com")
	assert.Equal(t, []string{
		"cors preflight  OPTIONS",
		"cors cors_refused method OPTIONS",
		"cors cors_refused headers OPTIONS",
	}, anyOrigin.events, "with any origin, actual requests and plain OPTIONS are no decision")

	preflight(listedH, "https://blog.example.com", "DELETE", "")
	preflight(listedH, "https://evil.example", "GET", "")
	do(listedH, "GET", "/", "Origin", "https://blog.example.com")
	do(listedH, "POST", "/", "Origin", "https://evil.example")
	do(listedH, "GET", "/")
	assert.Equal(t, []string{
		"cors preflight  OPTIONS",
		"cors cors_refused origin OPTIONS",
		"cors cors_refused origin POST",
	}, listed.events, "an allowed origin and a request without Origin are no refusal")
}

// counter is an Observer that allocates nothing itself.
type counter struct{ n int }

func (c *counter) Observe(observe.Event) { c.n++ }

func TestAllocatesNothing(t *testing.T) {
	noop := func(http.ResponseWriter, *http.Request) {}
	actual := httptest.NewRequest("GET", "/posts", nil)
	actual.Header.Set("Origin", "https://app.myblog.dev")
	refusedActual := httptest.NewRequest("GET", "/posts", nil)
	refusedActual.Header.Set("Origin", "https://evil.example")
	preflight := httptest.NewRequest("OPTIONS", "/posts", nil)
	preflight.Header.Set("Origin", "https://app.myblog.dev")
	preflight.Header.Set("Access-Control-Request-Method", "PATCH")
	preflight.Header.Set("Access-Control-Request-Headers", "authorization,content-type,if-match")
	refusedPreflight := preflight.Clone(preflight.Context())
	refusedPreflight.Header.Set("Access-Control-Request-Headers", "x-secret")

	allowList := cors.Config{Origins: []string{"https://blog.example.com", "https://*.myblog.dev"}, Credentials: true}
	for _, tt := range []struct {
		name string
		cfg  cors.Config
		r    *http.Request
	}{
		{"actual, any origin", cors.Config{}, actual},
		{"actual, allow-list", allowList, actual},
		{"actual, refused origin", allowList, refusedActual},
		{"preflight", allowList, preflight},
		{"preflight refused", allowList, refusedPreflight},
	} {
		for _, observer := range []*counter{nil, {}} {
			name := tt.name
			cfg := tt.cfg
			if observer != nil {
				name += ", with an Observer"
				cfg.Observer = observer
			}
			t.Run(name, func(t *testing.T) {
				h := newMiddleware(t, cfg).Handler(http.HandlerFunc(noop))
				w := &headerOnly{header: http.Header{}}
				allocs := testing.AllocsPerRun(100, func() {
					clear(w.header)
					h.ServeHTTP(w, tt.r)
				})
				assert.Zero(t, allocs)
				if observer != nil && tt.name != "actual, any origin" && tt.name != "actual, allow-list" {
					assert.Positive(t, observer.n, "the observer saw the decisions")
				}
			})
		}
	}
}

type headerOnly struct{ header http.Header }

func (h *headerOnly) Header() http.Header         { return h.header }
func (h *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerOnly) WriteHeader(int)             {}

// With a vendor, a preflight allows the vendor's two-factor header, which
// a script sends with a password (auth.Config.OTPHeaders).
func TestVendorOTPHeader(t *testing.T) {
	tests := []struct {
		name    string
		cfg     cors.Config
		asked   string
		allowed bool
		want    string
	}{
		{"a vendor's OTP header", cors.Config{Vendor: "acme"}, "authorization, x-acme-otp", true, "Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, If-Unmodified-Since, X-acme-OTP, X-Requested-With"},
		{"no vendor, no OTP header", cors.Config{}, "authorization, x-acme-otp", false, ""},
		{"Headers replace the default", cors.Config{Vendor: "acme", Headers: []string{"Authorization"}}, "authorization, x-acme-otp", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMiddleware(t, tt.cfg).Handler(next)
			w := do(h, "OPTIONS", "/", "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", tt.asked)
			if !tt.allowed {
				assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
				return
			}
			assert.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"))
			assert.Equal(t, tt.want, w.Header().Get("Access-Control-Allow-Headers"))
		})
	}
}
