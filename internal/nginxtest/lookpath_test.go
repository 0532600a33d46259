package nginxtest

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records Fatal and Skip and ends the
// goroutine that called them, as the testing package does.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Skip(args ...any) { r.skipped = fmt.Sprint(args...); runtime.Goexit() }

// Without nginx, a test is skipped with what to install, so that
// internal/testall lists it; under CI=true, where .ci/run installs
// nginx, it fails instead.
func TestLookPathWithoutNginx(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := debianPath
	debianPath = t.TempDir() + "/nginx"
	t.Cleanup(func() { debianPath = saved })

	for _, tt := range []struct {
		ci                   string
		wantFailed, wantSkip string
	}{
		{ci: "", wantSkip: "nginx not found; install it to run the tests behind a real proxy (Debian: apt-get install nginx)"},
		{ci: "true", wantFailed: "nginx not found: .ci/run installs Debian's nginx package (apt-get install -y nginx)"},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				lookPath(r)
			}()
			<-done
			assert.Equal(t, tt.wantFailed, r.failed)
			assert.Equal(t, tt.wantSkip, r.skipped)
		})
	}
}
