// Package ginrecipe shows apikit in front of a gin engine.
//
// Wrap the whole engine, as an http.Handler, in apikit's middlewares, and
// serve that:
//
//	engine := gin.New()
//	engine.GET("/posts/:id", showPost)
//	handler := limiter.Handler(cond.Handler(engine))
//	srv := &http.Server{Addr: ":8080", Handler: handler}
//
// apikit then sees every request before gin does and every response as
// gin finished it: the conditional middleware buffers the body c.JSON
// wrote and answers 304, the rate limiter gives that 304 back to the
// quota, and a refused request never reaches gin. Handlers use apikit's
// helpers with c.Writer and c.Request (kit.Pages.SetLinks(c.Writer,
// c.Request, page, total)).
//
// # The trap: engine.Use(adapter(middleware))
//
// Do not turn apikit's middlewares into gin middleware with the usual
// adapter, which calls c.Next inside the middleware's next handler:
//
//	func adapter(m func(http.Handler) http.Handler) gin.HandlerFunc {
//		return func(c *gin.Context) {
//			m(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
//				c.Request = r
//				c.Next()
//			})).ServeHTTP(c.Writer, c.Request)
//		}
//	}
//	engine.Use(adapter(limiter.Handler), adapter(cond.Handler)) // wrong
//
// It compiles, serves, logs nothing, and silently turns every 304 into a
// 200. The writer the middleware hands to next is dropped (c.Writer has
// to be a gin.ResponseWriter), so gin's handlers write through gin's own
// writer, the one beneath apikit's: c.JSON sends the status and body to
// the client while the conditional middleware's buffer is still empty.
// When c.Next returns, the middleware computes the ETag of an empty body
// and sets it, with Cache-Control, on a header map that has already gone
// out; its WriteHeader lands on gin's writer, which ignores a status once
// the body is written. No ETag reaches the client, an If-None-Match never
// matches, and every conditional GET is a full 200 that counts against
// the quota.
//
// The same adapter also lets refused requests through to the handler:
// gin runs the next handler of the chain when a middleware returns
// without calling c.Next (only c.Abort stops it), so a request the rate
// limiter refused with 403 is still handled. The 403 arrives whole, and
// the handler's own writes are dropped, but what it did (a POST's
// insert) is done.
//
// An adapter can be made right (it must give gin a gin.ResponseWriter
// over the writer apikit passed, restore c.Writer afterwards, and
// c.Abort when apikit did not call next), but that is code of one's own
// around every middleware; wrapping the engine needs none. The tests
// show both the broken adapter's behaviour and the wrapped engine's.
//
// Call gin.SetMode(gin.ReleaseMode) before gin.New in production: in
// debug mode gin prints every route it registers to standard output.
package ginrecipe
