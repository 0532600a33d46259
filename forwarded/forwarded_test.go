package forwarded_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
)

// line is one header field line.
type line struct{ key, value string }

func xff(value string) line { return line{"X-Forwarded-For", value} }
func fwd(value string) line { return line{"Forwarded", value} }
func xfp(value string) line { return line{"X-Forwarded-Proto", value} }
func xfh(value string) line { return line{"X-Forwarded-Host", value} }
func rip(value string) line { return line{"X-Real-IP", value} }

func newRequest(remoteAddr string, lines ...line) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remoteAddr
	for _, l := range lines {
		r.Header.Add(l.key, l.value)
	}
	return r
}

// hops lists the trusted addresses 10.0.0.from to 10.0.0.to, leftmost first.
func hops(from, to int) string {
	addrs := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		addrs = append(addrs, "10.0.0."+strconv.Itoa(i))
	}
	return strings.Join(addrs, ", ")
}

// forwardedHops is hops as Forwarded elements.
func forwardedHops(from, to int) string {
	return "for=" + strings.ReplaceAll(hops(from, to), ", ", ", for=")
}

func mustNew(t testing.TB, trusted ...string) *forwarded.Resolver {
	t.Helper()
	r, err := forwarded.New(forwarded.Config{TrustedProxies: trusted})
	require.NoError(t, err)
	return r
}

// balancers is the trusted list of most cases: a private range, one
// single IPv4 address, an IPv6 range and IPv6 loopback.
var balancers = []string{"10.0.0.0/8", "192.0.2.7", "2001:db8:1::/48", "::1"}

