package main

// Issue 19, the attack itself, against the built server: accounts fill
// their exports with the worst case the caps allow (posts of 256 KiB of
// '&', which JSON escapes to six times their size), export them, and six
// clients download them at once. The server's peak resident memory
// (VmHWM, from /proc) must stay under 200 MB; before exports streamed,
// it reached gigabytes.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoryTestPeakLimit is the most the server may hold at its peak: 200 MB.
const memoryTestPeakLimit = 200_000_000

// memoryTestPostBody is the worst post for an export: the largest body,
// of a character JSON escapes to six bytes.
var memoryTestPostBody = strings.Repeat("&", 256<<10)

// memoryTestPostsPerExport is how many such posts fit in an export: each
// is its escaped body and about 300 bytes of fields.
var memoryTestPostsPerExport = maxExportBytes / (6*len(memoryTestPostBody) + 400)

func TestExportMemoryUnderConcurrentDownloads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's peak memory from /proc/PID/status")
	}
	if testing.Short() {
		t.Skip("builds the server and moves a few hundred MB through it")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	blog := startLiveBlog(t, blogBinaryFor(t), "-db", filepath.Join(t.TempDir(), "blog.db"))
	client := &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	// Three accounts, each allowed maxExportDownloads downloads at
	// once: six downloads in flight, the worst one server sees from them.
	const accounts = 3
	type account struct {
		login, token, result string
	}
	var users []*account
	for i := range accounts {
		u := &account{login: fmt.Sprintf("hoarder%d", i)}
		token, err := newWriterAccount(ctx, client, blog.URL, u.login)
		require.NoError(t, err)
		u.token = token
		for p := range memoryTestPostsPerExport {
			// Sent as written: '&' needs no escaping on the way in.
			r := memoryTestSend(ctx, t, client, http.MethodPost, blog.URL+"/posts", u.token,
				`{"title":"Post `+strconv.Itoa(p)+`","body":"`+memoryTestPostBody+`"}`, nil)
			require.Equal(t, http.StatusCreated, r.StatusCode, "post %d of %s", p, u.login)
			r.Body.Close()
		}
		users = append(users, u)
	}
	// Creating posts has a peak of its own (each 201 carries the body as
	// JSON and as HTML); from here on, VmHWM is the exports' (Linux 4.0:
	// "5" to clear_refs resets it), when the kernel lets us reset it.
	pid := blog.cmd.Process.Pid
	postsPeak := memoryTestPeak(t, pid)
	exportsBase := int64(-1)
	if os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil {
		exportsBase = memoryTestPeak(t, pid)
	}
	for _, u := range users {
		var failure string
		u.result, failure = memoryTestExport(ctx, t, client, blog.URL, u.token)
		require.Empty(t, failure, "the export of %s", u.login)
	}

	// Every download starts, and reads nothing yet: the server cannot
	// finish a body far larger than the socket buffers, so all six are in
	// flight together.
	type download struct {
		user *account
		resp *http.Response
	}
	var downloads []download
	for _, u := range users {
		for range maxExportDownloads {
			resp := memoryTestSend(ctx, t, client, http.MethodGet, u.result, u.token, "", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			downloads = append(downloads, download{user: u, resp: resp})
		}
	}
	// One more for the same user is refused while the others run.
	refused := memoryTestSend(ctx, t, client, http.MethodGet, users[0].result, users[0].token, "", nil)
	refusedBody, _ := io.ReadAll(refused.Body)
	refused.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, refused.StatusCode, "%s", refusedBody)
	assert.Equal(t, downloadRetryAfter, refused.Header.Get("Retry-After"))

	type read struct {
		bytes int64
		sum   string
		err   error
	}
	reads := make([]read, len(downloads))
	var wg sync.WaitGroup
	for i, d := range downloads {
		wg.Go(func() {
			defer d.resp.Body.Close()
			h := sha256.New()
			n, err := io.Copy(h, d.resp.Body)
			reads[i] = read{bytes: n, sum: hex.EncodeToString(h.Sum(nil)), err: err}
		})
	}
	wg.Wait()
	for i, d := range downloads {
		require.NoError(t, reads[i].err, "download %d", i)
		assert.Equal(t, strconv.FormatInt(reads[i].bytes, 10), d.resp.Header.Get("Content-Length"), "download %d read whole", i)
		assert.Greater(t, reads[i].bytes, int64(maxExportBytes-2*6*len(memoryTestPostBody)), "the largest export the cap allows")
		assert.Regexp(t, e2eStrongETag, d.resp.Header.Get("ETag"))
		if i%maxExportDownloads == 1 {
			first := downloads[i-1]
			assert.Equal(t, first.resp.Header.Get("ETag"), d.resp.Header.Get("ETag"), "the ETag is stable")
			assert.Equal(t, reads[i-1].sum, reads[i].sum, "so are the bytes")
		}
	}
	for i, d := range downloads {
		if i%maxExportDownloads != 0 {
			continue
		}
		resp := memoryTestSend(ctx, t, client, http.MethodGet, d.user.result, d.user.token, "", http.Header{"If-None-Match": {d.resp.Header.Get("ETag")}})
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotModified, resp.StatusCode, "If-None-Match: the stored ETag")
		assert.Zero(t, n)
	}
	memoryTestCheckDocument(ctx, t, client, users[0].result, users[0].token)

	// One post more and the export passes the cap: the job fails with the
	// documented error, having written no more than the cap.
	r := memoryTestSend(ctx, t, client, http.MethodPost, blog.URL+"/posts", users[0].token, `{"title":"One too many","body":"`+memoryTestPostBody+`"}`, nil)
	r.Body.Close()
	require.Equal(t, http.StatusCreated, r.StatusCode)
	_, failure := memoryTestExport(ctx, t, client, blog.URL, users[0].token)
	assert.Equal(t, msgExportTooLarge, failure)

	peak := memoryTestPeak(t, pid)
	t.Logf("server peak RSS (VmHWM): %.1f MB creating posts, %.1f MB exporting and serving %d downloads of %d bytes (from %.1f MB)",
		float64(postsPeak)/1e6, float64(peak)/1e6, len(downloads), reads[0].bytes, float64(exportsBase)/1e6)
	assert.Less(t, max(postsPeak, peak), int64(memoryTestPeakLimit), "the server's peak resident memory")
	if exportsBase >= 0 {
		// What remains is the garbage collector's pace, not the
		// exports' size: holding one whole export would pass this.
		assert.Less(t, peak-exportsBase, int64(maxExportBytes), "exports and downloads, together, hold less than one export")
	}
}

