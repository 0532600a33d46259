// Package useragent requires every request to say who is calling, as
// GitHub's API does: a request with no User-Agent header, or a blank one,
// is refused before anything else looks at it.
//
//	GET /posts HTTP/1.1
//	Host: api.myblog.com
//
//	HTTP/1.1 403 Forbidden
//	Connection: close
//	Content-Length: 160
//	Content-Type: text/html
//	X-Content-Type-Options: nosniff
//
//	Request forbidden by administrative rules.
//	Please make sure your request has a User-Agent header.
//	Check https://developer.myblog.com for other possible causes.
//
// Any non-blank value is enough ("curl/8.5.0", "Go-http-client/1.1",
// "my-blog-app", GitHub's own example "Awesome-Octocat-App"): the
// header is there so that the people running the API can tell clients
// apart in their logs and reach the owner of one that misbehaves. Blank
// means empty or made only of whitespace; a request with several
// User-Agent lines passes when one of them is not blank.
//
// A minimal use, with the developer site of the service and the load
// balancer's health check exempt:
//
//	ua, err := useragent.New(useragent.Config{
//		Site:   "https://developer.example.com",
//		Exempt: func(r *http.Request) bool { return r.URL.Path == "/healthz" },
//	})
//	if err != nil {
//		log.Fatal(err) // a bad Site fails at start-up, never per request
//	}
//	handler = ua.Handler(handler)
//
// The zero Config is the seed's rule, pointing at
// https://developer.myblog.com. The body and every header value are built
// once, in New, and shared by all refusals (each one-element slice has
// len == cap, so an Add elsewhere cannot write into another response); a
// request that passes allocates nothing.
//
// # Where it sits
//
// Item 2 of the stack: after recover, request id and access log, so a
// refusal is logged and carries its X-myblog-Request-Id, and before
// everything else, so that a refused request costs no authentication, no
// quota and no handler work.
//
// That puts it before CORS. A browser's preflight is unaffected: the
// browser, not the script, makes it, and always sends its own User-Agent.
// The 403 itself goes out before the CORS headers exist, so a script
// whose request was refused (one that blanked User-Agent itself, where a
// browser lets it) sees a network error rather than the body. GitHub
// answers the same way, and the body is written for a developer at a
// terminal, not for a page.
//
// # What it does not do
//
// It does not judge the value: no allow- or deny-lists, no bot detection,
// no parsing of products and versions. Those are policies of their own,
// and a User-Agent is trivially forged. It does not log: the access log
// outside it records the 403. Its body is the seed's HTML text, not a
// structured JSON error from the errors package, because that is what
// GitHub sends and what clients print; the Connection: close tells
// net/http to drop a connection whose client is not worth keeping.
//
// See the examples for a refusal, a pass and an exempt health check.
package useragent
