// Package forwarded answers "who is the client, and what scheme and host
// did it use" for a service behind proxies and load balancers, believing
// a forwarding header (X-Forwarded-For, RFC 7239's Forwarded or
// X-Real-IP; X-Forwarded-Proto and X-Forwarded-Host) only from the
// proxies it is told to trust, and only the one header it is told to
// read. Anyone can send those headers; only a trusted proxy's word is
// taken, and only in the header that proxy writes itself.
//
// A Resolver is built once from a Config and shared:
//
//	resolver, err := forwarded.New(forwarded.Config{
//		TrustedProxies: []string{"10.0.0.0/8"}, // the load balancers
//		TrustProto:     true,                    // they set X-Forwarded-Proto
//		Hosts:          []string{"api.myblog.com"},
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
//  3. If the peer is trusted, exactly one header is read, the one
//     Config.Header names: X-Forwarded-For (the default), Forwarded's
//     for= parameters, or X-Real-IP. The others are ignored whatever they
//     say, even when the chosen one is absent: a proxy that appends to
//     one header passes the others on as the client wrote them (nginx's
//     usual configuration appends to X-Forwarded-For and passes a
//     client's Forwarded through), so believing a second header would let
//     the client choose its address. Absent or empty, the chosen header
//     gives the peer.
//  4. All field lines of X-Forwarded-For or Forwarded, in order, form one
//     comma-separated list (RFC 9110 §5.3). It is walked from right to
//     left, skipping trusted proxies; the first address that is not
//     trusted is the client. Every proxy appends the address it received
//     the request from, so what lies left of the first untrusted hop was
//     written by the client, and is never chosen. If every address is
//     trusted, the client is the leftmost.
//  5. An element that is not an IP address, such as the obfuscated
//     identifiers and "unknown" of RFC 7239 §6, a malformed Forwarded
//     element, one without for= (an empty "Forwarded: ;"), or garbage,
//     stops the walk: the client is the last address the walk reached,
//     the nearest trusted hop, or the peer itself when the element was
//     the rightmost. What such an element says is never believed, and
//     nothing left of it is read: that hop wrote the element, so it alone
//     knows more about the client than its own address does. A client
//     cannot bring this about by what it sends, since a trusted proxy
//     appends its own element to the right of the client's; only a proxy
//     that writes an unreadable element, or passes the header on without
//     appending, makes itself the client.
//  6. At most 32 addresses are considered in total, across all field
//     lines; past that, the walk stops as at an element it cannot read.
//     This bounds the work a long header can cause, and does not let a
//     client hide the proxy's element, which is read first.
//  7. X-Real-IP is one address that the peer sets, replacing the
//     client's: the client is that address, whether trusted or not. A
//     list of several (some hop appended to it instead of setting it) or
//     a value that is not an address gives the peer.
//
// Forwarded is parsed as RFC 7239 §4 defines it: elements separated by
// ",", pairs by ";", case-insensitive parameter names, values that are
// tokens or quoted-strings with backslash escapes; a parameter given twice
// makes its element unreadable. A for= node (§6) may be "192.0.2.60",
// "\"192.0.2.60:47011\"", "\"[2001:db8:cafe::17]\"" or
// "\"[2001:db8:cafe::17]:4711\"". Lists are cut from the right, so that
// a client's unterminated quoted-string cannot swallow the element a
// proxy appended. X-Forwarded-For and X-Real-IP entries are trimmed of
// spaces and tabs and may carry a port the same way ("192.0.2.60:47011",
// "[2001:db8:cafe::17]:4711"). Empty list elements are ignored (RFC 9110
// §5.6.1).
//
// # Scheme and host
//
// Scheme and Host believe a trusted peer only when told to, separately:
// Config.TrustProto for the scheme and Config.TrustHost for the host,
// both off by default. Otherwise, and when the peer is not trusted or
// says nothing believable, they are the connection's: "https" when
// req.TLS is set, and req.Host.
//
// With Header Forwarded, proto= and host= are read from the elements the
// walk above reached (each written by a trusted proxy), the leftmost of
// those that carries the parameter winning, since it describes the
// request closest to the client; X-Forwarded-Proto and X-Forwarded-Host
// are ignored. With X-Forwarded-For or X-Real-IP, X-Forwarded-Proto and
// X-Forwarded-Host are read, and of them the last value: the one the
// peer wrote, whether it replaced the client's or appended to it. A
// scheme other than "http" or "https", or a host that is not a valid
// host[:port] (RFC 3986 §3.2.2: no space, slash, '@' or control
// character), is not believed.
//
// Config.Hosts is the allow-list of the hosts a service answers to: a
// host (req.Host, or the one a trusted proxy gave) that is not listed
// becomes Hosts[0], so no client picks the host of a Location or Link a
// shared cache may keep. Config.HostFromLocalAddr answers an unlisted
// host, or every host when none is listed, with the address the
// connection arrived on ("127.0.0.1:8080"), for a service that does not
// know its public name. With neither, Host returns req.Host as the
// client sent it: build absolute URLs from a configured base URL then.
//
// # Configuring the proxies
//
// List in Config.TrustedProxies every proxy between the internet and the
// service, and nothing else: one that is missing makes the client look
// like that proxy, and an address a client controls lets it choose its own.
// Every trusted proxy must write the header Config.Header names itself:
//
//	# X-Forwarded-For, the default: append the client's address
//	proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
//	# X-Real-IP: replace the client's
//	proxy_set_header X-Real-IP $remote_addr;
//	# with TrustProto, TrustHost: replace the client's
//	proxy_set_header X-Forwarded-Proto $scheme;
//	proxy_set_header X-Forwarded-Host $host;
//
// nginx's usual configuration does not touch Forwarded, so choose
// Forwarded only behind proxies that append to it. A proxy that passes
// the chosen header through unchanged lets every client behind it choose
// its address; one that writes nothing readable there makes itself the
// client of everyone behind it (rule 5).
//
// # Where it sits
//
// forwarded is a leaf helper, not a middleware, and has no place in the
// stack: what needs the client calls the same Resolver. The access log at
// the top of the stack logs ClientIP; authentication takes
// resolver.ClientKey as its per-client lockout key; the rate limiter keys
// anonymous requests by it; and handlers that build absolute URLs
// (Location, Link) start them with Scheme and Host.
//
// It deliberately does not rewrite the request (RemoteAddr, Host and URL
// stay what the connection said), write or append forwarding headers (that
// is a proxy's job), answer a request itself (a 421 Misdirected Request
// for an unlisted host is the caller's choice), read more than one
// client-address header, X-Forwarded-Port, vendors' client-IP headers or
// Forwarded's by= parameter, or treat an obfuscated identifier as a
// client.
//
// See the examples for a service behind nginx, a client spoofing its
// address, a chain of proxies writing Forwarded, and a host allow-list.
package forwarded
