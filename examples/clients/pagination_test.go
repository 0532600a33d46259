package clients_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-github/v89/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/pagination"
)

// listServer serves GET /posts: total items with ids 1..total, paged by
// apikit's pagination, Link header included.
func listServer(t *testing.T, total int) *httptest.Server {
	t.Helper()
	pages, err := pagination.New(pagination.Config{})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts", func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages.Page(w, r)
		if !ok {
			return
		}
		items := []map[string]int{}
		for id := page.Offset() + 1; id <= min(page.Offset()+page.Limit(), total); id++ {
			items = append(items, map[string]int{"id": id})
		}
		pages.SetLinks(w, r, page, total)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(items)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func githubClient(t *testing.T, srv *httptest.Server) *github.Client {
	t.Helper()
	base := srv.URL + "/"
	client, err := github.NewClient(github.WithHTTPClient(srv.Client()), github.WithURLs(&base, &base))
	require.NoError(t, err)
	return client
}

// go-github walks every page through Response.NextPage and reads the other
// three links as GitHub's own.
func TestGoGitHubWalksPages(t *testing.T) {
	srv := listServer(t, 95)
	client := githubClient(t, srv)
	ctx := context.Background()

	type pageLinks struct{ next, last, first, prev int }
	want := map[int]pageLinks{
		1:  {next: 2, last: 10},
		5:  {next: 6, last: 10, first: 1, prev: 4},
		10: {first: 1, prev: 9},
	}
	var ids []int
	opts := github.ListOptions{PerPage: 10, Page: 1}
	for pagesRead := 0; ; pagesRead++ {
		require.Less(t, pagesRead, 20, "the walk must end")
		req, err := client.NewRequest(ctx, "GET", "posts?page="+strconv.Itoa(opts.Page)+"&per_page="+strconv.Itoa(opts.PerPage), nil)
		require.NoError(t, err)
		var items []struct{ ID int }
		resp, err := client.Do(req, &items)
		require.NoError(t, err)
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		if w, ok := want[opts.Page]; ok {
			assert.Equal(t, w, pageLinks{resp.NextPage, resp.LastPage, resp.FirstPage, resp.PrevPage}, "page %d", opts.Page)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	require.Len(t, ids, 95)
	for i, id := range ids {
		assert.Equal(t, i+1, id)
	}
}

// Octokit's paginate() finds the next page with this expression
// (@octokit/plugin-paginate-rest).
var octokitNext = regexp.MustCompile(`<([^<>]+)>;\s*rel="next"`)

func TestOctokitFindsNext(t *testing.T) {
	srv := listServer(t, 95)
	next := srv.URL + "/posts?labels=a,b&page=1"
	var pagesRead int
	for next != "" {
		require.Less(t, pagesRead, 20)
		resp, err := srv.Client().Get(next)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		pagesRead++
		m := octokitNext.FindStringSubmatch(resp.Header.Get("Link"))
		if m == nil {
			break
		}
		next = m[1]
		assert.Contains(t, next, "labels=a%2Cb", "commas stay encoded, other parameters kept")
	}
	assert.Equal(t, 4, pagesRead, "95 items, 30 a page")
}
