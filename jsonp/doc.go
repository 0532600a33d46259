// Package jsonp answers GET requests that carry ?callback=name with a
// JSON-P script, so that a page on any site can load the API with a
// <script> tag, as GitHub's API allows:
//
//	GET /posts?callback=foo
//
//	HTTP/1.1 200 OK
//	Content-Type: application/javascript; charset=utf-8
//	X-Content-Type-Options: nosniff
//
//	/**/foo({"meta":{"status":200,"X-RateLimit-Limit":"5000","X-RateLimit-Remaining":"4966","X-RateLimit-Reset":"1372700873","Link":[["https://api.myblog.com/posts?page=2",{"rel":"next"}]]},"data":[...]})
//
// meta carries the status the handler answered (the script itself is
// always a 200, since a script tag cannot see a status), every
// X-RateLimit-* header as a string, the headers Config.Headers names,
// and Link parsed into [url, {params}] tuples (with package link).
//
// data is the resource itself, a list or an object, as GitHub's is: the
// request the handler sees is marked render.Bare, so a handler answering
// through package render writes the bare representation even when its
// Renderer has the envelope (whose status meta already carries). An
// error is its JSON body, in either mode.
//
// # Safety
//
// The callback must be a JavaScript identifier path (foo, jQuery123_456,
// a.b.c; ASCII, at most 128 bytes); anything else is a 400, so a client
// cannot put script in the response. The body goes into data as it is
// only when it is valid JSON labelled as JSON, with U+2028 and U+2029
// escaped (they end a line in older JavaScript); any other body is
// carried as a JSON string. The /**/ prefix keeps the response from being
// read as anything but script. Only GET is wrapped.
//
// # Refusals and decisions
//
// The 400 of an invalid callback goes to Config.OnError (the one
// apierrors.Hook shape of every apikit middleware) with the
// *apierrors.Error it would write, before any status is written and
// before the handler runs; a nil OnError is Config.Errors.WriteError.
// Config.Observer, when set, hears of each refused callback
// (observe.Invalid, Detail "callback").
//
// The ResponseWriter a handler gets is its own, never handed to another
// request (only its buffer is pooled): once the middleware returned, a
// goroutine the handler left behind may still call it, and every call is
// a no-op (Write reports an error) that neither panics nor reaches
// another request's script.
//
// # Always anonymous
//
// A browser attaches its cookies and any Basic credentials it holds for
// the API to a <script> tag of any page, and the page then reads the
// script's data: a JSON-P answer served with those credentials would
// hand a user's private data to every site. So a JSON-P request is
// served without them: the request passed on has no Authorization and no
// Cookie, and the answer is what an anonymous client gets (a route that
// requires a user answers meta.status 401). A token in a header set by
// the page's own script cannot travel on a script tag anyway. Private
// data across origins is what CORS is for, with credentials a page must
// send itself.
//
// # Where it sits
//
// Outside authentication, which must not see the credentials it
// removes, and the rate limiter, which counts the request (by client
// address, since it is anonymous; a JSON-P response is never a 304) and
// whose X-RateLimit-* headers and refusals the script carries in meta
// and data; inside CORS and the media type. It removes If-None-Match,
// If-Modified-Since and Accept-Encoding too, so the handler renders a
// whole, uncompressed body, and removes ETag and Last-Modified from the
// script, which they do not describe.
//
// It buffers the handler's body, up to Config.MaxBodyBytes (4 MiB); a
// larger one is answered with meta.status 500 and an error in data.
package jsonp
