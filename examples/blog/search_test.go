package main

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2ESearch: GitHub's search shape over titles and bodies, drafts
// never found, its own rate-limit resource.
func TestE2ESearch(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, func(c *config) { c.envelope = false })
	ann, bob := b.signUp(t, "ann"), b.signUp(t, "bob")
	for _, p := range []struct {
		user  *e2eUser
		title string
		body  string
		draft bool
	}{
		{ann, "Gophers in the garden", "A story about rabbits.", false},
		{ann, "Rabbits", "Gophers dig; rabbits hop. Gophers again: gophers.", false},
		{bob, "Cooking", "Nothing about small burrowing animals.", false},
		{bob, "Gophers, a draft", "Unpublished gophers.", true},
		{bob, "Café notes", "Crème brûlée and gophers.", false},
	} {
		b.createPost(t, p.user.token, map[string]any{"title": p.title, "body": p.body, "published": !p.draft}, nil)
	}
	search := func(t *testing.T, query string) (*e2eResp, map[string]any) {
		t.Helper()
		// As ann: 30 searches a minute, more than this test makes.
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/search/posts?" + query, token: ann.token})
		if resp.status != http.StatusOK {
			return resp, nil
		}
		return resp, b.object(t, resp, http.StatusOK)
	}
	titles := func(result map[string]any) []string {
		var out []string
		for _, item := range result["items"].([]any) {
			out = append(out, item.(map[string]any)["title"].(string))
		}
		return out
	}

	tests := []struct {
		name  string
		query string
		total int
		want  []string // in order; nil: any order
	}{
		{"a word in titles and bodies, the title weighing more", "q=gophers", 3, nil},
		{"every word", "q=gophers+rabbits", 2, nil},
		{"case does not matter", "q=" + url.QueryEscape("CAFÉ"), 1, []string{"Café notes"}},
		{"author:", "q=gophers+author:bob", 1, []string{"Café notes"}},
		{"no match", "q=platypus", 0, []string{}},
		{"FTS syntax is only words", "q=" + url.QueryEscape(`gophers OR "cooking" NEAR(x) *`), 0, []string{}},
		{"sort=created, order=asc", "q=gophers&sort=created&order=asc", 3, []string{"Gophers in the garden", "Rabbits", "Café notes"}},
		{"sort=created", "q=gophers&sort=created", 3, []string{"Café notes", "Rabbits", "Gophers in the garden"}},
		{"paginated", "q=gophers&per_page=2&sort=created", 3, []string{"Café notes", "Rabbits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, result := search(t, tt.query)
			require.NotNil(t, result, "%s", resp)
			assert.Equal(t, float64(tt.total), result["total_count"])
			assert.Equal(t, false, result["incomplete_results"])
			got := titles(result)
			if tt.want != nil {
				assert.Equal(t, tt.want, append([]string{}, got...))
			} else {
				assert.Len(t, got, tt.total)
			}
			assert.NotContains(t, got, "Gophers, a draft", "drafts are never found")
			for _, item := range result["items"].([]any) {
				item := item.(map[string]any)
				b.assertFields(t, append(append([]string{}, e2ePostSummaryFields...), "score"), item)
				assert.Greater(t, item["score"], 0.0)
			}
			assert.Equal(t, "search", resp.header.Get("X-RateLimit-Resource"))
		})
	}

	t.Run("best match first: the title weighs more than the body", func(t *testing.T) {
		_, result := search(t, "q=rabbits")
		assert.Equal(t, []string{"Rabbits", "Gophers in the garden"}, titles(result))
	})
	t.Run("Link pages the results", func(t *testing.T) {
		resp, _ := search(t, "q=gophers&per_page=2&sort=created")
		assert.Contains(t, resp.header.Get("Link"), `page=2>; rel="next"`)
	})
	for _, tt := range []struct {
		name, query, field string
	}{
		{"no q", "", "q"},
		{"only qualifiers", "q=author:ann", "q"},
		{"a bad sort", "q=x&sort=stars", "sort"},
		{"a bad order", "q=x&order=up", "order"},
		{"too long", "q=" + url.QueryEscape(string(make([]byte, 257))), "q"},
	} {
		t.Run("422: "+tt.name, func(t *testing.T) {
			resp, _ := search(t, tt.query)
			assert.Equal(t, http.StatusUnprocessableEntity, resp.status, "%s", resp)
			assert.Contains(t, string(resp.body), `"field":"`+tt.field+`"`)
		})
	}
}

// The search resource: 10 searches a minute anonymous (30 with a user),
// apart from core, and reported by /rate_limit.
func TestE2ESearchRateLimit(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	for i := range 10 {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/search/posts?q=anything"})
		require.Equal(t, http.StatusOK, resp.status, "search %d: %s", i+1, resp)
		assert.Equal(t, "10", resp.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(9-i), resp.header.Get("X-RateLimit-Remaining"))
	}
	resp := b.do(t, e2eReq{method: http.MethodGet, path: "/search/posts?q=anything"})
	assert.Equal(t, http.StatusForbidden, resp.status)
	assert.Equal(t, "search", resp.header.Get("X-RateLimit-Resource"))
	assert.Equal(t, "0", resp.header.Get("X-RateLimit-Remaining"))

	status := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit"}), http.StatusOK)
	resources := status["resources"].(map[string]any)
	assert.Equal(t, float64(0), resources["search"].(map[string]any)["remaining"])
	assert.Equal(t, float64(10), resources["search"].(map[string]any)["used"])
	core := resources["core"].(map[string]any)
	assert.Equal(t, core["limit"], core["remaining"], "core untouched by searches")

	u := b.signUp(t, "sam")
	resp = b.do(t, e2eReq{method: http.MethodGet, path: "/search/posts?q=anything", token: u.token})
	assert.Equal(t, http.StatusOK, resp.status, "a user has a quota of their own")
	assert.Equal(t, "30", resp.header.Get("X-RateLimit-Limit"))
}
