// Package chain composes middlewares so that the code reads in the order
// a request meets them, outermost first:
//
//	h := chain.New(ids.Handler, logs.Handler, recoverer.Handler).Then(mux)
//
// is ids.Handler(logs.Handler(recoverer.Handler(mux))): a request goes
// through the request id first and reaches mux last, and the response
// comes back the other way. Written by hand, the same stack reads
// innermost first (h = recoverer.Handler(mux); h = logs.Handler(h); ...),
// which is how stack comments end up listing the order backwards.
//
// A Middleware is func(http.Handler) http.Handler, the shape every
// net/http middleware has. apikit's middlewares are types with a Handler
// method (*cors.Middleware, *ratelimit.Limiter, *accesslog.Middleware...):
// their method values (limiter.Handler) already have that type, so they
// go into New as they are, next to plain functions. See the examples.
//
// # Where it sits
//
// Nowhere: it builds the stack, in the order of the module doc (go doc
// github.com/myblog/apikit), and is gone by the time a request comes.
// Then calls each middleware once and returns the outermost handler
// itself, so a request through a chain costs exactly what it costs
// through the same middlewares nested by hand: no extra call, no
// allocation.
//
// # Mistakes
//
// A nil middleware, a nil handler given to Then, and a middleware that
// returns a nil handler are programming errors, found while the server
// is being built: New, Append and Then panic, naming the middleware's
// position, as http.Handle panics on a nil handler. A chain is built once
// at start-up, so the panic is a start-up failure, never a request's.
// Then does not fall back to http.DefaultServeMux for a nil handler (as
// http.ListenAndServe does): whatever registered itself there, such as
// net/http/pprof, would be served by mistake.
//
// # What it does not do
//
// It is not a router and holds no per-route state: it does not group
// routes, skip middlewares for some paths or reorder them. A middleware
// that applies to some requests only decides that itself (Exempt
// fields), and routes are the router's. Chains are values: Append
// returns a new Chain and never changes the one it was called on, so a
// base chain can be extended in two directions safely.
package chain
