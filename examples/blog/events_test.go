package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v89/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EEvents: the activity lists, newest first, with X-Poll-Interval,
// and polls that find nothing new answered 304 without counting.
func TestE2EEvents(t *testing.T) {
	for _, envelope := range []bool{true, false} {
		t.Run(map[bool]string{true: "envelope=true", false: "envelope=false"}[envelope], func(t *testing.T) {
			t.Parallel()
			var blog *app
			b := e2eStartApp(t, func(c *config) { c.envelope = envelope }, &blog)
			e2eEvents(t, b, blog)
		})
	}
}

func e2eEvents(t *testing.T, b *e2eBlog, blog *app) {
	ann, bob := b.signUp(t, "ann"), b.signUp(t, "bob")
	first, _ := b.createPost(t, ann.token, map[string]any{"title": "First"}, nil)
	draft, _ := b.createPost(t, ann.token, map[string]any{"title": "Second", "published": false}, nil)
	firstPath, draftPath := "/posts/"+e2eUUIDOf(first), "/posts/"+e2eUUIDOf(draft)
	comment := b.object(t, b.do(t, e2eReq{method: http.MethodPost, path: firstPath + "/comments", token: bob.token, body: map[string]string{"body": "Nice"}}), http.StatusCreated)
	require.Equal(t, http.StatusNoContent, b.do(t, e2eReq{method: http.MethodPut, path: firstPath + "/like", token: bob.token, header: http.Header{"Content-Length": {"0"}}}).status)
	resp := b.do(t, e2eReq{method: http.MethodPatch, path: draftPath, token: ann.token, body: map[string]any{"published": true}})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp)

	type seen struct{ kind, actor, action, title string }
	summary := func(list []map[string]any) []seen {
		var out []seen
		for _, e := range list {
			payload := e["payload"].(map[string]any)
			out = append(out, seen{e["type"].(string), e["actor"].(map[string]any)["login"].(string), payload["action"].(string), payload["post"].(map[string]any)["title"].(string)})
		}
		return out
	}
	resp = b.do(t, e2eReq{method: http.MethodGet, path: "/events"})
	events := b.list(t, resp, http.StatusOK)
	assert.Equal(t, []seen{
		{"PostEvent", "ann", "published", "Second"},
		{"LikeEvent", "bob", "liked", "First"},
		{"CommentEvent", "bob", "created", "First"},
		{"PostEvent", "ann", "published", "First"},
	}, summary(events), "newest first; the draft appeared when published")
	assert.Equal(t, "60", resp.header.Get("X-Poll-Interval"))
	for _, e := range events {
		assert.ElementsMatch(t, []string{"id", "type", "actor", "payload", "public", "created_at"}, e2eKeys(e))
		assert.Regexp(t, `^[0-9]+$`, e["id"], "GitHub's event ids are strings of digits")
		assert.Equal(t, true, e["public"])
		b.assertFields(t, e2eAuthorFields, e["actor"].(map[string]any))
	}
	commentEvent := events[2]["payload"].(map[string]any)
	assert.Equal(t, b.url+firstPath+"/comments/"+e2eUUIDOf(comment), commentEvent["comment"].(map[string]any)["url"])
	assert.Nil(t, events[0]["payload"].(map[string]any)["comment"], "null but for a comment")
	assert.Equal(t, b.url+draftPath, events[0]["payload"].(map[string]any)["post"].(map[string]any)["url"])

	t.Run("an unchanged poll is a 304 that does not count", func(t *testing.T) {
		etag := resp.header.Get("ETag")
		require.NotEmpty(t, etag)
		before := b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit"}).header.Get("X-RateLimit-Remaining")
		again := b.do(t, e2eReq{method: http.MethodGet, path: "/events", header: http.Header{"If-None-Match": {etag}}})
		assert.Equal(t, http.StatusNotModified, again.status)
		assert.Equal(t, before, again.header.Get("X-RateLimit-Remaining"), "a 304 is not counted")
		assert.Equal(t, "60", again.header.Get("X-Poll-Interval"))
	})
	t.Run("one user's", func(t *testing.T) {
		list := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: "/users/bob/events"}), http.StatusOK)
		assert.Equal(t, []seen{{"LikeEvent", "bob", "liked", "First"}, {"CommentEvent", "bob", "created", "First"}}, summary(list))
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: "/users/nobody/events"}), http.StatusNotFound, e2eError("Not Found"))
	})
	t.Run("a post back to draft takes its events out of sight", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodPatch, path: firstPath, token: ann.token, body: map[string]any{"published": false}})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp)
		list := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: "/events"}), http.StatusOK)
		assert.Equal(t, []seen{{"PostEvent", "ann", "published", "Second"}}, summary(list))
	})
	t.Run("busy: the poll interval rises", func(t *testing.T) {
		for _, tt := range []struct {
			inFlight int64
			want     string
		}{{busyRequests, "120"}, {4 * busyRequests, "240"}} {
			blog.api.inFlight.Add(tt.inFlight)
			resp := b.do(t, e2eReq{method: http.MethodGet, path: "/events"})
			blog.api.inFlight.Add(-tt.inFlight)
			assert.Equal(t, tt.want, resp.header.Get("X-Poll-Interval"), "%d more in flight", tt.inFlight)
		}
	})
	t.Run("the latest 300 only", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/events?page=11&per_page=30"})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.status)
		assert.Contains(t, string(resp.body), "pagination is limited for this resource")
	})
}

// go-github's Activity service lists the events into its typed Event.
func TestGoGitHubEvents(t *testing.T) {
	t.Parallel()
	srv := githubServer(t)
	token := signUpAndLogIn(t, githubClient(t, srv, ""), "octocat")
	client := githubClient(t, srv, token)
	_, err := createPost(t, client, "Hello, events")
	require.NoError(t, err)
	ctx := context.Background()

	events, resp, err := client.Activity.ListEvents(ctx, &github.ListOptions{PerPage: 10})
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, "PostEvent", events[0].GetType())
	assert.Equal(t, "octocat", events[0].GetActor().GetLogin())
	assert.Positive(t, events[0].GetActor().GetID())
	assert.Equal(t, "60", resp.Header.Get("X-Poll-Interval"))

	mine, _, err := client.Activity.ListEventsPerformedByUser(ctx, "octocat", false, nil)
	require.NoError(t, err)
	require.Len(t, mine, 1)
	assert.Equal(t, events[0].GetID(), mine[0].GetID())
}
