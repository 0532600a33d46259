package forwarded

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzClientIP sends a trusted peer's X-Forwarded-For, Forwarded and
// X-Real-IP (several field lines each, split at "\n"; X-Forwarded-Proto
// and X-Forwarded-Host repeat X-Forwarded-For's) to a Resolver reading
// one of them, and checks that the client is always the peer or an
// address written in the header chosen; that the headers not chosen
// change nothing; that the scheme and host are ones the request allows,
// and that a host allow-list always answers a listed host; and that
// nothing a client writes before what a trusted proxy appends or sets
// changes what the proxy says.
func FuzzClientIP(f *testing.F) {
	for _, seed := range []struct {
		header                 Header
		xff, forwarded, realIP string
	}{
		{XForwardedFor, "203.0.113.9", "", ""},
		{XForwardedFor, "1.1.1.1, 203.0.113.9, 10.0.0.6\n10.0.0.7", "for=198.51.100.1", "198.51.100.2"},
		{XForwardedFor, "[2001:db8:cafe::17]:4711, ::ffff:10.0.0.6, fe80::1%eth0", ";", ""},
		{XForwardedFor, "203.0.113.9:47011,, unknown, _hidden", "", ""},
		{Forwarded, "", `for="[2001:db8:cafe::17]:4711";proto=https;host=api.myblog.com, for=10.0.0.6`, ""},
		{Forwarded, "198.51.100.23", `For="\[2001:db8::1\]";by=_x, for=unknown` + "\n" + `for="1.1.1.1, for=2.2.2.2`, ""},
		{Forwarded, "", `for=203.0.113.9;ext="a\", for=8.8.8.8", FOR=10.0.0.6;;proto="HTTPS"`, ""},
		{Forwarded, "203.0.113.9", ";", ""},
		{Forwarded, strings.Repeat("10.0.0.1, ", 40), strings.Repeat("for=10.0.0.1;host=x, ", 40), ""},
		{XRealIP, "198.51.100.23", "for=198.51.100.24", "203.0.113.9"},
		{XRealIP, "", "", "198.51.100.1, 203.0.113.9\n[2001:db8::1]:80"},
	} {
		f.Add(uint8(seed.header), seed.xff, seed.forwarded, seed.realIP)
	}
	trusted := []string{"10.0.0.0/8", "192.0.2.7", "2001:db8:1::/48"}
	var resolvers, listing [len(headerNames)]*Resolver
	for h := range headerNames {
		var err error
		resolvers[h], err = New(Config{TrustedProxies: trusted, Header: Header(h), TrustProto: true, TrustHost: true})
		require.NoError(f, err)
		listing[h], err = New(Config{TrustedProxies: trusted, Header: Header(h), TrustHost: true, Hosts: []string{"api.myblog.com", "www.myblog.com"}})
		require.NoError(f, err)
	}
	peer := netip.MustParseAddr("10.0.0.5")
	client := netip.MustParseAddr("198.51.100.23")

	f.Fuzz(func(t *testing.T, header uint8, xffValue, forwardedValue, realIPValue string) {
		h := Header(header % uint8(len(headerNames)))
		resolver := resolvers[h]
		values := map[string]string{"X-Forwarded-For": xffValue, "Forwarded": forwardedValue, "X-Real-IP": realIPValue}
		newRequest := func(values map[string]string) *http.Request {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = "10.0.0.5:41234"
			for key, value := range values {
				if value == "" && key != "X-Forwarded-For" {
					continue
				}
				for _, v := range strings.Split(value, "\n") {
					req.Header.Add(key, v)
					if key == "X-Forwarded-For" {
						req.Header.Add("X-Forwarded-Proto", v)
						req.Header.Add("X-Forwarded-Host", v)
					}
				}
			}
			return req
		}
		read := values[h.String()] // the header ClientAddr reads
		hostSource := xffValue     // where Host may come from
		if h == Forwarded {
			hostSource = unescapeAll(forwardedValue)
		}

		req := newRequest(values)
		addr, ok := resolver.ClientAddr(req)
		require.True(t, ok)
		require.True(t, addr.Is4() || addr.Is6() && !addr.Is4In6() && addr.Zone() == "", "unmapped and unzoned: %s", addr)
		if addr != peer {
			assert.True(t, appearsIn(addr, read), "%s is neither the peer nor written in %s: %q", addr, h, read)
		}
		assert.Equal(t, addr.String(), resolver.ClientIP(req))
		scheme := resolver.Scheme(req)
		assert.Contains(t, []string{"http", "https"}, scheme)
		host := resolver.Host(req)
		if host != req.Host {
			assert.True(t, validHost(host), "host %q is not valid", host)
			assert.True(t, strings.Contains(hostSource, host), "host %q is not written in %q", host, hostSource)
		}
		assert.Contains(t, []string{"api.myblog.com", "www.myblog.com"}, listing[h].Host(req), "a host allow-list answers a listed host")

		// The headers not chosen are ignored entirely.
		only := map[string]string{"X-Forwarded-For": "", h.String(): read}
		if h != Forwarded {
			only["X-Forwarded-For"] = xffValue // X-Forwarded-Proto and -Host come with it
		}
		alone := newRequest(only)
		aloneAddr, _ := resolver.ClientAddr(alone)
		assert.Equal(t, addr, aloneAddr, "a header not chosen changed the client")
		assert.Equal(t, scheme, resolver.Scheme(alone), "a header not chosen changed the scheme")
		assert.Equal(t, host, resolver.Host(alone), "a header not chosen changed the host")

		// A trusted proxy appends its element to the last line of
		// X-Forwarded-For and Forwarded, after whatever the client wrote,
		// and sets X-Real-IP, X-Forwarded-Proto and X-Forwarded-Host:
		// what it wrote alone decides.
		proxied := map[string]string{
			"X-Forwarded-For": xffValue + ", 198.51.100.23",
			"Forwarded":       forwardedValue + ", for=198.51.100.23;proto=https;host=api.myblog.com",
			"X-Real-IP":       "198.51.100.23",
		}
		req = newRequest(proxied)
		if h != Forwarded {
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-Host", "api.myblog.com")
		}
		addr, _ = resolver.ClientAddr(req)
		assert.Equal(t, client, addr)
		assert.Equal(t, "https", resolver.Scheme(req))
		assert.Equal(t, "api.myblog.com", resolver.Host(req))
	})
}

