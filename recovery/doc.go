// Package recovery answers a handler's panic with the errors package's
// 500, in the service's one error shape, logs the panic with its stack,
// and never corrupts a response that had already started.
//
//	recoverer, err := recovery.New(recovery.Config{
//		Errors: errs,   // the service's *apierrors.Writer
//		Logger: logger, // one Error record per panic, with the stack
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	handler := chain.New(ids.Handler, logs.Handler, recoverer.Handler /* , ... */).Then(mux)
//
// A panic before anything was written is answered
//
//	HTTP/1.1 500 Internal Server Error
//	Content-Type: application/json; charset=utf-8
//
//	{"message":"Internal Server Error"}
//
// through Config.OnError, or Config.Errors' WriteError when it is nil:
// the hook gets apierrors.Internal(cause), whose Err is a *PanicError
// (the value and the stack), before anything is written, so a custom
// answer arrives whole. The client never sees the panic value. Headers
// set before the panic stay, but for those the errors Writer removes
// (Content-Encoding, ETag, Last-Modified) and the ones it sets
// (Content-Type, Content-Length).
//
// The panic is logged at Error level, "recovery: handler panicked", with
// error (the *PanicError: "panic: <value>"), method, path (never the
// query: it may carry a client_secret), aborted, stack, and Config.Attrs'
// own (the request id). An errors Writer with a Logger logs the 500 too,
// as it logs every 5xx it writes. Config.Observer sees each panic as
// Panicked, Detail "answered" or "aborted".
//
// # A response already started
//
// When the handler had written a status, a byte of body, or flushed,
// before it panicked, the status line is out and a 500 written now would
// be appended to the 200's body. Recovery logs the panic and then panics
// with http.ErrAbortHandler: net/http cuts the connection (HTTP/1) or
// resets the stream (HTTP/2) without logging, and the client sees a
// truncated response, which it can tell from a whole one (a short
// Content-Length, a chunked body without its last chunk), rather than a
// corrupt one. A 1xx (103 Early Hints) does not start the response, RFC
// 9110 §15.2: a 500 can still follow it. A hijacked connection counts as
// started. A handler's own panic(http.ErrAbortHandler), net/http's way to
// abort a response (httputil.ReverseProxy uses it), goes on untouched and
// is not logged.
//
// # Where it sits, and what it costs
//
// Third in the stack (the stack order in the module doc, go doc
// github.com/myblog/apikit): inside the request id and the access log,
// so that the 500 carries its request id and is logged like any answer,
// and outside everything else, so that a panic anywhere in the
// middlewares or the handler is caught. The middlewares that buffer a
// body (conditional, jsonp) drop what the handler wrote before it
// panicked, so behind them the response has not started and the 500 is
// whole.
//
// To know whether a response started, recovery needs a ResponseWriter
// that tells: one with a method Status() int, the final status written so
// far, 0 before the response started (a Write or a Flush without a
// status counting as 200). The access log's writer has it, so recovery
// right inside the access log uses it as it is and costs nothing per
// request but a deferred call. Given any other writer, it wraps it in a
// small writer of its own, one allocation per request, which keeps
// http.Flusher, http.Hijacker and http.ResponseController working
// (Unwrap) and, once the middleware has returned, is cut off from the
// response: a late Write or Flush from a goroutine the handler left
// behind does nothing and returns an error, and reaches no response.
//
// # What it does not do
//
// It recovers panics on the request's goroutine only: a goroutine the
// handler starts must recover its own, or the process exits. It does not
// retry, report to an error tracker (Observer and Attrs are the hooks) or
// print the stack to the client. A panic in the middlewares outside it
// (the request id, the access log) is left to net/http, which logs it
// and closes the connection.
//
// See the examples for a recovered 500, a custom answer, and recovery
// behind the access log.
package recovery