// memoryTestSend sends a request with a raw body (empty: none).
func memoryTestSend(ctx context.Context, t *testing.T, client *http.Client, method, url, token, body string, header http.Header) *http.Response {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "blog-memory-test")
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	return resp
}

// memoryTestExport runs an export and returns its result URL, or the
// error of a job that failed.
func memoryTestExport(ctx context.Context, t *testing.T, client *http.Client, base, token string) (resultURL, failure string) {
	t.Helper()
	resp := memoryTestSend(ctx, t, client, http.MethodPost, base+"/exports", token, "", nil)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	jobURL := resp.Header.Get("Location")
	for {
		r, err := sendRequest(ctx, client, http.MethodGet, jobURL, token, nil, nil)
		require.NoError(t, err)
		j, err := decodeEnvelopeData[struct {
			State     string  `json:"state"`
			ResultURL *string `json:"result_url"`
			Error     *string `json:"error"`
		}](r)
		require.NoError(t, err)
		switch j.State {
		case "succeeded":
			return *j.ResultURL, ""
		case "failed":
			return "", *j.Error
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the export did not finish: %s", r)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// memoryTestCheckDocument decodes one download and checks it holds every
// post whole.
func memoryTestCheckDocument(ctx context.Context, t *testing.T, client *http.Client, url, token string) {
	t.Helper()
	resp := memoryTestSend(ctx, t, client, http.MethodGet, url, token, "", nil)
	defer resp.Body.Close()
	var export struct {
		Data struct {
			Posts []struct {
				Title string `json:"title"`
				Body  string `json:"body"`
			} `json:"posts"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&export))
	require.Len(t, export.Data.Posts, memoryTestPostsPerExport)
	for i, p := range export.Data.Posts {
		assert.Equal(t, "Post "+strconv.Itoa(i), p.Title)
		assert.True(t, p.Body == memoryTestPostBody, "post %d's body, whole", i)
	}
}

// memoryTestPeak is VmHWM, the process's peak resident set, in bytes.
func memoryTestPeak(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(status), "\n") {
		if value, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kB, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
			require.NoError(t, err)
			return kB << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
