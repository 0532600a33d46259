// Package oidctest starts a real OpenID provider for tests: panva's
// oidc-provider (https://github.com/panva/node-oidc-provider) on Node.js,
// on a free loopback port, its files in a temporary directory, stopped
// when the test ends. Its issuer is http://127.0.0.1:PORT; it serves the
// OpenID configuration, the JWK Set and the token endpoint, with one
// client allowed the client_credentials grant, whose access tokens are
// JWTs for the resource servers of the Config (RFC 8707 resource
// indicators; RFC 9068 JWT access tokens: "typ" at+jwt, "sub" and
// "client_id" the client's id, "aud" the resource's audience, "scope"
// the granted scopes, valid for 10 minutes).
//
// The test makes the signing keys (NewRSAKey, NewECKey, JWKS) and
// Rotate replaces them while the provider keeps its port and issuer: a
// key rotation, the old keys withdrawn at once. Requests counts the
// requests the provider itself served for a path, such as its JWK Set's,
// so that a test sees what a verifier cost the provider.
//
// The provider is the script provider.mjs beside this file, with the
// oidc-provider version package.json pins and package-lock.json locks
// (8.x, which runs on Node.js 18.12 and later: 9.x supports only 22 and
// later), installed into node_modules beside it by
//
//	npm ci --prefix internal/oidctest
//
// which .ci/run runs. Under CI=true a missing Node.js or oidc-provider
// fails the test; elsewhere the test is skipped with what to install.
//
// The provider listens on 127.0.0.1 only. Its log, one line per request
// and every error, is provider.log in its directory; a failed start
// reports its end, and the test's log gets it when the test failed. On
// Linux the provider gets the parent-death signal: it is killed when the
// test binary dies, even without a cleanup.
package oidctest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/myblog/apikit/internal/freeport"
)

// Defaults of Config.
const (
	DefaultClientID     = "apikit-test-client"
	DefaultClientSecret = "apikit-test-secret"
	DefaultAudience     = "https://api.myblog.com"
	DefaultScopes       = "posts:read posts:write"
	DefaultAlg          = "RS256"
)

const (
	// startTimeout bounds a start: generous, for a loaded machine
	// (Node.js loads oidc-provider in some 300 ms).
	startTimeout = 30 * time.Second
	// requestTimeout bounds one request to the provider.
	requestTimeout = 10 * time.Second
	// reloadPath is provider.mjs's test-only endpoint that reads the
	// keys file again.
	reloadPath = "/_oidctest/reload"
	// exitPortTaken is provider.mjs's exit status when its port was
	// taken.
	exitPortTaken = 98
)

// Config configures a provider.
type Config struct {
	// Keys are the provider's signing keys: a JWK Set with the private
	// parts (JWKS makes one). Nil: an RSA key "rsa-1" and a P-256 key
	// "ec-1", made by Start.
	Keys []byte
	// ClientID and ClientSecret are the client_credentials client's.
	// Default DefaultClientID and DefaultClientSecret.
	ClientID, ClientSecret string
	// Audience, Scopes and AccessTokenAlg are the default resource
	// server's, whose tokens Token asks for: its resource indicator and
	// the "aud" of its tokens (an absolute URI, as resource indicators
	// are), the scopes it grants (space-separated) and the algorithm
	// that signs its tokens (a key of Keys must fit it). Default
	// DefaultAudience, DefaultScopes and DefaultAlg.
	Audience, Scopes, AccessTokenAlg string
	// Resources are further resource servers, whose tokens TokenFor asks
	// for.
	Resources []Resource
}

// Resource is a resource server of the provider: an API whose access
// tokens it issues.
type Resource struct {
	// Audience is its resource indicator and the "aud" of its tokens:
	// an absolute URI without a fragment. Required.
	Audience string
	// Scopes are the scopes it grants, space-separated. Default
	// DefaultScopes.
	Scopes string
	// Alg signs its access tokens. Default DefaultAlg.
	Alg string
}