// FuzzParseForwarded checks the Forwarded parser on one field line: the
// elements cutLastElement finds, read from the right, are the line's
// elements as a reader from the left finds them, whenever the line is
// well-formed; and parseElement reads any element without panicking,
// returning values written in it.
func FuzzParseForwarded(f *testing.F) {
	for _, seed := range []string{
		`for=192.0.2.60;proto=http;by=203.0.113.43`,
		`for="[2001:db8:cafe::17]:4711", for=unknown, for=_hidden`,
		`for=a;ext="x, y; z", for="\"quoted\\\"", FOR="\[::1\]"`,
		`for="unterminated, for=192.0.2.1`,
		`;;for=192.0.2.1 ; proto=https;, ,`,
		`for=1;for=2`,
		`a\"b,c`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var fromRight []string
		for rest, more := line, true; more; {
			var item string
			rest, item, more = cutLastElement(rest)
			fromRight = append(fromRight, item)
		}
		elements := make([]string, len(fromRight))
		for i, item := range fromRight {
			elements[len(elements)-1-i] = item
		}
		require.Equal(t, line, strings.Join(elements, ","), "the elements are the whole line")
		if fromLeft, ok := splitFromLeft(line); ok {
			assert.Equal(t, fromLeft, elements)
		}

		for _, item := range elements {
			e, ok := parseElement(strings.Trim(item, " \t"))
			if !ok {
				continue
			}
			for p, name := range paramNames {
				if e.seen&(1<<p) == 0 {
					assert.Empty(t, e.values[p])
					continue
				}
				assert.True(t, strings.Contains(unescapeAll(item), e.values[p]), "%s=%q is not in %q", name, e.values[p], item)
			}
			if e.seen&(1<<paramFor) != 0 {
				if addr, ok := parseNode(e.values[paramFor]); ok {
					assert.True(t, appearsIn(addr, item), "%s is not in %q", addr, item)
				}
			}
		}
	})
}

// splitFromLeft splits a Forwarded field line into elements the way a
// reader from the left does, and reports false when the line is not
// well-formed enough for that to be unambiguous: a quoted-string left
// open, or a backslash outside one.
func splitFromLeft(line string) ([]string, bool) {
	var elements []string
	start, quoted := 0, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && quoted:
			i++
		case c == '\\':
			return nil, false
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			elements = append(elements, line[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, false
	}
	return append(elements, line[start:]), true
}

// unescapeAll drops every backslash that escapes the byte after it, as
// the quoted-strings of s would be read.
func unescapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// appearsIn reports whether addr is written in text, escaped or not, in
// any notation that parses to it: "::ffff:cb00:7109" for 203.0.113.9,
// "fe80::1%eth0" for fe80::1, "2001:DB8::1" for 2001:db8::1.
func appearsIn(addr netip.Addr, text string) bool {
	// The longest text form of an address, zone apart:
	// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
	const longest = 45
	for _, s := range []string{text, unescapeAll(text)} {
		if strings.Contains(s, addr.String()) {
			return true
		}
		for i := range len(s) {
			for j := i + 1; j <= min(len(s), i+longest); j++ {
				if written, err := netip.ParseAddr(s[i:j]); err == nil && written.Unmap().WithZone("") == addr {
					return true
				}
			}
		}
	}
	return false
}
