// Package useragent requires every request to say who is calling, as
// GitHub's API does: a request with no User-Agent header, or a blank one,
// is refused before anything else looks at it.
//
//	GET /posts HTTP/1.1
//	Host: api.example.com
//
//	HTTP/1.1 403 Forbidden
//	Connection: close
//	Content-Length: 111
//	Content-Type: application/json; charset=utf-8
//	X-Content-Type-Options: nosniff
//
//	{"message":"Request forbidden by administrative rules. Please make sure your request has a User-Agent header."}
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
//		Errors: errs, // the service's *apierrors.Writer
//	})
//	if err != nil {
//		log.Fatal(err) // a bad Site fails at start-up, never per request
//	}
//	handler = ua.Handler(handler)
//
// With a Site, the message ends "Check https://developer.example.com for
// other possible causes.", as GitHub's does; the zero Config names no
// site.
//
// # The refusal
//
// The 403 is an *apierrors.Error (ID "user_agent_required"), written by
// Config.Errors in the service's one error shape unless Config.OnError
// answers instead: the hook gets the error after the middleware set
// Connection: close and before anything is written, so its own status,
// headers and body reach the client whole. Connection: close tells
// net/http to drop a connection whose client is not worth keeping.
// Config.Observer sees each refusal as observe.Forbidden, Detail
// "user_agent".
//
// A request that passes allocates nothing; a refusal allocates its Error
// and what the writer needs.
//
// # Where it sits
//
// Fourth in the stack (the stack order in the module doc, go doc
// github.com/myblog/apikit): after the request id, the access log and
// recovery, so a refusal is logged and carries its request id, and before
// everything else, so that a refused request costs no authentication, no
// quota and no handler work.
//
// That puts it before CORS. A browser's preflight is unaffected: the
// browser, not the script, makes it, and always sends its own User-Agent.
// The 403 itself goes out before the CORS headers exist, so a script
// whose request was refused (one that blanked User-Agent itself, where a
// browser lets it) sees a network error rather than the body. GitHub
// answers the same way.
//
// # What it does not do
//
// It does not judge the value: no allow- or deny-lists, no bot detection,
// no parsing of products and versions. Those are policies of their own,
// and a User-Agent is trivially forged. It does not log: the access log
// outside it records the 403, and the Observer counts it.
//
// See the examples for a refusal, a pass, an exempt health check and a
// custom refusal.
package useragent