// resourceJSON is a Resource as provider.mjs reads it.
type resourceJSON struct {
	Audience string `json:"audience"`
	Scope    string `json:"scope"`
	Alg      string `json:"alg"`
}

// configJSON is provider.mjs's configuration file.
type configJSON struct {
	KeysFile     string         `json:"keysFile"`
	ClientID     string         `json:"clientId"`
	ClientSecret string         `json:"clientSecret"`
	Resources    []resourceJSON `json:"resources"`
}

// Provider is a running oidc-provider.
type Provider struct {
	// Issuer is its "iss" and address, http://127.0.0.1:PORT, without a
	// trailing slash.
	Issuer string
	// TokenEndpoint and JWKSURI are read from its OpenID configuration.
	TokenEndpoint, JWKSURI string
	// ClientID and ClientSecret are its client's; Audience is the
	// default resource server's.
	ClientID, ClientSecret, Audience string

	t       testing.TB
	install *install
	dir     string // the provider's directory: configuration, keys, log
	client  *http.Client
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
}

// install is where Node.js and the script are.
type install struct {
	node   string // the node binary
	script string // provider.mjs, with node_modules beside it
}

// Start starts an oidc-provider for t, configured by cfg, and stops it
// when t ends.
func Start(t testing.TB, cfg Config) *Provider {
	t.Helper()
	inst := lookPath(t)
	p := &Provider{
		ClientID:     cmp.Or(cfg.ClientID, DefaultClientID),
		ClientSecret: cmp.Or(cfg.ClientSecret, DefaultClientSecret),
		Audience:     cmp.Or(cfg.Audience, DefaultAudience),
		t:            t,
		install:      inst,
		dir:          t.TempDir(),
		// A connection a request: none is reused just as the provider
		// closes it, which would fail a POST (not retried).
		client: &http.Client{Timeout: requestTimeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
	}
	resources := []resourceJSON{{Audience: p.Audience, Scope: cmp.Or(cfg.Scopes, DefaultScopes), Alg: cmp.Or(cfg.AccessTokenAlg, DefaultAlg)}}
	for _, r := range cfg.Resources {
		resources = append(resources, resourceJSON{Audience: r.Audience, Scope: cmp.Or(r.Scopes, DefaultScopes), Alg: cmp.Or(r.Alg, DefaultAlg)})
	}
	seen := map[string]bool{}
	for _, r := range resources {
		if u, err := url.Parse(r.Audience); err != nil || u.Scheme == "" || u.Host == "" || u.Fragment != "" {
			t.Fatalf("oidctest: audience %q: want an absolute URI without a fragment, as a resource indicator is (RFC 8707 §2)", r.Audience)
		}
		if seen[r.Audience] {
			t.Fatalf("oidctest: audience %q: listed twice", r.Audience)
		}
		seen[r.Audience] = true
	}
	keys := cfg.Keys
	if keys == nil {
		keys = JWKS(t, NewRSAKey(t, "rsa-1"), NewECKey(t, "ec-1"))
	}
	p.writeKeys(t, keys)
	conf, err := json.Marshal(configJSON{KeysFile: p.keysFile(), ClientID: p.ClientID, ClientSecret: p.ClientSecret, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.configFile(), conf, 0o600); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	// A port found free may be taken before node binds it: try another.
	const attempts = 3
	for i := 1; ; i++ {
		err := p.launch(freePort(t))
		if err == nil {
			break
		}
		if i == attempts || !errors.Is(err, errPortTaken) {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("oidc-provider log (%s):\n%s", p.Issuer, p.logTail())
		}
		p.Stop()
	})
	return p
}

// lookPath finds node and provider.mjs with oidc-provider installed
// beside it, failing the test under CI=true when one is missing and
// skipping it elsewhere.
func lookPath(t testing.TB) *install {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("oidc-provider not installed: .ci/run runs npm ci in internal/oidctest (%s)", why)
		}
		t.Skipf("oidc-provider not installed (%s); to run the tests against a real OpenID provider, install Node.js 18.12 or later with npm and run npm ci --prefix internal/oidctest", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node on PATH")
		return nil
	}
	dir, err := findScriptDir()
	if err != nil {
		missing(err.Error())
		return nil
	}
	pkg := filepath.Join(dir, "node_modules", "oidc-provider", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		missing("no " + pkg)
		return nil
	}
	return &install{node: node, script: filepath.Join(dir, "provider.mjs")}
}

