// Package recipetest holds the checks every recipe's test runs against its
// application on a real httptest.Server: a 304 for a repeated GET, a rate
// limit refusal with GitHub's body and headers, and the Link header of a
// paged list. Every check reads the client's *http.Response, so it sees
// exactly what went over the wire.
package recipetest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/examples/recipes"
	"github.com/myblog/apikit/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Now is the recipes' fixed clock: every window of the rate limiter opens
// at Now and closes an hour later.
var Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Clock returns Now, for recipes.Config.Now.
func Clock() time.Time { return Now }

// Response is what a client got: the response (its body already read and
// closed) and the body.
type Response struct {
	*http.Response
	Body string
}

// Get sends GET url with the header fields of header (pairs of name and
// value) and returns what came back.
func Get(t testing.TB, client *http.Client, url string, header ...string) Response {
	t.Helper()
	require.Zero(t, len(header)%2, "header takes pairs of name and value")
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{Response: resp, Body: string(body)}
}

// CheckNotModified checks RFC 9110 §13.1.2 through the whole stack: GET
// url is a 200 whose ETag is the tag of the body the client received (so
// the conditional middleware saw the final body), and the same GET with
// If-None-Match: that tag is a 304 with the same ETag, no body and no
// Content-Type, that the rate limiter gave back to the quota (its
// X-RateLimit-Remaining is the 200's).
func CheckNotModified(t *testing.T, client *http.Client, url string) {
	t.Helper()
	first := Get(t, client, url)
	require.Equal(t, http.StatusOK, first.StatusCode, first.Body)
	etag := first.Header.Get("Etag")
	require.NotEmpty(t, etag, "a 200 to GET carries an ETag")
	assert.Equal(t, conditional.ETag([]byte(first.Body)), etag, "the ETag is the tag of the body sent")
	assert.Equal(t, conditional.DefaultPublicCacheControl, first.Header.Get("Cache-Control"))

	again := Get(t, client, url, "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, again.StatusCode)
	assert.Empty(t, again.Body)
	assert.Equal(t, etag, again.Header.Get("Etag"), "RFC 9110 §15.4.5: a 304 carries the ETag")
	assert.Empty(t, again.Header.Get("Content-Type"), "RFC 9110 §15.4.5: a 304 describes no body")
	assert.Equal(t, first.Header.Get("X-RateLimit-Remaining"), again.Header.Get("X-RateLimit-Remaining"),
		"a 304 is given back to the quota before it is sent")
}

// CheckRateLimited sends GET url until the anonymous quota limit of the
// client is spent, and checks the figures of every response and the
// refusal that follows: GitHub's 403 with its JSON body naming clientIP
// (the address the limiter counted) and the X-RateLimit-* and Retry-After
// headers. header, when not nil, gives the header fields of the n-th
// request (from 1) as pairs of name and value.
func CheckRateLimited(t *testing.T, client *http.Client, url string, limit int, clientIP string, header func(n int) []string) {
	t.Helper()
	fields := func(n int) []string {
		if header == nil {
			return nil
		}
		return header(n)
	}
	for n := 1; n <= limit; n++ {
		resp := Get(t, client, url, fields(n)...)
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d of %d: %s", n, limit, resp.Body)
		require.Equal(t, strconv.Itoa(limit-n), resp.Header.Get("X-RateLimit-Remaining"), "request %d", n)
	}
	refused := Get(t, client, url, fields(limit+1)...)
	assert.Equal(t, http.StatusForbidden, refused.StatusCode, "GitHub answers an exceeded quota with 403")
	assert.Equal(t, "application/json; charset=utf-8", refused.Header.Get("Content-Type"))
	assert.JSONEq(t, fmt.Sprintf(`{"message":%q,"documentation_url":%q}`,
		fmt.Sprintf(ratelimit.MsgAnonymousLimited, clientIP), recipes.DocumentationURL+"/"+ratelimit.DocRateLimiting), refused.Body)
	assert.Equal(t, map[string]string{
		"X-Ratelimit-Limit":     strconv.Itoa(limit),
		"X-Ratelimit-Remaining": "0",
		"X-Ratelimit-Used":      strconv.Itoa(limit),
		"X-Ratelimit-Reset":     strconv.FormatInt(Now.Add(time.Hour).Unix(), 10),
		"X-Ratelimit-Resource":  "core",
		"Retry-After":           "3600",
	}, rateLimitHeaders(refused.Header))
}

func rateLimitHeaders(h http.Header) map[string]string {
	got := map[string]string{}
	for _, name := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Used", "X-Ratelimit-Reset", "X-Ratelimit-Resource", "Retry-After"} {
		got[name] = h.Get(name)
	}
	return got
}

// CheckLinks checks the Link header (RFC 8288) of recipes.Posts paged 2 at
// a time, on the first and the second page, and the items each page holds.
// base is the scheme and host the links must start with: the server's own,
// or what a trusted proxy said.
func CheckLinks(t *testing.T, client *http.Client, serverURL, base string, header ...string) {
	t.Helper()
	cases := []struct {
		name, query, link string
		ids               []string
	}{{
		name:  "first page: next and last",
		query: "?per_page=2",
		link:  `<` + base + `/posts?per_page=2&page=2>; rel="next", <` + base + `/posts?per_page=2&page=3>; rel="last"`,
		ids:   []string{"1", "2"},
	}, {
		name:  "second page: next, last, first and prev, in GitHub's order",
		query: "?page=2&per_page=2",
		link: `<` + base + `/posts?page=3&per_page=2>; rel="next", <` + base + `/posts?page=3&per_page=2>; rel="last", ` +
			`<` + base + `/posts?page=1&per_page=2>; rel="first", <` + base + `/posts?page=1&per_page=2>; rel="prev"`,
		ids: []string{"3", "4"},
	}}
	for _, tc := range cases {
		resp := Get(t, client, serverURL+"/posts"+tc.query, header...)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tc.name, resp.Body)
		assert.Equal(t, []string{tc.link}, resp.Header.Values("Link"), tc.name)
		assert.JSONEq(t, postsJSON(tc.ids...), resp.Body, tc.name)
	}
}

// PostJSON is the JSON of recipes.Posts' item id.
func PostJSON(id string) string {
	post, err := recipes.FindPost(id)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf(`{"id":%q,"title":%q}`, post.ID, post.Title)
}

func postsJSON(ids ...string) string {
	out := "["
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += PostJSON(id)
	}
	return out + "]"
}
