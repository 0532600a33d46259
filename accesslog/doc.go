// Package accesslog writes one structured record per request, with
// log/slog, and hands the same facts (status, size, duration, route) to a
// hook for metrics.
//
//	logs, err := accesslog.New(accesslog.Config{
//		Logger:   logger,
//		Resolver: resolver, // the service's one *forwarded.Resolver: "client_ip"
//		Attrs: func(r *http.Request) []slog.Attr {
//			id, _ := requestid.FromContext(r.Context())
//			return []slog.Attr{slog.String("request_id", id)}
//		},
//	})
//	handler := chain.New(ids.Handler, logs.Handler, recoverer.Handler /* , ... */).Then(mux)
//
// A record reads
//
//	level=INFO msg=request method=GET path=/posts/42 route="GET /posts/{id}" status=200 bytes=512 duration=1.2ms user_agent=curl/8.5.0 client_ip=203.0.113.9 request_id=...
//
// It never logs the query string (it may carry client_secret or a
// token) nor any header but the User-Agent.
//
// # Where it sits
//
// Second in the stack (go doc github.com/myblog/apikit), inside the
// request id, so that its record can carry the id, and outside recovery,
// so that a panic's 500 is logged like any answer, and outside everything
// else, so that it sees the status and size the client got. Its writer
// tells recovery whether the response has started (a Written method, see
// package recovery), so recovery needs no writer of its own.
//
// # The route
//
// A router (http.ServeMux) records the matched pattern in the request it
// is given, which is a copy of the one the access log sees whenever a
// middleware in between added to the context. Call SetRoute from the
// innermost layer, right after the router returns, to give the record its
// route; Handler does it for an http.ServeMux given to it directly.
//
// # What it does not do
//
// It does not sample, rotate files or format records: slog's handler
// does. It does not measure time to first byte.
package accesslog