// findScriptDir is scriptDir, or a test's stand-in.
var findScriptDir = scriptDir

// scriptDir is the directory of provider.mjs: this file's, when the test
// binary was built from a source tree; else internal/oidctest in the
// working directory or one of its parents (a binary built with
// -trimpath, run in its package's directory).
func scriptDir() (string, error) {
	has := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "provider.mjs"))
		return err == nil
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) && has(filepath.Dir(file)) {
		return filepath.Dir(file), nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if candidate := filepath.Join(dir, "internal", "oidctest"); has(candidate) {
			return candidate, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no internal/oidctest/provider.mjs in %s or its parents", wd)
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	port, err := freeport.Loopback()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return port
}

func (p *Provider) keysFile() string   { return filepath.Join(p.dir, "keys.json") }
func (p *Provider) configFile() string { return filepath.Join(p.dir, "config.json") }
func (p *Provider) logFile() string    { return filepath.Join(p.dir, "provider.log") }

// writeKeys replaces the keys file whole (a rename), so that the
// provider never reads half of it.
func (p *Provider) writeKeys(t testing.TB, keys []byte) {
	t.Helper()
	tmp := p.keysFile() + ".new"
	if err := os.WriteFile(tmp, keys, 0o600); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	if err := os.Rename(tmp, p.keysFile()); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
}

// errPortTaken is the provider's exit because its port was taken.
var errPortTaken = errors.New("oidc-provider's port was taken")

// launch starts provider.mjs on port and waits until it serves its own
// OpenID configuration.
func (p *Provider) launch(port int) error {
	p.Issuer = "http://127.0.0.1:" + strconv.Itoa(port)
	log, err := os.Create(p.logFile())
	if err != nil {
		return fmt.Errorf("oidctest: making the provider's log: %v", err)
	}
	defer log.Close()
	cmd := exec.Command(p.install.node, p.install.script, "--port", strconv.Itoa(port), "--config", p.configFile())
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("oidctest: starting %s: %v", p.install.node, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() { _ = cmd.Wait(); close(done) }()
	// Poll: waiting on a process we just started. Once its log says it
	// listens, the port is its own (another server that took it first
	// would answer for it until then), and its configuration tells the
	// endpoints.
	deadline := time.Now().Add(startTimeout)
	for {
		err := errors.New("not listening yet")
		if p.listening() {
			err = p.discover()
		}
		select {
		case <-done:
			if cmd.ProcessState.ExitCode() == exitPortTaken {
				return fmt.Errorf("%w: %s", errPortTaken, p.Issuer)
			}
			return fmt.Errorf("oidctest: oidc-provider exited at start on %s (%v):\n%s", p.Issuer, cmd.ProcessState, p.logTail())
		default:
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			p.Stop()
			return fmt.Errorf("oidctest: oidc-provider on %s did not answer within %v (%v):\n%s", p.Issuer, startTimeout, err, p.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listening reports whether the provider's log says it listens on its
// port.
func (p *Provider) listening() bool {
	b, _ := os.ReadFile(p.logFile())
	return bytes.Contains(b, []byte("\nlistening "+p.Issuer+"\n")) || bytes.HasPrefix(b, []byte("listening "+p.Issuer+"\n"))
}

// discover reads the provider's OpenID configuration into p.
func (p *Provider) discover() error {
	resp, err := p.client.Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the OpenID configuration: %s", resp.Status)
	}
	var doc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
		JWKSURI       string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return fmt.Errorf("the OpenID configuration: %v", err)
	}
	if doc.Issuer != p.Issuer {
		return fmt.Errorf("the OpenID configuration names the issuer %q", doc.Issuer)
	}
	p.TokenEndpoint, p.JWKSURI = doc.TokenEndpoint, doc.JWKSURI
	return nil
}

// Token asks the token endpoint for an access token of the default
// resource server (Config.Audience) by the client_credentials grant and
// returns it: a JWT. scope is the scopes asked for, space-separated;
// the token has those the resource server grants. A refusal fails t.
func (p *Provider) Token(t testing.TB, scope string) string {
	t.Helper()
	return p.TokenFor(t, p.Audience, scope)
}

// TokenFor is Token for the resource server of audience (resource, RFC
// 8707 §2). An audience the provider does not know is refused
// (invalid_target), which fails t.
func (p *Provider) TokenFor(t testing.TB, audience, scope string) string {
	t.Helper()
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {p.ClientID},
		"client_secret": {p.ClientSecret},
		"resource":      {audience},
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	resp, err := p.client.PostForm(p.TokenEndpoint, form)
	if err != nil {
		t.Fatalf("oidctest: token request at %s: %v\n%s", p.TokenEndpoint, err, p.logTail())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("oidctest: token request at %s: %v", p.TokenEndpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("oidctest: token request at %s for %s: %s: %s\n%s", p.TokenEndpoint, audience, resp.Status, body, p.logTail())
	}
	var answer struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.AccessToken == "" || !strings.EqualFold(answer.TokenType, "Bearer") {
		t.Fatalf("oidctest: token response from %s: %s (%v)", p.TokenEndpoint, body, err)
	}
	return answer.AccessToken
}

// Rotate replaces the provider's signing keys with keys, a JWK Set with
// the private parts: the provider signs and publishes only those from
// now on, on the same port and with the same issuer. Keys it no longer
// has are withdrawn at once, as a provider does with a compromised key.
func (p *Provider) Rotate(t testing.TB, keys []byte) {
	t.Helper()
	p.writeKeys(t, keys)
	resp, err := p.client.Post(p.Issuer+reloadPath, "application/json", nil)
	if err != nil {
		t.Fatalf("oidctest: rotating the keys of %s: %v\n%s", p.Issuer, err, p.logTail())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("oidctest: rotating the keys of %s: %s: %s\n%s", p.Issuer, resp.Status, body, p.logTail())
	}
}

// Requests is how many requests the provider has received for path (as
// "/jwks", any method, any query), counted in its log, where it writes
// a request's line before it answers it: a request whose answer the
// caller has read is counted. It must be called while the test that
// started p runs.
func (p *Provider) Requests(path string) int {
	f, err := os.Open(p.logFile())
	if err != nil {
		p.t.Errorf("oidctest: counting requests: %v", err)
		return -1
	}
	defer f.Close()
	n := 0
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		// "request METHOD PATH"
		fields := bytes.Fields(lines.Bytes())
		if len(fields) == 3 && string(fields[0]) == "request" && string(fields[2]) == path {
			n++
		}
	}
	if err := lines.Err(); err != nil {
		p.t.Errorf("oidctest: counting requests: %v", err)
		return -1
	}
	return n
}

// Log is what the provider has logged so far.
func (p *Provider) Log() string {
	b, _ := os.ReadFile(p.logFile())
	return string(b)
}

// logTail is the end of the provider's log, for failure messages.
func (p *Provider) logTail() string {
	b, _ := os.ReadFile(p.logFile())
	const keep = 4000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// Stop kills the provider and waits for it to exit; calls after the
// first do nothing. Start's cleanup calls it.
func (p *Provider) Stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
	p.client.CloseIdleConnections()
}
