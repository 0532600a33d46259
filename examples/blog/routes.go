package main

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
)

// route is one path and the methods it answers.
type route struct {
	path    string
	methods map[string]http.Handler
}

// routes is the API of docs/blog-api.md. Every GET answers HEAD too (net/http
// sends the GET's headers without the body); a method a path does not
// answer is a JSON 405 with Allow; an unknown path a JSON 404.
func (a *api) routes() http.Handler {
	require := a.authn.Require
	// scoped is require for a route a personal access token needs one of
	// scopes for (docs/blog-api.md, Scopes).
	scoped := func(h http.HandlerFunc, scopes ...string) http.Handler { return a.authn.RequireScopes(scopes...)(h) }
	table := []route{
		{"/{$}", map[string]http.Handler{"GET": http.HandlerFunc(a.root)}},
		{"/healthz", map[string]http.Handler{"GET": http.HandlerFunc(a.health)}},
		{"/rate_limit", map[string]http.Handler{"GET": a.limiter.Status()}},
		{"/login", map[string]http.Handler{"POST": a.authn.Login()}},
		{"/authorizations/refresh-tokens", map[string]http.Handler{
			"PATCH": a.authn.Refresh(), "POST": a.authn.Refresh(), "DELETE": a.authn.Logout(),
		}},
		{"/user", map[string]http.Handler{
			"GET": require(http.HandlerFunc(a.getUser)), "PATCH": scoped(a.updateUser, "user"), "POST": scoped(a.updateUser, "user"),
		}},
		{"/user/two_factor", map[string]http.Handler{
			"GET": require(http.HandlerFunc(a.getTwoFactor)), "POST": require(http.HandlerFunc(a.startTwoFactorSetup)), "DELETE": require(http.HandlerFunc(a.stopTwoFactorAuth)),
		}},
		{"/user/two_factor/confirm", map[string]http.Handler{"POST": require(http.HandlerFunc(a.confirmTwoFactorSetup))}},
		{"/authorizations", map[string]http.Handler{"GET": require(http.HandlerFunc(a.listAuthorizations)), "POST": require(http.HandlerFunc(a.createAuthorization))}},
		{"/authorizations/{id}", map[string]http.Handler{"DELETE": require(http.HandlerFunc(a.deleteAuthorization))}},
		{"/users", map[string]http.Handler{"POST": http.HandlerFunc(a.signUp)}},
		{"/users/{username}", map[string]http.Handler{"GET": http.HandlerFunc(a.getUserByLogin)}},
		{"/users/{username}/posts", map[string]http.Handler{"GET": http.HandlerFunc(a.listUserPosts)}},
		{"/users/{username}/events", map[string]http.Handler{"GET": http.HandlerFunc(a.listUserEvents)}},
		{"/events", map[string]http.Handler{"GET": http.HandlerFunc(a.listEvents)}},
		{"/posts", map[string]http.Handler{
			"GET": http.HandlerFunc(a.listPosts), "POST": scoped(a.createPost, "posts:write"), "DELETE": scoped(a.deletePosts, "posts:write"),
		}},
		{"/posts/{id}", map[string]http.Handler{
			"GET": http.HandlerFunc(a.getPost), "PATCH": scoped(a.updatePost, "posts:write"), "POST": scoped(a.updatePost, "posts:write"),
			"DELETE": scoped(a.deletePost, "posts:write"),
		}},
		{"/posts/{id}/like", map[string]http.Handler{"PUT": scoped(a.like, "posts:write"), "DELETE": scoped(a.unlike, "posts:write")}},
		{"/posts/{id}/comments", map[string]http.Handler{"GET": http.HandlerFunc(a.listComments), "POST": scoped(a.createComment, "posts:write")}},
		{"/posts/{id}/comments/{comment_id}", map[string]http.Handler{"GET": http.HandlerFunc(a.getComment)}},
		{"/search/posts", map[string]http.Handler{"GET": http.HandlerFunc(a.searchPosts)}},
		{"/graphql", map[string]http.Handler{"GET": http.HandlerFunc(a.graphqlNotServed), "POST": http.HandlerFunc(a.graphqlNotServed)}},
		{"/exports", map[string]http.Handler{"POST": scoped(a.createExport, "exports")}},
		{"/jobs/{job_id}", map[string]http.Handler{"GET": scoped(a.getJob, "exports")}},
		{"/jobs/{job_id}/result", map[string]http.Handler{"GET": scoped(a.getJobResult, "exports")}},
	}
	mux := http.NewServeMux()
	notAllowed := map[string]http.Handler{} // by path: the 405 of every other method
	for _, rt := range table {
		allowed := []string{}
		for method, h := range rt.methods {
			mux.Handle(method+" "+rt.path, h)
			allowed = append(allowed, method)
			if method == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
		slices.Sort(allowed)
		notAllowed[rt.path] = a.errors.Handler(apierrors.MethodNotAllowed(allowed...))
	}
	// The same path without a method: every other method, a 405. The
	// refresh path is a literal under /authorizations/{id}: its 405 is
	// answered by the pattern's, which the mux would refuse to register
	// beside a method-less literal.
	refresh, tokens := notAllowed["/authorizations/refresh-tokens"], notAllowed["/authorizations/{id}"]
	delete(notAllowed, "/authorizations/refresh-tokens")
	notAllowed["/authorizations/{id}"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "refresh-tokens" {
			refresh.ServeHTTP(w, r)
			return
		}
		tokens.ServeHTTP(w, r)
	})
	for path, h := range notAllowed {
		mux.Handle(path, h)
	}
	mux.Handle("/", a.errors.Handler(apierrors.NotFound()))
	return a.knownSubject(mux)
}

