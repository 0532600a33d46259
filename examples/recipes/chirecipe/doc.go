// Package chirecipe shows apikit behind a chi router.
//
// apikit's middlewares are func(http.Handler) http.Handler, chi's own
// middleware shape, so they plug straight into r.Use, outermost first as
// the module doc (go doc github.com/myblog/apikit) orders them, and
// handlers are plain net/http ones:
//
//	r := chi.NewRouter()
//	r.Use(limiter.Handler, cond.Handler)
//	r.Get("/posts/{id}", showPost)
//
// # The trap: middleware.RealIP
//
// Do not put chi's middleware.RealIP in front of apikit. It sets
// r.RemoteAddr from True-Client-IP, X-Real-IP or the leftmost
// X-Forwarded-For address, headers that any client can send, so the rate
// limiter counts each request against the address the client chose: a
// client that sends a new X-Forwarded-For with every request opens a new
// quota every time and is never limited. A forwarded.Resolver does not
// help once RealIP has run, since the peer it sees is already the
// client's invention. (chi v5.5.0 deprecates RealIP for this reason; its
// ClientIPFrom* replacements leave RemoteAddr alone, but apikit does not
// read what they store.)
//
// Instead, give apikit the proxies that stand in front of the service,
// once, in a *forwarded.Resolver, and hand the same resolver to every
// package that needs the client (the rate limiter's Resolver field) or
// the scheme and host it used (pagination's, for absolute Link URLs):
//
//	resolver, err := forwarded.New(forwarded.Config{
//		TrustedProxies: []string{"10.0.0.0/8"},
//		TrustProto:     true, // the proxies overwrite X-Forwarded-Proto
//		Hosts:          []string{"api.example.com"},
//	})
//	limiter, err := ratelimit.New(ratelimit.Config{Resolver: resolver})
//	pages, err := pagination.New(pagination.Config{Resolver: resolver})
//
// Forwarding headers from any other peer are ignored, only the one
// client-address header chosen (X-Forwarded-For by default) is read, and
// a trusted proxy's list is read from the right, so what a client wrote
// in front of the proxy's entry never counts. The tests show both: with RealIP a
// client sending a fresh X-Forwarded-For is never limited; with the
// resolver it is refused at 60, by its own address or by the one the
// trusted proxy saw.
package chirecipe
