// Package requestid gives every request an id that the client sees, the
// logs carry and support can search for, the way GitHub's
// X-GitHub-Request-Id and Heroku's Request-Id do.
//
//	GET /posts HTTP/1.1
//
//	HTTP/1.1 200 OK
//	X-Request-Id: 5d1f3c1e-0c4b-4e5a-9d7e-2f7b1a3c4d5e
//
// The id is a new random UUID v4 (NewUUID: lower-case 8-4-4-4-12, 122 bits
// from crypto/rand) unless a trusted proxy brought one (below). It is set
// on the response header before the next handler runs, so redirects,
// errors, refusals by the middlewares further in and a 500 written by a
// recover further out all carry it; and it is in the request context for
// the handlers and the access log:
//
//	id, _ := requestid.FromContext(r.Context())
//
// The header is X-Request-Id, X-<Vendor>-Request-Id with Config.Vendor
// (as GitHub's X-GitHub-Request-Id), or Config.Header. net/http writes
// header names in canonical form (X-Acme-Request-Id; HTTP/2 in lower
// case); names are case-insensitive (RFC 9110 §5.1), so clients and a
// CORS expose list spelled X-acme-Request-Id match it. ExposedHeaders
// returns the name, for cors.Config.Expose, so that scripts on other
// origins may read the id.
//
// A minimal use, with the one *forwarded.Resolver the service hands to
// every package:
//
//	resolver, err := forwarded.New(forwarded.Config{
//		TrustedProxies: []string{"10.0.0.0/8"}, // the load balancers
//	})
//	...
//	ids, err := requestid.New(requestid.Config{Vendor: "acme", Resolver: resolver})
//	if err != nil {
//		log.Fatal(err) // a misconfiguration fails at start-up, never per request
//	}
//	handler = ids.Handler(handler)
//
// # Incoming ids
//
// A proxy or gateway in front (Heroku's router, nginx, Envoy, another
// service of ours) may already have given the request an id, and logs on
// both sides line up only if it is kept. An incoming id is used when all
// of these hold:
//
//  1. The request carries it in the configured header, X-Request-Id or
//     Request-Id; they are read in that order and the first one that is
//     well-formed wins. A header sent on more than one field line is
//     skipped: which line came from the proxy cannot be told.
//  2. The immediate peer (RemoteAddr) is a trusted proxy of
//     Config.Resolver (Resolver.Trusted; a nil Resolver trusts none).
//     Anyone can send the header; only a trusted proxy's word is taken,
//     so a client cannot choose its id and make its requests collide with
//     another's in the logs.
//  3. It is well-formed: 1 to 128 bytes of [A-Za-z0-9._~:/+=-]. That
//     admits UUIDs, ULIDs, W3C traceparent values and base64, and nothing
//     that could split a header, forge a log line or break out of a JSON
//     or logfmt string: no space, quote, comma, backslash, control or
//     non-ASCII byte.
//
// Otherwise a new id is made; an untrusted or malformed incoming id is
// ignored, never an error. As with package forwarded, the trusted proxies
// must set or strip all three headers, or a client could pass its own
// through them.
//
// # Cost
//
// A request allocates three things: the UUID string (NewUUID allocates
// nothing else), one context value that holds the id and the header's
// one-element value, and the shallow copy of the *http.Request that
// r.WithContext makes. A believed incoming id saves the first.
//
// # Where it sits
//
// First in the stack (the stack order in the module doc, go doc
// github.com/myblog/apikit), outside everything else, so that every
// response carries an id, the User-Agent refusal, the CORS preflight and
// the 500 of a panic included. The access log, next inside, reads
// FromContext and logs the id with each request.
//
// # What it does not do
//
// It refuses nothing, so it has no error hook and no Observer. It does
// not log, and does not copy the id onto the request's headers or
// onto outgoing calls: a client that calls other services passes
// FromContext on itself. It does not read W3C traceparent or any
// tracing system's headers, and makes no ids but its own UUIDs unless
// Config.Generate says otherwise. It does not remove an incoming
// X-Request-Id from the request.
//
// See the examples for a deterministic id and a trusted proxy's id.
package requestid
