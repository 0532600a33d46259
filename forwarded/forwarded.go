package forwarded

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/myblog/apikit/internal/configerr"
	httptoken "github.com/myblog/apikit/internal/token"
)

// maxHops is how many addresses ClientAddr considers, counted from the
// right across every field line of the header it reads: more than any
// real chain of proxies, and a bound on the work one request can cause.
const maxHops = 32

// Header names the one forwarding header a Resolver reads the client's
// address from. Only the chosen header is read; every other one is
// ignored, whoever sent it, since a proxy that writes one header passes
// the others on as the client sent them.
type Header uint8

const (
	// XForwardedFor is X-Forwarded-For, a list to which every proxy
	// appends the address it got the request from (nginx: proxy_set_header
	// X-Forwarded-For $proxy_add_x_forwarded_for). The default.
	XForwardedFor Header = iota
	// Forwarded is RFC 7239's Forwarded, a list to which every proxy
	// appends an element with for=. Choose it only when every trusted
	// proxy appends to it: nginx's usual configuration passes a client's
	// Forwarded on untouched, so reading it there lets the client choose
	// its address.
	Forwarded
	// XRealIP is X-Real-IP, one address that the proxy next to the
	// service sets, replacing any the client sent (nginx: proxy_set_header
	// X-Real-IP $remote_addr). It names only that proxy's peer, so it
	// suits one proxy, not a chain.
	XRealIP
)

// headerNames are the header field names, indexed by Header.
var headerNames = [...]string{XForwardedFor: "X-Forwarded-For", Forwarded: "Forwarded", XRealIP: "X-Real-IP"}

// String returns the header's field name, "X-Forwarded-For".
func (h Header) String() string {
	if int(h) < len(headerNames) {
		return headerNames[h]
	}
	return "Header(" + strconv.Itoa(int(h)) + ")"
}

// Config configures a Resolver. The zero value trusts no proxy: the client
// is RemoteAddr, the scheme and host are the connection's.
type Config struct {
	// TrustedProxies lists the proxies whose forwarding headers are
	// believed: CIDRs ("10.0.0.0/8", "2001:db8::/32") or single addresses
	// ("192.0.2.7", "::1"). IPv4-mapped IPv6 addresses are treated as IPv4.
	// Host bits of a CIDR are ignored ("10.1.2.3/8" is "10.0.0.0/8"). New
	// refuses a prefix of length zero ("0.0.0.0/0", "::/0"): trusting every
	// peer would let any client choose its own address. It also refuses an
	// address with a zone ("fe80::1%eth0"), since addresses are compared
	// without zones. Default: none.
	TrustedProxies []string
	// Header is the one header the client's address is read from when the
	// peer is a trusted proxy; the others are ignored. Every trusted proxy
	// must write it itself, appending to it (X-Forwarded-For, Forwarded)
	// or replacing it (X-Real-IP), or a client behind it chooses its
	// address. Default XForwardedFor.
	Header Header
	// TrustProto makes Scheme believe a trusted peer's word on the scheme
	// the client used: X-Forwarded-Proto, or Forwarded's proto= when
	// Header is Forwarded. The proxy must set it, replacing the client's
	// (nginx: proxy_set_header X-Forwarded-Proto $scheme). Default false:
	// the connection's scheme.
	TrustProto bool
	// TrustHost makes Host believe a trusted peer's word on the host the
	// client asked for: X-Forwarded-Host, or Forwarded's host= when Header
	// is Forwarded. The proxy must set it, replacing the client's (nginx:
	// proxy_set_header X-Forwarded-Host $host). Default false: the Host
	// header, which proxies pass on (nginx: proxy_set_header Host $host).
	TrustHost bool
	// Hosts is the allow-list of the hosts the service answers to,
	// host[:port] as clients write them in Host ("api.myblog.com",
	// "localhost:8080", "[2001:db8::1]:8443"), compared without regard to
	// case. Host returns a listed host as it is listed, and Hosts[0] for
	// any other, so that no client chooses the host of the absolute URLs
	// (Location, Link) a service builds and a cache may share. Default:
	// none, and then Host returns whatever host the request names, unless
	// HostFromLocalAddr is set.
	Hosts []string
	// HostFromLocalAddr makes Host answer a request whose host is not
	// listed in Hosts (every request, when Hosts is empty) with the
	// address its connection arrived on, as net/http's Server records it
	// (http.LocalAddrContextKey): "127.0.0.1:8080". That is a host no
	// client chooses, for a service that does not know its public name,
	// such as one run on a developer's machine. A request without that
	// address (not served over TCP by net/http) gets Hosts[0], or
	// "localhost" when Hosts is empty. Default false.
	HostFromLocalAddr bool
	// IPv6Prefix is the prefix length by which ClientKey groups IPv6
	// clients: one subscriber is usually handed a whole /64 (RFC 6177), so
	// counting addresses would let one client take 2^64 quotas. 128 keys
	// each address. Default 64.
	IPv6Prefix int
}

