package echorecipe

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/examples/recipes"
)

// New returns an echo instance serving GET /posts (paged, with a Link
// header) and GET /posts/:id, wrapped whole in the kit's rate limiter and
// conditional middleware: serve the handler it returns
// (http.Server{Handler: handler}), not the echo instance.
func New(cfg recipes.Config) (http.Handler, error) {
	kit, err := recipes.NewKit(cfg)
	if err != nil {
		return nil, err
	}
	return kit.Handler(newEcho(kit)), nil
}

// NewWithMiddleware returns the same service with apikit's middlewares
// run as echo middleware (echo.WrapMiddleware), and WriteErrors inside
// them. This is the shape for apikit on some routes only (an e.Group's
// middleware); WriteErrors must come after the wrapped apikit
// middlewares.
func NewWithMiddleware(cfg recipes.Config) (*echo.Echo, error) {
	kit, err := recipes.NewKit(cfg)
	if err != nil {
		return nil, err
	}
	e := newEcho(kit)
	e.Use(
		echo.WrapMiddleware(kit.Limiter.Handler),
		echo.WrapMiddleware(kit.Conditional.Handler),
		WriteErrors,
	)
	return e, nil
}

// WriteErrors writes the error a handler returns with c.Error (the echo
// instance's HTTPErrorHandler) and returns nil, so that the error is
// written while the apikit middlewares wrapped around it are still
// running. Without it, echo writes a returned error after every
// middleware has returned, when apikit's response writers are done with
// the request (see the package doc).
func WriteErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

func newEcho(kit *recipes.Kit) *echo.Echo {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(kit.Errors)
	e.GET("/posts", func(c echo.Context) error {
		posts, ok := kit.ListPosts(c.Response(), c.Request())
		if !ok {
			return nil // 422 answered
		}
		return c.JSON(http.StatusOK, posts)
	})
	e.GET("/posts/:id", func(c echo.Context) error {
		post, err := recipes.FindPost(c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, post)
	})
	return e
}

// errorHandler writes every error a handler returns, and echo's own
// (404, 405), in apikit's one error shape.
func errorHandler(errs *apierrors.Writer) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			err = &apierrors.Error{Status: he.Code, Message: fmt.Sprint(he.Message), Err: he.Internal}
		}
		errs.Write(c.Response(), c.Request(), err)
	}
}
