package link_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/myblog/apikit/link"
)

// FuzzParse: the parser never panics, never returns more than MaxLinks
// links, and every URL it returns was written between < and > in the input.
func FuzzParse(f *testing.F) {
	for _, header := range []string{
		`<https://x/p?page=3>; rel="next", <https://x/p?page=5>; rel="last"`,
		`<a,b;c>; rel="next"; title="x, \"y\"; z"`,
		`<a>; rel=next; REL=prev; t`,
		`<a; rel="x", "<b>"`,
		`,,, <a>;;; rel = "next" ,`,
		`<a>; rel="next\`,
	} {
		f.Add(header)
	}
	f.Fuzz(func(t *testing.T, header string) {
		links := link.Parse(header, header)
		if len(links) > link.MaxLinks {
			t.Fatalf("%d links", len(links))
		}
		for _, l := range links {
			if !strings.Contains(header, "<"+l.URL+">") {
				t.Fatalf("URL %q is not in %q", l.URL, header)
			}
			for _, p := range l.Params {
				if p.Name == "" || p.Name != strings.ToLower(p.Name) {
					t.Fatalf("parameter name %q", p.Name)
				}
			}
		}
	})
}

// FuzzRoundTrip: whatever links Format writes, Parse reads back the same.
func FuzzRoundTrip(f *testing.F) {
	f.Add("https://api.myblog.com/posts?page=2&per_page=10", "next", "title", `a "quoted", value`)
	f.Add("a,b<c>d", "next last", "x", `\`)
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, url, rel, name, value string) {
		if !utf8.ValidString(rel) || !utf8.ValidString(value) || strings.ContainsAny(rel+value, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") {
			t.Skip("quoted strings cannot hold control characters")
		}
		in := link.Link{URL: url, Rel: rel}
		if name != "" && !strings.ContainsFunc(name, func(r rune) bool { return !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-_.", r) }) && name != "rel" {
			in.Params = []link.Param{{Name: name, Value: value}}
		}
		out := link.Parse(link.Format(in, in))
		if len(out) != 2 {
			t.Fatalf("Format(%+v) = %q parsed into %d links", in, link.Format(in), len(out))
		}
		want := in
		want.URL = link.EscapeURL(url)
		for _, got := range out {
			if got.URL != want.URL || got.Rel != want.Rel || len(got.Params) != len(want.Params) {
				t.Fatalf("round trip of %+v: %+v", want, got)
			}
			for i := range got.Params {
				if got.Params[i] != want.Params[i] {
					t.Fatalf("round trip of %+v: %+v", want, got)
				}
			}
		}
	})
}