// lb is a trusted peer.
const lb = "10.0.0.5:41234"

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string // nil means balancers
		header  forwarded.Header
		remote  string
		lines   []line
		want    string
	}{
		// Rule 1: the peer.
		{name: "rule 1: IPv4 peer with port", remote: "203.0.113.9:5678", want: "203.0.113.9"},
		{name: "rule 1: IPv4 peer without port", remote: "203.0.113.9", want: "203.0.113.9"},
		{name: "rule 1: IPv6 peer in brackets with port", remote: "[2001:db8:cafe::17]:443", want: "2001:db8:cafe::17"},
		{name: "rule 1: IPv6 peer in brackets without port", remote: "[2001:db8:cafe::17]", want: "2001:db8:cafe::17"},
		{name: "rule 1: IPv6 peer without port", remote: "2001:db8:cafe::17", want: "2001:db8:cafe::17"},
		{name: "rule 1: IPv6 peer canonicalised", remote: "[2001:DB8:CAFE:0::17]:443", want: "2001:db8:cafe::17"},
		{name: "rule 1: IPv4-mapped peer is IPv4", remote: "[::ffff:203.0.113.9]:5678", want: "203.0.113.9"},
		{name: "rule 1: zone of the peer dropped", remote: "[fe80::1%eth0]:5678", want: "fe80::1"},

		// Rule 2: an untrusted peer is the client, whatever it says.
		{name: "rule 2: untrusted peer ignores X-Forwarded-For", remote: "203.0.113.9:5678",
			lines: []line{xff("198.51.100.23")}, want: "203.0.113.9"},
		{name: "rule 2: untrusted peer ignores a trusted-looking X-Forwarded-For", remote: "203.0.113.9:5678",
			lines: []line{xff("10.0.0.6")}, want: "203.0.113.9"},
		{name: "rule 2: untrusted peer ignores Forwarded", header: forwarded.Forwarded, remote: "203.0.113.9:5678",
			lines: []line{fwd("for=198.51.100.23")}, want: "203.0.113.9"},
		{name: "rule 2: loopback is not trusted unless listed", trusted: []string{"10.0.0.0/8"}, remote: "127.0.0.1:5678",
			lines: []line{xff("198.51.100.23")}, want: "127.0.0.1"},
		{name: "rule 2: zero Config trusts no proxy", trusted: []string{}, remote: lb,
			lines: []line{xff("198.51.100.23")}, want: "10.0.0.5"},
		{name: "rule 2: single trusted address trusts no neighbour", remote: "192.0.2.8:5678",
			lines: []line{xff("198.51.100.23")}, want: "192.0.2.8"},

		// Rule 3: which header a trusted peer is believed on.
		{name: "rule 3: trusted peer without headers is the client", remote: lb, want: "10.0.0.5"},
		{name: "rule 3: trusted peer's X-Forwarded-For", remote: lb,
			lines: []line{xff("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: trusted peer's Forwarded when chosen", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: trusted peer's X-Real-IP when chosen", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: X-Forwarded-For by default, a spoofed Forwarded ignored", remote: lb,
			lines: []line{xff("198.51.100.23"), fwd("for=203.0.113.9")}, want: "198.51.100.23"},
		{name: "rule 3: X-Forwarded-For by default, an empty Forwarded ignored", remote: lb,
			lines: []line{xff("198.51.100.23"), fwd("")}, want: "198.51.100.23"},
		{name: "rule 3: X-Forwarded-For by default, Forwarded; ignored", remote: lb,
			lines: []line{fwd(";"), xff("198.51.100.23")}, want: "198.51.100.23"},
		{name: "rule 3: X-Forwarded-For by default, a spoofed X-Real-IP ignored", remote: lb,
			lines: []line{rip("203.0.113.9"), xff("198.51.100.23")}, want: "198.51.100.23"},
		{name: "rule 3: X-Forwarded-For by default, a Forwarded without X-Forwarded-For ignored", remote: lb,
			lines: []line{fwd("for=203.0.113.9")}, want: "10.0.0.5"},
		{name: "rule 3: Forwarded chosen, a spoofed X-Forwarded-For ignored", header: forwarded.Forwarded, remote: lb,
			lines: []line{xff("198.51.100.23"), fwd("for=203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: Forwarded chosen, X-Forwarded-For without Forwarded ignored", header: forwarded.Forwarded, remote: lb,
			lines: []line{xff("198.51.100.23")}, want: "10.0.0.5"},
		{name: "rule 3: X-Real-IP chosen, X-Forwarded-For and Forwarded ignored", header: forwarded.XRealIP, remote: lb,
			lines: []line{xff("198.51.100.23"), fwd("for=198.51.100.24"), rip("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: trusted single IPv4 peer", remote: "192.0.2.7:5678",
			lines: []line{xff("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: trusted IPv6 peer", remote: "[::1]:5678",
			lines: []line{xff("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: IPv4-mapped peer matches an IPv4 CIDR", remote: "[::ffff:10.0.0.5]:5678",
			lines: []line{xff("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: IPv4-mapped CIDR in the Config", trusted: []string{"::ffff:10.0.0.0/104"}, remote: lb,
			lines: []line{xff("203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 3: zoned peer matches without its zone", trusted: []string{"fe80::/10"}, remote: "[fe80::1%eth0]:5678",
			lines: []line{xff("203.0.113.9")}, want: "203.0.113.9"},

		// Rule 4: the walk from the right.
		{name: "rule 4: rightmost untrusted hop is the client", remote: lb,
			lines: []line{xff("203.0.113.9, 10.0.0.6, 10.0.0.7")}, want: "203.0.113.9"},
		{name: "rule 4: spoofed leftmost entries are never chosen", remote: lb,
			lines: []line{xff("1.1.1.1, 8.8.8.8, 203.0.113.9, 10.0.0.6")}, want: "203.0.113.9"},
		{name: "rule 4: spoofed trusted address left of the client is never chosen", remote: lb,
			lines: []line{xff("10.0.0.9, 203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 4: spoofed Forwarded element is never chosen", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=1.1.1.1, for=203.0.113.9, for=10.0.0.6")}, want: "203.0.113.9"},
		{name: "rule 4: client garbage on the left cannot hide the proxy's element", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="1.1.1.1, for=203.0.113.9`)}, want: "203.0.113.9"},
		{name: "rule 4: every hop trusted gives the leftmost", remote: lb,
			lines: []line{xff("10.0.0.1, 10.0.0.2")}, want: "10.0.0.1"},
		{name: "rule 4: single trusted address skipped", remote: lb,
			lines: []line{xff("203.0.113.9, 192.0.2.7")}, want: "203.0.113.9"},
		{name: "rule 4: single address trusts only itself", remote: lb,
			lines: []line{xff("203.0.113.9, 192.0.2.8")}, want: "192.0.2.8"},
		{name: "rule 4: IPv6 CIDR hop skipped", remote: lb,
			lines: []line{xff("2001:db8:cafe::17, 2001:db8:1::5")}, want: "2001:db8:cafe::17"},
		{name: "rule 4: IPv4-mapped hop is IPv4", remote: lb,
			lines: []line{xff("203.0.113.9, ::ffff:10.0.0.6")}, want: "203.0.113.9"},
		{name: "rule 4: IPv4-mapped client is unmapped", remote: lb,
			lines: []line{xff("::ffff:203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 4: zoned hop compared without its zone", trusted: []string{"10.0.0.0/8", "fe80::/10"}, remote: lb,
			lines: []line{xff("203.0.113.9, fe80::1%eth0")}, want: "203.0.113.9"},
		{name: "rule 4: zone of the client dropped", remote: lb,
			lines: []line{xff("fe80::2%eth1")}, want: "fe80::2"},
		{name: "rule 4, RFC 9110 §5.3: X-Forwarded-For field lines are one list", remote: lb,
			lines: []line{xff("1.1.1.1, 203.0.113.9"), xff("10.0.0.6")}, want: "203.0.113.9"},
		{name: "rule 4, RFC 9110 §5.3: the last field line is read first", remote: lb,
			lines: []line{xff("203.0.113.9"), xff("198.51.100.23")}, want: "198.51.100.23"},
		{name: "rule 4, RFC 7239 §4: Forwarded field lines are one list", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=1.1.1.1, for=203.0.113.9"), fwd("for=10.0.0.6;proto=https")}, want: "203.0.113.9"},

		// X-Forwarded-For entries.
		{name: "rule 4: X-Forwarded-For IPv4 with port", remote: lb,
			lines: []line{xff("203.0.113.9:47011")}, want: "203.0.113.9"},
		{name: "rule 4: X-Forwarded-For IPv6 in brackets with port", remote: lb,
			lines: []line{xff("[2001:db8:cafe::17]:4711")}, want: "2001:db8:cafe::17"},
		{name: "rule 4: X-Forwarded-For IPv6 in brackets", remote: lb,
			lines: []line{xff("[2001:db8:cafe::17]")}, want: "2001:db8:cafe::17"},
		{name: "rule 4: X-Forwarded-For bare IPv6", remote: lb,
			lines: []line{xff("2001:db8:cafe::17")}, want: "2001:db8:cafe::17"},
		{name: "rule 4: X-Forwarded-For spaces and tabs trimmed", remote: lb,
			lines: []line{xff(" \t203.0.113.9 \t,\t10.0.0.6 ")}, want: "203.0.113.9"},
		{name: "rule 4, RFC 9110 §5.6.1: empty list elements ignored", remote: lb,
			lines: []line{xff(", 203.0.113.9,, 10.0.0.6 ,"), xff("")}, want: "203.0.113.9"},

		// Forwarded syntax.
		{name: "RFC 7239 §5.2: IPv4 token", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=192.0.2.60")}, want: "192.0.2.60"},
		{name: "RFC 7239 §5.2: quoted IPv4", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="192.0.2.60"`)}, want: "192.0.2.60"},
		{name: "RFC 7239 §5.2: quoted IPv4 with port", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="192.0.2.60:47011"`)}, want: "192.0.2.60"},
		{name: "RFC 7239 §5.2: quoted IPv6", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="[2001:db8:cafe::17]"`)}, want: "2001:db8:cafe::17"},
		{name: "RFC 7239 §5.2: quoted IPv6 with port", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="[2001:db8:cafe::17]:4711"`)}, want: "2001:db8:cafe::17"},
		{name: "RFC 7239 §6.3: obfuscated port", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="192.0.2.60:_gazonk"`)}, want: "192.0.2.60"},
		{name: "RFC 7239 §4: parameter names are case-insensitive", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("FOR=203.0.113.9, For=10.0.0.6")}, want: "203.0.113.9"},
		{name: "RFC 7239 §4: other parameters around for=", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("by=10.0.0.5;for=203.0.113.9;host=api.myblog.com;proto=https")}, want: "203.0.113.9"},
		{name: "RFC 7239 §4: whitespace around ; tolerated", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("proto=https ; for=203.0.113.9 ;")}, want: "203.0.113.9"},
		{name: "RFC 7239 §4: empty pairs", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(";for=203.0.113.9;;")}, want: "203.0.113.9"},
		{name: "RFC 7239 §4, RFC 9110 §5.6.4: quoted-pair escapes", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="\[2001:db8:cafe::17\]:\4711"`)}, want: "2001:db8:cafe::17"},
		{name: "RFC 7239 §4, RFC 9110 §5.6.4: comma and semicolon inside a quoted-string", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=203.0.113.9;ext="1.1.1.1, for=8.8.8.8;x", for=10.0.0.6`)}, want: "203.0.113.9"},
		{name: "RFC 7239 §4, RFC 9110 §5.6.4: escaped quote inside a quoted-string", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=203.0.113.9;ext="a, b\", for=8.8.8.8", for=10.0.0.6`)}, want: "203.0.113.9"},

		// Rule 5: where the walk stops.
		{name: "rule 5, RFC 7239 §6.2: unknown stops at the peer", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=198.51.100.23, for=unknown")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §6.3: obfuscated identifier stops at the last trusted hop", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=198.51.100.23, for=_hidden, for="10.0.0.6:_port"`)}, want: "10.0.0.6"},
		{name: "rule 5: unknown in X-Forwarded-For stops at the peer", remote: lb,
			lines: []line{xff("198.51.100.23, unknown")}, want: "10.0.0.5"},
		{name: "rule 5: garbage stops at the last trusted hop", remote: lb,
			lines: []line{xff("198.51.100.23, <script>, 10.0.0.6, 10.0.0.7")}, want: "10.0.0.6"},
		{name: "rule 5: untrusted hop reached before garbage", remote: lb,
			lines: []line{xff("garbage, 203.0.113.9, 10.0.0.6")}, want: "203.0.113.9"},
		{name: "rule 5: garbage in a later field line", remote: lb,
			lines: []line{xff("203.0.113.9"), xff("garbage")}, want: "10.0.0.5"},
		{name: "rule 5: IPv4 in brackets is not an address", remote: lb,
			lines: []line{xff("[203.0.113.9]:80")}, want: "10.0.0.5"},
		{name: "rule 5: port that is not a number", remote: lb,
			lines: []line{xff("203.0.113.9:http")}, want: "10.0.0.5"},
		{name: "rule 5: port of six digits", remote: lb,
			lines: []line{xff("203.0.113.9:123456")}, want: "10.0.0.5"},
		{name: "rule 5: empty port", remote: lb,
			lines: []line{xff("203.0.113.9:")}, want: "10.0.0.5"},
		{name: "rule 5: IPv4 with a zone", remote: lb,
			lines: []line{xff("203.0.113.9%eth0")}, want: "10.0.0.5"},
		{name: "rule 5: IPv4 with leading zeros", remote: lb,
			lines: []line{xff("203.000.113.9")}, want: "10.0.0.5"},
		{name: "rule 5: unterminated bracket", remote: lb,
			lines: []line{xff("[2001:db8::17")}, want: "10.0.0.5"},
		{name: "rule 5: text after the bracket", remote: lb,
			lines: []line{xff("[2001:db8::17]x")}, want: "10.0.0.5"},
		{name: "rule 5: host name", remote: lb,
			lines: []line{xff("client.example.com")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §6: unquoted IPv6", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=[2001:db8:cafe::17]")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §6: unquoted port", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=192.0.2.60:47011")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: unterminated quoted-string", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="203.0.113.9`)}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: for= given twice", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=198.51.100.23;for=10.0.0.6")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: pair without a value", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: empty quoted for=", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=""`)}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: space around =", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for = 203.0.113.9")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: element without for=", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=198.51.100.23, proto=https")}, want: "10.0.0.5"},
		{name: "rule 5, RFC 7239 §4: text after a quoted-string", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for="203.0.113.9"x`)}, want: "10.0.0.5"},
		{name: "rule 5, RFC 9110 §5.6.4: control character in a quoted-string", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=\"203.0.113.9\x01\"")}, want: "10.0.0.5"},

		// Rule 6: at most 32 addresses.
		{name: "rule 6: 32 trusted hops give the leftmost", remote: lb,
			lines: []line{xff(hops(1, 32))}, want: "10.0.0.1"},
		{name: "rule 6: client at the 32nd position is found", remote: lb,
			lines: []line{xff("203.0.113.9, " + hops(1, 31))}, want: "203.0.113.9"},
		{name: "rule 6: the 33rd address is not considered", remote: lb,
			lines: []line{xff("203.0.113.9, " + hops(1, 32))}, want: "10.0.0.1"},
		{name: "rule 6: the cap counts across field lines", remote: lb,
			lines: []line{xff("203.0.113.9, " + hops(1, 16)), xff(hops(17, 32))}, want: "10.0.0.1"},
		{name: "rule 6: empty elements do not count", remote: lb,
			lines: []line{xff("203.0.113.9,,,, " + strings.ReplaceAll(hops(1, 31), ",", ",,"))}, want: "203.0.113.9"},
		{name: "rule 6: the cap applies to Forwarded", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9, " + forwardedHops(1, 32))}, want: "10.0.0.1"},
		{name: "rule 6: client at the 32nd Forwarded element is found", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9, " + forwardedHops(1, 31))}, want: "203.0.113.9"},

		// An empty "Forwarded;" never makes the proxy the client when the
		// proxy appends its own element.
		{name: "rule 5: Forwarded; from the client, the proxy's element appended", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(";, for=203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 5: empty Forwarded from the client, the proxy's element on a line of its own", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(""), fwd("for=203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 5: Forwarded; with nothing appended stops at the peer that wrote it", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(";")}, want: "10.0.0.5"},
		{name: "rule 5: garbage in the client's part of X-Forwarded-For", remote: lb,
			lines: []line{xff(`;, for=", unknown, 203.0.113.9`)}, want: "203.0.113.9"},
		{name: "rule 5, RFC 7239 §6.3: the client's obfuscated identifier left of the proxy's element", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=_gazonk, for="203.0.113.9:4711"`)}, want: "203.0.113.9"},
		{name: "rule 5, RFC 7239 §6.3: the client's unknown left of the proxy's element", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=unknown, for=203.0.113.9`)}, want: "203.0.113.9"},

		{name: "rule 6: a client's 40 spoofed entries do not hide the proxy's", remote: lb,
			lines: []line{xff(strings.Repeat("198.51.100.1, ", 40) + "203.0.113.9")}, want: "203.0.113.9"},
		{name: "rule 6: a client's 40 spoofed Forwarded elements do not hide the proxy's", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(strings.Repeat("for=198.51.100.1, ", 40)), fwd("for=203.0.113.9")}, want: "203.0.113.9"},

		// X-Real-IP: the one address the peer set.
		{name: "X-Real-IP: IPv6", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("2001:db8:cafe::17")}, want: "2001:db8:cafe::17"},
		{name: "X-Real-IP: IPv4 with port", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip(" 203.0.113.9:47011 ")}, want: "203.0.113.9"},
		{name: "X-Real-IP: a trusted address is the client too", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("10.0.0.6")}, want: "10.0.0.6"},
		{name: "X-Real-IP: untrusted peer's ignored", header: forwarded.XRealIP, remote: "198.51.100.23:1",
			lines: []line{rip("203.0.113.9")}, want: "198.51.100.23"},
		{name: "X-Real-IP: a list was appended to, not set: the peer", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("198.51.100.23, 203.0.113.9")}, want: "10.0.0.5"},
		{name: "X-Real-IP, RFC 9110 §5.3: two field lines are a list: the peer", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("198.51.100.23"), rip("203.0.113.9")}, want: "10.0.0.5"},
		{name: "X-Real-IP, RFC 9110 §5.6.1: empty elements ignored", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip(", 203.0.113.9 ,"), rip("")}, want: "203.0.113.9"},
		{name: "X-Real-IP: not an address: the peer", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("unknown")}, want: "10.0.0.5"},
		{name: "X-Real-IP: empty: the peer", header: forwarded.XRealIP, remote: lb,
			lines: []line{rip("")}, want: "10.0.0.5"},
		{name: "X-Real-IP: absent: the peer", header: forwarded.XRealIP, remote: lb,
			lines: []line{xff("203.0.113.9")}, want: "10.0.0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trusted := tt.trusted
			if trusted == nil {
				trusted = balancers
			}
			resolver, err := forwarded.New(forwarded.Config{TrustedProxies: trusted, Header: tt.header})
			require.NoError(t, err)
			req := newRequest(tt.remote, tt.lines...)

			addr, ok := resolver.ClientAddr(req)
			require.True(t, ok)
			assert.Equal(t, tt.want, addr.String())
			assert.True(t, addr.Is4() || addr.Is6() && !addr.Is4In6() && addr.Zone() == "", "unmapped and unzoned: %s", addr)
			assert.Equal(t, tt.want, resolver.ClientIP(req))
		})
	}
}

