// Package echorecipe shows apikit in front of an echo instance.
//
// Wrap the whole echo instance, as an http.Handler, in apikit's
// middlewares, and serve that (New):
//
//	e := echo.New()
//	e.HTTPErrorHandler = ... // apikit's error shape for returned errors
//	e.GET("/posts/:id", showPost)
//	handler := limiter.Handler(cond.Handler(e))
//	srv := &http.Server{Addr: ":8080", Handler: handler}
//
// echo's ServeHTTP then runs the handler and writes the error it returns
// (e.HTTPErrorHandler) before it returns to apikit, so apikit sees every
// response whole, errors included. Handlers use apikit's helpers with
// c.Response() and c.Request() (kit.Pages.SetLinks(c.Response(),
// c.Request(), page, total)) and may return an *apierrors.Error, which
// the recipe's HTTPErrorHandler writes with the kit's apierrors.Writer.
//
// Where apikit must run as echo middleware (on a group of routes only),
// put WriteErrors after the wrapped apikit middlewares (NewWithMiddleware):
//
//	e.Use(echo.WrapMiddleware(limiter.Handler), echo.WrapMiddleware(cond.Handler), echorecipe.WriteErrors)
//
// # The trap: returned errors with echo.WrapMiddleware
//
// Without WriteErrors, an error a handler returns is written too late.
// echo.WrapMiddleware calls the handler inside apikit's middleware, with
// c.Response() wrapping the writer that middleware handed down, but it
// returns the handler's error out of the middleware; echo's ServeHTTP
// calls HTTPErrorHandler only after every middleware has returned. By
// then the conditional middleware has answered the GET as it saw it, a
// 200 with an empty body (and the ETag of an empty body), and has
// released its writer, which is pooled: the error handler's late c.JSON
// writes into a writer that belongs to no request. Before apikit made
// late writes no-ops this was a nil-pointer panic inside the writer's
// Header, a connection closed with nothing sent ("Empty reply from
// server"; Go's client silently retries a GET on a reused connection, so
// it counted twice), and a late write could have reached another
// request's response. Now it is an empty 200: every error returned to a
// GET or HEAD, echo's own 404 included, is lost. With the rate limiter
// alone the same happens to conditional GETs (If-None-Match), whose
// writer the limiter wraps to give a 304 back to the quota: an empty 200
// without an ETag. A plain GET to the limiter alone keeps its error,
// which is how the trap passes a quick test. The tests show all three.
//
// WriteErrors fixes it by calling c.Error(err) itself, inside the
// wrapped middlewares, and returning nil, so that echo has nothing left
// to write afterwards.
package echorecipe
