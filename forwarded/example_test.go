package forwarded_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/forwarded"
)

// A service behind nginx at 10.0.0.5, configured as usual:
//
//	proxy_set_header Host $host;
//	proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
//	proxy_set_header X-Forwarded-Proto $scheme;
//
// nginx appends the client's address to X-Forwarded-For, the one header
// read by default, and sets X-Forwarded-Proto, believed with TrustProto.
// The host is the Host nginx passes on, kept only when it is listed.
func Example() {
	resolver, err := forwarded.New(forwarded.Config{
		TrustedProxies: []string{"10.0.0.0/8"},
		TrustProto:     true,
		Hosts:          []string{"api.myblog.com"},
	})
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Host = "api.myblog.com"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("X-Forwarded-Proto", "https")

	fmt.Println(resolver.Trusted(r), resolver.ClientIP(r))
	fmt.Println(resolver.Scheme(r) + "://" + resolver.Host(r) + r.URL.Path)
	// Output:
	// true 203.0.113.9
	// https://api.myblog.com/posts
}

// A client that sends its own X-Forwarded-For to the load balancer only
// adds entries on the left; the balancer's own entry, on the right, names
// it. The Forwarded header it sends too, which nginx passes on untouched,
// is not the header read, and is ignored.
func Example_spoofing() {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Header.Set("X-Forwarded-For", "127.0.0.1, 10.0.0.1, 198.51.100.23")
	r.Header.Set("Forwarded", "for=192.0.2.1")
	fmt.Println(resolver.ClientIP(r))

	// Past the balancer, straight to the service: the header is ignored.
	r.RemoteAddr = "198.51.100.23:50000"
	fmt.Println(resolver.ClientIP(r))
	// Output:
	// 198.51.100.23
	// 198.51.100.23
}

// Two trusted hops, a CDN and the load balancer, each appending an RFC 7239
// Forwarded element: Forwarded is chosen, and proto= and host= believed.
func ExampleResolver_ClientAddr() {
	resolver, err := forwarded.New(forwarded.Config{
		TrustedProxies: []string{"10.0.0.0/8", "2001:db8:cd::/48"},
		Header:         forwarded.Forwarded,
		TrustProto:     true,
		TrustHost:      true,
	})
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Header.Set("Forwarded", `for="[2001:db8:cafe::17]:4711";proto=https;host=api.myblog.com, for="[2001:db8:cd::9]"`)
	r.Header.Set("X-Forwarded-For", "192.0.2.1") // not the header chosen

	client, ok := resolver.ClientAddr(r)
	fmt.Println(client, ok)
	fmt.Println(resolver.Scheme(r), resolver.Host(r))
	// Output:
	// 2001:db8:cafe::17 true
	// https api.myblog.com
}

// With an allow-list, a Host the service does not answer to never
// reaches an absolute URL: the first listed host takes its place.
func ExampleResolver_Host() {
	resolver, err := forwarded.New(forwarded.Config{Hosts: []string{"api.myblog.com", "www.myblog.com"}})
	if err != nil {
		log.Fatal(err)
	}

	for _, host := range []string{"WWW.myblog.com", "evil.example"} {
		r := httptest.NewRequest(http.MethodGet, "/posts", nil)
		r.Host = host
		fmt.Println(resolver.Host(r))
	}
	// Output:
	// www.myblog.com
	// api.myblog.com
}

// New reports every problem of a Config at once.
func ExampleNew() {
	_, err := forwarded.New(forwarded.Config{
		TrustedProxies: []string{"10.0.0.0/8", "10.0.0.0/33", "lb.internal", "0.0.0.0/0"},
		Header:         7,
		Hosts:          []string{"api.myblog.com", "https://api.myblog.com"},
	})
	fmt.Println(err)
	// Output:
	// forwarded: TrustedProxies[1]: "10.0.0.0/33" is not an IP address or CIDR
	// forwarded: TrustedProxies[2]: "lb.internal" is not an IP address or CIDR
	// forwarded: TrustedProxies[3]: "0.0.0.0/0" trusts every address, so any client could choose its own
	// forwarded: Header: Header(7) is not XForwardedFor, Forwarded or XRealIP
	// forwarded: Hosts[1]: "https://api.myblog.com" is not a host[:port]
}
