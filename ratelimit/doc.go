// Package ratelimit enforces hourly request quotas with GitHub's
// X-RateLimit-* headers, and GitHub's secondary (abuse) limits.
//
// # Primary limits
//
// Every request counts against its caller's quota for one resource:
//
//   - an authenticated user (Config.User, typically from auth.FromContext):
//     5000 requests an hour;
//   - an application sending client_id and client_secret in the query,
//     checked by Config.CheckClient: 5000 an hour (a wrong secret is 401
//     with a Basic challenge of Config.Realm, never a silent fall back to
//     the anonymous quota);
//   - anyone else, by client address: 60 an hour. The address is
//     Config.Resolver's ClientKey: RemoteAddr, or what the one header the
//     resolver reads (X-Forwarded-For by default) says when the peer is
//     one of its trusted proxies, IPv6 clients grouped by network (/64 by default,
//     forwarded.Config.IPv6Prefix). Hand the Limiter the one
//     *forwarded.Resolver the service gives every package.
//
// The window opens with a caller's first request and lasts an hour. Routes
// may count against another resource with its own quota (Config.Resource):
// "search" allows 30 a minute (10 anonymous), as GitHub's search API.
//
// Every response carries the caller's figures:
//
//	X-RateLimit-Limit: 60
//	X-RateLimit-Remaining: 56
//	X-RateLimit-Reset: 1372700873
//	X-RateLimit-Used: 4
//	X-RateLimit-Resource: core
//
// plus, by config, the IETF draft's RateLimit-Policy and RateLimit fields
// and Heroku's RateLimit-Remaining (Limiter.ExposedHeaders lists them all,
// for CORS' expose list). Over the quota the answer is GitHub's 403 (429
// by config), with X-RateLimit-Remaining: 0, Retry-After, and
//
//	{"message":"API rate limit exceeded for 203.0.113.9. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"https://developer.myblog.com/v3/#rate-limiting"}
//
// which go-github reports as a *github.RateLimitError.
//
// A response that ends as 304 Not Modified to a validator the client got
// from us does not count: the request is given back before the 304 is
// sent, so the 304's own X-RateLimit-Remaining already shows it. Limiter.Status
// answers GitHub's /rate_limit document and is never counted.
//
// # Which 304s are free
//
// A 304 still runs the handler (the conditional middleware renders the
// body to compare its ETag), so only one that answers a validator the
// client could have got from us is given back; every other 304 counts
// like any request:
//
//   - "If-None-Match: *" counts, alone or among tags: "*" matches every
//     resource that exists (RFC 9110 §13.1.2), so a client that never
//     fetched anything gets a 304 for every URL.
//   - An If-Modified-Since later than the Limiter's clock counts: RFC
//     9110 §8.8.2.1 forbids a Last-Modified later than the response's
//     Date, so no response of ours carried it, and every resource with a
//     modification date is "not modified" since then. There is no
//     tolerance for clock skew: the conditional middleware ignores such a
//     date too and answers 200, which counts anyway. A malformed date, or
//     more than one (RFC 9110 §13.1.3), counts as well.
//   - When the 304 carries a validator, it must be the one the client
//     sent back: its ETag among If-None-Match's tags (weak comparison,
//     RFC 9110 §8.8.3.2; at most 64 tags are read), or, without
//     If-None-Match, its Last-Modified equal to If-Modified-Since (the
//     exact match RFC 9110 §13.1.3 allows). An If-Modified-Since equal to
//     the clock, read off any Date header, is "not modified" for every
//     resource too, and counts unless it is that resource's Last-Modified.
//
// A 304 that carries neither ETag nor Last-Modified (a handler's own) is
// judged by the request alone. The rule reads only the request and the
// 304's headers, so it holds whoever answers the 304: the conditional
// middleware, http.ServeContent or the handler. What stays free is what
// GitHub gives: revalidating a representation the client fetched (one
// counted request) as often as it likes; the in-flight cap bounds how
// many such requests a caller runs at once.
//
// # Secondary limits
//
// Per caller, content creation (POST, PATCH, PUT and DELETE) is limited by
// token buckets of 80 a minute and 500 an hour, and requests in flight to
// 100. Over them the answer is 403 (429 by config) with Retry-After
// (Config.SecondaryRetryAfter, a minute as GitHub's, or the time until
// the request would pass when that is longer: a client that retried as
// soon as one token came back would trip the limit again at once),
// GitHub's message and a documentation_url ending "#abuse-rate-limits", which
// go-github reports as a *github.AbuseRateLimitError and Octokit's
// throttling plugin as a secondary limit. X-RateLimit-Remaining keeps its
// value (a 0 would read as a primary limit), and the request is not
// counted against the primary quota.
//
// # Stores
//
// Quotas and buckets live in a Store and a BucketStore. Memory, the
// default, is exact under concurrency, sharded, and bounded: expired
// windows are dropped and at most Memory.MaxKeys windows are held, so a
// flood of distinct IPs cannot exhaust memory. A full Memory never lets a
// newcomer in unlimited: it evicts the window that counted the fewest
// requests and carries its count in a small hashed table, so that no
// caller's count is lowered by the flood (see Memory for the cost to an
// attacker and to innocent newcomers). redisstore shares quotas between
// machines; as a QuotaBucketStore it takes a request's quota and buckets
// in one round trip.
//
// When a store fails, requests are decided by a local Memory against this
// instance's share of every limit (the quota and each bucket divided by
// Config.Instances, at least one): limits stay in force through an
// outage, never none. Config.FailClosed makes them 503 with Retry-After
// instead. Failures reach the Observer one by one; the log gets the first
// at once and then one line every 10 seconds with the count of the
// others. The in-flight cap is per process, and is checked before any
// store is asked: a request it refuses is not counted.
//
// # Refusals and decisions
//
// Every refusal goes through Config.OnError, an apierrors.Hook: the
// Limiter sets its headers (X-RateLimit-*, Retry-After, WWW-Authenticate),
// builds the *apierrors.Error it would write and hands it over before any
// status is written, so a custom answer (its own status, Content-Type and
// body) reaches the client whole. The error's ID tells the refusals apart:
// IDLimited, IDSecondaryLimited, IDBadClient, IDUnavailable. A nil OnError
// writes the error with Config.Errors.
//
// Config.Observer receives every decision (admitted, limited, secondary
// limited, refunded, exempt, store error) with the resource's name as its
// detail; a nil Observer costs nothing, and a non-nil one allocates
// nothing on the admitted path.
//
// A 304's request is given back by a wrapper of the ResponseWriter, made
// for that one request. Once the middleware has returned, the wrapper no
// longer reaches the response: a goroutine the handler left behind
// writes into nothing and gets an error back.
//
// # Cost
//
// With the Memory store, a request costs a map lookup in one shard, one
// clock read and five header writes, and allocates nothing: every
// X-RateLimit-* value is a slice made once and shared (numbers up to
// 10,000, and for larger quotas the Remaining values of the first 10,000
// requests of a window, in a table of about 200 KB made on first use).
// Past those, Remaining and Used are formatted per response, in two
// allocations. Shared values have len == cap, so a middleware that
// appends to one gets a fresh array. A GET or HEAD with If-None-Match or
// If-Modified-Since, which may end as 304, also allocates the wrapper
// that refunds it; deciding whether a 304 is free reads a few headers and
// allocates nothing. A newcomer to a full Memory looks at 8 windows to
// choose the one it replaces, never at the whole store.
//
// # Where it sits
//
// In the stack order of the module doc (go doc github.com/myblog/apikit):
// after authentication (quotas are keyed by the user), inside JSON-P
// (whose script carries its headers and refusals; a JSON-P request is
// never a 304, so it counts) and before the conditional middleware, so
// that it sees the final status of a 304.
//
// # What it does not do
//
// It does not queue or delay requests, shape traffic, or limit by
// anything but the caller; per-route secondary limits are for the caller
// to compose by wrapping those routes with a second Limiter.
package ratelimit
