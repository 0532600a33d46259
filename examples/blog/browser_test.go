package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/examples/internal/browsertest"
)

const blogPage = `<!doctype html>
<html><head><title>myblog in a browser</title></head>
<body><h1>myblog from another origin</h1><pre id="out">running</pre>
<script>
window.results = {};
const api = %q;
async function call(method, path, body, token, extra) {
  const headers = Object.assign({}, extra || {});
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = "Bearer " + token;
  return fetch(api + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
}
async function run() {
  const signUp = await call("POST", "/users", {username: "browser", email: "browser@example.com", password: "correct horse battery"});
  results.signUpStatus = signUp.status;
  results.signUpLocation = signUp.headers.get("Location");

  const login = await call("POST", "/login", {username: "browser", password: "correct horse battery"});
  const tokens = await login.json();
  results.loginStatus = login.status;
  const token = tokens.token;
  results.expiresIn = tokens.expires_in;

  for (let i = 1; i <= 3; i++) {
    const created = await call("POST", "/posts", {title: "From a browser " + i, body: "Hello"}, token);
    results["create" + i] = created.status;
    if (i === 1) results.createdRemaining = created.headers.get("X-RateLimit-Remaining");
  }

  const list = await call("GET", "/posts?per_page=2");
  results.listStatus = list.status;
  results.listRemaining = list.headers.get("X-RateLimit-Remaining");
  results.listETag = list.headers.get("ETag");
  results.link = list.headers.get("Link");
  const first = await list.json();
  results.listCount = first.length;

  // cache: "no-cache" makes the browser revalidate with If-None-Match;
  // the server's 304 lets it serve the body it already has.
  const again = await fetch(api + "/posts?per_page=2", {cache: "no-cache"});
  results.againStatus = again.status;
  results.againSameBody = JSON.stringify(await again.json()) === JSON.stringify(first);

  await new Promise((resolve, reject) => {
    window.showPosts = (response) => { results.jsonp = response; resolve(); };
    const script = document.createElement("script");
    script.src = api + "/posts?per_page=2&callback=showPosts";
    script.onerror = () => reject(new Error("the JSON-P script did not load"));
    document.head.appendChild(script);
  });
}
run().catch((e) => { results.error = String(e); }).finally(() => {
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
  window.done = true;
});
</script></body></html>`

// TestBrowser drives the example server (-envelope=false) from a page on
// another origin in headless Chromium.
func TestBrowser(t *testing.T) {
	ctx := browsertest.Start(t)
	cfg := config{
		db:                 filepath.Join(t.TempDir(), "blog.db"),
		envelope:           false,
		rateLimit:          5000,
		rateLimitAnonymous: 1000,
		loginMaxFailures:   10,
		bcryptCost:         bcrypt.MinCost,
	}
	app, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(app.Close)

	// Count what the server answers, to see the browser's revalidation.
	var notModified, preflights atomic.Int64
	counter, err := accesslog.New(accesslog.Config{Done: func(r *http.Request, e accesslog.Entry) {
		switch {
		case e.Status == http.StatusNotModified:
			notModified.Add(1)
		case r.Method == http.MethodOptions && e.Status == http.StatusNoContent:
			preflights.Add(1)
		}
	}})
	require.NoError(t, err)
	counting := counter.Handler(app.handler)
	api := httptest.NewServer(counting)
	t.Cleanup(api.Close)

	var mu sync.Mutex
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, blogPage, api.URL)
	}))
	t.Cleanup(page.Close)

	results := browsertest.Run(t, ctx, page.URL, "browser-blog.png")
	require.Nil(t, results["error"], "the page's script failed: %v", results["error"])

	assert.Equal(t, float64(201), results["signUpStatus"])
	assert.Equal(t, api.URL+"/users/browser", results["signUpLocation"], "Location readable from script")
	assert.Equal(t, float64(200), results["loginStatus"])
	assert.Equal(t, float64(7200), results["expiresIn"])
	for i := 1; i <= 3; i++ {
		assert.Equal(t, float64(201), results[fmt.Sprintf("create%d", i)], "a preflighted POST with Authorization")
	}
	assert.Equal(t, "4999", results["createdRemaining"], "the user's quota, readable from script")
	assert.Positive(t, preflights.Load(), "the POSTs were preflighted")

	assert.Equal(t, float64(200), results["listStatus"])
	assert.NotEmpty(t, results["listRemaining"])
	assert.Regexp(t, `^"[0-9a-f]{16}"$`, results["listETag"])
	assert.Contains(t, results["link"], `rel="next"`)
	assert.Equal(t, float64(2), results["listCount"])

	assert.Equal(t, float64(200), results["againStatus"], "the browser serves its cached body")
	assert.Equal(t, true, results["againSameBody"])
	assert.Positive(t, notModified.Load(), "after the server answered 304")

	jsonp, ok := results["jsonp"].(map[string]any)
	require.True(t, ok, "the <script> tag called showPosts: %v", results["jsonp"])
	meta, _ := jsonp["meta"].(map[string]any)
	require.NotNil(t, meta)
	assert.Equal(t, float64(200), meta["status"])
	assert.NotEmpty(t, meta["X-RateLimit-Remaining"])
	assert.NotEmpty(t, meta["Link"])
	data, _ := jsonp["data"].([]any)
	assert.Len(t, data, 2)
}
