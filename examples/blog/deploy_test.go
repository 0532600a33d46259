package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCertificate writes a self-signed certificate for 127.0.0.1, ::1
// and localhost, and its key, into dir: the files -tls-cert and -tls-key
// take, and the pool a client trusts it by (the certificate file itself
// is what SSL_CERT_FILE names).
func testCertificate(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "apikit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// deployGet sends a GET with a User-Agent through client and returns the
// response, its body read.
func deployGet(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "apikit-deploy-test/1.0")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// The API under a path prefix, as GitHub Enterprise serves it: every
// route, Link and *_url under it, GraphQL's paths a 404 that says so,
// anything else a JSON 404.
func TestPathPrefix(t *testing.T) {
	for _, tt := range []struct {
		name string
		args func(addr string) []string
	}{
		{"-path-prefix", func(string) []string { return []string{"-path-prefix", "/api/v3/"} }},
		{"-base-url's path", func(addr string) []string { return []string{"-base-url", "http://" + addr + "/api/v3"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// -base-url names the address: take a free one first.
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := l.Addr().String()
			require.NoError(t, l.Close())
			startServer(t, append([]string{"-addr", addr, "-envelope=false"}, tt.args(addr)...)...)
			base := "http://" + addr + "/api/v3"
			client := &http.Client{Timeout: 10 * time.Second}

			resp, body := deployGet(t, client, base)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			var root map[string]string
			require.NoError(t, json.Unmarshal([]byte(body), &root))
			assert.Equal(t, base+"/", root["url"])
			assert.Equal(t, base+"/posts{?page,per_page}", root["posts_url"])
			assert.Equal(t, base+"/rate_limit", root["rate_limit_url"])

			status, header, created := sendJSON(t, client, http.MethodPost, base+"/users", "", map[string]string{"username": "ann", "email": "ann@example.com", "password": "correct horse battery"})
			require.Equal(t, http.StatusCreated, status, "%s", created)
			assert.Equal(t, base+"/users/ann", header.Get("Location"))
			status, _, login := sendJSON(t, client, http.MethodPost, base+"/login", "", map[string]string{"username": "ann", "password": "correct horse battery"})
			require.Equal(t, http.StatusOK, status, "%s", login)
			pair := decodePair(t, login)
			for range 2 {
				status, _, post := sendJSON(t, client, http.MethodPost, base+"/posts", pair.Token, map[string]string{"title": "a post"})
				require.Equal(t, http.StatusCreated, status, "%s", post)
			}
			resp, body = deployGet(t, client, base+"/posts?per_page=1")
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Contains(t, resp.Header.Get("Link"), "<"+base+"/posts?per_page=1&page=2>; rel=\"next\"")
			status, _, refreshed := sendJSON(t, client, http.MethodPatch, base+"/authorizations/refresh-tokens", pair.RefreshToken, nil)
			assert.Equal(t, http.StatusOK, status, "the refresh path under the prefix: %s", refreshed)
			resp, _ = deployGet(t, client, base+"/rate_limit")
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "core", resp.Header.Get("X-RateLimit-Resource"))

			for _, tc := range []struct {
				path, message string
			}{
				{"/api/graphql", "GraphQL is not served: this API is REST only"},
				{"/api/v3/graphql", "GraphQL is not served: this API is REST only"},
				{"/posts", "Not Found"},
				{"/api/v2/posts", "Not Found"},
				{"/api/v3x/posts", "Not Found"},
			} {
				resp, body := deployGet(t, client, "http://"+addr+tc.path)
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, tc.path)
				assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), tc.path)
				assert.Contains(t, body, `"message":"`+tc.message+`"`, tc.path)
				assert.NotEmpty(t, resp.Header.Get("X-Myblog-Request-Id"), "through the stack: %s", tc.path)
			}
			resp, _ = deployGet(t, client, "http://"+addr+"/metrics")
			assert.Equal(t, http.StatusOK, resp.StatusCode, "the operators' /metrics stays at the root")
		})
	}
}

// HTTPS with HTTP/2 (-tls-cert, -tls-key), and HTTP/2 with prior
// knowledge on plain text (h2c), which proxies speak to backends.
func TestHTTP2(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := testCertificate(t, t.TempDir())
	tlsAddr := startServer(t, "-tls-cert", certFile, "-tls-key", keyFile)
	plainAddr := startServer(t)

	h2 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	h1 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	tests := []struct {
		name      string
		transport *http.Transport
		url       string
		proto     int
	}{
		{"HTTPS, HTTP/2 by ALPN", h2, "https://" + tlsAddr + "/", 2},
		{"HTTPS, HTTP/1.1", h1, "https://" + tlsAddr + "/", 1},
		{"plain, h2c with prior knowledge", h2c, "http://" + plainAddr + "/", 2},
		{"plain, HTTP/1.1", &http.Transport{}, "http://" + plainAddr + "/", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := deployGet(t, &http.Client{Transport: tt.transport, Timeout: 10 * time.Second}, tt.url)
			assert.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Equal(t, tt.proto, resp.ProtoMajor)
			assert.Contains(t, body, `"current_user_url"`)
		})
	}

	resp, body := deployGet(t, &http.Client{Transport: h2, Timeout: 10 * time.Second}, "https://"+tlsAddr+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"url":"https://`+tlsAddr+`/"`, "links name https")

	t.Run("curl", func(t *testing.T) {
		curl := requireTool(t, "curl", "apt-get install curl")
		for _, args := range [][]string{
			{"--http2-prior-knowledge", "http://" + plainAddr + "/"},
			{"--http2", "--cacert", certFile, "https://" + tlsAddr + "/"},
		} {
			out, err := exec.Command(curl, append([]string{"-sS", "-A", "curl-test", "-o", "/dev/null", "-w", "%{http_version} %{http_code}"}, args...)...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, "2 200", strings.TrimSpace(string(out)), "curl %v", args)
		}
	})
}

func TestTLSFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	certFile, _, _ := testCertificate(t, dir)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a certificate without its key", []string{"-tls-cert", certFile}, "-tls-cert and -tls-key: give both, or neither"},
		{"a key that is no file", []string{"-tls-cert", certFile, "-tls-key", filepath.Join(dir, "missing.pem")}, "-tls-cert, -tls-key:"},
		{"a prefix with an empty segment", []string{"-path-prefix", "/api//v3"}, `-path-prefix "/api//v3"`},
		{"a relative prefix", []string{"-path-prefix", "api/v3"}, `-path-prefix "api/v3"`},
		{"a prefix and a base URL that disagree", []string{"-path-prefix", "/api/v3", "-base-url", "https://x/v3"}, `-base-url's path is "/v3"`},
		{"a base URL path with escapes", []string{"-base-url", "https://x/a%20b"}, "its path must be plain segments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "b.db")}, tt.args...), func(string) string { return "" }, io.Discard, nil)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
