// Package nginxtest starts a real nginx for tests: a reverse proxy on a
// free loopback port, in a temporary directory, with the forwarding
// headers of the usual configuration (ProxyHeaders), stopped when the test
// ends. Under CI=true a missing nginx fails the test; elsewhere the test
// is skipped with what to install.
//
// nginx runs in the foreground as one process (daemon off, master_process
// off), so that it runs as the test's user, root included, without a
// user directive or worker processes to reap, and writes nothing outside
// its directory: the configuration, pid, lock, logs and temporary files
// all live in t.TempDir().
package nginxtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/myblog/apikit/internal/freeport"
)

// ProxyHeaders are the proxy_set_header directives of the usual nginx
// reverse-proxy configuration, which Start writes. nginx appends the
// client's address to X-Forwarded-For and replaces X-Real-IP and
// X-Forwarded-Proto; it passes every other header a client sends,
// Forwarded and X-Forwarded-Host included, on as it came.
var ProxyHeaders = []string{
	"proxy_set_header Host $host;",
	"proxy_set_header X-Real-IP $remote_addr;",
	"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
	"proxy_set_header X-Forwarded-Proto $scheme;",
}

// Server is a running nginx.
type Server struct {
	// Addr is its "127.0.0.1:port"; URL is "http://" + Addr.
	Addr, URL string

	t    testing.TB
	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// Start starts nginx for t, proxying every request to upstream (a URL
// without a path, as httptest.Server.URL: "http://127.0.0.1:41234") with
// ProxyHeaders, and stops it when t ends. With more upstreams, nginx
// balances requests over all of them in turn (round robin), as a load
// balancer in front of several instances does.
func Start(t testing.TB, upstream string, more ...string) *Server {
	t.Helper()
	binary := lookPath(t)
	var hosts []string
	for _, up := range append([]string{upstream}, more...) {
		u, err := url.Parse(up)
		if err != nil || u.Scheme != "http" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			t.Fatalf("nginxtest: upstream %q: want http://host:port", up)
		}
		hosts = append(hosts, u.Host)
	}
	// A port found free may be taken before nginx binds it: try another.
	var lastErr error
	for range 3 {
		s := &Server{t: t, dir: t.TempDir(), done: make(chan struct{})}
		if lastErr = s.start(binary, hosts); lastErr == nil {
			t.Cleanup(s.stop)
			return s
		}
	}
	t.Fatalf("nginxtest: %v", lastErr)
	return nil
}

// debianPath is where Debian's nginx package installs the binary.
var debianPath = "/usr/sbin/nginx"

// lookPath finds nginx: on PATH, or where Debian installs it, /usr/sbin,
// which is not on the PATH of users other than root.
func lookPath(t testing.TB) string {
	t.Helper()
	if path, err := exec.LookPath("nginx"); err == nil {
		return path
	}
	if info, err := os.Stat(debianPath); err == nil && !info.IsDir() {
		return debianPath
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx not found: .ci/run installs Debian's nginx package (apt-get install -y nginx)")
	}
	t.Skip("nginx not found; install it to run the tests behind a real proxy (Debian: apt-get install nginx)")
	return ""
}

// config is nginx.conf for a proxy on addr to the upstream hosts,
// everything kept in dir.
func config(dir, addr string, hosts []string) string {
	path := func(name string) string { return filepath.Join(dir, name) }
	var b strings.Builder
	fmt.Fprintf(&b, `daemon off;
master_process off;
pid %s;
lock_file %s;
error_log %s info;
events {
	worker_connections 256;
}
http {
	access_log %s;
	client_body_temp_path %s;
	proxy_temp_path %s;
	fastcgi_temp_path %s;
	uwsgi_temp_path %s;
	scgi_temp_path %s;
	upstream apikit {
`, path("nginx.pid"), path("nginx.lock"), path("error.log"), path("access.log"),
		path("client_body"), path("proxy"), path("fastcgi"), path("uwsgi"), path("scgi"))
	for _, host := range hosts {
		fmt.Fprintf(&b, "\t\tserver %s;\n", host)
	}
	fmt.Fprintf(&b, `	}
	server {
		listen %s;
		location / {
			proxy_pass http://apikit;
`, addr)
	for _, directive := range ProxyHeaders {
		fmt.Fprintf(&b, "\t\t\t%s\n", directive)
	}
	b.WriteString("\t\t}\n\t}\n}\n")
	return b.String()
}

func (s *Server) start(binary string, hosts []string) error {
	s.Addr = "127.0.0.1:" + strconv.Itoa(freePort(s.t))
	s.URL = "http://" + s.Addr
	conf := filepath.Join(s.dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(config(s.dir, s.Addr, hosts)), 0o600); err != nil {
		return err
	}
	var output bytes.Buffer
	// -e: the error log before the configuration is read, which would
	// otherwise be the package's default path outside dir.
	s.cmd = exec.Command(binary, "-p", s.dir+"/", "-c", conf, "-e", filepath.Join(s.dir, "error.log"))
	s.cmd.Stdout, s.cmd.Stderr = &output, &output
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", binary, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	// Wait until it accepts connections: polling a process we just started.
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("nginx exited at start: %s%s", output.String(), s.ErrorLog())
		default:
		}
		if conn, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond); err == nil {
			_ = conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("nginx on %s did not accept connections within 10s: %s", s.Addr, s.ErrorLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills nginx and waits for it; the error log goes to the test's
// log when the test failed.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
	if s.t.Failed() {
		s.t.Logf("nginx error log:\n%s", s.ErrorLog())
	}
}

// ErrorLog returns what nginx has written to its error log so far.
func (s *Server) ErrorLog() string {
	log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
	return string(log)
}

func freePort(t testing.TB) int {
	t.Helper()
	port, err := freeport.Loopback()
	if err != nil {
		t.Fatalf("nginxtest: %v", err)
	}
	return port
}

// ClientFrom returns an HTTP client whose connections come from the
// loopback address ip ("127.0.0.2"), so that tests can play several
// clients behind one nginx: Linux routes all of 127.0.0.0/8 to the
// loopback interface. Where ip cannot be bound (macOS has 127.0.0.1
// only), the test fails under CI=true and is skipped elsewhere.
func ClientFrom(t testing.TB, ip string) *http.Client {
	t.Helper()
	local, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("nginxtest: client address %q: %v", ip, err)
	}
	if l, err := net.ListenTCP("tcp", local); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nginxtest: cannot bind %s: %v", ip, err)
		}
		t.Skipf("nginxtest: cannot bind %s (%v); on macOS: sudo ifconfig lo0 alias %s", ip, err, ip)
	} else {
		_ = l.Close()
	}
	dialer := &net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{
		Transport: transport,
		Timeout:   30 * time.Second,
		// Redirects are the test's to look at.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
