package ginrecipe

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/myblog/apikit/examples/recipes"
)

// New returns a gin engine serving GET /posts (paged, with a Link header)
// and GET /posts/:id, wrapped whole in the kit's rate limiter and
// conditional middleware: serve the handler it returns
// (http.Server{Handler: handler}), not the engine.
func New(cfg recipes.Config) (http.Handler, error) {
	kit, err := recipes.NewKit(cfg)
	if err != nil {
		return nil, err
	}
	engine := gin.New()
	routes(engine, kit)
	return kit.Handler(engine), nil
}

func routes(engine *gin.Engine, kit *recipes.Kit) {
	engine.GET("/posts", func(c *gin.Context) {
		posts, ok := kit.ListPosts(c.Writer, c.Request)
		if !ok {
			return // 422 answered
		}
		c.JSON(http.StatusOK, posts)
	})
	engine.GET("/posts/:id", func(c *gin.Context) {
		post, err := recipes.FindPost(c.Param("id"))
		if err != nil {
			kit.Errors.Write(c.Writer, c.Request, err)
			return
		}
		c.JSON(http.StatusOK, post)
	})
}
