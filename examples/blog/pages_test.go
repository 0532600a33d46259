package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// e2eLinks returns a Link header's URLs by rel.
func e2eLinks(header string) map[string]string {
	links := map[string]string{}
	for _, m := range regexp.MustCompile(`<([^>]+)>; rel="([a-z]+)"`).FindAllStringSubmatch(header, -1) {
		links[m[2]] = m[1]
	}
	return links
}

// Lists longer than page numbers reach (here 6 items, in production
// maxPageOffset) go on by cursor: rel="next" of the deepest page is an
// after= link, cursor pages link after= forwards and before= backwards,
// and walking either way gives every item once, in order.
func TestE2EDeepPages(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, func(c *config) { c.maxPageOffset = 6 })
	ann, bob := b.signUp(t, "ann"), b.signUp(t, "bob")
	var all, anns []string // newest first
	for i := range 14 {
		author := ann
		if i%3 == 2 {
			author = bob
		}
		post, _ := b.createPost(t, author.token, map[string]any{"title": fmt.Sprint("post ", i)}, nil)
		all = append([]string{e2eUUIDOf(post)}, all...)
		if author == ann {
			anns = append([]string{e2eUUIDOf(post)}, anns...)
		}
		if i%4 == 0 { // drafts are never listed
			b.createPost(t, author.token, map[string]any{"title": "draft", "published": false}, nil)
		}
	}
	ids := func(list []map[string]any) []string {
		var out []string
		for _, p := range list {
			out = append(out, e2eUUIDOf(p))
		}
		return out
	}
	// walk follows rel (next or prev) from path and returns every id
	// seen, in the order pages came, and every Link header.
	walk := func(t *testing.T, path, rel string) ([]string, []map[string]string) {
		var seen []string
		var links []map[string]string
		for path != "" {
			require.Less(t, len(links), 20, "a walk that does not end")
			resp := b.do(t, e2eReq{method: http.MethodGet, path: path})
			page := ids(b.list(t, resp, http.StatusOK))
			if rel == "prev" {
				seen = append(page, seen...)
			} else {
				seen = append(seen, page...)
			}
			l := e2eLinks(resp.header.Get("Link"))
			links = append(links, l)
			path = l[rel]
		}
		return seen, links
	}

	for _, list := range []struct {
		path string
		want []string
	}{{"/posts", all}, {"/users/ann/posts", anns}} {
		t.Run(list.path, func(t *testing.T) {
			seen, links := walk(t, list.path+"?per_page=3", "next")
			assert.Equal(t, list.want, seen, "every post once, newest first")
			pageURL := func(n int) string { return fmt.Sprintf("%s%s?per_page=3&page=%d", b.url, list.path, n) }
			assert.Equal(t, map[string]string{"next": pageURL(2)}, links[0], "no last: page numbers do not reach the end")
			assert.Equal(t, pageURL(1), links[1]["first"])
			assert.Regexp(t, `^`+regexp.QuoteMeta(b.url+list.path)+`\?per_page=3&after=[A-Za-z0-9_-]+$`, links[1]["next"], "page 2 is the deepest: next goes on by cursor")
			for _, l := range links[2:] {
				assert.NotContains(t, l, "last")
				assert.Contains(t, l, "prev", "a cursor page links back")
			}
			assert.NotContains(t, links[len(links)-1], "next", "the end")

			// From the last page back by prev: the same posts, in order.
			last := links[len(links)-2]["next"]
			back, _ := walk(t, last, "prev")
			assert.Equal(t, list.want[6:], back[len(back)-len(list.want[6:]):], "prev walks back over the cursor pages")
		})
	}

	t.Run("a cursor page is the same whatever the page size was", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts?page=2&per_page=3"})
		next := e2eLinks(resp.header.Get("Link"))["next"]
		resp = b.do(t, e2eReq{method: http.MethodGet, path: strings.Replace(next, "per_page=3", "per_page=5", 1)})
		assert.Equal(t, all[6:11], ids(b.list(t, resp, http.StatusOK)))
	})
	t.Run("a page number past the reach is a 422 pointing at Link", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts?page=3&per_page=3"})
		e2eAssertError(t, resp, http.StatusUnprocessableEntity, e2eValidation(e2eField("Query", "page", "invalid",
			`page numbers reach the first 6 items: follow the Link header's rel="next", which goes on by cursor`)))
	})
	key := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tt := range []struct{ name, query, field, message string }{
		{"not base64", "after=%21%21", "after", "after is not a cursor this API gave out"},
		{"not JSON", "before=" + key("nope"), "before", "before is not a cursor this API gave out"},
		{"not a time", "after=" + key(`{"t":"yesterday","i":"x"}`), "after", "after is not a cursor this API gave out"},
		{"no id", "after=" + key(`{"t":"2026-12-03T00:00:00.000000000Z","i":""}`), "after", "after is not a cursor this API gave out"},
		{"since is not taken", "since=2026-01-01T00:00:00Z", "since", "this list is paged by page, or by the after and before cursors of its Link header"},
		{"two cursors", "after=a&before=b", "before", "only one of since, after and before may be given"},
	} {
		t.Run("422 for "+tt.name, func(t *testing.T) {
			for _, path := range []string{"/posts", "/users/ann/posts", "/posts/" + all[0] + "/comments"} {
				e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: path + "?" + tt.query}), http.StatusUnprocessableEntity,
					e2eValidation(e2eField("Query", tt.field, "invalid", tt.message)))
			}
		})
	}
	t.Run("comments go on by cursor too, oldest first", func(t *testing.T) {
		var want []string
		for i := range 8 {
			resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts/" + all[0] + "/comments", token: bob.token, body: map[string]string{"body": fmt.Sprint("comment ", i)}})
			want = append(want, e2eUUIDOf(b.object(t, resp, http.StatusCreated)))
		}
		seen, links := walk(t, "/posts/"+all[0]+"/comments?per_page=4", "next")
		assert.Equal(t, want, seen)
		assert.Len(t, links, 2, "page 1, then page 2 by number; page 2 is the last (8 items, 2 pages)")
		seen, links = walk(t, "/posts/"+all[0]+"/comments?per_page=2", "next")
		assert.Equal(t, want, seen, "by number to page 3, then by cursor")
		assert.Regexp(t, `after=`, links[2]["next"])
	})
}

