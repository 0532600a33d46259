package recipes

import (
	"net/http"
	"time"

	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/pagination"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/render"
)

// DocumentationURL is the documentation_url base of the recipes' errors.
const DocumentationURL = "https://docs.example.com/v3"

// Config configures the apikit pieces every recipe uses.
type Config struct {
	// AnonymousLimit is the hourly quota of an anonymous client, counted
	// by its address. Default 60, GitHub's.
	AnonymousLimit int
	// Resolver tells the client's address (and the scheme and host of
	// Link URLs) from the forwarding headers of the proxies it trusts.
	// Nil: the peer that opened the connection is the client, and no
	// forwarding header is believed.
	Resolver *forwarded.Resolver
	// Now is the rate limiter's clock. Default time.Now.
	Now func() time.Time
}

// Kit holds the apikit pieces of a recipe: the rate limiter and the
// conditional middleware, which wrap the application, and the paginator,
// error writer and renderer its handlers use.
type Kit struct {
	Errors      *apierrors.Writer
	Limiter     *ratelimit.Limiter
	Conditional *conditional.Middleware
	Pages       *pagination.Paginator
	Render      *render.Renderer
}

// NewKit builds a Kit from cfg.
func NewKit(cfg Config) (*Kit, error) {
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: DocumentationURL})
	if err != nil {
		return nil, err
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Resources: []ratelimit.Resource{{Name: "core", AnonymousLimit: cfg.AnonymousLimit}},
		Resolver:  cfg.Resolver,
		Errors:    errs,
		Now:       cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	cond, err := conditional.New(conditional.Config{Errors: errs})
	if err != nil {
		return nil, err
	}
	pages, err := pagination.New(pagination.Config{PerPage: 2, Resolver: cfg.Resolver, Errors: errs})
	if err != nil {
		return nil, err
	}
	return &Kit{
		Errors:      errs,
		Limiter:     limiter,
		Conditional: cond,
		Pages:       pages,
		Render:      render.New(render.Config{Errors: errs}),
	}, nil
}

// Middlewares returns the kit's middlewares outermost first, in the stack
// order of the module doc (go doc github.com/myblog/apikit): the rate
// limiter outside the conditional middleware, so that it sees the final
// status and gives a 304 back to the quota.
func (k *Kit) Middlewares() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{k.Limiter.Handler, k.Conditional.Handler}
}

// Handler wraps h in the kit's middlewares, outermost first.
func (k *Kit) Handler(h http.Handler) http.Handler {
	middlewares := k.Middlewares()
	for i := len(middlewares) - 1; i >= 0; i-- {
		h = middlewares[i](h)
	}
	return h
}

// Post is one item of the recipes' fixed list.
type Post struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Posts is the recipes' list, in the order GET /posts pages it.
var Posts = []Post{
	{ID: "1", Title: "Hello"},
	{ID: "2", Title: "Conditional requests"},
	{ID: "3", Title: "Rate limits"},
	{ID: "4", Title: "Pagination"},
	{ID: "5", Title: "Goodbye"},
}

// ListPosts returns the page of Posts that r asks for (page and per_page,
// 2 a page by default) and sets its Link header on w. A bad page or
// per_page is answered on w (422, by the kit's Errors) and ListPosts
// reports false: the handler returns.
func (k *Kit) ListPosts(w http.ResponseWriter, r *http.Request) ([]Post, bool) {
	page, ok := k.Pages.Page(w, r)
	if !ok {
		return nil, false
	}
	k.Pages.SetLinks(w, r, page, len(Posts))
	start := min(page.Offset(), len(Posts))
	end := min(start+page.Limit(), len(Posts))
	return Posts[start:end], true
}

// FindPost returns the post whose ID is id, or a 404 *apierrors.Error.
func FindPost(id string) (Post, error) {
	for _, p := range Posts {
		if p.ID == id {
			return p, nil
		}
	}
	return Post{}, apierrors.NotFound()
}