func TestClientAddrWithoutIP(t *testing.T) {
	tests := []struct {
		name   string
		remote string
	}{
		{"rule 1: net/http's placeholder for a pipe", "pipe"},
		{"rule 1: unix socket", "@"},
		{"rule 1: empty RemoteAddr", ""},
		{"rule 1: host name", "lb.internal:41234"},
		{"rule 1: unix socket path", "/run/api.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver := mustNew(t, balancers...)
			req := newRequest(tt.remote, xff("203.0.113.9"), fwd("for=203.0.113.9"))

			addr, ok := resolver.ClientAddr(req)
			assert.False(t, ok)
			assert.False(t, addr.IsValid())
			assert.Equal(t, tt.remote, resolver.ClientIP(req))
			assert.False(t, resolver.Trusted(req))
			assert.Equal(t, "http", resolver.Scheme(req))
			assert.Equal(t, "example.com", resolver.Host(req))
		})
	}
}

func TestTrusted(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		remote  string
		want    bool
	}{
		{"IPv4 CIDR", []string{"10.0.0.0/8"}, "10.255.0.1:1", true},
		{"outside an IPv4 CIDR", []string{"10.0.0.0/8"}, "11.0.0.1:1", false},
		{"host bits of a CIDR ignored", []string{"10.1.2.3/8"}, "10.200.0.1:1", true},
		{"single IPv4 address", []string{"192.0.2.7"}, "192.0.2.7:1", true},
		{"single IPv4 address trusts no neighbour", []string{"192.0.2.7"}, "192.0.2.8:1", false},
		{"single IPv6 address", []string{"::1"}, "[::1]:1", true},
		{"single IPv6 address without port", []string{"::1"}, "::1", true},
		{"IPv6 CIDR", []string{"2001:db8::/32"}, "[2001:db8:ffff::1]:1", true},
		{"outside an IPv6 CIDR", []string{"2001:db8::/32"}, "[2001:db9::1]:1", false},
		{"IPv4-mapped single address is IPv4", []string{"::ffff:192.0.2.7"}, "192.0.2.7:1", true},
		{"IPv4-mapped CIDR is IPv4", []string{"::ffff:10.0.0.0/104"}, "10.1.1.1:1", true},
		{"IPv4 CIDR matches an IPv4-mapped peer", []string{"10.0.0.0/8"}, "[::ffff:10.0.0.1]:1", true},
		{"IPv6 CIDR does not match IPv4", []string{"2001:db8::/32"}, "10.0.0.1:1", false},
		{"zone of the peer ignored", []string{"fe80::/10"}, "[fe80::1%eth0]:1", true},
		{"several entries", []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"}, "192.0.2.7:1", true},
		{"zero Config", nil, "10.0.0.1:1", false},
		{"not an address", []string{"10.0.0.0/8"}, "pipe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver := mustNew(t, tt.trusted...)
			assert.Equal(t, tt.want, resolver.Trusted(newRequest(tt.remote)))
		})
	}
}

