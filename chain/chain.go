package chain

import (
	"net/http"
	"strconv"
)

// Middleware is a net/http middleware: it returns a handler that does its
// work around next. A method value of apikit's middlewares
// (limiter.Handler, cors.Handler) is one.
type Middleware = func(next http.Handler) http.Handler

// Chain is a list of middlewares, outermost first. The zero Chain is
// empty: Then returns its handler unchanged. A Chain is immutable and
// safe to share.
type Chain struct {
	mws []Middleware // len == cap, so an Append never writes into it
}

// New returns the chain of mws, outermost first. It panics if one of them
// is nil.
func New(mws ...Middleware) Chain {
	check("New", mws)
	return Chain{mws: append([]Middleware(nil), mws...)}
}

// Append returns a new chain: c's middlewares, then mws, innermost last.
// c is unchanged. It panics if one of mws is nil.
func (c Chain) Append(mws ...Middleware) Chain {
	check("Append", mws)
	out := make([]Middleware, 0, len(c.mws)+len(mws))
	out = append(out, c.mws...)
	return Chain{mws: append(out, mws...)}
}

// Then returns h wrapped in the chain: for New(m1, m2, m3) it is
// m1(m2(m3(h))). Each middleware is called once, innermost first, and the
// handler returned is the outermost middleware's own: a request costs
// nothing more than through the middlewares nested by hand.
//
// Then panics if h is nil or a middleware returns nil.
func (c Chain) Then(h http.Handler) http.Handler {
	if h == nil {
		panic("chain: Then with a nil handler")
	}
	for i := len(c.mws) - 1; i >= 0; i-- {
		h = c.mws[i](h)
		if h == nil {
			panic("chain: the middleware at index " + strconv.Itoa(i) + " returned a nil handler")
		}
	}
	return h
}

// Len returns the number of middlewares in c.
func (c Chain) Len() int { return len(c.mws) }

func check(fn string, mws []Middleware) {
	for i, mw := range mws {
		if mw == nil {
			panic("chain: " + fn + ": the middleware at index " + strconv.Itoa(i) + " is nil")
		}
	}
}
