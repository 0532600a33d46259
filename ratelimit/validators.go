package ratelimit

import (
	"net/http"
	"strings"
	"time"

	"github.com/myblog/apikit/internal/etaglist"
)

// maxTags bounds the If-None-Match members read to decide a refund, as
// apikit's conditional bounds those it compares: a client revalidating a
// cache sends a few. A longer list is never refunded.
const maxTags = 64

// refundable reports whether a 304 to r, whose response header is h,
// answers a validator the client could have got from us, and so is given
// back to the quota. A 304 says "what you hold is current"; it is only
// worth a free request when the client holds something we gave it:
//
//   - If-None-Match must not hold "*": it matches every resource that
//     exists (RFC 9110 §13.1.2), so a client with no copy at all gets a
//     304 for every URL, each of which ran the handler.
//   - Without If-None-Match, If-Modified-Since must be one valid HTTP-date
//     (RFC 9110 §13.1.3) no later than now: RFC 9110 §8.8.2.1 forbids a
//     Last-Modified later than the response's Date, so a future date was
//     not ours, and it would be "not modified" for every resource.
//   - When the 304 carries the validator the client sent back, it must be
//     that validator: its ETag matches one of If-None-Match's tags (weak
//     comparison, RFC 9110 §8.8.3.2), or its Last-Modified is the
//     If-Modified-Since date, as a client that echoes the Last-Modified it
//     got sends it (RFC 9110 §13.1.3 lets a server match dates exactly).
//     An If-Modified-Since equal to the clock, read off a Date header,
//     would otherwise be a free 304 for every resource that has a
//     modification date. A 304 that carries neither ETag nor Last-Modified
//     (a handler's own) is judged by the request alone.
//
// It reads only headers and allocates nothing for a client that sends
// back what it got.
func refundable(r *http.Request, h http.Header, now time.Time) bool {
	if tags := r.Header["If-None-Match"]; len(tags) > 0 {
		etag := firstValue(h["Etag"])
		// The common case first: a client that sends back the one tag it
		// got, quoted, so neither empty nor "*".
		if len(tags) == 1 && tags[0] == etag && strings.HasSuffix(etag, `"`) {
			return true
		}
		return answersETag(tags, etag)
	}
	dates := r.Header["If-Modified-Since"]
	if len(dates) != 1 {
		return false
	}
	since, err := http.ParseTime(dates[0])
	if err != nil || since.After(now) {
		return false
	}
	lastModified := firstValue(h["Last-Modified"])
	switch {
	case lastModified == dates[0]:
		return true
	case lastModified == "":
		return firstValue(h["Etag"]) == ""
	}
	t, err := http.ParseTime(lastModified)
	return err == nil && t.Equal(since)
}

// answersETag reports whether If-None-Match values (over any number of
// field lines) hold no "*", at most maxTags members, and a tag that
// matches etag, the 304's ETag, by the weak comparison; any tag at all
// when etag is empty.
func answersETag(values []string, etag string) bool {
	bare, opaque := etag == "", strings.TrimPrefix(etag, "W/")
	seen, matched := 0, false
	for _, v := range values {
		for v != "" {
			var member string
			member, v = etaglist.Next(v)
			if member == "" {
				continue
			}
			if seen++; seen > maxTags || member == "*" {
				return false
			}
			if bare || strings.TrimPrefix(member, "W/") == opaque {
				matched = true
			}
		}
	}
	return matched
}

func firstValue(values []string) string {
	if len(values) > 0 {
		return values[0]
	}
	return ""
}
