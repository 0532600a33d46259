package nginxtest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/myblog/apikit/internal/tbrecord"
)

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
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) { lookPath(r) })
			assert.Equal(t, tt.wantFailed, r.FailMessage)
			assert.Equal(t, tt.wantSkip, r.SkipMessage)
		})
	}
}
