// Package recipes shows apikit with the routers and frameworks Go
// services use, one package each, every one tested on a real server:
//
//   - chirecipe: chi. apikit's middlewares go straight into r.Use. The
//     trap: chi's middleware.RealIP in front of apikit lets any client
//     choose the address its quota is counted by; give apikit a
//     forwarded.Resolver that names the real proxies instead.
//   - ginrecipe: gin. Wrap the whole engine in apikit and serve that. The
//     trap: the usual engine.Use(adapter(middleware)) lets gin's handlers
//     write beneath apikit's writer, so every 304 becomes a 200, and lets
//     refused requests reach the handler.
//   - echorecipe: echo. Wrap the whole echo instance, or put
//     echorecipe.WriteErrors inside echo.WrapMiddleware(...). The trap: an
//     error a handler returns is written after apikit's middlewares
//     returned, and is lost.
//
// Each recipe builds its service with New(Config), from the same Kit: the
// rate limiter outside the conditional middleware (the stack order of
// the module doc, go doc github.com/myblog/apikit), and the paginator,
// error writer and renderer the handlers use, over a fixed list of posts.
// Their tests check the three things a framework can break: a 304 for a
// repeated GET (the ETag of the body the client got, and the quota given
// back), GitHub's 403 with its JSON body and X-RateLimit-* headers once
// the anonymous quota is spent, and the Link header of a paged list.
//
// The rule behind all three traps: apikit's middlewares must see the
// request before the framework does and the response after the
// framework has finished it. Wrapping the framework's whole http.Handler
// guarantees both; a framework's middleware chain guarantees them only
// where its handlers write to the http.ResponseWriter apikit handed
// down, before apikit's middleware returns.
package recipes
