// Package forwarded answers "who is the client, and what scheme and host
// did it use" for a service behind proxies and load balancers, believing
// the forwarding headers (Forwarded, RFC 7239, and the X-Forwarded-For,
// X-Forwarded-Proto and X-Forwarded-Host conventions) only from the
// proxies it is told to trust. Anyone can send those headers; only a
// trusted proxy's word is taken.
//
// A Resolver is built once from a Config and shared:
//
//	resolver, err := forwarded.New(forwarded.Config{
//		TrustedProxies: []string{"10.0.0.0/8"}, // the load balancers
//	})
//	if err != nil {
//		log.Fatal(err) // a misconfiguration fails at start-up, never per request
//	}
//	ip := resolver.ClientIP(r) // "203.0.113.9"
//	base := resolver.Scheme(r) + "://" + resolver.Host(r)
//
// The zero Config trusts no proxy, so the client is always the peer that
// opened the connection; a nil *Resolver behaves the same.
//
// # Finding the client
//
// ClientAddr and ClientIP follow these rules:
//
//  1. The peer is the host part of req.RemoteAddr, with or without a port
//     ("192.0.2.1:5678", "[2001:db8::1]:443", "192.0.2.1"). A RemoteAddr
//     that holds no IP address (a unix socket, "pipe") gives no client:
//     ClientAddr reports false and ClientIP returns RemoteAddr unchanged.
//     Every address is unmapped (::ffff:192.0.2.1 is 192.0.2.1) and loses
//     its zone.
//  2. If the peer is not a trusted proxy, it is the client, and every
//     forwarding header is ignored: a client cannot choose its address by
//     sending X-Forwarded-For itself.
//  3. If the peer is trusted, the for= parameters of Forwarded are read
//     when that header is present (even empty), else X-Forwarded-For.
//  4. All field lines of that header, in order, form one comma-separated
//     list (RFC 9110 §5.3). It is walked from right to left, skipping
//     trusted proxies; the first address that is not trusted is the
//     client. Every proxy appends the address it received the request
//     from, so what lies left of the first untrusted hop was written by
//     the client, and is never chosen. If every address is trusted, the
//     client is the leftmost.
//  5. An element that is not an IP address, such as the obfuscated
//     identifiers and "unknown" of RFC 7239 §6, a malformed Forwarded
//     element, one without for=, or garbage, stops the walk: the client is the address just
//     to its right, the last trusted hop reached, or the peer itself when
//     the element was the rightmost.
//  6. At most 32 addresses are considered in total, across all field
//     lines; past that, the walk stops as at an element it cannot read.
//     This bounds the work a long header can cause.
//
// Forwarded is parsed as RFC 7239 §4 defines it: elements separated by
// ",", pairs by ";", case-insensitive parameter names, values that are
// tokens or quoted-strings with backslash escapes; a parameter given twice
// makes its element unreadable. A for= node (§6) may be "192.0.2.60",
// "\"192.0.2.60:47011\"", "\"[2001:db8:cafe::17]\"" or
// "\"[2001:db8:cafe::17]:4711\"". X-Forwarded-For entries are trimmed of
// spaces and tabs and may carry a port the same way ("192.0.2.60:47011",
// "[2001:db8:cafe::17]:4711"). Empty list elements are ignored (RFC 9110
// §5.6.1).
//
// # Scheme and host
//
// Scheme and Host believe a trusted peer's Forwarded proto= and host=,
// else its X-Forwarded-Proto and X-Forwarded-Host, and otherwise fall back
// to the connection: "https" when req.TLS is set, and req.Host. Of
// Forwarded, only the elements that the walk above reached are read (each
// was written by a trusted proxy), and the leftmost of those that carries
// the parameter wins, since it describes the request closest to the
// client. Of the X- headers, which proxies set rather than extend, the
// first value is read. A scheme other than "http" or "https", or a host
// that is not a valid host[:port] (RFC 3986 §3.2.2: no space, slash, '@'
// or control character), is not believed: the connection's is used.
//
// # Configuring the proxies
//
// List in Config.TrustedProxies every proxy between the internet and the
// service, and nothing else: one that is missing makes the client look
// like that proxy, and an address a client controls lets it choose its own.
// The edge proxy must set or strip the headers this package reads: one
// that appends to X-Forwarded-For but passes a client's own Forwarded
// header through would let the client choose its address, since Forwarded
// wins, and one that passes a client's X-Forwarded-Host through would let
// it choose the host.
//
// # Where it sits
//
// forwarded is a leaf helper, not a middleware, and has no place in the
// stack: what needs the client calls the same Resolver. The access log at
// the top of the stack logs ClientIP; authentication takes
// resolver.ClientIP as its per-IP lockout key (auth.Config.ClientIP); the
// rate limiter keys anonymous requests by it; and handlers that build
// absolute URLs (Location, Link) start them with Scheme and Host.
//
// It deliberately does not rewrite the request (RemoteAddr, Host and URL
// stay what the connection said), write or append forwarding headers (that
// is a proxy's job), read other headers (X-Real-IP, X-Forwarded-Port,
// vendors' client-IP headers) or Forwarded's by= parameter, or treat an
// obfuscated identifier as a client.
//
// See the examples for a service behind a load balancer.
package forwarded
