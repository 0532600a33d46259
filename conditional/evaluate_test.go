package conditional_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/myblog/apikit/conditional"
)

var (
	modified = time.Date(2012, 7, 5, 15, 31, 30, 0, time.UTC)
	before   = "Thu, 05 Jul 2012 15:31:29 GMT"
	same     = "Thu, 05 Jul 2012 15:31:30 GMT"
	after    = "Thu, 05 Jul 2012 15:31:31 GMT"
)

func TestEvaluate(t *testing.T) {
	strong := conditional.State{Exists: true, ETag: `"abc"`, LastModified: modified}
	weak := conditional.State{Exists: true, ETag: `W/"abc"`, LastModified: modified}
	missing := conditional.State{}
	untagged := conditional.State{Exists: true}
	withNanos := conditional.State{Exists: true, ETag: `"abc"`, LastModified: modified.Add(900 * time.Millisecond)}
	tests := []struct {
		name   string
		method string
		header []string
		state  conditional.State
		want   conditional.Result
	}{
		{"no preconditions", "GET", nil, strong, conditional.Proceed},

		{"RFC 9110 13.1.2: If-None-Match matching", "GET", []string{"If-None-Match", `"abc"`}, strong, conditional.NotModified},
		{"RFC 9110 8.8.3.2: weak comparison, weak request tag", "GET", []string{"If-None-Match", `W/"abc"`}, strong, conditional.NotModified},
		{"RFC 9110 8.8.3.2: weak comparison, weak current tag", "GET", []string{"If-None-Match", `"abc"`}, weak, conditional.NotModified},
		{"RFC 9110 13.1.2: a list", "GET", []string{"If-None-Match", `"x", "y" ,"abc"`}, strong, conditional.NotModified},
		{"RFC 9110 5.3: several field lines", "GET", []string{"If-None-Match", `"x"`, "If-None-Match", `"abc"`}, strong, conditional.NotModified},
		{"a comma inside a tag", "GET", []string{"If-None-Match", `"a,b", "abc"`}, strong, conditional.NotModified},
		{"malformed members are skipped", "GET", []string{"If-None-Match", `abc, "abc"`}, strong, conditional.NotModified},
		{"unquoted tag does not match", "GET", []string{"If-None-Match", `abc`}, strong, conditional.Proceed},
		{"RFC 9110 13.1.2: * with a representation", "GET", []string{"If-None-Match", `*`}, strong, conditional.NotModified},
		{"RFC 9110 13.1.2: * without one", "GET", []string{"If-None-Match", `*`}, missing, conditional.Proceed},
		{"If-None-Match not matching", "GET", []string{"If-None-Match", `"xyz"`}, strong, conditional.Proceed},
		{"HEAD is like GET", "HEAD", []string{"If-None-Match", `"abc"`}, strong, conditional.NotModified},
		{"RFC 9110 13.1.2: matching on an unsafe method is 412", "PUT", []string{"If-None-Match", `"abc"`}, strong, conditional.PreconditionFailed},
		{"RFC 9110 13.1.2: If-None-Match * on create is 412 when it exists", "PUT", []string{"If-None-Match", `*`}, strong, conditional.PreconditionFailed},
		{"If-None-Match * on create proceeds when it does not", "PUT", []string{"If-None-Match", `*`}, missing, conditional.Proceed},

		{"RFC 9110 13.1.3: If-Modified-Since, not modified since", "GET", []string{"If-Modified-Since", same}, strong, conditional.NotModified},
		{"RFC 9110 13.1.3: If-Modified-Since, modified since", "GET", []string{"If-Modified-Since", before}, strong, conditional.Proceed},
		{"RFC 9110 13.1.3: a later date", "GET", []string{"If-Modified-Since", after}, strong, conditional.NotModified},
		{"RFC 9110 5.6.7: one-second resolution", "GET", []string{"If-Modified-Since", same}, withNanos, conditional.NotModified},
		{"RFC 9110 5.6.7: RFC 850 date", "GET", []string{"If-Modified-Since", "Thursday, 05-Jul-12 15:31:30 GMT"}, strong, conditional.NotModified},
		{"RFC 9110 5.6.7: asctime date", "GET", []string{"If-Modified-Since", "Thu Jul  5 15:31:30 2012"}, strong, conditional.NotModified},
		{"RFC 9110 13.1.3: malformed date ignored", "GET", []string{"If-Modified-Since", "yesterday"}, strong, conditional.Proceed},
		{"RFC 9110 13.1.3: ignored with If-None-Match", "GET", []string{"If-None-Match", `"xyz"`, "If-Modified-Since", after}, strong, conditional.Proceed},
		{"RFC 9110 13.1.3: ignored on unsafe methods", "POST", []string{"If-Modified-Since", after}, strong, conditional.Proceed},
		{"RFC 9110 13.1.3: ignored without a modification date", "GET", []string{"If-Modified-Since", after}, untagged, conditional.Proceed},
		{"RFC 9110 13.1.3: ignored with more than one member", "GET", []string{"If-Modified-Since", same, "If-Modified-Since", same}, strong, conditional.Proceed},
		{"RFC 9110 8.8.2.1: a date later than the clock is ignored", "GET", []string{"If-Modified-Since", "Fri, 31 Dec 9999 23:59:59 GMT"}, strong, conditional.Proceed},

		{"RFC 9110 13.1.1: If-Match matching", "PATCH", []string{"If-Match", `"abc"`}, strong, conditional.Proceed},
		{"RFC 9110 13.1.1: If-Match stale", "PATCH", []string{"If-Match", `"old"`}, strong, conditional.PreconditionFailed},
		{"RFC 9110 8.8.3.2: strong comparison, weak request tag", "PATCH", []string{"If-Match", `W/"abc"`}, strong, conditional.PreconditionFailed},
		{"RFC 9110 8.8.3.2: strong comparison, weak current tag", "PATCH", []string{"If-Match", `"abc"`}, weak, conditional.PreconditionFailed},
		{"RFC 9110 13.1.1: If-Match list", "DELETE", []string{"If-Match", `"old", "abc"`}, strong, conditional.Proceed},
		{"RFC 9110 13.1.1: If-Match * with a representation", "DELETE", []string{"If-Match", `*`}, untagged, conditional.Proceed},
		{"RFC 9110 13.1.1: If-Match * without one", "DELETE", []string{"If-Match", `*`}, missing, conditional.PreconditionFailed},
		{"RFC 9110 13.1.1: If-Match on GET too", "GET", []string{"If-Match", `"old"`}, strong, conditional.PreconditionFailed},
		{"If-Match a tag when the resource has none", "PATCH", []string{"If-Match", `"abc"`}, untagged, conditional.PreconditionFailed},

		{"RFC 9110 13.1.4: If-Unmodified-Since, modified after", "PATCH", []string{"If-Unmodified-Since", before}, strong, conditional.PreconditionFailed},
		{"RFC 9110 13.1.4: If-Unmodified-Since, unmodified", "PATCH", []string{"If-Unmodified-Since", same}, strong, conditional.Proceed},
		{"RFC 9110 13.1.4: malformed date ignored", "PATCH", []string{"If-Unmodified-Since", "soon"}, strong, conditional.Proceed},
		{"RFC 9110 13.1.4: ignored without a modification date", "PATCH", []string{"If-Unmodified-Since", before}, untagged, conditional.Proceed},
		{"RFC 9110 13.2.2 step 2: ignored with If-Match", "PATCH", []string{"If-Match", `"abc"`, "If-Unmodified-Since", before}, strong, conditional.Proceed},

		{"RFC 9110 13.2.2: If-Match is evaluated before If-None-Match", "GET", []string{"If-Match", `"old"`, "If-None-Match", `"abc"`}, strong, conditional.PreconditionFailed},
		{"RFC 9110 13.2.2: If-Match passes, then If-None-Match", "GET", []string{"If-Match", `"abc"`, "If-None-Match", `"abc"`}, strong, conditional.NotModified},
		{"RFC 9110 13.2.2: If-Unmodified-Since fails before If-None-Match", "GET", []string{"If-Unmodified-Since", before, "If-None-Match", `"abc"`}, strong, conditional.PreconditionFailed},
		{"RFC 9110 13.2.2: If-Match passes, If-Modified-Since not modified", "GET", []string{"If-Match", `"abc"`, "If-Modified-Since", same}, strong, conditional.NotModified},
		{"more than 64 tags: the rest ignored", "GET", []string{"If-None-Match", strings.Repeat(`"x", `, 64) + `"abc"`}, strong, conditional.Proceed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/posts/1", nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Add(tt.header[i], tt.header[i+1])
			}
			assert.Equal(t, tt.want, conditional.Evaluate(r, tt.state))
		})
	}
}