// DefaultIPv6Prefix is ClientKey's IPv6 grouping of a zero Config.
const DefaultIPv6Prefix = 64

// Resolver finds the client of a request, and the scheme and host it used,
// believing forwarding headers only from trusted proxies. Build one with
// New at start-up and share it. It is safe for concurrent use. A nil
// *Resolver behaves like New(Config{}).
type Resolver struct {
	// trustedProxies are masked prefixes: IPv4 ones for IPv4 entries,
	// IPv4-mapped ones included, and IPv6 ones for the rest. Addresses are
	// unmapped and unzoned before they are compared, so Contains is exact.
	trustedProxies []netip.Prefix
	// header is Config.Header: the one header walk reads.
	header     Header
	trustProto bool
	trustHost  bool
	// hosts is a copy of Config.Hosts; hosts[0] answers unlisted hosts.
	hosts             []string
	hostFromLocalAddr bool
	// ipv6Prefix is Config.IPv6Prefix, defaulted; 0 only in a nil or
	// zero Resolver, which means the default.
	ipv6Prefix int
}

// New validates cfg and returns its Resolver. Every problem is an
// *apierrors.ConfigError, all of them joined with errors.Join.
func New(cfg Config) (*Resolver, error) {
	r := &Resolver{
		trustedProxies:    make([]netip.Prefix, 0, len(cfg.TrustedProxies)),
		header:            cfg.Header,
		trustProto:        cfg.TrustProto,
		trustHost:         cfg.TrustHost,
		hosts:             slices.Clone(cfg.Hosts),
		hostFromLocalAddr: cfg.HostFromLocalAddr,
		ipv6Prefix:        cfg.IPv6Prefix,
	}
	problems := configerr.New("forwarded")
	for i, entry := range cfg.TrustedProxies {
		prefix, reason := parseTrustedProxy(entry)
		if reason != "" {
			problems.Add(configerr.Index("TrustedProxies", i), strconv.Quote(entry)+" "+reason)
			continue
		}
		r.trustedProxies = append(r.trustedProxies, prefix)
	}
	if int(cfg.Header) >= len(headerNames) {
		problems.Addf("Header", "%s is not XForwardedFor, Forwarded or XRealIP", cfg.Header)
	}
	for i, host := range cfg.Hosts {
		if !validHost(host) {
			problems.Add(configerr.Index("Hosts", i), strconv.Quote(host)+" is not a host[:port]")
		}
	}
	switch {
	case r.ipv6Prefix == 0:
		r.ipv6Prefix = DefaultIPv6Prefix
	case r.ipv6Prefix < 1 || r.ipv6Prefix > 128:
		problems.Addf("IPv6Prefix", "%d is not between 1 and 128", cfg.IPv6Prefix)
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// parseTrustedProxy parses one Config.TrustedProxies entry, or says why it
// cannot.
func parseTrustedProxy(entry string) (netip.Prefix, string) {
	const notAnAddress = "is not an IP address or CIDR"
	if !strings.Contains(entry, "/") {
		addr, err := netip.ParseAddr(entry)
		if err != nil {
			return netip.Prefix{}, notAnAddress
		}
		if addr.Zone() != "" {
			return netip.Prefix{}, "has a zone, but addresses are compared without one: list " + strconv.Quote(addr.WithZone("").String())
		}
		addr = addr.Unmap()
		return netip.PrefixFrom(addr, addr.BitLen()), ""
	}
	prefix, err := netip.ParsePrefix(entry)
	if err != nil {
		return netip.Prefix{}, notAnAddress
	}
	if prefix.Addr().Is4In6() {
		// ::ffff:0:0/96 is the IPv4 space; a shorter prefix reaches beyond it.
		if prefix.Bits() < 96 {
			return netip.Prefix{}, "is an IPv4-mapped prefix shorter than /96"
		}
		prefix = netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96)
	}
	if prefix.Bits() == 0 {
		return netip.Prefix{}, "trusts every address, so any client could choose its own"
	}
	return prefix.Masked(), ""
}

// ClientAddr returns the client's address (unmapped: IPv4-mapped IPv6
// becomes IPv4; zone dropped), and false when none can be found
// (RemoteAddr not an IP, e.g. a unix socket or "pipe"). The package doc
// gives the rules.
func (r *Resolver) ClientAddr(req *http.Request) (netip.Addr, bool) {
	peer, ok := parseNode(req.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !r.trusts(peer) {
		return peer, true
	}
	client, _ := r.walk(req.Header, peer)
	return client, true
}

// ClientIP is ClientAddr as a string (netip.Addr.String()), or RemoteAddr
// unchanged when it holds no IP address. Its signature fits the
// func(*http.Request) string hooks of other packages.
func (r *Resolver) ClientIP(req *http.Request) string {
	host, peer, ok := parseNodeHost(req.RemoteAddr)
	if !ok {
		return req.RemoteAddr
	}
	if r.trusts(peer) {
		client, _ := r.walk(req.Header, peer)
		return client.String()
	}
	// The common case, a direct IPv4 client: a host that parsed as IPv4
	// is already in canonical form (netip accepts no other spelling of an
	// IPv4 address), so return it rather than format a new string.
	if peer.Is4() && strings.IndexByte(host, ':') < 0 {
		return host
	}
	return peer.String()
}

// ClientKey is the client as a quota or lockout counts it: ClientIP for an
// IPv4 client, the client's IPv6 network of Config.IPv6Prefix bits for an
// IPv6 one ("2001:db8:1:2::/64"), RemoteAddr unchanged when it holds no
// IP address. Every package that counts clients by address (ratelimit's
// anonymous quota, auth's lockout by IP) keys them with it, so one
// service groups addresses one way.
func (r *Resolver) ClientKey(req *http.Request) string {
	ip := r.ClientIP(req)
	bits := DefaultIPv6Prefix
	if r != nil && r.ipv6Prefix != 0 {
		bits = r.ipv6Prefix
	}
	if bits == 128 || strings.IndexByte(ip, ':') < 0 {
		return ip
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is6() {
		return ip
	}
	return netip.PrefixFrom(addr, bits).Masked().String()
}

// Trusted reports whether the immediate peer (RemoteAddr) is a trusted
// proxy.
func (r *Resolver) Trusted(req *http.Request) bool {
	peer, ok := parseNode(req.RemoteAddr)
	return ok && r.trusts(peer)
}

// TrustedAddr reports whether addr is one of the trusted proxies.
func (r *Resolver) TrustedAddr(addr netip.Addr) bool {
	return r.trusts(addr.Unmap().WithZone(""))
}

// Scheme returns "https" or "http": with Config.TrustProto, what the
// trusted peer says (see the package doc), lower-cased, only "http" or
// "https" accepted; else "https" when req.TLS != nil, else "http".
func (r *Resolver) Scheme(req *http.Request) string {
	if r != nil && r.trustProto {
		if proto, ok := r.proxyValue(req, paramProto, "X-Forwarded-Proto"); ok {
			// RFC 7239 §5.4 and RFC 3986 §3.1: scheme names are case-insensitive.
			switch {
			case httptoken.EqualFold(proto, "https"):
				return "https"
			case httptoken.EqualFold(proto, "http"):
				return "http"
			}
		}
	}
	if req.TLS != nil {
		return "https"
	}
	return "http"
}

// Host returns the host the client asked for, for absolute URLs: with
// Config.TrustHost, what the trusted peer says (see the package doc) when
// it is a valid host[:port], with no space, slash, '@' or control
// character; else req.Host. Then, when Config.Hosts or
// Config.HostFromLocalAddr is set, a host not listed in Hosts is replaced
// by the default host: the connection's local address with
// HostFromLocalAddr, else Hosts[0].
func (r *Resolver) Host(req *http.Request) string {
	host := req.Host
	if r == nil {
		return host
	}
	if r.trustHost {
		if forwardedHost, ok := r.proxyValue(req, paramHost, "X-Forwarded-Host"); ok && validHost(forwardedHost) {
			host = forwardedHost
		}
	}
	if len(r.hosts) == 0 && !r.hostFromLocalAddr {
		return host
	}
	for _, listed := range r.hosts {
		// RFC 9110 §4.2.3: the host is compared without regard to case.
		if httptoken.EqualFold(host, listed) {
			return listed
		}
	}
	return r.defaultHost(req)
}

// defaultHost is the host of a request whose own is not listed.
func (r *Resolver) defaultHost(req *http.Request) string {
	if r.hostFromLocalAddr {
		if local, ok := req.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			addrPort := local.AddrPort()
			return netip.AddrPortFrom(addrPort.Addr().Unmap().WithZone(""), addrPort.Port()).String()
		}
	}
	if len(r.hosts) > 0 {
		return r.hosts[0]
	}
	return "localhost"
}

// proxyValue returns what a trusted peer says of the client's request:
// with Header Forwarded, param from the leftmost element the walk
// reaches that has it, each of those having been written by a trusted
// proxy; otherwise the last value of the X- header named key, the one the
// peer wrote (a proxy replaces or appends to it; values before the last
// may be the client's). It reports false when the peer is not trusted or
// says nothing.
func (r *Resolver) proxyValue(req *http.Request, p param, key string) (string, bool) {
	peer, ok := parseNode(req.RemoteAddr)
	if !ok || !r.trusts(peer) {
		return "", false
	}
	if r.header == Forwarded {
		if _, believed := r.walk(req.Header, peer); believed.seen&(1<<p) != 0 {
			return believed.values[p], true
		}
		return "", false
	}
	return lastElement(req.Header[key])
}

// trusts reports whether addr, unmapped and unzoned, is a trusted proxy.
func (r *Resolver) trusts(addr netip.Addr) bool {
	if r == nil {
		return false
	}
	for _, prefix := range r.trustedProxies {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// walk finds the client behind the trusted peer (rules 3 to 7 of the
// package doc). Of X-Forwarded-For and Forwarded, whichever Header names,
// it reads the list from the right, past trusted hops, and stops at the
// first untrusted address, at the first element it cannot read, or after
// maxHops: the client is the untrusted address, else the last trusted hop
// reached, which wrote the element where the walk stopped. Of Forwarded
// it also returns the proto= and host= of the elements it reached, the
// leftmost winning: each was written by a trusted proxy, whereas an
// element left of where the walk stopped may be the client's own. Of
// X-Real-IP it takes the one address the peer set.
func (r *Resolver) walk(h http.Header, peer netip.Addr) (client netip.Addr, believed element) {
	client = peer
	var (
		lines   []string
		rfc7239 bool
		cut     = cutLastComma
	)
	switch r.header {
	case Forwarded:
		lines, rfc7239, cut = h["Forwarded"], true, cutLastElement
	case XRealIP:
		// One address, set by the peer: a list means something appended
		// to it, and what was there first may be the client's.
		if value, ok := onlyElement(h["X-Real-Ip"]); ok {
			if addr, ok := parseNode(value); ok {
				client = addr
			}
		}
		return client, believed
	default:
		lines = h["X-Forwarded-For"]
	}
	remaining := maxHops
	for i := len(lines) - 1; i >= 0; i-- {
		// RFC 9110 §5.3: several field lines are one comma-separated list,
		// in order, so the last line holds the rightmost elements.
		list, more := lines[i], true
		for more {
			var item string
			list, item, more = cut(list)
			if item = strings.Trim(item, " \t"); item == "" {
				continue // RFC 9110 §5.6.1: empty list elements are ignored.
			}
			if remaining == 0 {
				return client, believed
			}
			remaining--
			node := item
			if rfc7239 {
				e, ok := parseElement(item)
				if !ok {
					return client, believed
				}
				believed.believe(e)
				if e.seen&(1<<paramFor) == 0 {
					return client, believed
				}
				node = e.values[paramFor]
			}
			addr, ok := parseNode(node)
			if !ok {
				return client, believed
			}
			client = addr
			if !r.trusts(addr) {
				return client, believed
			}
		}
	}
	return client, believed
}

// parseNode parses an address with an optional port in the forms
// RemoteAddr, X-Forwarded-For and RFC 7239 §6 nodes use: "192.0.2.60",
// "192.0.2.60:47011", "2001:db8:cafe::17", "[2001:db8:cafe::17]",
// "[2001:db8:cafe::17]:4711". It drops the port (RFC 7239 §6.3 allows an
// obfuscated "_port" too) and the zone, and unmaps an IPv4-mapped address.
// Obfuscated identifiers and "unknown" (RFC 7239 §6.2, §6.3) are not
// addresses. On success it allocates nothing, unless s has a zone.
func parseNode(s string) (netip.Addr, bool) {
	_, addr, ok := parseNodeHost(s)
	return addr, ok
}

// parseNodeHost is parseNode that also returns the host part of s as it
// was written.
func parseNodeHost(s string) (string, netip.Addr, bool) {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", netip.Addr{}, false
		}
		if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !isNodePort(rest[1:])) {
			return "", netip.Addr{}, false
		}
		host = s[1:end]
		if !strings.Contains(host, ":") {
			return "", netip.Addr{}, false // RFC 3986 §3.2.2: brackets hold IPv6 only.
		}
	} else if colon := strings.IndexByte(s, ':'); colon >= 0 && strings.IndexByte(s[colon+1:], ':') < 0 {
		// One colon: IPv4 with a port. Two or more: bare IPv6.
		host = s[:colon]
		if !isNodePort(s[colon+1:]) {
			return "", netip.Addr{}, false
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return "", netip.Addr{}, false
	}
	return host, addr.Unmap().WithZone(""), true
}

// isNodePort reports whether s is an RFC 7239 §6 node-port:
//
//	node-port = port / obfport
//	port      = 1*5DIGIT
//	obfport   = "_" 1*(ALPHA / DIGIT / "." / "_" / "-")
func isNodePort(s string) bool {
	if obfuscated, ok := strings.CutPrefix(s, "_"); ok {
		if obfuscated == "" {
			return false
		}
		for i := 0; i < len(obfuscated); i++ {
			if c := obfuscated[i]; !isAlpha(c) && !isDigit(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
		return true
	}
	return isPort(s)
}

// isPort reports whether s is 1 to 5 digits (RFC 7239 §6, RFC 3986 §3.2.3).
func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// cutLastComma splits an X-Forwarded-For list at its last comma.
func cutLastComma(list string) (before, item string, found bool) {
	i := strings.LastIndexByte(list, ',')
	if i < 0 {
		return "", list, false
	}
	return list[:i], list[i+1:], true
}

// cutLastElement splits a Forwarded list at its last comma outside a
// quoted-string (RFC 7239 §4, RFC 9110 §5.6.4). It reads from the right,
// so that what the nearest proxies appended is read first and exactly,
// whatever a client put on the left. Reading backwards, a '"' outside a
// string ends one (a backslash is not allowed outside), and inside a
// string a '"' preceded by an even run of backslashes opens it: in a valid
// quoted-string every inner '"' is escaped, and so preceded by an odd run.
func cutLastElement(list string) (before, item string, found bool) {
	quoted := false
	for i := len(list) - 1; i >= 0; i-- {
		switch list[i] {
		case '"':
			if !quoted {
				quoted = true
				continue
			}
			backslashes := 0
			for j := i - 1; j >= 0 && list[j] == '\\'; j-- {
				backslashes++
			}
			quoted = backslashes%2 == 1
		case ',':
			if !quoted {
				return list[:i], list[i+1:], true
			}
		}
	}
	return "", list, false
}

// param indexes the Forwarded parameters this package reads.
type param uint8

const (
	paramFor   param = iota // RFC 7239 §5.2
	paramHost               // RFC 7239 §5.3
	paramProto              // RFC 7239 §5.4
)

// paramNames are the parameter names, indexed by param.
var paramNames = [...]string{paramFor: "for", paramHost: "host", paramProto: "proto"}

// element holds the parameters of a forwarded-element that this package
// reads.
type element struct {
	values [len(paramNames)]string
	seen   uint8 // bit p is set when values[p] was given
}

// believe takes host= and proto= from e, which lies left of the elements
// already believed.
func (b *element) believe(e element) {
	for _, p := range [...]param{paramHost, paramProto} {
		if e.seen&(1<<p) != 0 {
			b.values[p] = e.values[p]
			b.seen |= 1 << p
		}
	}
}

// parseElement parses one forwarded-element (RFC 7239 §4):
//
//	forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//	forwarded-pair    = token "=" value
//	value             = token / quoted-string
//
// Parameter names are case-insensitive (§4). Whitespace around ";" is
// tolerated, as senders commonly write "for=192.0.2.60; proto=https". A
// parameter given twice makes the element invalid (§4: it "MUST NOT occur
// more than once"), so that no one can slip a second for= into it.
func parseElement(s string) (e element, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s != "" && s[0] != ';' {
			var name, value string
			name, s = cutToken(s)
			if name == "" || !strings.HasPrefix(s, "=") {
				return element{}, false
			}
			escaped := false
			if value, s = cutToken(s[1:]); value == "" {
				if value, s, escaped, ok = cutQuotedString(s); !ok {
					return element{}, false
				}
			}
			for p, known := range paramNames {
				if !httptoken.EqualFold(name, known) {
					continue
				}
				if e.seen&(1<<p) != 0 {
					return element{}, false
				}
				if escaped {
					value = unescape(value)
				}
				e.values[p] = value
				e.seen |= 1 << p
			}
			s = strings.TrimLeft(s, " \t")
		}
		if s == "" {
			return e, true
		}
		if s[0] != ';' {
			return element{}, false
		}
		s = s[1:]
	}
}

// cutToken returns the RFC 9110 §5.6.2 token at the start of s, and the
// rest.
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && httptoken.Char(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// cutQuotedString reads the RFC 9110 §5.6.4 quoted-string at the start of
// s and returns its content, still escaped when escaped is true, and the
// rest:
//
//	quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//	qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
//	quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
func cutQuotedString(s string) (content, rest string, escaped, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], s[i+1:], escaped, true
		case c == '\\':
			if i+1 == len(s) || !isQuotable(s[i+1]) {
				return "", s, false, false
			}
			escaped = true
			i++
		case !isQuotable(c):
			return "", s, false, false
		}
	}
	return "", s, false, false
}

// unescape removes the backslashes of the quoted-pairs of a quoted-string's
// content that cutQuotedString accepted.
func unescape(content string) string {
	var b strings.Builder
	b.Grow(len(content))
	for i := 0; i < len(content); i++ {
		if content[i] == '\\' {
			i++
		}
		b.WriteByte(content[i])
	}
	return b.String()
}

// lastElement returns the last non-empty element of a comma-separated
// list spread over field lines (RFC 9110 §5.3, §5.6.1), trimmed.
func lastElement(lines []string) (string, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		list, more := lines[i], true
		for more {
			var item string
			list, item, more = cutLastComma(list)
			if item = strings.Trim(item, " \t"); item != "" {
				return item, true
			}
		}
	}
	return "", false
}

