package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v89/github"
	"github.com/gregjones/httpcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// githubServer starts the example server as GitHub's clients expect it:
// -envelope=false, on a temporary SQLite file.
func githubServer(t *testing.T, mutate ...func(*config)) *httptest.Server {
	t.Helper()
	cfg := config{
		db:                 testDB(t),
		envelope:           false,
		rateLimit:          5000,
		rateLimitAnonymous: 1000,
		loginMaxFailures:   10,
		bcryptCost:         bcrypt.MinCost,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	app, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	srv := httptest.NewServer(app.handler)
	t.Cleanup(srv.Close)
	return srv
}

// githubClient is a go-github client pointed at srv, with token as its
// Bearer token when not empty.
func githubClient(t *testing.T, srv *httptest.Server, token string) *github.Client {
	t.Helper()
	base := srv.URL + "/"
	opts := []github.ClientOptionsFunc{github.WithHTTPClient(srv.Client()), github.WithURLs(&base, &base)}
	if token != "" {
		opts = append(opts, github.WithAuthToken(token))
	}
	client, err := github.NewClient(opts...)
	require.NoError(t, err)
	return client
}

type tokenPair struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// signUpAndLogIn creates a user with go-github's generic requests and
// returns an access token.
func signUpAndLogIn(t *testing.T, client *github.Client, login string) string {
	t.Helper()
	ctx := context.Background()
	req, err := client.NewRequest(ctx, "POST", "users", map[string]string{"username": login, "email": login + "@example.com", "password": "correct horse battery"})
	require.NoError(t, err)
	_, err = client.Do(req, nil)
	require.NoError(t, err)
	req, err = client.NewRequest(ctx, "POST", "login", map[string]string{"username": login, "password": "correct horse battery"})
	require.NoError(t, err)
	var pair tokenPair
	_, err = client.Do(req, &pair)
	require.NoError(t, err)
	require.NotEmpty(t, pair.Token)
	assert.Equal(t, 7200, pair.ExpiresIn)
	return pair.Token
}

// ghPost is what go-github's callers decode a post into: GitHub's shape,
// a numeric id and the UUID as node_id.
type ghPost struct {
	ID     int64  `json:"id"`
	NodeID string `json:"node_id"`
	Title  string `json:"title"`
}

func createPost(t *testing.T, client *github.Client, title string) (*github.Response, error) {
	t.Helper()
	req, err := client.NewRequest(context.Background(), "POST", "posts", map[string]any{"title": title, "body": "Written by go-github."})
	require.NoError(t, err)
	var p ghPost
	return client.Do(req, &p)
}

func TestGoGitHubRateAndPages(t *testing.T) {
	srv := githubServer(t)
	anonymous := githubClient(t, srv, "")
	token := signUpAndLogIn(t, anonymous, "octocat")
	client := githubClient(t, srv, token)
	ctx := context.Background()

	const total = 25
	for i := range total {
		resp, err := createPost(t, client, "Post "+strconv.Itoa(i+1))
		require.NoError(t, err)
		assert.Equal(t, 5000, resp.Rate.Limit, "Response.Rate comes from X-RateLimit-*")
		assert.Equal(t, 5000-resp.Rate.Remaining, resp.Rate.Used)
		assert.False(t, resp.Rate.Reset.IsZero())
	}

	type links struct{ next, last, prev, first int }
	want := map[int]links{1: {next: 2, last: 3}, 2: {next: 3, last: 3, prev: 1, first: 1}, 3: {prev: 2, first: 1}}
	opts := github.ListOptions{PerPage: 10, Page: 1}
	var titles []string
	for walked := 0; ; walked++ {
		require.Less(t, walked, 10)
		req, err := client.NewRequest(ctx, "GET", "posts?page="+strconv.Itoa(opts.Page)+"&per_page="+strconv.Itoa(opts.PerPage), nil)
		require.NoError(t, err)
		var posts []ghPost
		resp, err := client.Do(req, &posts)
		require.NoError(t, err)
		assert.Equal(t, want[opts.Page], links{resp.NextPage, resp.LastPage, resp.PrevPage, resp.FirstPage}, "page %d", opts.Page)
		assert.Positive(t, resp.Rate.Remaining)
		for _, p := range posts {
			titles = append(titles, p.Title)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	assert.Len(t, titles, total, "every post, once")
	assert.Equal(t, "Post 25", titles[0], "newest first")
}

func TestGoGitHubErrors(t *testing.T) {
	srv := githubServer(t)
	anonymous := githubClient(t, srv, "")
	token := signUpAndLogIn(t, anonymous, "octocat")
	client := githubClient(t, srv, token)
	ctx := context.Background()

	t.Run("422 is an ErrorResponse with its errors", func(t *testing.T) {
		_, err := createPost(t, client, "")
		var e *github.ErrorResponse
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 422, e.Response.StatusCode)
		assert.Equal(t, "Validation Failed", e.Message)
		require.Len(t, e.Errors, 1)
		assert.Equal(t, github.Error{Resource: "Post", Field: "title", Code: "missing_field"}, e.Errors[0])
		assert.Equal(t, "https://developer.myblog.com/v3", e.DocumentationURL)
	})

	t.Run("202 from the export job is an AcceptedError", func(t *testing.T) {
		req, err := client.NewRequest(ctx, "POST", "exports", nil)
		require.NoError(t, err)
		_, err = client.Do(req, nil)
		var accepted *github.AcceptedError
		require.ErrorAs(t, err, &accepted)
		assert.Contains(t, string(accepted.Raw), `"job_id"`)
	})

	t.Run("bad credentials are a 401 ErrorResponse", func(t *testing.T) {
		bad := githubClient(t, srv, "not-a-token")
		req, err := bad.NewRequest(ctx, "GET", "user", nil)
		require.NoError(t, err)
		_, err = bad.Do(req, nil)
		var e *github.ErrorResponse
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 401, e.Response.StatusCode)
		assert.Equal(t, "Bad credentials", e.Message)
	})
}

func TestGoGitHubPrimaryRateLimit(t *testing.T) {
	srv := githubServer(t, func(c *config) { c.rateLimitAnonymous = 3 })
	// Without its own check, go-github would refuse the fourth request
	// itself after reading X-RateLimit-Remaining: 0 from the third; the
	// server's answer is what is tested here.
	base := srv.URL + "/"
	client, err := github.NewClient(github.WithHTTPClient(srv.Client()), github.WithURLs(&base, &base), github.WithDisableRateLimitCheck())
	require.NoError(t, err)
	ctx := context.Background()
	var last *github.Response
	for range 3 {
		req, err := client.NewRequest(ctx, "GET", "posts", nil)
		require.NoError(t, err)
		resp, err := client.Do(req, nil)
		require.NoError(t, err)
		last = resp
	}
	req, err := client.NewRequest(ctx, "GET", "posts", nil)
	require.NoError(t, err)
	resp, err := client.Do(req, nil)
	require.NotNil(t, resp)
	assert.Equal(t, 403, resp.StatusCode, "the server's own answer")
	var limited *github.RateLimitError
	require.ErrorAs(t, err, &limited, "%v", err)
	assert.Equal(t, 3, limited.Rate.Limit)
	assert.Equal(t, 0, limited.Rate.Remaining)
	assert.True(t, limited.Rate.Reset.Time.Equal(last.Rate.Reset.Time), "the reset time of the window: %v, %v", limited.Rate.Reset, last.Rate.Reset)
	assert.True(t, limited.Rate.Reset.After(time.Now().Add(59*time.Minute)), "an hour from the window's first request")
	assert.Contains(t, limited.Message, "API rate limit exceeded for 127.0.0.1.")
}

func TestGoGitHubSecondaryRateLimit(t *testing.T) {
	stopped := time.Now()
	srv := githubServer(t, func(c *config) { c.rateLimitNow = func() time.Time { return stopped } })
	anonymous := githubClient(t, srv, "")
	token := signUpAndLogIn(t, anonymous, "octocat")
	client := githubClient(t, srv, token)
	var err error
	for i := range 81 {
		if _, err = createPost(t, client, "Quick "+strconv.Itoa(i)); err != nil {
			break
		}
	}
	var abuse *github.AbuseRateLimitError
	require.ErrorAs(t, err, &abuse, "the 81st quick write: %v", err)
	require.NotNil(t, abuse.RetryAfter)
	assert.Positive(t, *abuse.RetryAfter)
	assert.Contains(t, abuse.Message, "secondary rate limit", "Octokit's throttling plugin looks for this phrase")
	assert.NotEqual(t, "0", abuse.Response.Header.Get("X-RateLimit-Remaining"), "not mistaken for the primary limit")
}

func TestGoGitHubRateLimitsEndpoint(t *testing.T) {
	srv := githubServer(t)
	client := githubClient(t, srv, "")
	limits, resp, err := client.RateLimit.Get(context.Background())
	if err != nil {
		var e *github.ErrorResponse
		if errors.As(err, &e) {
			t.Fatalf("GET /rate_limit: %v", e)
		}
		require.NoError(t, err)
	}
	require.NotNil(t, limits.Core)
	assert.Equal(t, 1000, limits.Core.Limit)
	assert.Equal(t, 1000, limits.Core.Remaining, "/rate_limit does not count against the quota")
	require.NotNil(t, limits.Search)
	assert.Equal(t, 10, limits.Search.Limit)
	assert.Equal(t, 200, resp.StatusCode)
}

// go-github's typed models decode the bare representation: Users.Get of
// the authenticated user and of another, and Users.Edit.
func TestGoGitHubTypedUsers(t *testing.T) {
	t.Parallel()
	srv := githubServer(t)
	token := signUpAndLogIn(t, githubClient(t, srv, ""), "octocat")
	signUpAndLogIn(t, githubClient(t, srv, ""), "hubot")
	client := githubClient(t, srv, token)
	ctx := context.Background()

	me, _, err := client.Users.Get(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, "octocat", me.GetLogin())
	assert.Positive(t, me.GetID())
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-`, me.GetNodeID())
	assert.Equal(t, srv.URL+"/users/octocat", me.GetURL())
	assert.Equal(t, srv.URL+"/users/octocat", me.GetHTMLURL())
	assert.Equal(t, "octocat@example.com", me.GetEmail())
	assert.False(t, me.GetTwoFactorAuthentication())
	assert.WithinDuration(t, time.Now(), me.GetCreatedAt().Time, time.Minute)

	other, _, err := client.Users.Get(ctx, "hubot")
	require.NoError(t, err)
	assert.Equal(t, "hubot", other.GetLogin())
	assert.Greater(t, other.GetID(), me.GetID(), "numbered in order of sign-up")
	assert.Empty(t, other.GetEmail(), "another user's email is not shown")

	edited, _, err := client.Users.Edit(ctx, &github.User{Email: github.Ptr("octo@example.com")})
	require.NoError(t, err)
	assert.Equal(t, "octo@example.com", edited.GetEmail())
	assert.Equal(t, me.GetID(), edited.GetID(), "the same user")
}

// go-github through gregjones/httpcache, as go-github's README suggests:
// a fresh answer is served from the cache without a request, a stale one
// is revalidated with If-None-Match, and the 304 spends no quota.
func TestGoGitHubHTTPCache(t *testing.T) {
	t.Parallel()
	srv := githubServer(t)
	token := signUpAndLogIn(t, githubClient(t, srv, ""), "octocat")
	var seen []string // what reached the server: status and If-None-Match
	var mu sync.Mutex
	recording := roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := srv.Client().Transport.RoundTrip(r)
		if err == nil {
			mu.Lock()
			seen = append(seen, strconv.Itoa(resp.StatusCode)+" "+r.Header.Get("If-None-Match"))
			mu.Unlock()
		}
		return resp, err
	})
	cached := &http.Client{Transport: &httpcache.Transport{Transport: recording, Cache: httpcache.NewMemoryCache(), MarkCachedResponses: true}}
	base := srv.URL + "/"
	client, err := github.NewClient(github.WithHTTPClient(cached), github.WithAuthToken(token), github.WithURLs(&base, &base))
	require.NoError(t, err)
	ctx := context.Background()

	req, err := client.NewRequest(ctx, "POST", "posts", map[string]any{"title": "Cached"})
	require.NoError(t, err)
	var post ghPost
	_, err = client.Do(req, &post)
	require.NoError(t, err)

	get := func(header ...string) (*github.Response, ghPost) {
		t.Helper()
		req, err := client.NewRequest(ctx, "GET", "posts/"+post.NodeID, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		var p ghPost
		resp, err := client.Do(req, &p)
		require.NoError(t, err)
		return resp, p
	}
	used := func() int {
		limits, _, err := client.RateLimit.Get(ctx)
		require.NoError(t, err)
		return limits.GetCore().Limit - limits.GetCore().Remaining
	}

	resp, p := get()
	assert.Equal(t, "Cached", p.Title)
	assert.Empty(t, resp.Header.Get(httpcache.XFromCache))
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	before := used()

	mu.Lock()
	seen = nil
	mu.Unlock()
	resp, p = get()
	assert.Equal(t, "1", resp.Header.Get(httpcache.XFromCache), "fresh (max-age=60): from the cache")
	assert.Equal(t, post.ID, p.ID)
	// min-fresh=120 (RFC 9111 §5.2.1.3) makes the 60-second copy stale
	// for this request: the cache revalidates it.
	resp, p = get("Cache-Control", "min-fresh=120")
	assert.Equal(t, "1", resp.Header.Get(httpcache.XFromCache), "revalidated: the cached body")
	assert.Equal(t, "Cached", p.Title)
	mu.Lock()
	assert.Equal(t, []string{"304 " + etag}, seen, "one request reached the server, a conditional one, answered 304")
	mu.Unlock()
	assert.Equal(t, before, used(), "neither the cached answer nor the 304 spent quota")
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
