package forwarded_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/nginxtest"
)

// resolved is what a service behind nginx learns of a request.
type resolved struct {
	ClientIP, Scheme, Host string
}

// behindNginx starts a service that answers with what resolver makes of
// each request, and nginx in front of it with its usual configuration.
func behindNginx(t *testing.T, resolver *forwarded.Resolver) *nginxtest.Server {
	t.Helper()
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(resolved{resolver.ClientIP(r), resolver.Scheme(r), resolver.Host(r)})
	}))
	t.Cleanup(service.Close)
	return nginxtest.Start(t, service.URL)
}

// ask sends GET / through nginx from client with the given header lines
// ("Name", "value", ...; "Host" sets the Host header).
func ask(t *testing.T, client *http.Client, proxy *nginxtest.Server, lines ...string) resolved {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, proxy.URL+"/", nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(lines); i += 2 {
		if lines[i] == "Host" {
			req.Host = lines[i+1]
			continue
		}
		req.Header.Add(lines[i], lines[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got resolved
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	return got
}

// spoofs are what a client may send nginx to choose its address, scheme
// or host: none of them may change what the service learns.
var spoofs = []struct {
	name  string
	lines []string
}{
	{"nothing spoofed", nil},
	{"RFC 7239: a Forwarded for= of its choice", []string{"Forwarded", "for=198.51.100.7"}},
	{"RFC 7239: a fresh Forwarded for= per request", []string{"Forwarded", "for=198.51.100.8;proto=https;host=evil.example"}},
	{"RFC 7239 §4: an empty Forwarded;", []string{"Forwarded", ";"}},
	{"RFC 7239: an empty Forwarded", []string{"Forwarded", ""}},
	{"RFC 7239 §6.3: an obfuscated Forwarded identifier", []string{"Forwarded", "for=_hidden"}},
	{"RFC 7239: an unterminated quoted-string", []string{"Forwarded", `for="198.51.100.9`}},
	{"an X-Forwarded-For prefix", []string{"X-Forwarded-For", "198.51.100.10"}},
	{"an X-Forwarded-For prefix naming the proxy", []string{"X-Forwarded-For", "127.0.0.1"}},
	{"an X-Forwarded-For prefix of 40 addresses", []string{"X-Forwarded-For", strings.Repeat("198.51.100.11, ", 39) + "198.51.100.12"}},
	{"an X-Forwarded-For of garbage", []string{"X-Forwarded-For", `unknown, ", ;`}},
	{"two X-Forwarded-For lines", []string{"X-Forwarded-For", "198.51.100.13", "X-Forwarded-For", "198.51.100.14"}},
	{"an X-Real-IP", []string{"X-Real-IP", "198.51.100.15"}},
	{"an X-Forwarded-Proto", []string{"X-Forwarded-Proto", "https"}},
	{"an X-Forwarded-Host", []string{"X-Forwarded-Host", "evil.example"}},
	{"everything at once", []string{"Forwarded", "for=198.51.100.16;host=evil.example;proto=https", "X-Forwarded-For", "198.51.100.17",
		"X-Real-IP", "198.51.100.18", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"}},
}

// Behind nginx's usual configuration, with the Resolver's defaults and
// nginx trusted: the client is the address nginx saw, the scheme nginx's,
// and the host the Host header, whatever the client sends.
func TestBehindNginxDefaults(t *testing.T) {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"127.0.0.1"}})
	require.NoError(t, err)
	proxy := behindNginx(t, resolver)
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		client := nginxtest.ClientFrom(t, ip)
		for _, spoof := range spoofs {
			t.Run(ip+"/"+spoof.name, func(t *testing.T) {
				got := ask(t, client, proxy, append([]string{"Host", "api.myblog.test"}, spoof.lines...)...)
				assert.Equal(t, resolved{ClientIP: ip, Scheme: "http", Host: "api.myblog.test"}, got)
			})
		}
	}
}

// Each choice of header that nginx writes itself, with the scheme
// believed and a host allow-list: nothing the client sends changes the
// answer, and an unlisted Host gets the listed one.
func TestBehindNginx(t *testing.T) {
	for _, header := range []forwarded.Header{forwarded.XForwardedFor, forwarded.XRealIP} {
		t.Run(header.String(), func(t *testing.T) {
			resolver, err := forwarded.New(forwarded.Config{
				TrustedProxies: []string{"127.0.0.1"},
				Header:         header,
				TrustProto:     true,
				Hosts:          []string{"api.myblog.test", "www.myblog.test"},
			})
			require.NoError(t, err)
			proxy := behindNginx(t, resolver)
			client := nginxtest.ClientFrom(t, "127.0.0.2")
			for _, host := range []string{"www.myblog.test", "evil.example"} {
				want := resolved{ClientIP: "127.0.0.2", Scheme: "http", Host: "www.myblog.test"}
				if host == "evil.example" {
					want.Host = "api.myblog.test"
				}
				for _, spoof := range spoofs {
					t.Run("Host "+host+"/"+spoof.name, func(t *testing.T) {
						assert.Equal(t, want, ask(t, client, proxy, append([]string{"Host", host}, spoof.lines...)...))
					})
				}
			}
		})
	}
}

// Why Forwarded is not the default, and must be chosen only behind
// proxies that append to it: nginx's usual configuration passes a
// client's Forwarded through, so a Resolver reading it behind nginx
// believes whatever the client wrote.
func TestBehindNginxForwardedIsTheClients(t *testing.T) {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"127.0.0.1"}, Header: forwarded.Forwarded})
	require.NoError(t, err)
	proxy := behindNginx(t, resolver)
	client := nginxtest.ClientFrom(t, "127.0.0.2")
	assert.Equal(t, "198.51.100.7", ask(t, client, proxy, "Forwarded", "for=198.51.100.7").ClientIP, "the client chose its address")
	assert.Equal(t, "127.0.0.1", ask(t, client, proxy, "Forwarded", ";").ClientIP, "the client made the proxy its address")
}