func TestScheme(t *testing.T) {
	tests := []struct {
		name       string
		trustProto bool
		header     forwarded.Header
		remote     string
		tls        bool
		lines      []line
		want       string
	}{
		{name: "plain connection", remote: "203.0.113.9:1", want: "http"},
		{name: "TLS connection", remote: "203.0.113.9:1", tls: true, want: "https"},
		{name: "untrusted peer's X-Forwarded-Proto ignored", trustProto: true, remote: "203.0.113.9:1",
			lines: []line{xfp("https")}, want: "http"},
		{name: "untrusted peer's X-Forwarded-Proto ignored over TLS", trustProto: true, remote: "203.0.113.9:1", tls: true,
			lines: []line{xfp("http")}, want: "https"},
		{name: "untrusted peer's Forwarded ignored", trustProto: true, header: forwarded.Forwarded, remote: "203.0.113.9:1",
			lines: []line{fwd("proto=https")}, want: "http"},
		{name: "trusted peer without headers, plain", trustProto: true, remote: lb, want: "http"},
		{name: "trusted peer without headers, TLS", trustProto: true, remote: lb, tls: true, want: "https"},

		// TrustProto is off by default.
		{name: "without TrustProto a trusted peer's X-Forwarded-Proto is ignored", remote: lb,
			lines: []line{xfp("https")}, want: "http"},
		{name: "without TrustProto a trusted peer's X-Forwarded-Proto is ignored over TLS", remote: lb, tls: true,
			lines: []line{xfp("http")}, want: "https"},
		{name: "without TrustProto a trusted peer's proto= is ignored", header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9;proto=https")}, want: "http"},

		// X-Forwarded-Proto, with X-Forwarded-For or X-Real-IP chosen.
		{name: "trusted X-Forwarded-Proto", trustProto: true, remote: lb,
			lines: []line{xfp("https")}, want: "https"},
		{name: "trusted X-Forwarded-Proto with X-Real-IP chosen", trustProto: true, header: forwarded.XRealIP, remote: lb,
			lines: []line{xfp("https")}, want: "https"},
		{name: "trusted X-Forwarded-Proto http over TLS", trustProto: true, remote: lb, tls: true,
			lines: []line{xfp("http")}, want: "http"},
		{name: "X-Forwarded-Proto lower-cased", trustProto: true, remote: lb,
			lines: []line{xfp("HTTPS")}, want: "https"},
		{name: "X-Forwarded-Proto last value: the peer's, not the client's", trustProto: true, remote: lb,
			lines: []line{xfp("http, https")}, want: "https"},
		{name: "RFC 9110 §5.3: X-Forwarded-Proto last field line: the peer's, not the client's", trustProto: true, remote: lb,
			lines: []line{xfp("https"), xfp("http")}, want: "http"},
		{name: "RFC 9110 §5.6.1: X-Forwarded-Proto empty elements skipped", trustProto: true, remote: lb,
			lines: []line{xfp("\thttps"), xfp(" , ")}, want: "https"},
		{name: "X-Forwarded-Proto other than http or https ignored", trustProto: true, remote: lb,
			lines: []line{xfp("ftp")}, want: "http"},
		{name: "X-Forwarded-Proto other than http or https ignored over TLS", trustProto: true, remote: lb, tls: true,
			lines: []line{xfp("wss")}, want: "https"},
		{name: "empty X-Forwarded-Proto ignored", trustProto: true, remote: lb, tls: true,
			lines: []line{xfp("")}, want: "https"},
		{name: "X-Forwarded-For chosen: Forwarded proto= ignored", trustProto: true, remote: lb,
			lines: []line{fwd("for=203.0.113.9;proto=https")}, want: "http"},

		// Forwarded proto=, with Forwarded chosen.
		{name: "RFC 7239 §5.4: Forwarded proto=", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9;proto=https")}, want: "https"},
		{name: "RFC 7239 §5.4: quoted and upper-case proto=", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd(`for=203.0.113.9;proto="HTTPS"`)}, want: "https"},
		{name: "RFC 7239 §5.4: proto= of an element without for=", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("proto=https")}, want: "https"},
		{name: "RFC 7239 §5.4: Forwarded chosen: X-Forwarded-Proto ignored", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9;proto=https"), xfp("http")}, want: "https"},
		{name: "RFC 7239 §5.4: Forwarded without proto= does not fall back to X-Forwarded-Proto", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9"), xfp("https")}, want: "http"},
		{name: "RFC 7239 §5.4: leftmost trusted element's proto= wins", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9;proto=https, for=10.0.0.6;proto=http")}, want: "https"},
		{name: "RFC 7239 §5.4: proto= nearer the proxy used when the client's element has none", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9, for=10.0.0.6;proto=https")}, want: "https"},
		{name: "RFC 7239 §5.4: spoofed proto= left of the client ignored", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=1.1.1.1;proto=http, for=203.0.113.9;proto=https")}, want: "https"},
		{name: "RFC 7239 §5.4: proto= of a malformed element ignored", trustProto: true, header: forwarded.Forwarded, remote: lb,
			lines: []line{fwd("for=203.0.113.9;proto=https;proto=https")}, want: "http"},
		{name: "RFC 7239 §5.4: Forwarded proto= other than http or https ignored", trustProto: true, header: forwarded.Forwarded, remote: lb, tls: true,
			lines: []line{fwd("for=203.0.113.9;proto=gopher"), xfp("http")}, want: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver, err := forwarded.New(forwarded.Config{TrustedProxies: balancers, Header: tt.header, TrustProto: tt.trustProto})
			require.NoError(t, err)
			req := newRequest(tt.remote, tt.lines...)
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			assert.Equal(t, tt.want, resolver.Scheme(req))
		})
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		name      string
		cfg       forwarded.Config // TrustedProxies: balancers
		remote    string
		host      string   // req.Host; "" means example.com
		localAddr net.Addr // http.LocalAddrContextKey; nil: none
		lines     []line
		want      string
	}{
		{name: "untrusted peer without headers", remote: "203.0.113.9:1", want: "example.com"},
		{name: "untrusted peer's X-Forwarded-Host ignored", cfg: trustHost, remote: "203.0.113.9:1",
			lines: []line{xfh("evil.example")}, want: "example.com"},
		{name: "untrusted peer's Forwarded ignored", cfg: forwarded.Config{TrustHost: true, Header: forwarded.Forwarded}, remote: "203.0.113.9:1",
			lines: []line{fwd("host=evil.example")}, want: "example.com"},
		{name: "trusted peer without headers", cfg: trustHost, remote: lb, want: "example.com"},

		// TrustHost is off by default.
		{name: "without TrustHost a trusted peer's X-Forwarded-Host is ignored", remote: lb,
			lines: []line{xfh("evil.example")}, want: "example.com"},
		{name: "without TrustHost a trusted peer's host= is ignored", cfg: forwarded.Config{Header: forwarded.Forwarded}, remote: lb,
			lines: []line{fwd("for=203.0.113.9;host=evil.example")}, want: "example.com"},

		// X-Forwarded-Host, with X-Forwarded-For or X-Real-IP chosen.
		{name: "trusted X-Forwarded-Host", cfg: trustHost, remote: lb,
			lines: []line{xfh("api.myblog.com")}, want: "api.myblog.com"},
		{name: "trusted X-Forwarded-Host with X-Real-IP chosen", cfg: forwarded.Config{TrustHost: true, Header: forwarded.XRealIP}, remote: lb,
			lines: []line{xfh("api.myblog.com")}, want: "api.myblog.com"},
		{name: "RFC 3986 §3.2.3: X-Forwarded-Host with port", cfg: trustHost, remote: lb,
			lines: []line{xfh("api.myblog.com:8443")}, want: "api.myblog.com:8443"},
		{name: "RFC 3986 §3.2.2: IPv4 host", cfg: trustHost, remote: lb,
			lines: []line{xfh("203.0.113.9")}, want: "203.0.113.9"},
		{name: "RFC 3986 §3.2.2: IPv6 literal with port", cfg: trustHost, remote: lb,
			lines: []line{xfh("[2001:db8::1]:8443")}, want: "[2001:db8::1]:8443"},
		{name: "RFC 3986 §3.2.2: IPv6 literal", cfg: trustHost, remote: lb,
			lines: []line{xfh("[2001:db8::1]")}, want: "[2001:db8::1]"},
		{name: "RFC 3986 §3.2.2: percent-encoded reg-name", cfg: trustHost, remote: lb,
			lines: []line{xfh("caf%C3%A9.example")}, want: "caf%C3%A9.example"},
		{name: "X-Forwarded-Host last value: the peer's, not the client's", cfg: trustHost, remote: lb,
			lines: []line{xfh(" evil.example , api.myblog.com ")}, want: "api.myblog.com"},
		{name: "RFC 9110 §5.3: X-Forwarded-Host last field line: the peer's, not the client's", cfg: trustHost, remote: lb,
			lines: []line{xfh("evil.example"), xfh("api.myblog.com")}, want: "api.myblog.com"},
		{name: "X-Forwarded-For chosen: Forwarded host= ignored", cfg: trustHost, remote: lb,
			lines: []line{fwd("for=203.0.113.9;host=evil.example")}, want: "example.com"},

		// Forwarded host=, with Forwarded chosen.
		{name: "RFC 7239 §5.3: Forwarded host=", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd("for=203.0.113.9;host=api.myblog.com")}, want: "api.myblog.com"},
		{name: "RFC 7239 §5.3: quoted host= with port", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd(`for=203.0.113.9;host="api.myblog.com:8443"`)}, want: "api.myblog.com:8443"},
		{name: "RFC 7239 §5.3: quoted IPv6 host=", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd(`for=203.0.113.9;host="[2001:db8::1]:8443"`)}, want: "[2001:db8::1]:8443"},
		{name: "RFC 7239 §5.3: Forwarded chosen: X-Forwarded-Host ignored", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd("for=203.0.113.9;host=api.myblog.com"), xfh("other.example")}, want: "api.myblog.com"},
		{name: "RFC 7239 §5.3: Forwarded without host= does not fall back to X-Forwarded-Host", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd("for=203.0.113.9"), xfh("evil.example")}, want: "example.com"},
		{name: "RFC 7239 §5.3: spoofed host= left of the client ignored", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd("for=1.1.1.1;host=evil.example, for=203.0.113.9;host=api.myblog.com")}, want: "api.myblog.com"},
		{name: "RFC 7239 §5.3: leftmost trusted element's host= wins", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd("for=203.0.113.9;host=api.myblog.com, for=10.0.0.6;host=blog-api.internal")}, want: "api.myblog.com"},
		{name: "RFC 7239 §5.3: invalid Forwarded host= not believed", cfg: trustForwardedHost, remote: lb,
			lines: []line{fwd(`for=203.0.113.9;host="evil.example/x"`), xfh("api.myblog.com")}, want: "example.com"},

		// Invalid X-Forwarded-Host values fall back to req.Host.
		{name: "invalid host: slash", cfg: trustHost, remote: lb, lines: []line{xfh("evil.example/path")}, want: "example.com"},
		{name: "invalid host: userinfo", cfg: trustHost, remote: lb, lines: []line{xfh("user@evil.example")}, want: "example.com"},
		{name: "invalid host: space", cfg: trustHost, remote: lb, lines: []line{xfh("evil .example")}, want: "example.com"},
		{name: "invalid host: control character", cfg: trustHost, remote: lb, lines: []line{xfh("evil.example\x00")}, want: "example.com"},
		{name: "invalid host: DEL", cfg: trustHost, remote: lb, lines: []line{xfh("evil\x7f.example")}, want: "example.com"},
		{name: "invalid host: backslash", cfg: trustHost, remote: lb, lines: []line{xfh(`evil.example\x`)}, want: "example.com"},
		{name: "invalid host: query", cfg: trustHost, remote: lb, lines: []line{xfh("evil.example?x=1")}, want: "example.com"},
		{name: "invalid host: fragment", cfg: trustHost, remote: lb, lines: []line{xfh("evil.example#x")}, want: "example.com"},
		{name: "invalid host: quote", cfg: trustHost, remote: lb, lines: []line{xfh(`evil"example`)}, want: "example.com"},
		{name: "invalid host: empty", cfg: trustHost, remote: lb, lines: []line{xfh("")}, want: "example.com"},
		{name: "invalid host: port only", cfg: trustHost, remote: lb, lines: []line{xfh(":443")}, want: "example.com"},
		{name: "invalid host: port not a number", cfg: trustHost, remote: lb, lines: []line{xfh("api.myblog.com:https")}, want: "example.com"},
		{name: "invalid host: empty port", cfg: trustHost, remote: lb, lines: []line{xfh("api.myblog.com:")}, want: "example.com"},
		{name: "invalid host: port of six digits", cfg: trustHost, remote: lb, lines: []line{xfh("api.myblog.com:123456")}, want: "example.com"},
		{name: "invalid host: bare IPv6", cfg: trustHost, remote: lb, lines: []line{xfh("2001:db8::1")}, want: "example.com"},
		{name: "invalid host: unterminated IPv6 literal", cfg: trustHost, remote: lb, lines: []line{xfh("[2001:db8::1")}, want: "example.com"},
		{name: "invalid host: IPv4 in brackets", cfg: trustHost, remote: lb, lines: []line{xfh("[203.0.113.9]")}, want: "example.com"},
		{name: "invalid host: IPv6 literal with zone", cfg: trustHost, remote: lb, lines: []line{xfh("[fe80::1%25eth0]")}, want: "example.com"},
		{name: "invalid host: text after IPv6 literal", cfg: trustHost, remote: lb, lines: []line{xfh("[2001:db8::1]x")}, want: "example.com"},
		{name: "invalid host: bad percent-encoding", cfg: trustHost, remote: lb, lines: []line{xfh("evil%zz.example")}, want: "example.com"},
		{name: "invalid host: truncated percent-encoding", cfg: trustHost, remote: lb, lines: []line{xfh("evil.example%4")}, want: "example.com"},
		{name: "invalid host: non-ASCII", cfg: trustHost, remote: lb, lines: []line{xfh("café.example")}, want: "example.com"},

		// Hosts: the allow-list.
		{name: "Hosts: a listed Host is kept", cfg: forwarded.Config{Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "www.myblog.com", want: "www.myblog.com"},
		{name: "Hosts, RFC 9110 §4.2.3: compared without regard to case, answered as listed", cfg: forwarded.Config{Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "WWW.MyBlog.com", want: "www.myblog.com"},
		{name: "Hosts: an unlisted Host gets the first listed", cfg: forwarded.Config{Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "evil.example", want: "api.myblog.com"},
		{name: "Hosts: the port is part of the host", cfg: forwarded.Config{Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "www.myblog.com:8080", want: "api.myblog.com"},
		{name: "Hosts: a listed port", cfg: forwarded.Config{Hosts: []string{"localhost:8080"}}, remote: "203.0.113.9:1",
			host: "LOCALHOST:8080", want: "localhost:8080"},
		{name: "Hosts: a Host from a trusted proxy is checked too", cfg: forwarded.Config{Hosts: myblogHosts}, remote: lb,
			host: "evil.example", want: "api.myblog.com"},
		{name: "Hosts: without TrustHost a listed X-Forwarded-Host is ignored", cfg: forwarded.Config{Hosts: myblogHosts}, remote: lb,
			lines: []line{xfh("www.myblog.com")}, want: "api.myblog.com"},
		{name: "Hosts: a believed X-Forwarded-Host that is listed", cfg: forwarded.Config{Hosts: myblogHosts, TrustHost: true}, remote: lb,
			host: "evil.example", lines: []line{xfh("www.myblog.com")}, want: "www.myblog.com"},
		{name: "Hosts: a believed X-Forwarded-Host that is not listed", cfg: forwarded.Config{Hosts: myblogHosts, TrustHost: true}, remote: lb,
			host: "www.myblog.com", lines: []line{xfh("evil.example")}, want: "api.myblog.com"},
		{name: "Hosts: an untrusted peer's X-Forwarded-Host is not listed by its Host", cfg: forwarded.Config{Hosts: myblogHosts, TrustHost: true}, remote: "203.0.113.9:1",
			host: "www.myblog.com", lines: []line{xfh("api.myblog.com")}, want: "www.myblog.com"},

		// HostFromLocalAddr: the address the connection arrived on.
		{name: "HostFromLocalAddr: any Host gets the local address", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "203.0.113.9:1",
			host: "evil.example", localAddr: tcpAddr("127.0.0.1:8080"), want: "127.0.0.1:8080"},
		{name: "HostFromLocalAddr: a Host naming the local address", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "203.0.113.9:1",
			host: "127.0.0.1:8080", localAddr: tcpAddr("127.0.0.1:8080"), want: "127.0.0.1:8080"},
		{name: "HostFromLocalAddr, RFC 3986 §3.2.2: IPv6 in brackets", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "203.0.113.9:1",
			localAddr: tcpAddr("[::1]:8080"), want: "[::1]:8080"},
		{name: "HostFromLocalAddr: IPv4-mapped is IPv4", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "203.0.113.9:1",
			localAddr: tcpAddr("[::ffff:192.0.2.1]:8080"), want: "192.0.2.1:8080"},
		{name: "HostFromLocalAddr: zone dropped", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "203.0.113.9:1",
			localAddr: tcpAddr("[fe80::1%eth0]:8080"), want: "[fe80::1]:8080"},
		{name: "HostFromLocalAddr: a believed X-Forwarded-Host is replaced too", cfg: forwarded.Config{HostFromLocalAddr: true, TrustHost: true}, remote: lb,
			lines: []line{xfh("evil.example")}, localAddr: tcpAddr("10.0.0.9:8080"), want: "10.0.0.9:8080"},
		{name: "HostFromLocalAddr with Hosts: a listed Host is kept", cfg: forwarded.Config{HostFromLocalAddr: true, Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "www.myblog.com", localAddr: tcpAddr("127.0.0.1:8080"), want: "www.myblog.com"},
		{name: "HostFromLocalAddr with Hosts: an unlisted Host gets the local address", cfg: forwarded.Config{HostFromLocalAddr: true, Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "evil.example", localAddr: tcpAddr("127.0.0.1:8080"), want: "127.0.0.1:8080"},
		{name: "HostFromLocalAddr without a local address: the first listed", cfg: forwarded.Config{HostFromLocalAddr: true, Hosts: myblogHosts}, remote: "203.0.113.9:1",
			host: "evil.example", want: "api.myblog.com"},
		{name: "HostFromLocalAddr without a local address or Hosts: localhost", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "203.0.113.9:1",
			host: "evil.example", want: "localhost"},
		{name: "HostFromLocalAddr over a unix socket: localhost", cfg: forwarded.Config{HostFromLocalAddr: true}, remote: "@",
			host: "evil.example", localAddr: &net.UnixAddr{Name: "/run/api.sock", Net: "unix"}, want: "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.TrustedProxies = balancers
			resolver, err := forwarded.New(cfg)
			require.NoError(t, err)
			req := newRequest(tt.remote, tt.lines...)
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.localAddr != nil {
				req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, tt.localAddr))
			}
			assert.Equal(t, tt.want, resolver.Host(req))
		})
	}
}

var (
	trustHost          = forwarded.Config{TrustHost: true}
	trustForwardedHost = forwarded.Config{TrustHost: true, Header: forwarded.Forwarded}
	myblogHosts        = []string{"api.myblog.com", "www.myblog.com"}
)

func tcpAddr(s string) *net.TCPAddr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s))
}