func TestETag(t *testing.T) {
	a := conditional.ETag([]byte(`{"id":1}`))
	assert.Regexp(t, `^"[0-9a-f]{16}"$`, a)
	assert.Equal(t, a, conditional.ETag([]byte(`{"id":1}`)), "stable")
	assert.NotEqual(t, a, conditional.ETag([]byte(`{"id":2}`)))
	// The same on every machine and in every process: xxHash64 of the bytes.
	assert.Equal(t, `"ef46db3751d8e999"`, conditional.ETag(nil))
}

// TestIfModifiedSinceAgainstTheClock: an If-Modified-Since later than
// the server's clock is not a date the client can have got from us
// (RFC 9110 §8.8.2.1: no Last-Modified is later than the response's
// Date), and would be "not modified" for every resource: the middleware
// and Check ignore it, with no tolerance, and answer in full.
func TestIfModifiedSinceAgainstTheClock(t *testing.T) {
	now := time.Date(2013, 7, 1, 16, 47, 53, 500_000_000, time.UTC)
	state := conditional.State{Exists: true, ETag: `"abc"`, LastModified: now.Add(-time.Hour)}
	tests := []struct {
		name  string
		since time.Time
		want  int
	}{
		{"RFC 9110 13.1.3: not modified since a past date", now.Add(-time.Minute), 304},
		{"the clock's own second is not in the future", now.Truncate(time.Second), 304},
		{"the next second is", now.Truncate(time.Second).Add(time.Second), 200},
		{"a few seconds of clock skew get no tolerance", now.Add(5 * time.Second), 200},
		{"an hour ahead", now.Add(time.Hour), 200},
		{"RFC 9110 13.1.3: modified since", now.Add(-2 * time.Hour), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMiddleware(t, func(c *conditional.Config) { c.Now = func() time.Time { return now } })
			ims := tt.since.UTC().Format(http.TimeFormat)
			handler := m.Handler(resource(map[string]string{"Last-Modified": state.LastModified.Format(http.TimeFormat)}))
			w := serve(handler, "GET", "If-Modified-Since", ims)
			assert.Equal(t, tt.want, w.Code, "Handler")
			if tt.want == 200 {
				assert.Equal(t, body, w.Body.String())
			}

			r := httptest.NewRequest("GET", "/user", nil)
			r.Header.Set("If-Modified-Since", ims)
			w = httptest.NewRecorder()
			if m.Check(w, r, state) {
				w.WriteHeader(200)
			}
			assert.Equal(t, tt.want, w.Code, "Check")
		})
	}
}