// The counts the triggers keep (published posts per author and in all,
// comments and likes per post) agree with counting the rows, after every
// kind of change, cascades included.
func TestCounts(t *testing.T) {
	ctx := context.Background()
	s := exportTestStore(t)
	now := time.Now()
	mk := func(id string) {
		require.NoError(t, s.createUser(ctx, &user{ID: id, Login: id, Email: id + "@example.com", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}))
	}
	mk("ann")
	mk("bob")
	post := func(id, author string, published bool) {
		p := &post{ID: id, AuthorID: author, Title: id, Published: published, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
		if published {
			p.PublishedAt = &now
		}
		require.NoError(t, s.createPost(ctx, p))
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, author := range []string{"", "ann", "bob"} {
			var want int
			q, args := `SELECT count(*) FROM posts WHERE published`, []any{}
			if author != "" {
				q, args = q+` AND author_id = $1`, append(args, author)
			}
			require.NoError(t, s.db.QueryRow(q, args...).Scan(&want))
			got, err := s.publishedCount(ctx, author)
			require.NoError(t, err)
			assert.Equal(t, want, got, "published posts of %q", author)
		}
		rows, err := s.db.Query(`SELECT id, comments_count, likes_count,
			(SELECT count(*) FROM comments WHERE post_id = posts.id), (SELECT count(*) FROM likes WHERE post_id = posts.id) FROM posts`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var id string
			var comments, likes, wantComments, wantLikes int
			require.NoError(t, rows.Scan(&id, &comments, &likes, &wantComments, &wantLikes))
			assert.Equal(t, wantComments, comments, "comments of %s", id)
			assert.Equal(t, wantLikes, likes, "likes of %s", id)
		}
		require.NoError(t, rows.Err())
	}
	steps := []struct {
		name string
		do   func(t *testing.T)
	}{
		{"published and draft posts", func(t *testing.T) {
			post("p1", "ann", true)
			post("p2", "ann", false)
			post("p3", "bob", true)
		}},
		{"a draft published", func(t *testing.T) {
			published := true
			_, err := s.updatePost(ctx, "p2", 1, postChange{Published: &published}, now)
			require.NoError(t, err)
		}},
		{"a post withdrawn", func(t *testing.T) {
			withdrawn := false
			_, err := s.updatePost(ctx, "p3", 1, postChange{Published: &withdrawn}, now)
			require.NoError(t, err)
		}},
		{"a title changed: nothing counted", func(t *testing.T) {
			title := "new"
			_, err := s.updatePost(ctx, "p1", 1, postChange{Title: &title}, now)
			require.NoError(t, err)
		}},
		{"comments and likes", func(t *testing.T) {
			for i, author := range []string{"ann", "bob", "bob"} {
				require.NoError(t, s.createComment(ctx, &comment{ID: fmt.Sprint("c", i), PostID: "p1", AuthorID: author, Body: "hi", CreatedAt: now, UpdatedAt: now}))
			}
			require.NoError(t, s.setLike(ctx, "p1", "ann", true, now))
			require.NoError(t, s.setLike(ctx, "p1", "bob", true, now))
			require.NoError(t, s.setLike(ctx, "p1", "bob", true, now)) // twice: one like
			require.NoError(t, s.setLike(ctx, "p2", "bob", true, now))
			require.NoError(t, s.setLike(ctx, "p2", "bob", false, now))
		}},
		{"a post deleted with its comments and likes", func(t *testing.T) {
			deleted, err := s.deletePosts(ctx, "ann", []string{"p1", "p3"})
			require.NoError(t, err)
			assert.Equal(t, []bool{true, false}, deleted, "p3 is bob's")
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.do(t)
			check(t)
		})
	}
	got, err := s.publishedCount(ctx, "nobody")
	require.NoError(t, err)
	assert.Zero(t, got, "an unknown author has none")
}
