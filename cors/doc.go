// Package cors lets scripts on other sites call the API (the Fetch
// standard's CORS protocol), the way GitHub's API allows it.
//
// By default any origin may read every response:
//
//	Access-Control-Allow-Origin: *
//	Access-Control-Expose-Headers: ETag, Link, Location, Retry-After, X-RateLimit-Limit, ...
//
// on every response, redirects and errors included (the headers are set
// before the handler runs), and a preflight is answered at once:
//
//	OPTIONS /posts
//	Origin: http://example.com
//	Access-Control-Request-Method: PATCH
//
//	HTTP/1.1 204 No Content
//	Access-Control-Allow-Origin: *
//	Access-Control-Allow-Headers: Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, If-Unmodified-Since, X-Requested-With
//	Access-Control-Allow-Methods: GET, POST, PATCH, PUT, DELETE
//	Access-Control-Max-Age: 86400
//
// # What scripts may read
//
// The default exposed list names what the kit sends whatever its
// configuration (DefaultExposedHeaders): ETag, Link, Location,
// Retry-After and the X-RateLimit-* fields; with Config.Vendor set, also
// X-<Vendor>-OTP, X-<Vendor>-Media-Type and X-<Vendor>-Request-Id (and a
// preflight allows the X-<Vendor>-OTP request header, auth's two-factor
// code). Config.Expose adds the
// names the configured middlewares send beyond it, so a browser can read
// them too:
//
//	crossOrigin, err := cors.New(cors.Config{
//		Vendor: "acme",
//		Expose: append(limiter.ExposedHeaders(), ids.ExposedHeaders()...),
//	})
//
// (limiter a *ratelimit.Limiter, whose list holds RateLimit and
// RateLimit-Policy when its IETF fields are on; ids a
// *requestid.Middleware, which names the header it sends). Config.ExposedHeaders replaces the whole list
// instead.
//
// # Preflights
//
// A preflight carries no Access-Control-Expose-Headers: browsers read it
// only from the actual response. A preflight for a method or header that
// is not allowed gets a 204 without CORS headers, which the browser treats
// as a refusal. An OPTIONS that is not a preflight goes on to the handler.
//
// # Allow-lists and credentials
//
// Config.Origins may instead list exact origins and patterns with one
// leading wildcard label ("https://*.example.com"); the allowed origin is
// echoed and Vary: Origin set on every response, since the answer depends
// on it. With Config.Credentials, scripts may send cookies and HTTP
// authentication (Access-Control-Allow-Credentials: true); that cannot be
// combined with "*". Every contradiction (credentials with "*", a
// malformed origin, a "null" origin, a pattern covering a whole top-level
// domain, a forbidden method or header name) is an error from New, never
// a surprise at request time.
//
// # Refusals
//
// CORS writes no error of its own: a refused preflight is the same 204
// without CORS headers, and an actual request from an origin not allowed
// is served without them; the browser is what keeps the answer from the
// script. Config.Observer sees each preflight (observe.Preflight) and each
// refusal (observe.CORSRefused, with Detail "origin", "method" or
// "headers").
//
// # Cost
//
// Every header value is built once, in New, and shared by all responses
// (each one-element slice has len == cap, so an Add elsewhere cannot
// write into another response); neither actual requests nor preflights
// allocate, with or without an Observer. The last
// Access-Control-Request-Headers list found allowed is remembered, so a
// browser's repeated preflights cost one string comparison instead of a
// parse.
//
// # Where it sits
//
// Fifth in the stack (the stack order in the module doc, go doc
// github.com/myblog/apikit): after the request id, the access log,
// recovery and the User-Agent check, before media-type negotiation,
// authentication and rate limiting: a preflight carries no credentials
// and must not cost quota.
//
// It deliberately does not support Private Network Access preflights or
// reflecting any origin with credentials.
package cors