// net/http's Server gives every request its connection's local address,
// so HostFromLocalAddr names the listener whatever Host the client sends.
func TestHostFromLocalAddrOverTCP(t *testing.T) {
	resolver, err := forwarded.New(forwarded.Config{HostFromLocalAddr: true})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, resolver.Scheme(r)+"://"+resolver.Host(r))
	}))
	defer srv.Close()
	for _, host := range []string{"", "evil.example", "evil.example:8080"} {
		t.Run("Host "+strconv.Quote(host), func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			if host != "" {
				req.Host = host
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, srv.URL, string(body))
		})
	}
}

func TestNilResolver(t *testing.T) {
	var resolver *forwarded.Resolver
	zero := mustNew(t)
	for _, r := range []*forwarded.Resolver{resolver, zero} {
		req := newRequest(lb, xff("203.0.113.9"), fwd("for=203.0.113.9;proto=https;host=evil.example"), xfp("https"), xfh("evil.example"))
		addr, ok := r.ClientAddr(req)
		assert.True(t, ok)
		assert.Equal(t, "10.0.0.5", addr.String())
		assert.Equal(t, "10.0.0.5", r.ClientIP(req))
		assert.False(t, r.Trusted(req))
		assert.Equal(t, "http", r.Scheme(req))
		assert.Equal(t, "example.com", r.Host(req))
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		entry  string
		reason string
	}{
		{"prefix too long", "10.0.0.0/33", `"10.0.0.0/33" is not an IP address or CIDR`},
		{"IPv6 prefix too long", "2001:db8::/129", `"2001:db8::/129" is not an IP address or CIDR`},
		{"host name", "lb.internal", `"lb.internal" is not an IP address or CIDR`},
		{"empty", "", `"" is not an IP address or CIDR`},
		{"surrounding space", " 10.0.0.1", `" 10.0.0.1" is not an IP address or CIDR`},
		{"two prefix lengths", "10.0.0.0/8/8", `"10.0.0.0/8/8" is not an IP address or CIDR`},
		{"address with port", "10.0.0.1:80", `"10.0.0.1:80" is not an IP address or CIDR`},
		{"IPv4 with leading zeros", "010.0.0.1", `"010.0.0.1" is not an IP address or CIDR`},
		{"zone in a CIDR", "fe80::%eth0/64", `"fe80::%eth0/64" is not an IP address or CIDR`},
		{"zone in an address", "fe80::1%eth0", `"fe80::1%eth0" has a zone, but addresses are compared without one: list "fe80::1"`},
		{"IPv4 prefix of length zero", "0.0.0.0/0", `"0.0.0.0/0" trusts every address, so any client could choose its own`},
		{"IPv6 prefix of length zero", "::/0", `"::/0" trusts every address, so any client could choose its own`},
		{"IPv4-mapped prefix of every IPv4 address", "::ffff:0.0.0.0/96", `"::ffff:0.0.0.0/96" trusts every address, so any client could choose its own`},
		{"IPv4-mapped prefix shorter than /96", "::ffff:10.0.0.0/80", `"::ffff:10.0.0.0/80" is an IPv4-mapped prefix shorter than /96`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8", tt.entry}})
			require.Error(t, err)
			assert.Nil(t, resolver)
			assert.Equal(t, "forwarded: TrustedProxies[1]: "+tt.reason, err.Error())
			var ce *apierrors.ConfigError
			require.True(t, errors.As(err, &ce), "every problem is a *ConfigError")
			assert.Equal(t, apierrors.ConfigError{Package: "forwarded", Field: "TrustedProxies[1]", Reason: tt.reason}, *ce)
		})
	}
}

