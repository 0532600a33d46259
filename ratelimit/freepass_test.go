package ratelimit_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/conditional"
	"github.com/myblog/apikit/ratelimit"
)

// TestOnlyGenuine304sAreFree is the attack of issue 19 on a real server:
// the limiter outside apikit's conditional middleware, both on the test
// clock, over a list handler that counts its calls (its queries) and
// gives its posts a Last-Modified. A 304 is given back to the quota only
// when it answers a validator the client got from us; "If-None-Match: *"
// and an If-Modified-Since the server cannot have sent are counted like
// any request, 304 or not.
func TestOnlyGenuine304sAreFree(t *testing.T) {
	const quota = 1000
	const listBody = `[{"id":1,"title":"hello"}]`
	etag := conditional.ETag([]byte(listBody))
	lastModified := start.Add(-24 * time.Hour).UTC().Format(http.TimeFormat)
	now := start.UTC().Truncate(time.Second)

	tests := []struct {
		name     string
		method   string
		header   []string
		requests int
		status   int
		free     bool
	}{
		{"RFC 9110 13.1.2: If-None-Match: * matches every resource, and is counted", "GET", []string{"If-None-Match", "*"}, 300, 304, false},
		{"RFC 9110 13.1.2: * on a HEAD is counted too", "HEAD", []string{"If-None-Match", "*"}, 3, 304, false},
		{"a * among tags is counted", "GET", []string{"If-None-Match", `"other", *`}, 3, 304, false},
		{"a * on its own field line is counted", "GET", []string{"If-None-Match", etag, "If-None-Match", "*"}, 3, 304, false},
		{"RFC 9110 8.8.2.1: an If-Modified-Since in the future is ignored and counted", "GET", []string{"If-Modified-Since", now.Add(time.Hour).Format(http.TimeFormat)}, 300, 200, false},
		{"an If-Modified-Since one second ahead: no tolerance", "GET", []string{"If-Modified-Since", now.Add(time.Second).Format(http.TimeFormat)}, 3, 200, false},
		{"RFC 9110 13.1.3: an If-Modified-Since equal to the clock is a 304, but not the date we sent: counted", "GET", []string{"If-Modified-Since", now.Format(http.TimeFormat)}, 300, 304, false},
		{"an If-Modified-Since between the change and now: a 304, counted", "HEAD", []string{"If-Modified-Since", start.Add(-time.Hour).UTC().Format(http.TimeFormat)}, 3, 304, false},
		{"RFC 9110 13.1.2: the ETag we sent is free", "GET", []string{"If-None-Match", etag}, 300, 304, true},
		{"RFC 9110 8.8.3.2: its weak form is free (weak comparison)", "GET", []string{"If-None-Match", "W/" + etag}, 3, 304, true},
		{"the ETag among others is free", "GET", []string{"If-None-Match", `"other", ` + etag}, 3, 304, true},
		{`a quoted "*" is a tag like any other, not the wildcard`, "GET", []string{"If-None-Match", `"*", ` + etag}, 3, 304, true},
		{"the ETag on a HEAD is free", "HEAD", []string{"If-None-Match", etag}, 3, 304, true},
		{"RFC 9110 13.1.3: the Last-Modified we sent is free", "GET", []string{"If-Modified-Since", lastModified}, 300, 304, true},
		{"RFC 9110 5.6.7: the same date in the RFC 850 format is free", "HEAD", []string{"If-Modified-Since", start.Add(-24 * time.Hour).UTC().Format("Monday, 02-Jan-06 15:04:05 GMT")}, 3, 304, true},
		{"a stale ETag is a 200, counted", "GET", []string{"If-None-Match", `"stale"`}, 3, 200, false},
		{"RFC 9110 13.1.3: two If-Modified-Since are ignored, counted", "GET", []string{"If-Modified-Since", lastModified, "If-Modified-Since", lastModified}, 3, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *ratelimit.Config) {
				c.Resources = []ratelimit.Resource{{Name: "core", AnonymousLimit: quota}}
			})
			cond, err := conditional.New(conditional.Config{Now: f.clock.Now})
			require.NoError(t, err)
			var calls atomic.Int64
			list := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Last-Modified", lastModified)
				_, _ = w.Write([]byte(listBody))
			})
			srv, errorLog := newServer(t, f.limiter.Handler(cond.Handler(list)))

			// One plain GET first, as a client that caches would make.
			resp, body := do(t, srv, "GET", "/posts")
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, listBody, body)
			require.Equal(t, etag, resp.Header.Get("ETag"))
			require.Equal(t, lastModified, resp.Header.Get("Last-Modified"))
			require.Equal(t, strconv.Itoa(quota-1), resp.Header.Get("X-RateLimit-Remaining"))

			for i := 1; i <= tt.requests; i++ {
				resp, _ := do(t, srv, tt.method, "/posts", tt.header...)
				require.Equal(t, tt.status, resp.StatusCode, "request %d", i)
				used := 1 + i
				if tt.free {
					used = 1
				}
				require.Equal(t, strconv.Itoa(quota-used), resp.Header.Get("X-RateLimit-Remaining"), "request %d", i)
				require.Equal(t, strconv.Itoa(used), resp.Header.Get("X-RateLimit-Used"), "request %d", i)
			}
			assert.Equal(t, int64(1+tt.requests), calls.Load(), "every request ran the handler")
			assert.Empty(t, errorLog.String())
		})
	}
}

