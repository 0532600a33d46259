package accesslog

import "net/http"

// SetRoute records route as the route of the request whose response w
// is, for its record's route attribute and Entry.Route. w is the
// ResponseWriter a handler inside the access log was given; SetRoute
// finds the access log's own through the Unwrap methods of the writers
// between (every apikit wrapper has one, as http.ResponseController
// requires). It reports whether it found one still serving its request.
//
// The access log cannot read the route itself: an http.ServeMux records
// the pattern it matched in the *http.Request it was given, and the
// middlewares between (authentication, time zone) hand the router copies
// of the request the access log holds. RecordRoute calls SetRoute for a
// ServeMux; call it from a router of another kind with its pattern (chi's
// RouteContext(ctx).RoutePattern(), after next returned).
func SetRoute(w http.ResponseWriter, route string) bool {
	for {
		switch t := w.(type) {
		case *recorder:
			return t.setRoute(route)
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

// RecordRoute wraps a router that records the pattern it matched in
// r.Pattern, an *http.ServeMux, so that the access log outside learns
// it: put it around the router, inside every other middleware.
//
//	handler := chain.New(ids.Handler, logs.Handler, ...).Then(accesslog.RecordRoute(mux))
//
// The route is recorded even when the handler panics, so the 500 that
// recovery answers is logged with its route. A request no pattern
// matched (the router's 404 or 405) has none.
func RecordRoute(router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer recordRoute(w, r)
		router.ServeHTTP(w, r)
	})
}

func recordRoute(w http.ResponseWriter, r *http.Request) {
	if r.Pattern != "" {
		SetRoute(w, r.Pattern)
	}
}