func TestNewJoinsEveryProblem(t *testing.T) {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/33", "10.0.0.0/8", "lb.internal", "::/0"}})
	require.Error(t, err)
	assert.Nil(t, resolver)

	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "New joins its problems with errors.Join")
	var got []apierrors.ConfigError
	for _, problem := range joined.Unwrap() {
		var ce *apierrors.ConfigError
		require.True(t, errors.As(problem, &ce), "every problem is a *ConfigError: %v", problem)
		got = append(got, *ce)
	}
	assert.Equal(t, []apierrors.ConfigError{
		{Package: "forwarded", Field: "TrustedProxies[0]", Reason: `"10.0.0.0/33" is not an IP address or CIDR`},
		{Package: "forwarded", Field: "TrustedProxies[2]", Reason: `"lb.internal" is not an IP address or CIDR`},
		{Package: "forwarded", Field: "TrustedProxies[3]", Reason: `"::/0" trusts every address, so any client could choose its own`},
	}, got)
	assert.Equal(t, `forwarded: TrustedProxies[0]: "10.0.0.0/33" is not an IP address or CIDR
forwarded: TrustedProxies[2]: "lb.internal" is not an IP address or CIDR
forwarded: TrustedProxies[3]: "::/0" trusts every address, so any client could choose its own`, err.Error())
}