// TestConditionalIgnoresFutureDates: apikit's conditional, on the
// limiter's clock, answers a future If-Modified-Since with the full 200,
// and the 200 counts.
func TestConditionalIgnoresFutureDates(t *testing.T) {
	f := newFixture(t)
	cond, err := conditional.New(conditional.Config{Now: f.clock.Now})
	require.NoError(t, err)
	h := f.limiter.Handler(cond.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", start.Add(-time.Hour).UTC().Format(http.TimeFormat))
		_, _ = w.Write([]byte(`{"ok":true}`))
	})))
	w := f.serve(h, "GET", "/posts", "If-Modified-Since", start.Add(time.Minute).UTC().Format(http.TimeFormat))
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, `{"ok":true}`, w.Body.String())
	assert.Equal(t, "59", w.Header().Get("X-RateLimit-Remaining"))

	// Once the clock has passed the date, it is a date we could have sent.
	f.clock.Advance(2 * time.Minute)
	w = f.serve(h, "GET", "/posts", "If-Modified-Since", start.Add(time.Minute).UTC().Format(http.TimeFormat))
	assert.Equal(t, 304, w.Code)
	assert.Equal(t, "58", w.Header().Get("X-RateLimit-Remaining"), "a 304 to a date that is not our Last-Modified counts")
}

// TestHandlersOwn304s: the rule holds whoever answers the 304, here
// net/http's ServeContent, which answers If-Modified-Since and
// If-None-Match itself (a future date included) and keeps the validator
// on its 304s.
func TestHandlersOwn304s(t *testing.T) {
	modified := start.Add(-24 * time.Hour)
	lastModified := modified.UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		etag   string // the handler's ETag, if any
		header []string
		free   bool
	}{
		{"the Last-Modified it sent", "", []string{"If-Modified-Since", lastModified}, true},
		{"a future date", "", []string{"If-Modified-Since", start.Add(time.Hour).UTC().Format(http.TimeFormat)}, false},
		{"the clock's own second", "", []string{"If-Modified-Since", start.UTC().Format(http.TimeFormat)}, false},
		{"the ETag it sent", `"v1"`, []string{"If-None-Match", `"v1"`}, true},
		{"*", `"v1"`, []string{"If-None-Match", "*"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			h := f.limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.etag != "" {
					w.Header().Set("ETag", tt.etag)
				}
				http.ServeContent(w, r, "posts.json", modified, strings.NewReader(`[]`))
			}))
			w := f.serve(h, "GET", "/posts", tt.header...)
			require.Equal(t, 304, w.Code)
			want := "59"
			if tt.free {
				want = "60"
			}
			assert.Equal(t, want, w.Header().Get("X-RateLimit-Remaining"))
		})
	}
}
