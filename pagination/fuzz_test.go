package pagination_test

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/myblog/apikit/link"
	"github.com/myblog/apikit/pagination"
)

// FuzzLinks: for any query a client sends and any page and total, the
// Link header parses back into exactly the links built, each URL is an
// absolute URL whose page parameter is the page it claims, and nothing
// panics.
func FuzzLinks(f *testing.F) {
	f.Add("page=2&per_page=10", 95)
	f.Add("sort=created,updated&page=x", 31)
	f.Add("q=%22a%22%3Cb%3E&page=3&page=4", 1000)
	f.Add(";;&&==", 0)
	p, err := pagination.New(pagination.Config{Clamp: true, BaseURL: "https://api.myblog.com"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawQuery string, total int) {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.URL.RawQuery = rawQuery
		page, ok := p.Page(httptest.NewRecorder(), r)
		if !ok {
			t.Fatalf("Clamp must not refuse %q", rawQuery)
		}
		built := p.Links(r, page, total)
		w := httptest.NewRecorder()
		p.SetLinks(w, r, page, total)
		parsed := link.Parse(w.Header().Values("Link")...)
		if len(parsed) != len(built) {
			t.Fatalf("built %d links, parsed %d from %q", len(built), len(parsed), w.Header().Get("Link"))
		}
		for i, l := range parsed {
			if l.Rel != built[i].Rel || l.URL != link.EscapeURL(built[i].URL) {
				t.Fatalf("link %d: built %+v, parsed %+v", i, built[i], l)
			}
			u, err := url.Parse(l.URL)
			if err != nil || u.Scheme != "https" || u.Host != "api.myblog.com" {
				t.Fatalf("link %q: %v", l.URL, err)
			}
			number, err := strconv.Atoi(queryFirst(u.RawQuery, "page"))
			if err != nil || number < 1 {
				t.Fatalf("link %q has no valid page", l.URL)
			}
		}
	})
}

// FuzzDeepLinks: with MaxOffset, for any query and total, Clamp keeps
// the page in reach, and the links of DeepLinks parse back, never offer
// a page number past the reach, and carry last only when the whole list
// is in reach.
func FuzzDeepLinks(f *testing.F) {
	f.Add("page=100", 1000000)
	f.Add("page=5&per_page=7", 40)
	f.Add("per_page=100&page=31", 3001)
	const maxOffset = 3000
	p, err := pagination.New(pagination.Config{Clamp: true, BaseURL: "https://api.myblog.com", MaxOffset: maxOffset})
	if err != nil {
		f.Fatal(err)
	}
	next := pagination.Cursor{Param: pagination.After, Value: "K+/="}
	f.Fuzz(func(t *testing.T, rawQuery string, total int) {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.URL.RawQuery = rawQuery
		page, ok := p.Page(httptest.NewRecorder(), r)
		if !ok {
			t.Fatalf("Clamp must not refuse %q", rawQuery)
		}
		if page.Offset() >= maxOffset {
			t.Fatalf("page %d of %d starts past the reach", page.Number, page.PerPage)
		}
		w := httptest.NewRecorder()
		p.SetDeepLinks(w, r, page, total, next)
		for _, l := range link.Parse(w.Header().Values("Link")...) {
			u, err := url.Parse(l.URL)
			if err != nil {
				t.Fatalf("link %q: %v", l.URL, err)
			}
			if raw := queryFirst(u.RawQuery, "page"); raw != "" {
				number, err := strconv.Atoi(raw)
				if err != nil || number < 1 || (number-1)*page.PerPage >= maxOffset {
					t.Fatalf("link %q names a page out of reach", l.URL)
				}
			}
			if l.Rel == "last" && total > maxOffset && (total-1)/page.PerPage+1 > (maxOffset-1)/page.PerPage+1 {
				t.Fatalf("last %q for a list past the reach", l.URL)
			}
		}
	})
}

func queryFirst(rawQuery, name string) string {
	for _, pair := range splitAmp(rawQuery) {
		if len(pair) > len(name) && pair[:len(name)+1] == name+"=" {
			return pair[len(name)+1:]
		}
	}
	return ""
}

func splitAmp(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '&' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
