// Package apikit gives a Go HTTP service the conventions of a mature
// public REST API, the way GitHub's v3 API does them, with the Heroku HTTP
// API design guide's advice: structured JSON errors, JWT login with a
// lockout, hourly rate limits with X-RateLimit-* headers, Link-header
// pagination, ETags with 304 and 412, JSON-P, CORS, Accept versioning,
// request ids and Time-Zone resolution. The rules themselves are in
// docs/conventions.md.
//
// This package holds no code: it is the kit's overview. The kit is one
// package per convention, each a plain net/http middleware or helper that
// wraps the handlers a service already has, on http.ServeMux, chi,
// gorilla/mux or anything else that speaks net/http. The feature packages
// do not import each other, only small leaves (errors, observe, forwarded,
// link): the service composes them.
//
// # One way to build each piece
//
// Every package is built from a Config struct whose zero value is the
// default (30 per page, 5000 and 60 requests an hour, 2-hour access
// tokens...). Its New validates the whole Config once, at start-up, and
// returns every problem at once, each an *apierrors.ConfigError naming the
// package and the field ("ratelimit: Resources[0].Limit: must be at least
// 1"), so a misconfiguration never surfaces at request time. A middleware
// is a type with a Handler(http.Handler) http.Handler method.
//
// The packages share a few shapes, so that what a service learns in one
// holds in all of them:
//
//   - One *forwarded.Resolver, built by the service from its trusted
//     proxies, is handed to every package that needs the client's
//     address, scheme or host (Config.Resolver). A nil Resolver is the
//     direct peer, with no forwarding header believed; no package reads
//     those headers on its own.
//   - One *apierrors.Writer (Config.Errors) writes every error a client
//     can see, so the service has one error shape. A middleware that
//     refuses a request sets its own headers, builds the *apierrors.Error
//     it would write and hands it to Config.OnError, an apierrors.Hook,
//     before anything is written; a nil OnError writes it with Errors.
//   - One observe.Observer (Config.Observer) receives every decision:
//     admitted, limited, refunded, token refused, lockout, 304, 412, CORS
//     refused, store error. A nil Observer costs nothing.
//   - A service that runs on several machines points the stores of
//     ratelimit and auth at Redis with package redisstore, which is its
//     own module (github.com/myblog/apikit/redisstore), so a service that
//     does not use it has nothing of Redis in its module graph.
//
// # The stack
//
// The middlewares are designed for one order. Outermost first:
//
//  1. Request id (package requestid): outermost, before anything that
//     can answer, so that every response carries an id (refusals,
//     preflights and 500s included) and everything inside can read it
//     from the context.
//  2. Access log (package accesslog): inside the request id, which it
//     logs, and outside everything that can answer, so that every request
//     is logged with the status and size the client got, refusals and
//     the 500s of panics included.
//  3. Recovery (package recovery): inside the access log, so that a
//     panic's 500 is logged like any answer, and outside every other
//     middleware, so that a panic anywhere below becomes a 500 in the
//     service's error shape rather than a dropped connection. The access
//     log's writer tells it whether the response has started (then it
//     can only cut the response short), so it needs no writer of its own.
//  4. User-Agent requirement (package useragent): before everything that
//     costs work, so that a request that does not say who is calling
//     costs no credential check, no quota and no handler. A browser's
//     preflight always carries a User-Agent, so CORS can come after it.
//  5. CORS (package cors): preflights are answered here, at once, before
//     authentication and rate limiting: a preflight carries no
//     credentials and must not cost quota. The CORS headers are set
//     before anything further in answers, so errors, redirects and 304s
//     carry them.
//  6. Media type (package mediatype): before authentication and the rate
//     limiter, so that a 406 costs neither a credential check nor quota,
//     and the 401s and rate-limit refusals further in carry
//     X-<Vendor>-Media-Type.
//  7. JSON-P (package jsonp): outside authentication, because a JSON-P
//     request is always served anonymous (it removes Authorization and
//     Cookie, which a browser attaches to any page's script tag by
//     itself), and outside the rate limiter, whose X-RateLimit-* headers
//     and refusals it carries in the script's meta and data; it wraps the
//     whole body of everything inside it (a JSON-P request never gets a
//     bare 304).
//  8. Authentication (package auth): puts the caller's identity in the
//     context and answers bad credentials with a 401 at once; it must
//     come before the rate limiter, which counts by user.
//  9. Rate limit (package ratelimit): keys quotas by the identity (else
//     the client address), sets X-RateLimit-* before calling the next
//     handler, and, sitting outside the conditional middleware, sees the
//     final status: a 304 is refunded, and its X-RateLimit-Remaining
//     shows the request given back.
//  10. Conditional requests (package conditional): computes the ETag of
//     the final body when the handler set none and answers 304 and 412;
//     inside the rate limiter, which must see the 304 to refund it.
//  11. Time zone (package timezone): after authentication, since the
//     user's last known zone needs the identity; puts the resolved zone
//     in the context for the handlers.
//  12. The router and the handlers, which use the helpers: package errors
//     for error bodies and request-body decoding, render for success
//     bodies, pagination (with link) for page, per_page and Link headers.
//
// Package chain composes the stack in that order and reads outermost
// first:
//
//	handler := chain.New(
//		ids.Handler,         // 1
//		accessLog.Handler,   // 2
//		recoverer.Handler,   // 3
//		agents.Handler,      // 4
//		crossOrigin.Handler, // 5
//		media.Handler,       // 6
//		wrap.Handler,        // 7
//		authn.Handler,       // 8
//		limiter.Handler,     // 9
//		cond.Handler,        // 10
//		zones.Handler,       // 11
//	).Then(mux) // 12
//
// examples/quickstart wraps a ServeMux in the whole stack in one short
// main.go; examples/blog is a complete blog API built on every package,
// SQLite by default and Redis-shared limits with -redis.
//
// # What the kit does not do
//
// It is not a framework: it has no router, no god package that imports
// the others, and no configuration read from globals or the environment.
// Each package's doc says what it deliberately leaves out.
package apikit
