// Package conditional answers conditional requests (RFC 9110 §8.8, §13):
// ETag and Last-Modified out, 304 Not Modified and 412 Precondition Failed
// back, and the caching headers that go with them.
//
// # GET and HEAD
//
// Middleware.Handler buffers a handler's 200 response to GET or HEAD, up
// to Config.MaxBodyBytes (1 MiB), and before sending it:
//
//   - gives it a strong ETag computed from the body with xxHash64, the same
//     on every machine, unless the handler set its own (strong or W/ weak),
//     and Content-Length;
//   - adds Cache-Control ("public, max-age=60, s-maxage=60", or private for
//     authenticated requests, per Config.Authenticated) unless the handler
//     set one, and merges "Vary: Accept, Authorization, Cookie";
//   - evaluates If-Match, If-Unmodified-Since, If-None-Match and
//     If-Modified-Since in the order of RFC 9110 §13.2.2 (see Evaluate) and
//     answers 304, with no body but with Cache-Control, Content-Location,
//     Date, ETag, Expires, Vary, Last-Modified and every header the outer
//     middlewares set (X-RateLimit-*, CORS), or 412.
//
// An If-Modified-Since later than Config.Now (default time.Now) is
// ignored, and the request answered in full: RFC 9110 §8.8.2.1 forbids a
// Last-Modified later than the response's Date, so no response of ours
// carried such a date, and honouring it would make every resource with a
// modification date "not modified" to a client that never fetched one.
// There is no tolerance for clock skew: a client whose clock runs a few
// seconds fast gets a 200 where a 304 would do, always a correct answer.
// Two If-Modified-Since fields are ignored too (RFC 9110 §13.1.3).
// "If-None-Match: *" is a 304 for a GET of an existing resource, as RFC
// 9110 §13.1.2 says, but the handler has run: the rate limiter counts
// such a 304, as it counts every 304 that does not carry the validator
// the client sent back (see ratelimit's doc).
//
// HEAD gets the ETag and Content-Length of the body its handler renders
// (net/http routes HEAD to GET handlers), and no body. A response that is
// not a 200 passes through untouched: preconditions do not apply to it. A
// body larger than MaxBodyBytes, or one the handler flushes, streams
// through as it is written, without a computed ETag (a handler's own is
// still honoured), so memory per request stays bounded.
//
// # Unsafe methods
//
// POST, PUT, PATCH and DELETE pass through: only their handler knows the
// resource's current version, and it must check If-Match before changing
// anything. Middleware.Check does that from the version's ETag and
// modification time, without rendering a body, and answers 412 when the
// client edited a stale copy (lost-update protection):
//
//	if !cond.Check(w, r, conditional.State{Exists: true, ETag: tag, LastModified: post.UpdatedAt}) {
//		return
//	}
//
// A handler that gives GET its own ETag from the same version (see ETag)
// lets clients send back exactly that tag.
//
// # Refusals and decisions
//
// A 412, from the middleware or from Check, goes to Config.OnError (the
// one apierrors.Hook shape of every apikit middleware) with the
// *apierrors.Error it would write, after Cache-Control, Vary and the
// computed ETag are set and before any status is written; a nil OnError is
// Config.Errors.WriteError. Config.Observer, when set, hears of every 304
// (observe.NotModified) and 412 (observe.PreconditionFailed), with Detail
// "etag" or "last_modified" for the validator that decided.
//
// # Late writes
//
// The ResponseWriter a handler gets is its own, never handed to another
// request (only its buffer is pooled). Once the middleware returned, a
// goroutine the handler left behind may still call it: Write and Flush
// report an error, WriteHeader and Header do nothing that reaches a
// client, and no call panics or touches another request's response.
//
// # Where it sits
//
// Inside the rate limiter, which gives back the quota of a 304 and so must
// see it, and inside JSON-P, which wraps the final body (a JSON-P request
// never gets a bare 304); just outside the router.
//
// It deliberately does not compress, answer Range requests (If-Range is
// not evaluated), or cache responses itself.
package conditional
