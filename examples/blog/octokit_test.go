package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// octokitDir holds Octokit, installed by .ci/run (npm ci --prefix
// examples/blog/testdata/octokit).
var octokitDir = filepath.Join("testdata", "octokit")

// requireOctokit skips, or under CI=true fails, without node or the
// installed packages.
func requireOctokit(t *testing.T) string {
	t.Helper()
	node := requireTool(t, "node", "apt-get install nodejs npm")
	_, err := os.Stat(filepath.Join(octokitDir, "node_modules", "@octokit", "plugin-throttling"))
	requireInstalled(t, err == nil, "Octokit", "npm ci --prefix examples/blog/testdata/octokit")
	return node
}

// Octokit's throttling plugin across a secondary limit: it waits about
// the Retry-After the answer names (4 s here: -secondary-retry-after,
// more than the 3 s a token takes to come back), then retries once, and
// the write goes through.
func TestOctokitSecondaryLimit(t *testing.T) {
	t.Parallel()
	node := requireOctokit(t)
	// The limiter's clock stands still while the bucket is spent, however
	// slow the machine, then runs from there.
	t0 := time.Now()
	var released atomic.Int64 // when it started running, in Unix nanoseconds; 0: not yet
	clock := func() time.Time {
		if at := released.Load(); at != 0 {
			return t0.Add(time.Duration(time.Now().UnixNano() - at))
		}
		return t0
	}
	srv := githubServer(t, func(c *config) { c.secondaryRetry = 4 * time.Second; c.createsPerMinute = 20; c.rateLimitNow = clock })
	client := srv.Client()
	token := blogUser(t, client, srv.URL, "octocat")
	// The minute bucket spent (20 writes, a token back every 3 s): the
	// next write is refused with Retry-After: 4.
	for i := range 20 {
		status, _, body := sendJSON(t, client, http.MethodPost, srv.URL+"/posts", token, map[string]string{"title": "Post " + strconv.Itoa(i)})
		require.Equal(t, http.StatusCreated, status, "write %d: %s", i+1, body)
	}
	status, header, _ := sendJSON(t, client, http.MethodPost, srv.URL+"/posts", token, map[string]string{"title": "refused"})
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, "4", header.Get("Retry-After"))
	released.Store(time.Now().UnixNano())

	cmd := exec.Command(node, "throttle.mjs", srv.URL, token)
	cmd.Dir = octokitDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	var got struct {
		Status    int    `json:"status"`
		Error     string `json:"error"`
		ElapsedMs int64  `json:"elapsedMs"`
		Secondary []struct {
			RetryAfter int `json:"retryAfter"`
			RetryCount int `json:"retryCount"`
		} `json:"secondary"`
		Primary []any `json:"primary"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	assert.Equal(t, http.StatusCreated, got.Status, "the retry went through: %s", got.Error)
	require.Len(t, got.Secondary, 1, "one secondary limit, retried once")
	assert.Equal(t, 4, got.Secondary[0].RetryAfter, "read from Retry-After")
	assert.Empty(t, got.Primary, "not taken for the primary limit")
	assert.GreaterOrEqual(t, got.ElapsedMs, int64(4000), "waited the Retry-After")
	assert.Less(t, got.ElapsedMs, int64(15000))
}