// onlyElement returns the one non-empty element of a comma-separated list
// spread over field lines (RFC 9110 §5.3, §5.6.1), trimmed, and false
// when there is none or more than one.
func onlyElement(lines []string) (string, bool) {
	only, found := "", false
	for _, list := range lines {
		for more := true; more; {
			var item string
			item, list, more = strings.Cut(list, ",")
			if item = strings.Trim(item, " \t"); item == "" {
				continue
			}
			if found {
				return "", false
			}
			only, found = item, true
		}
	}
	return only, found
}

// validHost reports whether s is a Host (RFC 9110 §7.2): uri-host
// [":" port], where uri-host is an RFC 3986 §3.2.2 IP-literal, IPv4
// address or reg-name, and port is 1 to 5 digits. So it holds no space,
// slash, '@', control character or anything else that would change the
// meaning of a URL built from it.
func validHost(s string) bool {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		addr, err := netip.ParseAddr(s[1:end])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return false
		}
		rest := s[end+1:]
		return rest == "" || rest[0] == ':' && isPort(rest[1:])
	}
	if colon := strings.LastIndexByte(s, ':'); colon >= 0 {
		if !isPort(s[colon+1:]) {
			return false
		}
		host = s[:colon]
	}
	if host == "" {
		return false
	}
	// reg-name = *( unreserved / pct-encoded / sub-delims ); an IPv4
	// address is a reg-name too.
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '%':
			if i+2 >= len(host) || !isHexDigit(host[i+1]) || !isHexDigit(host[i+2]) {
				return false
			}
			i += 2
		case isAlpha(c), isDigit(c), strings.IndexByte("-._~!$&'()*+,;=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool    { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// isQuotable reports whether c may stand in a quoted-string, as qdtext or
// after a backslash (RFC 9110 §5.6.4): HTAB, SP, VCHAR or obs-text.
func isQuotable(c byte) bool {
	return c == '\t' || c == ' ' || 0x21 <= c && c != 0x7f
}
