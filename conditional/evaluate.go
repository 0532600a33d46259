package conditional

import (
	"net/http"
	"time"
)

// State is what a handler knows of the target resource's current state,
// for Evaluate: enough to decide every precondition without rendering a
// body.
type State struct {
	// Exists reports whether the resource has a current representation.
	// "If-Match: *" needs one; "If-None-Match: *" needs none.
	Exists bool
	// ETag is the current entity tag, quoted, strong or W/ weak; empty
	// when the resource has none.
	ETag string
	// LastModified is the last modification time; zero when unknown.
	LastModified time.Time
}

// Result is the outcome of Evaluate.
type Result int

const (
	// Proceed: every precondition holds; perform the method.
	Proceed Result = iota
	// NotModified: answer 304 Not Modified (GET or HEAD only).
	NotModified
	// PreconditionFailed: answer 412 Precondition Failed and change
	// nothing.
	PreconditionFailed
)

func (r Result) String() string {
	switch r {
	case Proceed:
		return "proceed"
	case NotModified:
		return "304 Not Modified"
	case PreconditionFailed:
		return "412 Precondition Failed"
	}
	return "Result(?)"
}

// Evaluate applies r's preconditions to a resource in state s, in the
// order of RFC 9110 §13.2.2:
//
//  1. If-Match: false (strong comparison; "*" needs the resource to
//     exist) → 412.
//  2. Without If-Match, If-Unmodified-Since: modified after the date →
//  412. Ignored when the date is malformed or the modification time
//     unknown.
//  3. If-None-Match: true (weak comparison; "*" matches an existing
//     resource) → 304 for GET and HEAD, 412 otherwise.
//  4. Without If-None-Match, for GET and HEAD only, If-Modified-Since: not
//     modified since the date → 304. Ignored when malformed, when sent
//     more than once (§13.1.3: more than one member), and when later than
//     the server's clock (see below).
//
// Dates compare at the one-second resolution of HTTP dates. Evaluate is
// for a response that would otherwise be 2xx; a handler about to answer
// 404 answers 404 (§13.2.1).
//
// An If-Modified-Since later than the clock is not a date the client can
// have got from this server: RFC 9110 §8.8.2.1 forbids a Last-Modified
// later than the response's Date, and RFC 2616 §14.25 said outright that
// such a date is invalid. Honouring it would answer 304 for every
// resource that has a modification date, to a client that never fetched
// one, so it is ignored, with no tolerance for clock skew: the cost of a
// client clock a few seconds fast is a full 200 instead of a 304, always
// a correct answer. Evaluate reads the clock with time.Now;
// Middleware.Handler and Check use Config.Now.
func Evaluate(r *http.Request, s State) Result {
	result, _ := evaluate(r, s, time.Now)
	return result
}

// The validators that decide a Result, as the Observer's Detail names
// them.
const (
	validatorETag         = "etag"
	validatorLastModified = "last_modified"
)

// evaluate is Evaluate with the clock now, read only for If-Modified-Since,
// also naming the validator that decided a 304 or 412: validatorETag
// (If-Match, If-None-Match) or validatorLastModified (If-Unmodified-Since,
// If-Modified-Since); "" for Proceed.
func evaluate(r *http.Request, s State, now func() time.Time) (Result, string) {
	current, hasTag := parseETag(s.ETag)
	exists := s.Exists
	h := r.Header
	lastModified := s.LastModified.Truncate(time.Second)

	if values := h["If-Match"]; len(values) > 0 {
		if !matchList(values, current, hasTag && exists, exists, strongMatch) {
			return PreconditionFailed, validatorETag
		}
	} else if values := h["If-Unmodified-Since"]; len(values) > 0 && !lastModified.IsZero() {
		if since, err := http.ParseTime(values[0]); err == nil && lastModified.After(since) {
			return PreconditionFailed, validatorLastModified
		}
	}

	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	if values := h["If-None-Match"]; len(values) > 0 {
		if matchList(values, current, hasTag && exists, exists, weakMatch) {
			if safe {
				return NotModified, validatorETag
			}
			return PreconditionFailed, validatorETag
		}
	} else if values := h["If-Modified-Since"]; safe && len(values) == 1 && !lastModified.IsZero() {
		if since, err := http.ParseTime(values[0]); err == nil && !lastModified.After(since) && !since.After(now()) {
			return NotModified, validatorLastModified
		}
	}
	return Proceed, ""
}
