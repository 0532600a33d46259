package main

// The example behind a real nginx, configured as usual (Host $host,
// X-Forwarded-For $proxy_add_x_forwarded_for, X-Forwarded-Proto $scheme,
// X-Real-IP $remote_addr), with clients at 127.0.0.2 and 127.0.0.3 that
// send whatever forwarding headers they like: none of it may choose their
// address (quota, lockout) or the host of an absolute URL.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/internal/nginxtest"
)

// startBlog starts the example with args (flags, as on the command line)
// and a throwaway database, and returns its URL.
func startBlog(t *testing.T, args ...string) string {
	t.Helper()
	cfg, err := parseConfig(append([]string{"-db", ":memory:"}, args...), func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	cfg.bcryptCost = bcrypt.MinCost
	app, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	blog := httptest.NewServer(app.handler)
	t.Cleanup(blog.Close)
	return blog.URL
}

// blogBehindNginx is startBlog with nginx in front; it returns nginx's
// URL.
func blogBehindNginx(t *testing.T, args ...string) string {
	t.Helper()
	return nginxtest.Start(t, startBlog(t, args...)).URL
}

// proxied is one request through nginx.
type proxied struct {
	method, path string
	body         any
	token        string
	header       []string // "Name", "value", ...; "Host" sets the Host header
}

func sendVia(t *testing.T, client *http.Client, base string, p proxied) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if p.body != nil {
		b, err := json.Marshal(p.body)
		require.NoError(t, err)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(p.method, base+p.path, body)
	require.NoError(t, err)
	if p.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	for i := 0; i+1 < len(p.header); i += 2 {
		if p.header[i] == "Host" {
			req.Host = p.header[i+1]
			continue
		}
		req.Header.Add(p.header[i], p.header[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// spoofing is what a client behind nginx sends to pass for someone else:
// the n-th request names a fresh address each time.
func spoofing(n int) []string {
	fresh := fmt.Sprintf("198.51.100.%d", n)
	switch n % 6 {
	case 0:
		return []string{"Forwarded", "for=" + fresh}
	case 1:
		return []string{"X-Forwarded-For", fresh}
	case 2:
		return []string{"Forwarded", ";"}
	case 3:
		return []string{"X-Forwarded-For", "127.0.0.3, " + fresh, "Forwarded", `for="[2001:db8::` + strconv.Itoa(n) + `]"`}
	case 4:
		return []string{"X-Real-IP", fresh, "Forwarded", "for=_hidden"}
	default:
		return []string{"Forwarded", "for=127.0.0.3", "X-Forwarded-For", "127.0.0.3"}
	}
}

// X-RateLimit-Remaining keeps falling for a client however it spoofs its
// address, and another client behind the same nginx keeps its own quota.
func TestBehindNginxRateLimit(t *testing.T) {
	proxy := blogBehindNginx(t, "-trusted-proxies", "127.0.0.1", "-hosts", "api.myblog.test", "-rate-limit-anonymous", "20")
	alice, bob := nginxtest.ClientFrom(t, "127.0.0.2"), nginxtest.ClientFrom(t, "127.0.0.3")
	remaining := func(client *http.Client, header []string) string {
		resp, _ := sendVia(t, client, proxy, proxied{method: http.MethodGet, path: "/posts", header: header})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return resp.Header.Get("X-RateLimit-Remaining")
	}
	for n := 1; n <= 12; n++ {
		assert.Equal(t, strconv.Itoa(20-n), remaining(alice, spoofing(n)), "alice's request %d, spoofing %q", n, spoofing(n))
	}
	assert.Equal(t, "19", remaining(bob, nil), "alice's spoofing of bob's address spent none of his quota")
	assert.Equal(t, "18", remaining(bob, []string{"Forwarded", "for=127.0.0.2"}))
	assert.Equal(t, "7", remaining(alice, nil))
}

// Ten bad logins lock out the client that made them, whatever addresses
// it claimed, and not another client behind the same nginx.
func TestBehindNginxLoginLockout(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spoof func(n int) []string
	}{
		{"a fresh address per login", spoofing},
		{"RFC 7239 §4: Forwarded; every time, to pass for the proxy", func(int) []string { return []string{"Forwarded", ";"} }},
		{"the other client's address", func(int) []string { return []string{"Forwarded", "for=127.0.0.3", "X-Forwarded-For", "127.0.0.3"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxy := blogBehindNginx(t, "-trusted-proxies", "127.0.0.1", "-hosts", "api.myblog.test")
			alice, bob := nginxtest.ClientFrom(t, "127.0.0.2"), nginxtest.ClientFrom(t, "127.0.0.3")
			resp, body := sendVia(t, bob, proxy, proxied{method: http.MethodPost, path: "/users",
				body: map[string]string{"username": "octocat", "email": "octocat@example.com", "password": "correct horse battery"}})
			require.Equal(t, http.StatusCreated, resp.StatusCode, body)
			login := func(client *http.Client, username, password string, header []string) int {
				resp, _ := sendVia(t, client, proxy, proxied{method: http.MethodPost, path: "/login",
					body: map[string]string{"username": username, "password": password}, header: header})
				return resp.StatusCode
			}

			for n := 1; n <= 10; n++ {
				// A login of no account each time: the per-address
				// counter alone can lock alice out.
				require.Equal(t, http.StatusUnauthorized, login(alice, "nobody-"+strconv.Itoa(n), "wrong password", tt.spoof(n)), "bad login %d", n)
			}
			assert.Equal(t, http.StatusOK, login(bob, "octocat", "correct horse battery", nil), "bob, behind the same nginx, is not locked out")
			assert.Equal(t, http.StatusForbidden, login(alice, "octocat", "correct horse battery", tt.spoof(11)), "alice is locked out, whatever she claims")
			assert.Equal(t, http.StatusForbidden, login(alice, "octocat", "correct horse battery", nil), "alice is locked out")
		})
	}
}

// absoluteURLs are the URLs a response names: Location, Link, and every
// *_url and url field of its body.
func absoluteURLs(t *testing.T, resp *http.Response, body string) []string {
	t.Helper()
	var urls []string
	if location := resp.Header.Get("Location"); location != "" {
		urls = append(urls, location)
	}
	for _, link := range strings.Split(resp.Header.Get("Link"), ",") {
		if target, _, ok := strings.Cut(strings.TrimSpace(link), ">"); ok {
			urls = append(urls, strings.TrimPrefix(target, "<"))
		}
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for key, value := range v {
				if s, ok := value.(string); ok && (key == "url" || strings.HasSuffix(key, "_url")) && key != "documentation_url" {
					urls = append(urls, s)
				}
				walk(value)
			}
		case []any:
			for _, value := range v {
				walk(value)
			}
		}
	}
	var decoded any
	if json.Unmarshal([]byte(body), &decoded) == nil {
		walk(decoded)
	}
	return urls
}

// A spoofed Host or X-Forwarded-Host never reaches Location, Link or a
// *_url field: with -hosts, a listed Host is kept and any other gets the
// first listed; with -base-url, every URL starts with it.
func TestBehindNginxAbsoluteURLs(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		// want maps the Host a client sends ("": nginx's address) to the
		// base of the URLs it gets.
		want map[string]string
	}{
		{name: "-hosts", args: []string{"-trusted-proxies", "127.0.0.1", "-hosts", "api.myblog.test,www.myblog.test"},
			want: map[string]string{"www.myblog.test": "http://www.myblog.test/", "evil.example": "http://api.myblog.test/", "": "http://api.myblog.test/"}},
		{name: "-hosts and -proxy-proto", args: []string{"-trusted-proxies", "127.0.0.1", "-hosts", "api.myblog.test", "-proxy-proto"},
			want: map[string]string{"API.myblog.test": "http://api.myblog.test/", "evil.example": "http://api.myblog.test/"}},
		{name: "-base-url", args: []string{"-trusted-proxies", "127.0.0.1", "-base-url", "https://api.myblog.test"},
			want: map[string]string{"www.myblog.test": "https://api.myblog.test/", "evil.example": "https://api.myblog.test/", "": "https://api.myblog.test/"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkAbsoluteURLs(t, blogBehindNginx(t, tt.args...), nginxtest.ClientFrom(t, "127.0.0.2"), tt.want)
		})
	}
}

// Without -base-url and -hosts, every absolute URL names the address the
// connection arrived on, whatever Host the client sends.
func TestAbsoluteURLsWithoutHosts(t *testing.T) {
	blog := startBlog(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	checkAbsoluteURLs(t, blog, client, map[string]string{"www.myblog.test": blog + "/", "evil.example": blog + "/", "": blog + "/"})
}

// checkAbsoluteURLs has a user with two posts rename itself, then sends
// requests that answer with absolute URLs (GET /, a 201 with Location, a
// page with Link, a 301) with each Host of want and spoofed forwarding
// headers, and checks that every URL starts with the base want gives.
func checkAbsoluteURLs(t *testing.T, base string, client *http.Client, want map[string]string) {
	t.Helper()
	resp, body := sendVia(t, client, base, proxied{method: http.MethodPost, path: "/users",
		body: map[string]string{"username": "hubot", "email": "hubot@example.com", "password": "correct horse battery"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	resp, body = sendVia(t, client, base, proxied{method: http.MethodPost, path: "/login",
		body: map[string]string{"username": "hubot", "password": "correct horse battery"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var login struct{ Data struct{ Token string } }
	require.NoError(t, json.Unmarshal([]byte(body), &login))
	token := login.Data.Token
	require.NotEmpty(t, token)
	resp, body = sendVia(t, client, base, proxied{method: http.MethodPatch, path: "/user", token: token,
		body: map[string]string{"username": "hubot2"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	spoofs := [][]string{
		nil,
		{"X-Forwarded-Host", "evil.example"},
		{"Forwarded", "host=evil.example;proto=https", "X-Forwarded-Proto", "https"},
		{"X-Forwarded-Host", "evil.example", "X-Forwarded-Host", "evil.example:443"},
	}
	posts := 0
	for host, wantBase := range want {
		for _, spoof := range spoofs {
			header := spoof
			if host != "" {
				header = append([]string{"Host", host}, spoof...)
			}
			posts++
			for _, p := range []proxied{
				{method: http.MethodGet, path: "/"},
				{method: http.MethodPost, path: "/posts", token: token, body: map[string]string{"title": "Post " + strconv.Itoa(posts)}},
				{method: http.MethodGet, path: "/posts?per_page=1"},
				{method: http.MethodGet, path: "/users/hubot"},
			} {
				p.header = header
				resp, body := sendVia(t, client, base, p)
				require.Less(t, resp.StatusCode, 400, "%s %s: %s", p.method, p.path, body)
				urls := absoluteURLs(t, resp, body)
				require.NotEmpty(t, urls, "%s %s names absolute URLs", p.method, p.path)
				for _, u := range urls {
					assert.NotContains(t, u, "evil", "%s %s with Host %q and %q", p.method, p.path, host, spoof)
					assert.True(t, strings.HasPrefix(u, wantBase), "%s %s with Host %q and %q: %s does not start with %s", p.method, p.path, host, spoof, u, wantBase)
				}
			}
		}
	}
}
