package forwarded_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/forwarded"
)

// A service behind a load balancer at 10.0.0.5: the balancer terminates
// TLS, appends the client's address to X-Forwarded-For and sets
// X-Forwarded-Proto and X-Forwarded-Host.
func Example() {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Host = "blog-api.internal:8080"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "api.myblog.com")

	fmt.Println(resolver.Trusted(r), resolver.ClientIP(r))
	fmt.Println(resolver.Scheme(r) + "://" + resolver.Host(r) + r.URL.Path)
	// Output:
	// true 203.0.113.9
	// https://api.myblog.com/posts
}

// A client that sends its own X-Forwarded-For to the load balancer only
// adds entries on the left; the balancer's own entry, on the right, names
// it.
func Example_spoofing() {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Header.Set("X-Forwarded-For", "127.0.0.1, 10.0.0.1, 198.51.100.23")
	fmt.Println(resolver.ClientIP(r))

	// Past the balancer, straight to the service: the header is ignored.
	r.RemoteAddr = "198.51.100.23:50000"
	fmt.Println(resolver.ClientIP(r))
	// Output:
	// 198.51.100.23
	// 198.51.100.23
}

// Two trusted hops, a CDN and the load balancer, each appending an RFC 7239
// Forwarded element.
func ExampleResolver_ClientAddr() {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8", "2001:db8:cd::/48"}})
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Header.Set("Forwarded", `for="[2001:db8:cafe::17]:4711";proto=https;host=api.myblog.com, for="[2001:db8:cd::9]"`)

	client, ok := resolver.ClientAddr(r)
	fmt.Println(client, ok)
	fmt.Println(resolver.Scheme(r), resolver.Host(r))
	// Output:
	// 2001:db8:cafe::17 true
	// https api.myblog.com
}

// New reports every problem of a Config at once.
func ExampleNew() {
	_, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8", "10.0.0.0/33", "lb.internal", "0.0.0.0/0"}})
	fmt.Println(err)
	// Output:
	// forwarded: TrustedProxies[1]: "10.0.0.0/33" is not an IP address or CIDR
	// forwarded: TrustedProxies[2]: "lb.internal" is not an IP address or CIDR
	// forwarded: TrustedProxies[3]: "0.0.0.0/0" trusts every address, so any client could choose its own
}
