package chirecipe

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/myblog/apikit/examples/recipes"
)

// New returns a chi router serving GET /posts (paged, with a Link header)
// and GET /posts/{id}, behind the kit's rate limiter and conditional
// middleware. cfg.Resolver names the proxies in front of the service; do
// not put chi's middleware.RealIP in front of it (see the package doc).
func New(cfg recipes.Config) (http.Handler, error) {
	kit, err := recipes.NewKit(cfg)
	if err != nil {
		return nil, err
	}
	return routes(kit, kit.Limiter.Handler, kit.Conditional.Handler), nil
}

// routes returns the router with middlewares in its r.Use, outermost
// first.
func routes(kit *recipes.Kit, middlewares ...func(http.Handler) http.Handler) *chi.Mux {
	r := chi.NewRouter()
	r.Use(middlewares...)
	r.Get("/posts", func(w http.ResponseWriter, r *http.Request) {
		posts, ok := kit.ListPosts(w, r)
		if !ok {
			return // 422 answered
		}
		kit.Render.JSON(w, r, http.StatusOK, posts)
	})
	r.Get("/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		post, err := recipes.FindPost(chi.URLParam(r, "id"))
		if err != nil {
			kit.Errors.Write(w, r, err)
			return
		}
		kit.Render.JSON(w, r, http.StatusOK, post)
	})
	return r
}
