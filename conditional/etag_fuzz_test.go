package conditional

import (
	"strings"
	"testing"

	"github.com/myblog/apikit/internal/etaglist"
)

// FuzzETagList: parsing any If-Match / If-None-Match value never panics,
// a list that names the current tag as one of its members matches it,
// and a match is always backed by a member equal to the current tag, or
// "*".
func FuzzETagList(f *testing.F) {
	for _, header := range []string{`"abc"`, `W/"abc", "x"`, `*`, `"a,b", W/"c"`, `abc, "abc"`, `,,"`, `W/`, `"\"`} {
		f.Add(header, `"abc"`)
	}
	f.Fuzz(func(t *testing.T, list, current string) {
		tag, hasTag := parseETag(current)
		weak := matchList([]string{list}, tag, hasTag, true, weakMatch)
		strong := matchList([]string{list}, tag, hasTag, true, strongMatch)
		if strong && !weak {
			t.Fatalf("%q strongly but not weakly matches %q", list, current)
		}
		if weak {
			found := false
			rest := list
			for seen := 0; rest != "" && seen <= maxTags; seen++ {
				var m string
				m, rest = etaglist.Next(rest)
				if m == "*" || hasTag && strings.TrimPrefix(m, "W/") == tag.opaque {
					found = true
				}
			}
			if !found {
				t.Fatalf("%q matched %q without a member naming it", list, current)
			}
		}
		if hasTag && !strings.Contains(list, `"`) && weak && !strings.Contains(list, "*") {
			t.Fatalf("%q has no quoted tag yet matched", list)
		}
		if hasTag && !tag.weak {
			if !matchList([]string{`"zz", ` + current}, tag, true, true, strongMatch) {
				t.Fatalf("a list naming %q does not match it", current)
			}
		}
	})
}
