package cors

import (
	"strings"
	"testing"
)

// FuzzPatternMatch: a pattern matches an origin only when the origin is
// the pattern's scheme, then one or more DNS labels, then the suffix; and
// parsing any configured origin never panics.
func FuzzPatternMatch(f *testing.F) {
	for _, origin := range []string{"https://app.myblog.dev", "https://myblog.dev", "https://a..myblog.dev", "https://.myblog.dev", "https://x.myblog.dev:8443", "http://app.myblog.dev", "https://a.b-c.myblog.dev"} {
		f.Add(origin, "https://*.myblog.dev")
	}
	f.Fuzz(func(t *testing.T, origin, configured string) {
		_, pat, problem := parseOrigin(configured)
		if problem != "" || pat.prefix == "" {
			pat = pattern{prefix: "https://", suffix: ".myblog.dev"}
		}
		if !pat.match(origin) {
			return
		}
		if !strings.HasPrefix(origin, pat.prefix) || !strings.HasSuffix(origin, pat.suffix) {
			t.Fatalf("%q matched %+v", origin, pat)
		}
		labels := strings.TrimSuffix(strings.TrimPrefix(origin, pat.prefix), pat.suffix)
		if labels == "" {
			t.Fatalf("%q matched %+v with no label for the *", origin, pat)
		}
		for _, label := range strings.Split(labels, ".") {
			if label == "" || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				t.Fatalf("%q matched %+v with label %q", origin, pat, label)
			}
		}
	})
}
