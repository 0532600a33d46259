package clients_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/cors"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/examples/internal/browsertest"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/pagination"
	"github.com/myblog/apikit/ratelimit"
)

// post is the one resource of the test API.
type post struct {
	mu      sync.Mutex
	title   string
	version int
}

func (p *post) etag() string {
	return conditional.ETag([]byte(fmt.Sprintf("post-1@%d", p.version)))
}

// testAPI composes apikit's middlewares in the order of the design
// (CORS, rate limit, JSON-P, conditional, router) around a small API:
// GET /posts (paginated, 5 items), GET /posts/1, PATCH /posts/1 (needs
// Authorization: Bearer test and If-Match).
func testAPI(t *testing.T, allowedOrigin string) *httptest.Server {
	t.Helper()
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	require.NoError(t, err)
	corsMW, err := cors.New(cors.Config{Origins: []string{allowedOrigin}})
	require.NoError(t, err)
	limiter, err := ratelimit.New(ratelimit.Config{Errors: errs})
	require.NoError(t, err)
	wrap, err := jsonp.New(jsonp.Config{Errors: errs})
	require.NoError(t, err)
	cond, err := conditional.New(conditional.Config{Errors: errs, Authenticated: func(r *http.Request) bool { return r.Header.Get("Authorization") != "" }})
	require.NoError(t, err)
	pages, err := pagination.New(pagination.Config{})
	require.NoError(t, err)

	the := &post{title: "Hello", version: 1}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts", func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages.Page(w, r)
		if !ok {
			return
		}
		const total = 5
		var items []map[string]any
		for id := page.Offset() + 1; id <= min(page.Offset()+page.Limit(), total); id++ {
			items = append(items, map[string]any{"id": id})
		}
		pages.SetLinks(w, r, page, total)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(items)
	})
	mux.HandleFunc("GET /posts/1", func(w http.ResponseWriter, r *http.Request) {
		the.mu.Lock()
		defer the.mu.Unlock()
		w.Header().Set("ETag", the.etag())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": 1, "title": the.title})
	})
	mux.HandleFunc("PATCH /posts/1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test" {
			errs.Write(w, r, &apierrors.Error{Status: 401, Message: "Requires authentication", Header: http.Header{"Www-Authenticate": {`Bearer realm="API"`}}})
			return
		}
		the.mu.Lock()
		defer the.mu.Unlock()
		if !cond.Check(w, r, conditional.State{Exists: true, ETag: the.etag()}) {
			return
		}
		var in struct{ Title string }
		if err := apierrors.Decode(r, "Post", &in); err != nil {
			errs.Write(w, r, err)
			return
		}
		the.title, the.version = in.Title, the.version+1
		w.Header().Set("ETag", the.etag())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": 1, "title": the.title})
	})
	handler := corsMW.Handler(limiter.Handler(wrap.Handler(cond.Handler(mux))))
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// pageServer serves one HTML page on its own origin, with the API's
// origin filled in.
func pageServer(t *testing.T, html func(api string) string) (srv *httptest.Server, setAPI func(string)) {
	t.Helper()
	var mu sync.Mutex
	var api string
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html(api))
	}))
	t.Cleanup(srv.Close)
	return srv, func(a string) { mu.Lock(); api = a; mu.Unlock() }
}

