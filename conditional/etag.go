package conditional

import (
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/myblog/apikit/internal/etaglist"
)

// ETag returns a strong entity tag for a representation whose bytes are
// body: 16 hex digits of its 64-bit xxHash, quoted ("\"9a3f04c2e1d07b55\"").
// xxHash is the same on every machine and in every process, so instances
// behind a load balancer give one representation one tag; it hashes at
// about 19 GB/s, ten times SHA-1.
//
// Handlers that know a resource's version use it for their own tag, so
// that a PATCH can check If-Match without rendering the body:
//
//	w.Header().Set("ETag", conditional.ETag([]byte(post.ID+"@"+post.UpdatedAt)))
func ETag(body []byte) string {
	var buf [18]byte
	return string(appendETag(buf[:0], xxhash.Sum64(body)))
}

func appendETag(dst []byte, sum uint64) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hex[sum>>uint(shift)&0xf])
	}
	return append(dst, '"')
}

// maxTags bounds the entity tags read from one If-Match or If-None-Match:
// a client revalidating a cache sends a few, and a hostile one cannot
// make us compare thousands. Tags past it are ignored.
const maxTags = 64

// entityTag is a parsed entity-tag: opaque is the quoted part, quotes
// included.
type entityTag struct {
	weak   bool
	opaque string
}

// parseETag parses one entity-tag (RFC 9110 §8.8.3):
//
//	entity-tag = [ weak ] opaque-tag
//	weak       = %s"W/"
//	opaque-tag = DQUOTE *etagc DQUOTE
//	etagc      = %x21 / %x23-7E / obs-text
func parseETag(s string) (entityTag, bool) {
	var t entityTag
	if strings.HasPrefix(s, "W/") {
		t.weak, s = true, s[2:]
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return entityTag{}, false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; c == '"' || c < 0x21 || c == 0x7f {
			return entityTag{}, false
		}
	}
	t.opaque = s
	return t, true
}

// strongMatch is the strong comparison of RFC 9110 §8.8.3.2: both tags
// strong and their opaque-tags equal.
func strongMatch(a, b entityTag) bool {
	return !a.weak && !b.weak && a.opaque == b.opaque
}

// weakMatch is the weak comparison: the opaque-tags equal, weak or not.
func weakMatch(a, b entityTag) bool {
	return a.opaque == b.opaque
}

// matchList reports whether the If-Match or If-None-Match field values
// (RFC 9110 §13.1.1, §13.1.2: "*" or a comma-separated list of
// entity-tags, over any number of field lines) match the current
// representation, with the comparison given. "*" matches when one exists;
// a tag needs a current tag (hasTag) to match. Malformed members are
// skipped.
func matchList(values []string, current entityTag, hasTag, exists bool, match func(a, b entityTag) bool) bool {
	seen := 0
	for _, v := range values {
		for len(v) > 0 {
			var member string
			member, v = etaglist.Next(v)
			if member == "" {
				continue
			}
			if seen++; seen > maxTags {
				return false
			}
			if member == "*" {
				if exists {
					return true
				}
				continue
			}
			if !hasTag {
				continue
			}
			if t, ok := parseETag(member); ok && match(t, current) {
				return true
			}
		}
	}
	return false
}
