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
//     Config.Resolver's ClientKey: RemoteAddr, or what X-Forwarded-For /
//     Forwarded say when the peer is one of the resolver's trusted
//     proxies, IPv6 clients grouped by network (/64 by default,
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
// A response that ends as 304 Not Modified does not count: the request is
// given back before the 304 is sent, so the 304's own X-RateLimit-Remaining
// already shows it. Limiter.Status answers GitHub's /rate_limit document
// and is never counted.
//
// # Secondary limits
//
// Per caller, content creation (POST, PATCH, PUT and DELETE) is limited by
// token buckets of 80 a minute and 500 an hour, and requests in flight to
// 100. Over them the answer is 403 (429 by config) with Retry-After,
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
// windows are dropped and at most Memory.MaxKeys keys are held, so a flood
// of distinct IPs cannot exhaust memory. redisstore shares quotas between
// machines. When a store fails, requests go on unlimited (logged at Warn)
// unless Config.FailClosed makes them 503 with Retry-After (logged at
// Error). The in-flight cap is per process.
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
// that refunds it.
//
// # Where it sits
//
// In the stack order of the module doc (go doc github.com/myblog/apikit):
// after authentication (quotas are keyed by the user) and before JSON-P
// and the conditional middleware, so that it sees their final status (a
// JSON-P response is a 200, and counts; a bare 304 does not).
//
// # What it does not do
//
// It does not queue or delay requests, shape traffic, or limit by
// anything but the caller; per-route secondary limits are for the caller
// to compose by wrapping those routes with a second Limiter.
package ratelimit
