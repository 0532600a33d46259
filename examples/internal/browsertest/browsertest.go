// Package browsertest drives a headless Chromium for the examples'
// browser tests: it finds the browser (under CI=true a missing one fails
// the test; elsewhere the test is skipped with what to install), starts
// it for one test, runs a page until its script says it is done, and
// keeps screenshots where CI can collect them.
package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Path finds a Chromium to drive.
func Path(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found: .ci/run installs Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("no Chromium found; install it to run the browser tests (Debian: apt-get install chromium)")
	return ""
}

// Start starts a headless Chromium for t and returns a context to run
// actions in; the browser stops when t ends.
func Start(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path(t)),
		chromedp.NoSandbox, // the CI container runs as root
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	_, err := chromedp.Run(browserCtx, chromedp.Navigate("about:blank"))
	require.NoError(t, err, "starting Chromium")
	return browserCtx
}

// ArtifactDir is where screenshots are kept after the test, for CI to
// collect: $APIKIT_ARTIFACTS, or apikit-artifacts in the temporary
// directory.
func ArtifactDir(t *testing.T) string {
	dir := os.Getenv("APIKIT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "apikit-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// Run loads url, waits (up to 60 seconds) until the page's script sets
// window.done, and returns window.results decoded from JSON. With a
// screenshot name it saves a PNG of the page in ArtifactDir and logs its
// path.
func Run(t *testing.T, ctx context.Context, url, screenshot string) map[string]any {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Navigate(url))
	require.NoError(t, err)
	// A plain loop rather than chromedp.Poll, which does not survive the
	// page's execution context changing.
	deadline := time.Now().Add(60 * time.Second)
	for {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("window.done === true"))
		if err == nil && done {
			break
		}
		require.True(t, time.Now().Before(deadline), "the page's script did not finish: %v", err)
		time.Sleep(50 * time.Millisecond)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify(window.results)"))
	require.NoError(t, err)
	if screenshot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
		require.NoError(t, err)
		path := filepath.Join(ArtifactDir(t), screenshot)
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("screenshot: %s", path)
	}
	var results map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &results), raw)
	return results
}
