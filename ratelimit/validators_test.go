package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/myblog/apikit/internal/etaglist"
)

func TestRefundable(t *testing.T) {
	now := time.Date(2013, 7, 1, 16, 47, 53, 500_000_000, time.UTC)
	lastModified := now.Add(-time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name     string
		request  []string // header lines of the request
		response []string // header lines of the 304
		want     bool
	}{
		{"RFC 9110 13.1.2: the 304's ETag", []string{"If-None-Match", `"v1"`}, []string{"Etag", `"v1"`}, true},
		{"RFC 9110 8.8.3.2: weak comparison, weak request tag", []string{"If-None-Match", `W/"v1"`}, []string{"Etag", `"v1"`}, true},
		{"RFC 9110 8.8.3.2: weak comparison, weak current tag", []string{"If-None-Match", `"v1"`}, []string{"Etag", `W/"v1"`}, true},
		{"RFC 9110 13.1.2: one tag of a list", []string{"If-None-Match", `"a", "v1" ,"b"`}, []string{"Etag", `"v1"`}, true},
		{"RFC 9110 5.3: one of several field lines", []string{"If-None-Match", `"a"`, "If-None-Match", `"v1"`}, []string{"Etag", `"v1"`}, true},
		{"a comma inside a tag", []string{"If-None-Match", `"a,b", "v1"`}, []string{"Etag", `"v1"`}, true},
		{`a quoted "*" is a tag`, []string{"If-None-Match", `"*"`}, []string{"Etag", `"*"`}, true},
		{"RFC 9110 13.1.2: *", []string{"If-None-Match", `*`}, []string{"Etag", `"v1"`}, false},
		{"* among tags", []string{"If-None-Match", `"v1", *`}, []string{"Etag", `"v1"`}, false},
		{"* on another field line", []string{"If-None-Match", `"v1"`, "If-None-Match", ` * `}, []string{"Etag", `"v1"`}, false},
		{"* on a bare 304", []string{"If-None-Match", `*`}, nil, false},
		{"another tag than the 304's", []string{"If-None-Match", `"v0"`}, []string{"Etag", `"v1"`}, false},
		{"an empty If-None-Match", []string{"If-None-Match", ` , `}, nil, false},
		{"a bare 304 is judged by the request alone", []string{"If-None-Match", `"v1"`}, nil, true},
		{"a 304 whose ETag is a bare W/ is not a bare 304", []string{"If-None-Match", `"v1"`}, []string{"Etag", `W/`}, false},
		{"more than 64 tags", []string{"If-None-Match", strings.Repeat(`"x", `, 64) + `"v1"`}, []string{"Etag", `"v1"`}, false},
		{"64 tags", []string{"If-None-Match", strings.Repeat(`"x", `, 63) + `"v1"`}, []string{"Etag", `"v1"`}, true},
		{"RFC 9110 13.1.3: If-Modified-Since ignored with If-None-Match", []string{"If-None-Match", `"v0"`, "If-Modified-Since", lastModified}, []string{"Etag", `"v1"`, "Last-Modified", lastModified}, false},

		{"RFC 9110 13.1.3: the 304's Last-Modified", []string{"If-Modified-Since", lastModified}, []string{"Last-Modified", lastModified}, true},
		{"the same date in the RFC 850 format", []string{"If-Modified-Since", now.Add(-time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT")}, []string{"Last-Modified", lastModified}, true},
		{"the same date in the asctime format", []string{"If-Modified-Since", now.Add(-time.Hour).Format(time.ANSIC)}, []string{"Last-Modified", lastModified}, true},
		{"a later date than the 304's Last-Modified", []string{"If-Modified-Since", now.Add(-time.Minute).Format(http.TimeFormat)}, []string{"Last-Modified", lastModified}, false},
		{"the clock's own second", []string{"If-Modified-Since", now.Format(http.TimeFormat)}, []string{"Last-Modified", lastModified}, false},
		{"a bare 304 and a date not in the future", []string{"If-Modified-Since", now.Format(http.TimeFormat)}, nil, true},
		{"RFC 9110 8.8.2.1: a date a second in the future", []string{"If-Modified-Since", now.Add(time.Second).Format(http.TimeFormat)}, nil, false},
		{"a future date, even when it is the 304's Last-Modified", []string{"If-Modified-Since", now.Add(time.Hour).Format(http.TimeFormat)}, []string{"Last-Modified", now.Add(time.Hour).Format(http.TimeFormat)}, false},
		{"a 304 with only an ETag does not answer a date", []string{"If-Modified-Since", lastModified}, []string{"Etag", `"v1"`}, false},
		{"RFC 9110 13.1.3: a malformed date", []string{"If-Modified-Since", "yesterday"}, nil, false},
		{"RFC 9110 13.1.3: more than one member", []string{"If-Modified-Since", lastModified, "If-Modified-Since", lastModified}, []string{"Last-Modified", lastModified}, false},
		{"a malformed Last-Modified", []string{"If-Modified-Since", lastModified}, []string{"Last-Modified", "soon"}, false},
		{"no validator at all", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/posts", nil)
			for i := 0; i+1 < len(tt.request); i += 2 {
				r.Header.Add(tt.request[i], tt.request[i+1])
			}
			h := http.Header{}
			for i := 0; i+1 < len(tt.response); i += 2 {
				h.Add(tt.response[i], tt.response[i+1])
			}
			assert.Equal(t, tt.want, refundable(r, h, now))
		})
	}
}

// TestRefundableAllocatesNothing: deciding the refund of a client that
// sends back what it got costs no allocation.
func TestRefundableAllocatesNothing(t *testing.T) {
	now := time.Now()
	lastModified := now.Add(-time.Hour).UTC().Format(http.TimeFormat)
	for _, header := range []http.Header{
		{"If-None-Match": {`"x", W/"9a3f04c2e1d07b55"`}},
		{"If-Modified-Since": {lastModified}},
	} {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.Header = header
		h := http.Header{"Etag": {`"9a3f04c2e1d07b55"`}, "Last-Modified": {lastModified}}
		assert.True(t, refundable(r, h, now))
		assert.Zero(t, testing.AllocsPerRun(100, func() { refundable(r, h, now) }), "%v", header)
	}
}

// FuzzRefundable: no If-None-Match or If-Modified-Since makes refundable
// panic; one that holds a bare "*" member is never refunded; a future
// date never is; and a refund needs the 304's ETag among the tags.
func FuzzRefundable(f *testing.F) {
	for _, seed := range [][3]string{
		{`"v1"`, "", `"v1"`}, {`W/"v1", *`, "", `"v1"`}, {`"a,b", "v1"`, "", `W/"v1"`}, {`,,"`, "", ""}, {`*`, "", ""},
		{"", "Mon, 01 Jul 2013 15:47:53 GMT", ""}, {"", "Monday, 01-Jul-13 15:47:53 GMT", ""}, {"", "Tue, 02 Jul 2013 00:00:00 GMT", ""}, {"", "soon", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	now := time.Date(2013, 7, 1, 16, 47, 53, 0, time.UTC)
	f.Fuzz(func(t *testing.T, tags, date, etag string) {
		r := httptest.NewRequest("GET", "/posts", nil)
		if tags != "" {
			r.Header["If-None-Match"] = []string{tags}
		}
		if date != "" {
			r.Header["If-Modified-Since"] = []string{date}
		}
		h := http.Header{}
		if etag != "" {
			h["Etag"] = []string{etag}
		}
		got := refundable(r, h, now)
		if tags == "" {
			if since, err := http.ParseTime(date); got && (err != nil || since.After(now)) {
				t.Fatalf("If-Modified-Since %q refunded", date)
			}
			return
		}
		hasWildcard, named := false, false
		rest := tags
		for rest != "" {
			var member string
			member, rest = etaglist.Next(rest)
			hasWildcard = hasWildcard || member == "*"
			named = named || etag != "" && strings.TrimPrefix(member, "W/") == strings.TrimPrefix(etag, "W/")
		}
		if got && hasWildcard {
			t.Fatalf("If-None-Match %q holds * and was refunded", tags)
		}
		if got && etag != "" && !named {
			t.Fatalf("If-None-Match %q does not name %q and was refunded", tags, etag)
		}
	})
}

// BenchmarkRefundable is the check of every 304: a client that sends back
// the one ETag it got, one that sends a list, and one that sends back
// the Last-Modified.
func BenchmarkRefundable(b *testing.B) {
	now := time.Date(2013, 7, 1, 16, 47, 53, 0, time.UTC)
	lastModified := now.Add(-time.Hour).Format(http.TimeFormat)
	response := http.Header{"Etag": {`"9a3f04c2e1d07b55"`}, "Last-Modified": {lastModified}}
	for _, bc := range []struct {
		name    string
		request http.Header
	}{
		{"etag", http.Header{"If-None-Match": {`"9a3f04c2e1d07b55"`}}},
		{"list", http.Header{"If-None-Match": {`"x", "y", W/"9a3f04c2e1d07b55"`}}},
		{"last-modified", http.Header{"If-Modified-Since": {lastModified}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/posts", nil)
			r.Header = bc.request
			b.ReportAllocs()
			for b.Loop() {
				if !refundable(r, response, now) {
					b.Fatal("not refundable")
				}
			}
		})
	}
}
