// Package accesslog writes one structured record per request with
// log/slog, and hands the same facts (route, status, size, duration) to a
// hook for metrics.
//
//	logs, err := accesslog.New(accesslog.Config{
//		Logger:   logger,
//		Resolver: resolver, // the service's one *forwarded.Resolver: client_ip
//		Attrs: func(r *http.Request) []slog.Attr {
//			id, _ := requestid.FromContext(r.Context())
//			return []slog.Attr{slog.String("request_id", id)}
//		},
//		Done: func(r *http.Request, e accesslog.Entry) {
//			latency.WithLabelValues(e.Route, strconv.Itoa(e.Status)).Observe(e.Elapsed.Seconds())
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	handler := chain.New(ids.Handler, logs.Handler, recoverer.Handler /* , ... */).
//		Then(accesslog.RecordRoute(mux))
//
// A record, with slog's text handler, reads
//
//	level=INFO msg=request method=GET path=/posts/42 route="GET /posts/{id}" status=200 bytes=512 duration=1.2ms user_agent=curl/8.5.0 client_ip=203.0.113.9 request_id=...
//
// with the attributes every apikit package logs under the same names:
// method, path (never the query string: it may carry a client_secret or
// a token), route (when one was matched), status (200 when the handler
// wrote nothing, as net/http answers), bytes, duration, user_agent,
// client_ip, aborted=true for a request whose handler panicked through
// the access log, then Config.Attrs' own. No other header is logged.
//
// # Where it sits
//
// Second in the stack (the stack order in the module doc, go doc
// github.com/myblog/apikit): inside the request id, so that Attrs can
// read the id from the context, and outside recovery and everything
// else, so that it logs what the client got, a recovered panic's 500
// included.
//
// Its ResponseWriter has a Status() int method, the final status written
// so far (0 before the response started). Recovery, right inside it,
// reads it to tell whether a 500 can still be written, instead of
// wrapping the response a second time: the two together cost one
// allocation per request, the access log's writer. Recovery outside the
// access log works too, at one more allocation, and then the access log
// records a panic as aborted with status 500 before recovery has written
// its answer.
//
// # The route
//
// An http.ServeMux records the pattern it matched in the *http.Request it
// is given, and the middlewares between the access log and the router
// (authentication, the time zone) hand it copies of the request, so the
// access log's own r.Pattern stays empty. RecordRoute, wrapped around the
// router, passes the pattern back; SetRoute does it for any other router
// (chi's route pattern, after its handler returned). Route labels come
// from the router's patterns, never from paths, so a metric labelled by
// route cannot grow with every URL a scanner tries. The pattern of a
// router outside the access log (an API mounted on an outer mux's "/")
// is where the access log was mounted, not the request's route: it is
// not recorded, so a request a middleware refused has no route.
//
// # Its writer
//
// The writer the handler gets keeps http.Flusher, http.Hijacker and
// http.ResponseController (deadlines, full duplex) working, through
// Unwrap. It records the first final status: 1xx informational responses
// (100 Continue, 103 Early Hints) are not final, RFC 9110 §15.2; a Write
// or a Flush without a status is a 200; a hijacked connection is a 101.
//
// It is one small allocation per request, not pooled: a pooled writer
// would be handed to another request while a goroutine the handler left
// behind still holds it. Instead, once the middleware has returned, the
// writer is cut off from the response: a late Write or Flush does
// nothing and returns an error, a late Header is a detached map, and none
// can reach this response or another. A request costs that allocation
// and, when its record is logged, what slog's handler costs (a Record
// holds five attributes inline; the rest are one more allocation).
// Without a Logger, or with one not enabled at Level, no attribute is
// built and Attrs is not called: a Done hook alone (metrics without
// logs) costs the writer only. New refuses a Config with neither.
//
// # What it does not do
//
// It does not sample, rotate files or choose a format: slog's handler
// does. It does not log request or response bodies or headers other than
// the User-Agent, nor measure time to first byte. It does not export
// metrics itself: Done is the hook, and the caller owns the registry.
// See the examples for the record, the route, Attrs and Done.
package accesslog
