// Package chain composes net/http middlewares in the order they are read:
// the first one given is the outermost, the first to see a request and
// the last to see its response.
//
//	handler := chain.New(ids.Handler, logs.Handler, recoverer.Handler, agents.Handler).Then(mux)
//
// is ids.Handler(logs.Handler(recoverer.Handler(agents.Handler(mux)))),
// written in the order of the stack in the module doc (go doc
// github.com/myblog/apikit) instead of inside out. Every apikit middleware
// has a Handler(http.Handler) http.Handler method; its method value is a
// func(http.Handler) http.Handler and goes into New as it is.
//
// Composition happens once, in Then: a request pays for the middlewares
// and nothing else. chain does not name, reorder or deduplicate
// middlewares, and it is not a router.
package chain

import (
	"fmt"
	"net/http"
)

// Middleware is the shape of a net/http middleware.
type Middleware = func(http.Handler) http.Handler

// Chain is an ordered list of middlewares, outermost first. Its zero
// value is an empty chain; a Chain is immutable, so one can be shared and
// extended with Append without affecting the others.
type Chain struct {
	middlewares []Middleware
}

// New returns the chain of middlewares, outermost first. A nil middleware
// is a programming error in the composition of a server, found at
// start-up: New panics naming its position.
func New(middlewares ...Middleware) Chain {
	return Chain{}.Append(middlewares...)
}

// Append returns a chain with middlewares after (inside) those of c.
func (c Chain) Append(middlewares ...Middleware) Chain {
	for i, m := range middlewares {
		if m == nil {
			panic(fmt.Sprintf("chain: middleware %d of %d is nil", len(c.middlewares)+i+1, len(c.middlewares)+len(middlewares)))
		}
	}
	out := make([]Middleware, 0, len(c.middlewares)+len(middlewares))
	out = append(out, c.middlewares...)
	return Chain{middlewares: append(out, middlewares...)}
}

// Then wraps h in the chain and returns the result; h is the innermost
// handler (the router). A nil h is a programming error: Then panics.
func (c Chain) Then(h http.Handler) http.Handler {
	if h == nil {
		panic("chain: Then(nil)")
	}
	for i := len(c.middlewares) - 1; i >= 0; i-- {
		h = c.middlewares[i](h)
	}
	return h
}

// Len is the number of middlewares in c.
func (c Chain) Len() int { return len(c.middlewares) }
