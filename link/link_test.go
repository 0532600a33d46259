package link_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/link"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []link.Link
	}{
		{"GitHub's pagination links", []string{`<https://api.myblog.com/user/repos?page=3&per_page=100>; rel="next", <https://api.myblog.com/user/repos?page=50&per_page=100>; rel="last"`},
			[]link.Link{{URL: "https://api.myblog.com/user/repos?page=3&per_page=100", Rel: "next"}, {URL: "https://api.myblog.com/user/repos?page=50&per_page=100", Rel: "last"}}},
		{"RFC 8288 3.5: several fields", []string{`<a>; rel="next"`, `<b>; rel="prev"`},
			[]link.Link{{URL: "a", Rel: "next"}, {URL: "b", Rel: "prev"}}},
		{"RFC 8288 3: token value", []string{`<a>; rel=next`}, []link.Link{{URL: "a", Rel: "next"}}},
		{"RFC 8288 3: commas and semicolons inside <...>", []string{`<https://x/a,b;c?d=1,2>; rel="next"`},
			[]link.Link{{URL: "https://x/a,b;c?d=1,2", Rel: "next"}}},
		{"RFC 9110 5.6.4: commas, semicolons and escaped quotes in quoted strings", []string{`<a>; rel="next"; title="one, two; \"three\"", <b>; rel="last"`},
			[]link.Link{{URL: "a", Rel: "next", Params: []link.Param{{Name: "title", Value: `one, two; "three"`}}}, {URL: "b", Rel: "last"}}},
		{"RFC 8288 3: parameter names are case-insensitive", []string{`<a>; REL="next"; Title="T"`},
			[]link.Link{{URL: "a", Rel: "next", Params: []link.Param{{Name: "title", Value: "T"}}}}},
		{"RFC 8288 3.3: several relation types", []string{`<a>; rel="next last"`}, []link.Link{{URL: "a", Rel: "next last"}}},
		{"RFC 8288 3.3: the first rel wins", []string{`<a>; rel="next"; rel="prev"`}, []link.Link{{URL: "a", Rel: "next"}}},
		{"GitHub's JSON-P Link example: a parameter besides rel", []string{`<url1>; rel="next", <url2>; rel="foo"; bar="baz"`},
			[]link.Link{{URL: "url1", Rel: "next"}, {URL: "url2", Rel: "foo", Params: []link.Param{{Name: "bar", Value: "baz"}}}}},
		{"a parameter without a value", []string{`<a>; rel="next"; crossorigin`},
			[]link.Link{{URL: "a", Rel: "next", Params: []link.Param{{Name: "crossorigin"}}}}},
		{"no rel", []string{`<a>; title="x"`}, []link.Link{{URL: "a", Params: []link.Param{{Name: "title", Value: "x"}}}}},
		{"RFC 9110 5.6.3: whitespace around separators", []string{" \t<a> ;\trel = \"next\" ,<b>;rel=prev ; "},
			[]link.Link{{URL: "a", Rel: "next"}, {URL: "b", Rel: "prev"}}},
		{"RFC 9110 5.6.1: empty list elements", []string{`, ,<a>; rel="next",,`}, []link.Link{{URL: "a", Rel: "next"}}},
		{"a malformed link is skipped, the next one kept", []string{`garbage; rel="x", <b>; rel="next"`}, []link.Link{{URL: "b", Rel: "next"}}},
		{"an unterminated < loses only its own link", []string{`<a; rel="next", <b>; rel="last"`}, []link.Link{{URL: "b", Rel: "last"}}},
		{"an unterminated quote", []string{`<a>; rel="next, <b>; rel="last"`}, nil},
		{"junk after a link", []string{`<a>; rel="next" junk, <b>; rel="last"`}, []link.Link{{URL: "b", Rel: "last"}}},
		{"empty", []string{""}, nil},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, link.Parse(tt.values...))
		})
	}
}

func TestParseCapsLinks(t *testing.T) {
	header := strings.Repeat(`<a>; rel="next", `, 1000)
	assert.Len(t, link.Parse(header), link.MaxLinks)
	assert.Len(t, link.Parse(header, `<b>; rel="last"`), link.MaxLinks, "across fields too")
}

func TestParseCapsParams(t *testing.T) {
	header := "<a>" + strings.Repeat(`; p="v"`, 100)
	links := link.Parse(header)
	require.Len(t, links, 1)
	assert.Len(t, links[0].Params, 16)
}

func TestHasRelAndParam(t *testing.T) {
	l := link.Parse(`<a>; rel="Next last"; Title="T"`)[0]
	assert.True(t, l.HasRel("next"))
	assert.True(t, l.HasRel("LAST"))
	assert.False(t, l.HasRel("prev"))
	v, ok := l.Param("TITLE")
	assert.True(t, ok)
	assert.Equal(t, "T", v)
	_, ok = l.Param("type")
	assert.False(t, ok)
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name  string
		links []link.Link
		want  string
	}{
		{"GitHub's four links, rel first and quoted",
			[]link.Link{{URL: "https://x/p?page=3", Rel: "next"}, {URL: "https://x/p?page=5", Rel: "last"}, {URL: "https://x/p?page=1", Rel: "first"}, {URL: "https://x/p?page=1", Rel: "prev"}},
			`<https://x/p?page=3>; rel="next", <https://x/p?page=5>; rel="last", <https://x/p?page=1>; rel="first", <https://x/p?page=1>; rel="prev"`},
		{"commas and unsafe bytes in the URL are percent-encoded",
			[]link.Link{{URL: "https://x/p?tags=a,b&q=x y<>\"é", Rel: "next"}},
			`<https://x/p?tags=a%2Cb&q=x%20y%3C%3E%22%C3%A9>; rel="next"`},
		{"parameters quoted and escaped; bad names left out",
			[]link.Link{{URL: "a", Rel: "next", Params: []link.Param{{Name: "title", Value: `say "hi" \ bye`}, {Name: "bad name", Value: "x"}}}},
			`<a>; rel="next"; title="say \"hi\" \\ bye"`},
		{"no rel", []link.Link{{URL: "a"}}, `<a>`},
		{"nothing", nil, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, link.Format(tt.links...))
		})
	}
}

func TestRoundTrip(t *testing.T) {
	links := []link.Link{
		{URL: "https://api.myblog.com/posts?page=2&per_page=10", Rel: "next"},
		{URL: "https://api.myblog.com/posts?page=9&per_page=10", Rel: "last", Params: []link.Param{{Name: "title", Value: `the "last", page; really`}}},
	}
	assert.Equal(t, links, link.Parse(link.Format(links...)))
}

func TestEscapeURL(t *testing.T) {
	assert.Equal(t, "https://x/a", link.EscapeURL("https://x/a"))
	assert.Equal(t, "https://x/a%2Cb", link.EscapeURL("https://x/a,b"))
}
