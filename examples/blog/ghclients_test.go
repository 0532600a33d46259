package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v89/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireInstalled goes on when what a test runs was found; else, under
// CI=true, it fails (.ci/run installs it), and elsewhere skips the test
// saying what to install.
func requireInstalled(t *testing.T, found bool, what, install string) {
	t.Helper()
	if found {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: .ci/run installs it (%s)", what, install)
	}
	t.Skipf("%s not found: %s to run this test", what, install)
}

// requireTool finds a program the test runs, as requireInstalled.
func requireTool(t *testing.T, path, install string) string {
	t.Helper()
	found, err := exec.LookPath(path)
	requireInstalled(t, err == nil, path, install)
	return found
}

// blogUser signs login up on the server at base (GitHub's shape) and
// returns a login token.
func blogUser(t *testing.T, client *http.Client, base, login string) string {
	t.Helper()
	status, _, body := sendJSON(t, client, http.MethodPost, base+"/users", "", map[string]string{"username": login, "email": login + "@example.com", "password": "correct horse battery"})
	require.Equal(t, http.StatusCreated, status, "%s", body)
	status, _, body = sendJSON(t, client, http.MethodPost, base+"/login", "", map[string]string{"username": login, "password": "correct horse battery"})
	require.Equal(t, http.StatusOK, status, "%s", body)
	return decodePair(t, body).Token
}

// PyGithub, Debian's python3-github, unmodified: AuthenticatedUser and
// NamedUser decode (integer ids), a PaginatedList walks /posts by Link,
// and get_rate_limit reads /rate_limit.
func TestPyGithub(t *testing.T) {
	t.Parallel()
	python := requireTool(t, "/usr/bin/python3", "apt-get install python3-github")
	requireInstalled(t, exec.Command(python, "-c", "import github").Run() == nil, "PyGithub", "apt-get install python3-github")
	base := "http://" + startServer(t, "-envelope=false")
	client := &http.Client{Timeout: 10 * time.Second}
	token := blogUser(t, client, base, "octocat")
	blogUser(t, client, base, "hubot")
	for i := range 5 {
		status, _, body := sendJSON(t, client, http.MethodPost, base+"/posts", token, map[string]string{"title": "Post " + strconv.Itoa(i+1)})
		require.Equal(t, http.StatusCreated, status, "%s", body)
	}

	cmd := exec.Command(python, filepath.Join("testdata", "pygithub_walk.py"), base, token, "hubot")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	var got struct {
		Me struct {
			ID        int64  `json:"id"`
			Login     string `json:"login"`
			NodeID    string `json:"node_id"`
			Email     string `json:"email"`
			CreatedAt string `json:"created_at"`
			URL       string `json:"url"`
		} `json:"me"`
		Other struct {
			ID     int64  `json:"id"`
			Login  string `json:"login"`
			NodeID string `json:"node_id"`
		} `json:"other"`
		Posts []struct {
			ID     int64  `json:"id"`
			NodeID string `json:"node_id"`
			Title  string `json:"title"`
		} `json:"posts"`
		Rate struct {
			CoreLimit   int `json:"core_limit"`
			SearchLimit int `json:"search_limit"`
		} `json:"rate"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	assert.Equal(t, "octocat", got.Me.Login)
	assert.Positive(t, got.Me.ID)
	assert.Regexp(t, e2eUUID, got.Me.NodeID)
	assert.Equal(t, "octocat@example.com", got.Me.Email)
	assert.Equal(t, base+"/users/octocat", got.Me.URL)
	assert.NotEmpty(t, got.Me.CreatedAt)
	assert.Equal(t, "hubot", got.Other.Login)
	assert.Greater(t, got.Other.ID, got.Me.ID)
	require.Len(t, got.Posts, 5, "three pages of two, by Link")
	for i, p := range got.Posts {
		assert.Equal(t, "Post "+strconv.Itoa(5-i), p.Title, "newest first")
		assert.Positive(t, p.ID)
		assert.Regexp(t, e2eUUID, p.NodeID)
	}
	assert.Equal(t, 5000, got.Rate.CoreLimit)
	assert.Positive(t, got.Rate.SearchLimit)
}

// gh, Debian's, unmodified, as GitHub Enterprise's users point it: the
// server over HTTPS with its API under /api/v3, a certificate trusted
// through SSL_CERT_FILE, the token in GH_ENTERPRISE_TOKEN.
func TestGHCLI(t *testing.T) {
	t.Parallel()
	gh := requireTool(t, "gh", "apt-get install gh")
	dir := t.TempDir()
	certFile, keyFile, pool := testCertificate(t, dir)
	addr := startServer(t, "-envelope=false", "-path-prefix", "/api/v3", "-tls-cert", certFile, "-tls-key", keyFile)
	base := "https://" + addr + "/api/v3"
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	token := blogUser(t, client, base, "octocat")
	for i := range 5 {
		status, _, body := sendJSON(t, client, http.MethodPost, base+"/posts", token, map[string]string{"title": "Post " + strconv.Itoa(i+1)})
		require.Equal(t, http.StatusCreated, status, "%s", body)
	}

	run := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(gh, args...)
		cmd.Env = append(os.Environ(),
			"GH_HOST="+addr, "GH_ENTERPRISE_TOKEN="+token, "SSL_CERT_FILE="+certFile,
			"GH_CONFIG_DIR="+filepath.Join(dir, "gh"), "GH_NO_UPDATE_NOTIFIER=1", "GH_PROMPT_DISABLED=1", "NO_COLOR=1",
			"GITHUB_TOKEN=", "GH_TOKEN=", "GITHUB_ENTERPRISE_TOKEN=")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "gh %s: %s", strings.Join(args, " "), out)
		return string(out)
	}
	t.Run("api --paginate", func(t *testing.T) {
		out := run(t, "api", "--paginate", "posts?per_page=2", "--jq", ".[].title")
		assert.Equal(t, "Post 5\nPost 4\nPost 3\nPost 2\nPost 1\n", out, "three pages by Link")
	})
	t.Run("api rate_limit", func(t *testing.T) {
		var limits struct {
			Resources map[string]struct {
				Limit     int `json:"limit"`
				Remaining int `json:"remaining"`
			} `json:"resources"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(t, "api", "rate_limit")), &limits))
		assert.Equal(t, 5000, limits.Resources["core"].Limit)
		assert.Contains(t, limits.Resources, "search")
	})
	t.Run("go-github WithEnterpriseURLs", func(t *testing.T) {
		gc, err := github.NewClient(github.WithHTTPClient(client), github.WithAuthToken(token),
			github.WithEnterpriseURLs("https://"+addr+"/", "https://"+addr+"/api/uploads/"))
		require.NoError(t, err)
		me, resp, err := gc.Users.Get(t.Context(), "")
		require.NoError(t, err)
		assert.Equal(t, "octocat", me.GetLogin())
		assert.Equal(t, base+"/users/octocat", me.GetURL())
		assert.Equal(t, 2, resp.ProtoMajor, "HTTP/2 over TLS")
	})
	t.Run("api user", func(t *testing.T) {
		var me struct {
			ID    int64  `json:"id"`
			Login string `json:"login"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(t, "api", "user")), &me))
		assert.Equal(t, "octocat", me.Login)
		assert.Positive(t, me.ID)
	})
}