// knownSubject refuses a valid token whose user does not exist (any
// more, or not in this database: a token signed with the same key for
// another one) with 401 "Bad credentials", as a token that failed
// verification, instead of letting a write fail on the database's
// foreign key. The user is looked up once and then found in the zone
// cache, which holds every user seen; the database failing is a 503.
func (a *api) knownSubject(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); ok {
			if _, err := a.userZone(r); err != nil {
				a.userLookupFailed(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// userLookupFailed answers a request whose authenticated user could not
// be read: 401 when the user does not exist, 503 when the database
// failed.
func (a *api) userLookupFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNotFound) {
		a.errors.Write(w, r, &apierrors.Error{
			Status:  http.StatusUnauthorized,
			Message: auth.MsgBadCredentials,
			ID:      "bad_credentials",
			Header:  http.Header{"Www-Authenticate": {`Bearer realm="myblog", error="invalid_token"`}},
		})
		return
	}
	a.errors.Write(w, r, &apierrors.Error{
		Status:  http.StatusServiceUnavailable,
		Message: "Service Unavailable",
		ID:      "database_unavailable",
		Header:  http.Header{"Retry-After": {"5"}},
		Err:     err,
	})
}

// rootDocument is GET /: where everything is, as RFC 6570 URL templates
// the way GitHub's root endpoint lists them.
type rootDocument struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	URL               string `json:"url"`
	DocumentationURL  string `json:"documentation_url"`
	CurrentUserURL    string `json:"current_user_url"`
	UserURL           string `json:"user_url"`
	UserPostsURL      string `json:"user_posts_url"`
	SignUpURL         string `json:"sign_up_url"`
	LoginURL          string `json:"login_url"`
	RefreshTokensURL  string `json:"refresh_tokens_url"`
	AuthorizationsURL string `json:"authorizations_url"`
	TwoFactorURL      string `json:"two_factor_url"`
	PostSearchURL     string `json:"post_search_url"`
	EventsURL         string `json:"events_url"`
	UserEventsURL     string `json:"user_events_url"`
	PostsURL          string `json:"posts_url"`
	PostURL           string `json:"post_url"`
	PostLikeURL       string `json:"post_like_url"`
	PostCommentsURL   string `json:"post_comments_url"`
	ExportsURL        string `json:"exports_url"`
	JobURL            string `json:"job_url"`
	RateLimitURL      string `json:"rate_limit_url"`
}

func (a *api) root(w http.ResponseWriter, r *http.Request) {
	base := a.baseURL(r)
	a.render.JSON(w, r, http.StatusOK, rootDocument{
		Name:              "myblog",
		Version:           "v3",
		URL:               base + "/",
		DocumentationURL:  documentationURL,
		CurrentUserURL:    base + "/user",
		UserURL:           base + "/users/{username}",
		UserPostsURL:      base + "/users/{username}/posts{?page,per_page}",
		SignUpURL:         base + "/users",
		LoginURL:          base + "/login",
		RefreshTokensURL:  base + "/authorizations/refresh-tokens",
		AuthorizationsURL: base + "/authorizations",
		TwoFactorURL:      base + "/user/two_factor",
		PostSearchURL:     base + "/search/posts?q={query}{&page,per_page,sort,order}",
		EventsURL:         base + "/events{?page,per_page}",
		UserEventsURL:     base + "/users/{username}/events{?page,per_page}",
		PostsURL:          base + "/posts{?page,per_page}",
		PostURL:           base + "/posts/{id}",
		PostLikeURL:       base + "/posts/{id}/like",
		PostCommentsURL:   base + "/posts/{id}/comments{?page,per_page}",
		ExportsURL:        base + "/exports",
		JobURL:            base + "/jobs/{job_id}",
		RateLimitURL:      base + "/rate_limit",
	})
}

// msgGraphQL answers GraphQL's paths: GitHub's clients (gh) ask them,
// and a plain "Not Found" would read as a wrong host.
const msgGraphQL = "GraphQL is not served: this API is REST only"

// graphqlNotServed is /graphql (and, under -path-prefix, GraphQL's path
// beside it): 404 saying so.
func (a *api) graphqlNotServed(w http.ResponseWriter, r *http.Request) {
	a.errors.Write(w, r, &apierrors.Error{Status: http.StatusNotFound, Message: msgGraphQL, ID: "graphql_not_served"})
}

// health answers the load balancer: the database is reachable.
func (a *api) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	stores := map[string]string{"database": "ok"}
	var down []string
	if err := a.store.db.PingContext(r.Context()); err != nil {
		stores["database"] = "down: " + err.Error()
		down = append(down, "database")
	}
	if a.redis != nil {
		switch h := a.redis.Health(); {
		case h.Up:
			stores["redis"] = "ok"
		default:
			stores["redis"] = "down since " + h.Since.UTC().Format(time.RFC3339) + ": " + h.Err.Error()
			down = append(down, "redis")
		}
	}
	if len(down) == 0 {
		a.render.JSON(w, r, http.StatusOK, map[string]any{"status": "ok", "stores": stores})
		return
	}
	// A load balancer takes the instance out; the body says what is down.
	w.Header().Set("Retry-After", "5")
	a.render.JSON(w, r, http.StatusServiceUnavailable, map[string]any{
		"status":  "unavailable",
		"message": "Service Unavailable: " + strings.Join(down, " and ") + " down",
		"stores":  stores,
	})
}
