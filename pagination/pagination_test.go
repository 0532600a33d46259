package pagination_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/pagination"
)

func newPaginator(t *testing.T, cfg pagination.Config) *pagination.Paginator {
	t.Helper()
	p, err := pagination.New(cfg)
	require.NoError(t, err)
	return p
}

// mustPage reads the page of r, which must not be refused.
func mustPage(t *testing.T, p *pagination.Paginator, r *http.Request) pagination.Page {
	t.Helper()
	w := httptest.NewRecorder()
	page, ok := p.Page(w, r)
	require.True(t, ok, "refused: %d %s", w.Code, w.Body)
	require.Equal(t, http.StatusOK, w.Code, "nothing written")
	require.Empty(t, w.Body.String())
	return page
}

func request(target string, header ...string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.Host = "api.myblog.com"
	r.RemoteAddr = "203.0.113.9:5000"
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "RemoteAddr" {
			r.RemoteAddr = header[i+1]
			continue
		}
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func TestPage(t *testing.T) {
	p := newPaginator(t, pagination.Config{})
	tests := []struct {
		name        string
		query       string
		wantNumber  int
		wantPerPage int
		wantErrors  string
	}{
		{"defaults", "", 1, 30, ""},
		{"page and per_page", "?page=3&per_page=100", 3, 100, ""},
		{"empty values are the defaults", "?page=&per_page=", 1, 30, ""},
		{"the first value counts", "?page=2&page=9", 2, 30, ""},
		{"page 0", "?page=0", 0, 0, `[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"}]`},
		{"negative page", "?page=-1", 0, 0, `[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"}]`},
		{"not a number", "?page=two", 0, 0, `[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"}]`},
		{"a huge page", "?page=99999999999999999999999", 0, 0, `[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"}]`},
		{"per_page over the maximum", "?per_page=101", 0, 0, `[{"resource":"Query","field":"per_page","code":"invalid","message":"per_page must be a whole number from 1 to 100"}]`},
		{"both wrong: one 422 with both", "?page=x&per_page=0", 0, 0, `[{"resource":"Query","field":"page","code":"invalid","message":"page must be a whole number from 1"},{"resource":"Query","field":"per_page","code":"invalid","message":"per_page must be a whole number from 1 to 100"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			page, ok := p.Page(w, request("/posts"+tt.query))
			if tt.wantErrors == "" {
				require.True(t, ok)
				assert.Equal(t, tt.wantNumber, page.Number)
				assert.Equal(t, tt.wantPerPage, page.PerPage)
				assert.Empty(t, w.Body.String(), "nothing written")
				return
			}
			assert.False(t, ok)
			assert.Equal(t, pagination.Page{}, page)
			assert.Equal(t, 422, w.Code)
			assert.JSONEq(t, `{"message":"Validation Failed","errors":`+tt.wantErrors+`}`, w.Body.String())
		})
	}
}

func TestPageClamped(t *testing.T) {
	p := newPaginator(t, pagination.Config{Clamp: true})
	tests := []struct {
		query       string
		wantNumber  int
		wantPerPage int
	}{
		{"?page=0&per_page=0", 1, 30},
		{"?page=x&per_page=y", 1, 30},
		{"?page=99999999999999999999&per_page=1000", 2147483647, 100},
		{"?page=4&per_page=50", 4, 50},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			page := mustPage(t, p, request("/posts"+tt.query))
			assert.Equal(t, tt.wantNumber, page.Number)
			assert.Equal(t, tt.wantPerPage, page.PerPage)
		})
	}
}

func TestOffsetAndLimit(t *testing.T) {
	p := newPaginator(t, pagination.Config{})
	page := mustPage(t, p, request("/posts?page=3&per_page=25"))
	assert.Equal(t, 50, page.Offset())
	assert.Equal(t, 25, page.Limit())
}

func TestLinks(t *testing.T) {
	const base = "http://api.myblog.com/posts"
	tests := []struct {
		name   string
		cfg    pagination.Config
		target string
		header []string
		total  int
		want   string
	}{
		{"first page", pagination.Config{}, "/posts?per_page=10", nil, 95,
			`<` + base + `?per_page=10&page=2>; rel="next", <` + base + `?per_page=10&page=10>; rel="last"`},
		{"middle page", pagination.Config{}, "/posts?page=5&per_page=10", nil, 95,
			`<` + base + `?page=6&per_page=10>; rel="next", <` + base + `?page=10&per_page=10>; rel="last", <` + base + `?page=1&per_page=10>; rel="first", <` + base + `?page=4&per_page=10>; rel="prev"`},
		{"last page", pagination.Config{}, "/posts?page=10&per_page=10", nil, 95,
			`<` + base + `?page=1&per_page=10>; rel="first", <` + base + `?page=9&per_page=10>; rel="prev"`},
		{"past the end: first and the last page as prev", pagination.Config{}, "/posts?page=12&per_page=10", nil, 95,
			`<` + base + `?page=1&per_page=10>; rel="first", <` + base + `?page=10&per_page=10>; rel="prev"`},
		{"everything on one page: no header", pagination.Config{}, "/posts", nil, 30, ``},
		{"an empty list: no header", pagination.Config{}, "/posts", nil, 0, ``},
		{"per_page not given: not added", pagination.Config{}, "/posts?page=2", nil, 100,
			`<` + base + `?page=3>; rel="next", <` + base + `?page=4>; rel="last", <` + base + `?page=1>; rel="first", <` + base + `?page=1>; rel="prev"`},
		{"other parameters kept in order, page replaced in place", pagination.Config{}, "/posts?sort=created&page=2&direction=desc&per_page=50", nil, 120,
			`<` + base + `?sort=created&page=3&direction=desc&per_page=50>; rel="next", <` + base + `?sort=created&page=3&direction=desc&per_page=50>; rel="last", <` + base + `?sort=created&page=1&direction=desc&per_page=50>; rel="first", <` + base + `?sort=created&page=1&direction=desc&per_page=50>; rel="prev"`},
		{"commas percent-encoded", pagination.Config{}, "/posts?labels=bug,ui", nil, 31,
			`<` + base + `?labels=bug%2Cui&page=2>; rel="next", <` + base + `?labels=bug%2Cui&page=2>; rel="last"`},
		{"escaped path kept", pagination.Config{}, "/users/a%2Fb/posts", nil, 31,
			`<http://api.myblog.com/users/a%2Fb/posts?page=2>; rel="next", <http://api.myblog.com/users/a%2Fb/posts?page=2>; rel="last"`},
		{"custom base URL", pagination.Config{BaseURL: "https://api.myblog.com/v3/"}, "/posts", nil, 31,
			`<https://api.myblog.com/v3/posts?page=2>; rel="next", <https://api.myblog.com/v3/posts?page=2>; rel="last"`},
		{"a path prefix stripped before the Paginator, put back", pagination.Config{PathPrefix: "/api/v3/"}, "/posts", nil, 31,
			`<http://api.myblog.com/api/v3/posts?page=2>; rel="next", <http://api.myblog.com/api/v3/posts?page=2>; rel="last"`},
		{"proxied scheme and host from a trusted proxy", pagination.Config{Resolver: trusting10}, "/posts",
			[]string{"RemoteAddr", "10.0.0.2:1000", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "blog.example.com"}, 31,
			`<https://blog.example.com/posts?page=2>; rel="next", <https://blog.example.com/posts?page=2>; rel="last"`},
		{"proxied scheme and host from anyone else: ignored", pagination.Config{Resolver: trusting10}, "/posts",
			[]string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"}, 31,
			`<` + base + `?page=2>; rel="next", <` + base + `?page=2>; rel="last"`},
		{"a nil Resolver believes no proxy", pagination.Config{}, "/posts",
			[]string{"RemoteAddr", "10.0.0.2:1000", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "blog.example.com"}, 31,
			`<` + base + `?page=2>; rel="next", <` + base + `?page=2>; rel="last"`},
		{"BaseURL wins over the Resolver", pagination.Config{BaseURL: "https://api.myblog.com", Resolver: trusting10}, "/posts",
			[]string{"RemoteAddr", "10.0.0.2:1000", "X-Forwarded-Proto", "http", "X-Forwarded-Host", "blog.example.com"}, 31,
			`<https://api.myblog.com/posts?page=2>; rel="next", <https://api.myblog.com/posts?page=2>; rel="last"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPaginator(t, tt.cfg)
			r := request(tt.target, tt.header...)
			page := mustPage(t, p, r)
			w := httptest.NewRecorder()
			p.SetLinks(w, r, page, tt.total)
			assert.Equal(t, tt.want, w.Header().Get("Link"))
			assert.LessOrEqual(t, len(w.Header().Values("Link")), 1, "one field line")
		})
	}
}

func TestLinksMore(t *testing.T) {
	p := newPaginator(t, pagination.Config{BaseURL: "https://api.myblog.com"})
	tests := []struct {
		name   string
		target string
		more   bool
		want   string
	}{
		{"unknown total, more to come: next, no last", "/posts", true, `<https://api.myblog.com/posts?page=2>; rel="next"`},
		{"unknown total, middle", "/posts?page=3", true, `<https://api.myblog.com/posts?page=4>; rel="next", <https://api.myblog.com/posts?page=1>; rel="first", <https://api.myblog.com/posts?page=2>; rel="prev"`},
		{"unknown total, the end", "/posts?page=3", false, `<https://api.myblog.com/posts?page=1>; rel="first", <https://api.myblog.com/posts?page=2>; rel="prev"`},
		{"unknown total, one page", "/posts", false, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.target)
			page := mustPage(t, p, r)
			w := httptest.NewRecorder()
			p.SetLinksMore(w, r, page, tt.more)
			assert.Equal(t, tt.want, w.Header().Get("Link"))
		})
	}
}

func TestLinksJoinAnExistingLink(t *testing.T) {
	p := newPaginator(t, pagination.Config{BaseURL: "https://api.myblog.com"})
	r := request("/posts")
	page := mustPage(t, p, r)
	w := httptest.NewRecorder()
	w.Header().Set("Link", `<https://developer.myblog.com/v3/posts>; rel="help"`)
	p.SetLinks(w, r, page, 31)
	assert.Equal(t, []string{`<https://developer.myblog.com/v3/posts>; rel="help", <https://api.myblog.com/posts?page=2>; rel="next", <https://api.myblog.com/posts?page=2>; rel="last"`}, w.Header().Values("Link"))
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := pagination.New(pagination.Config{
		PerPage:     200,
		BaseURL:     "api.myblog.com",
		RangeFields: []string{"id", "bad field"},
	})
	require.Error(t, err)
	assert.Equal(t, "pagination: PerPage: must be between 1 and MaxPerPage (100)\n"+
		`pagination: BaseURL: "api.myblog.com" is not an absolute http(s) URL`+"\n"+
		`pagination: RangeFields[1]: "bad field" is not a token`, err.Error())
	var ce *apierrors.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, &apierrors.ConfigError{Package: "pagination", Field: "PerPage", Reason: "must be between 1 and MaxPerPage (100)"}, ce)

	_, err = pagination.New(pagination.Config{BaseURL: "https://x/?q=1"})
	assert.EqualError(t, err, `pagination: BaseURL: "https://x/?q=1" must have no query, fragment or user`)
	for _, prefix := range []string{"api/v3", "/api v3", "/api?x", "/a%2Fb"} {
		_, err = pagination.New(pagination.Config{PathPrefix: prefix})
		assert.ErrorContains(t, err, "pagination: PathPrefix: ", "%q", prefix)
	}
	_, err = pagination.New(pagination.Config{PathPrefix: "/api/v3", BaseURL: "https://x/api/v3"})
	assert.EqualError(t, err, "pagination: PathPrefix: must be empty with BaseURL, which names the prefix itself")
	_, err = pagination.New(pagination.Config{MaxPerPage: -1})
	assert.EqualError(t, err, "pagination: MaxPerPage: must be at least 1")
	_, err = pagination.New(pagination.Config{MaxPerPage: 10})
	assert.NoError(t, err, "PerPage defaults to at most MaxPerPage")
}

// trusting10 believes the proxies of 10.0.0.0/8, their
// X-Forwarded-Proto and -Host included.
var trusting10 = func() *forwarded.Resolver {
	r, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustProto: true, TrustHost: true})
	if err != nil {
		panic(err)
	}
	return r
}()