func TestNewRefusesHeaderAndHosts(t *testing.T) {
	tests := []struct {
		name string
		cfg  forwarded.Config
		want string
	}{
		{"unknown header", forwarded.Config{Header: 3}, "forwarded: Header: Header(3) is not XForwardedFor, Forwarded or XRealIP"},
		{"empty host", forwarded.Config{Hosts: []string{""}}, `forwarded: Hosts[0]: "" is not a host[:port]`},
		{"URL for a host", forwarded.Config{Hosts: []string{"api.myblog.com", "https://api.myblog.com"}}, `forwarded: Hosts[1]: "https://api.myblog.com" is not a host[:port]`},
		{"host with a path", forwarded.Config{Hosts: []string{"api.myblog.com/v3"}}, `forwarded: Hosts[0]: "api.myblog.com/v3" is not a host[:port]`},
		{"host with a space", forwarded.Config{Hosts: []string{" api.myblog.com"}}, `forwarded: Hosts[0]: " api.myblog.com" is not a host[:port]`},
		{"bare IPv6", forwarded.Config{Hosts: []string{"::1"}}, `forwarded: Hosts[0]: "::1" is not a host[:port]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver, err := forwarded.New(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, resolver)
			assert.Equal(t, tt.want, err.Error())
			var ce *apierrors.ConfigError
			assert.True(t, errors.As(err, &ce), "every problem is a *ConfigError")
		})
	}
}

func TestHeaderString(t *testing.T) {
	assert.Equal(t, "X-Forwarded-For", forwarded.XForwardedFor.String())
	assert.Equal(t, "Forwarded", forwarded.Forwarded.String())
	assert.Equal(t, "X-Real-IP", forwarded.XRealIP.String())
	assert.Equal(t, "Header(9)", forwarded.Header(9).String())
	var zero forwarded.Config
	assert.Equal(t, forwarded.XForwardedFor, zero.Header, "X-Forwarded-For is the default")
}

func TestNewCopiesConfig(t *testing.T) {
	trusted := []string{"10.0.0.0/8"}
	resolver := mustNew(t, trusted...)
	trusted[0] = "203.0.113.0/24"
	assert.True(t, resolver.Trusted(newRequest(lb)))
	assert.False(t, resolver.Trusted(newRequest("203.0.113.9:1")))

	hosts := []string{"api.myblog.com"}
	resolver, err := forwarded.New(forwarded.Config{Hosts: hosts})
	require.NoError(t, err)
	hosts[0] = "evil.example"
	req := newRequest(lb)
	req.Host = "evil.example"
	assert.Equal(t, "api.myblog.com", resolver.Host(req))
}

// benchmarkCases are the requests of BenchmarkClientIP and of the
// allocation test: the common untrusted peer, and each header a trusted
// peer may be read on.
var benchmarkCases = []struct {
	name   string
	header forwarded.Header
	req    *http.Request
	want   string
}{
	{"untrusted peer", forwarded.XForwardedFor, newRequest("1.2.3.4:5678", xff("9.9.9.9")), "1.2.3.4"},
	{"trusted peer, 3-hop X-Forwarded-For", forwarded.XForwardedFor, newRequest(lb, xff("203.0.113.9, 10.0.0.6, 10.0.0.7")), "203.0.113.9"},
	{"trusted peer, Forwarded", forwarded.Forwarded, newRequest(lb, fwd(`for="203.0.113.9:47011";proto=https;host=api.myblog.com, for=10.0.0.6`)), "203.0.113.9"},
	{"trusted peer, X-Real-IP", forwarded.XRealIP, newRequest(lb, rip("203.0.113.9")), "203.0.113.9"},
}

func TestClientAddrDoesNotAllocate(t *testing.T) {
	for _, bc := range benchmarkCases {
		t.Run(bc.name, func(t *testing.T) {
			resolver, err := forwarded.New(forwarded.Config{TrustedProxies: balancers, Header: bc.header})
			require.NoError(t, err)
			addr, ok := resolver.ClientAddr(bc.req)
			require.True(t, ok)
			require.Equal(t, bc.want, addr.String())
			allocs := testing.AllocsPerRun(100, func() { resolver.ClientAddr(bc.req) })
			assert.Zero(t, allocs)
		})
	}
	t.Run("ClientIP of a direct IPv4 client", func(t *testing.T) {
		resolver := mustNew(t, balancers...)
		req := benchmarkCases[0].req
		require.Equal(t, "1.2.3.4", resolver.ClientIP(req))
		assert.Zero(t, testing.AllocsPerRun(100, func() { resolver.ClientIP(req) }), "RemoteAddr's host is returned as it is")
	})
}

func TestClientIPCanonical(t *testing.T) {
	resolver := mustNew(t, balancers...)
	tests := []struct{ remoteAddr, want string }{
		{"1.2.3.4:5678", "1.2.3.4"},
		{"[::ffff:1.2.3.4]:5678", "1.2.3.4"},
		{"[2001:DB8::1]:443", "2001:db8::1"},
		{"[fe80::1%eth0]:443", "fe80::1"},
		{"1.2.3.4", "1.2.3.4"},
	}
	for _, tt := range tests {
		t.Run(tt.remoteAddr, func(t *testing.T) {
			assert.Equal(t, tt.want, resolver.ClientIP(newRequest(tt.remoteAddr)))
		})
	}
}

func TestTrustedAddr(t *testing.T) {
	resolver := mustNew(t, "10.0.0.0/8")
	assert.True(t, resolver.TrustedAddr(netip.MustParseAddr("10.1.2.3")))
	assert.True(t, resolver.TrustedAddr(netip.MustParseAddr("::ffff:10.1.2.3")), "mapped addresses are IPv4")
	assert.False(t, resolver.TrustedAddr(netip.MustParseAddr("192.0.2.1")))
	var none *forwarded.Resolver
	assert.False(t, none.TrustedAddr(netip.MustParseAddr("10.1.2.3")))
}

func BenchmarkClientIP(b *testing.B) {
	for _, bc := range benchmarkCases {
		resolver, err := forwarded.New(forwarded.Config{TrustedProxies: balancers, Header: bc.header})
		require.NoError(b, err)
		b.Run("ClientAddr/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resolver.ClientAddr(bc.req)
			}
		})
		b.Run("ClientIP/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resolver.ClientIP(bc.req)
			}
		})
	}
}

// BenchmarkHost is the base of every absolute URL a handler builds when
// the service has no fixed base URL.
func BenchmarkHost(b *testing.B) {
	local := context.WithValue(context.Background(), http.LocalAddrContextKey, tcpAddr("127.0.0.1:8080"))
	listed := newRequest(lb)
	listed.Host = "WWW.myblog.com"
	for _, bc := range []struct {
		name string
		cfg  forwarded.Config
		req  *http.Request
		want string
	}{
		{"request's Host", forwarded.Config{}, newRequest(lb), "example.com"},
		{"trusted X-Forwarded-Host", trustHost, newRequest(lb, xfh("api.myblog.com")), "api.myblog.com"},
		{"trusted Forwarded host=", trustForwardedHost, newRequest(lb, fwd("for=203.0.113.9;host=api.myblog.com")), "api.myblog.com"},
		{"listed Host", forwarded.Config{Hosts: myblogHosts}, listed, "www.myblog.com"},
		{"local address", forwarded.Config{HostFromLocalAddr: true}, newRequest(lb).WithContext(local), "127.0.0.1:8080"},
	} {
		cfg := bc.cfg
		cfg.TrustedProxies = balancers
		resolver, err := forwarded.New(cfg)
		require.NoError(b, err)
		require.Equal(b, bc.want, resolver.Host(bc.req))
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resolver.Host(bc.req)
			}
		})
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		name       string
		ipv6Prefix int
		remoteAddr string
		want       string
	}{
		{name: "IPv4 is the address", remoteAddr: "192.0.2.7:1234", want: "192.0.2.7"},
		{name: "IPv4-mapped IPv6 is IPv4", remoteAddr: "[::ffff:192.0.2.7]:1234", want: "192.0.2.7"},
		{name: "IPv6 by /64 by default (RFC 6177)", remoteAddr: "[2001:db8:1:2:3:4:5:6]:443", want: "2001:db8:1:2::/64"},
		{name: "IPv6 by a configured /56", ipv6Prefix: 56, remoteAddr: "[2001:db8:1:2ff:3:4:5:6]:443", want: "2001:db8:1:200::/56"},
		{name: "IPv6 by /128 is the address", ipv6Prefix: 128, remoteAddr: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "no IP address: RemoteAddr unchanged", remoteAddr: "pipe", want: "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver, err := forwarded.New(forwarded.Config{IPv6Prefix: tt.ipv6Prefix})
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remoteAddr
			assert.Equal(t, tt.want, resolver.ClientKey(req))
			if tt.ipv6Prefix == 0 {
				var nilResolver *forwarded.Resolver
				assert.Equal(t, tt.want, nilResolver.ClientKey(req), "a nil Resolver keys as the zero Config")
			}
		})
	}
}

func TestNewRefusesIPv6Prefix(t *testing.T) {
	for _, bits := range []int{-1, 129} {
		_, err := forwarded.New(forwarded.Config{IPv6Prefix: bits})
		require.Error(t, err)
		assert.Equal(t, "forwarded: IPv6Prefix: "+strconv.Itoa(bits)+" is not between 1 and 128", err.Error())
	}
}