const appPage = `<!doctype html>
<html><head><title>apikit browser test</title></head>
<body><h1>apikit from another origin</h1><pre id="out">running</pre>
<script>
window.results = {};
const api = %q;
async function run() {
  const list = await fetch(api + "/posts?per_page=2");
  results.listStatus = list.status;
  results.etag = list.headers.get("ETag");
  results.link = list.headers.get("Link");
  results.remaining = list.headers.get("X-RateLimit-Remaining");
  results.count = (await list.json()).length;

  const again = await fetch(api + "/posts?per_page=2", {headers: {"If-None-Match": results.etag}});
  results.revalidateStatus = again.status;

  const one = await fetch(api + "/posts/1");
  const tag = one.headers.get("ETag");
  const patch = await fetch(api + "/posts/1", {
    method: "PATCH",
    headers: {"Authorization": "Bearer test", "If-Match": tag, "Content-Type": "application/json"},
    body: JSON.stringify({title: "Edited in a browser"}),
  });
  results.patchStatus = patch.status;
  results.patchTitle = (await patch.json()).title;
  results.patchETagChanged = patch.headers.get("ETag") !== tag;

  const stale = await fetch(api + "/posts/1", {
    method: "PATCH",
    headers: {"Authorization": "Bearer test", "If-Match": tag, "Content-Type": "application/json"},
    body: JSON.stringify({title: "lost update"}),
  });
  results.staleStatus = stale.status;

  await new Promise((resolve, reject) => {
    window.cb = (response) => { results.jsonp = response; resolve(); };
    const script = document.createElement("script");
    script.src = api + "/posts?per_page=2&callback=cb";
    script.onerror = () => reject(new Error("the JSON-P script failed to load"));
    document.head.appendChild(script);
  });
}
run().catch((e) => { results.error = String(e); }).finally(() => {
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
  window.done = true;
});
</script></body></html>`

const otherPage = `<!doctype html>
<html><body><pre id="out">running</pre>
<script>
window.results = {};
fetch(%q + "/posts")
  .then((r) => { results.blocked = false; results.status = r.status; })
  .catch((e) => { results.blocked = true; results.error = String(e); })
  .finally(() => { document.getElementById("out").textContent = JSON.stringify(results); window.done = true; });
</script></body></html>`

func TestBrowserCrossOrigin(t *testing.T) {
	ctx := browsertest.Start(t)
	app, setAppAPI := pageServer(t, func(api string) string { return fmt.Sprintf(appPage, api) })
	other, setOtherAPI := pageServer(t, func(api string) string { return fmt.Sprintf(otherPage, api) })
	api := testAPI(t, app.URL)
	setAppAPI(api.URL)
	setOtherAPI(api.URL)
	require.NotEqual(t, app.URL, api.URL, "two origins")

	results := browsertest.Run(t, ctx, app.URL, "browser-cross-origin.png")
	require.Nil(t, results["error"], "the page's script failed: %v", results["error"])

	assert.Equal(t, float64(200), results["listStatus"])
	assert.Regexp(t, `^"[0-9a-f]{16}"$`, results["etag"], "ETag readable from script")
	assert.Contains(t, results["link"], `rel="next"`, "Link readable from script")
	assert.Contains(t, results["link"], `rel="last"`)
	assert.Equal(t, float64(2), results["count"])
	assert.NotEmpty(t, results["remaining"], "X-RateLimit-Remaining readable from script")
	assert.Equal(t, float64(304), results["revalidateStatus"], "If-None-Match from fetch gets a 304")
	assert.Equal(t, float64(200), results["patchStatus"], "a preflighted PATCH with Authorization and If-Match")
	assert.Equal(t, "Edited in a browser", results["patchTitle"])
	assert.Equal(t, true, results["patchETagChanged"])
	assert.Equal(t, float64(412), results["staleStatus"], "the same If-Match again: a lost update refused")

	jsonpResult, ok := results["jsonp"].(map[string]any)
	require.True(t, ok, "the <script> tag called cb: %v", results["jsonp"])
	meta, _ := jsonpResult["meta"].(map[string]any)
	require.NotNil(t, meta)
	assert.Equal(t, float64(200), meta["status"])
	assert.NotEmpty(t, meta["X-RateLimit-Remaining"])
	links, _ := meta["Link"].([]any)
	require.NotEmpty(t, links)
	first, _ := links[0].([]any)
	require.Len(t, first, 2)
	assert.True(t, strings.HasPrefix(first[0].(string), api.URL+"/posts?"), "%v", first[0])
	assert.Equal(t, map[string]any{"rel": "next"}, first[1])
	data, _ := jsonpResult["data"].([]any)
	assert.Len(t, data, 2)

	blocked := browsertest.Run(t, ctx, other.URL, "")
	assert.Equal(t, true, blocked["blocked"], "an origin not on the allow-list cannot read the API: %v", blocked)
}
