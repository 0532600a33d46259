package link

import (
	"strings"

	"github.com/myblog/apikit/internal/token"
)

// Link is one link-value of a Link header (RFC 8288 §3).
type Link struct {
	// URL is the target, the URI-Reference between < and >, as written.
	URL string
	// Rel is the relation type of the first rel parameter ("next"), or
	// several, space-separated ("next last"). Empty when there is none.
	Rel string
	// Params are the other target attributes, in order, with lower-case
	// names; a parameter without a value has an empty Value.
	Params []Param
}

// Param is one target attribute of a link: title="Page 2" is
// {Name: "title", Value: "Page 2"}.
type Param struct {
	Name  string
	Value string
}

// HasRel reports whether l has the relation type rel, compared
// case-insensitively (RFC 8288 §2.1.1), among its space-separated Rel.
func (l Link) HasRel(rel string) bool {
	for r := range strings.FieldsSeq(l.Rel) {
		if token.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// Param returns the value of l's first parameter called name (compared
// case-insensitively), and whether it has one.
func (l Link) Param(name string) (string, bool) {
	for _, p := range l.Params {
		if token.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// MaxLinks bounds how many links Parse reads from the fields of one
// header: more than any real response carries, and a bound on the work
// and memory a hostile header can cause. Links past it are ignored.
const MaxLinks = 64

// maxParams bounds the parameters kept per link.
const maxParams = 16

// Parse parses the field values of Link header fields (RFC 8288 §3):
//
//	Link       = #link-value
//	link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//	link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//
// Several values (field lines) and several links per value are read in
// order; commas and semicolons inside <...> and inside quoted strings are
// part of them; quoted strings lose their quotes and backslash escapes;
// parameter names are lower-cased; the first rel wins and later ones are
// ignored (§3.3). A link-value that does not parse is skipped up to the
// next comma outside quotes and brackets, so one bad link never hides the
// others. At most MaxLinks links are returned. The strings returned share
// memory with values unless an escape had to be removed.
func Parse(values ...string) []Link {
	var p parser
	n := 0
	for _, v := range values {
		n += strings.Count(v, "<")
	}
	if n == 0 {
		return nil
	}
	p.links = make([]Link, 0, min(n, MaxLinks))
	for _, v := range values {
		if !p.parseValue(v) {
			break
		}
	}
	return p.finish()
}

// ParseHeader parses every Link field of h.
func ParseHeader(h map[string][]string) []Link {
	return Parse(h["Link"]...)
}

type parser struct {
	links  []Link
	params []Param
	bounds [MaxLinks]int32 // start of each link's params in params
}

func (p *parser) finish() []Link {
	if len(p.links) == 0 {
		return nil
	}
	for i := range p.links {
		start := int(p.bounds[i])
		end := len(p.params)
		if i+1 < len(p.links) {
			end = int(p.bounds[i+1])
		}
		if end > start {
			p.links[i].Params = p.params[start:end:end]
		}
	}
	return p.links
}

// parseValue parses one field value; it reports false once MaxLinks
// links have been read.
func (p *parser) parseValue(s string) bool {
	i := 0
	for {
		i = skipSpaceAndCommas(s, i)
		if i >= len(s) {
			return true
		}
		if len(p.links) == MaxLinks {
			return false
		}
		next, ok := p.parseLink(s, i)
		if !ok {
			next = skipElement(s, i)
		}
		i = next
	}
}

// parseLink parses the link-value at s[i:]. It returns the index after it
// (at a comma or the end) and whether it was well-formed; a malformed one
// adds nothing.
func (p *parser) parseLink(s string, i int) (int, bool) {
	if s[i] != '<' {
		return i, false
	}
	end := strings.IndexByte(s[i+1:], '>')
	if end < 0 {
		return i, false
	}
	if inner := strings.IndexByte(s[i+1:i+1+end], '<'); inner >= 0 {
		// A URI-Reference holds no '<' (RFC 3986 §2): this link lost its
		// '>', and the '<' starts the next one.
		return i + 1 + inner, true
	}
	l := Link{URL: s[i+1 : i+1+end]}
	mark := len(p.params)
	i += end + 2
	haveRel := false
	for {
		i = skipSpace(s, i)
		if i >= len(s) || s[i] == ',' {
			break
		}
		if s[i] != ';' {
			p.params = p.params[:mark]
			return i, false
		}
		i = skipSpace(s, i+1)
		nameEnd := i
		for nameEnd < len(s) && token.Char(s[nameEnd]) {
			nameEnd++
		}
		if nameEnd == i {
			if nameEnd >= len(s) || s[nameEnd] == ',' {
				break // a trailing ";" with nothing after it
			}
			p.params = p.params[:mark]
			return i, false
		}
		name := lower(s[i:nameEnd])
		i = skipSpace(s, nameEnd)
		var value string
		if i < len(s) && s[i] == '=' {
			i = skipSpace(s, i+1)
			var ok bool
			value, i, ok = parseValueToken(s, i)
			if !ok {
				p.params = p.params[:mark]
				return i, false
			}
		}
		switch {
		case name == "rel":
			if !haveRel {
				l.Rel, haveRel = value, true
			}
		case len(p.params)-mark < maxParams:
			p.params = append(p.params, Param{Name: name, Value: value})
		}
	}
	p.bounds[len(p.links)] = int32(mark)
	p.links = append(p.links, l)
	return i, true
}

// parseValueToken parses a token or a quoted-string (RFC 9110 §5.6.2,
// §5.6.4) at s[i:].
func parseValueToken(s string, i int) (string, int, bool) {
	if i < len(s) && s[i] == '"' {
		return parseQuoted(s, i)
	}
	start := i
	for i < len(s) && token.Char(s[i]) {
		i++
	}
	return s[start:i], i, true
}

// parseQuoted parses the quoted-string at s[i:], which starts with '"'.
func parseQuoted(s string, i int) (string, int, bool) {
	start := i + 1
	escaped := false
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return s[start:j], j + 1, true
			}
			return unescape(s[start:j]), j + 1, true
		}
	}
	return "", len(s), false
}

// unescape removes the backslashes of a quoted-pair (RFC 9110 §5.6.4).
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// skipElement returns the index of the comma that ends the malformed
// element at s[i:], ignoring commas inside <...> and quoted strings.
func skipElement(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ',':
			return i
		case '<':
			if end := strings.IndexByte(s[i:], '>'); end >= 0 {
				i += end
			}
		case '"':
			_, next, _ := parseQuoted(s, i)
			i = next - 1
		}
		i++
	}
	return len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func skipSpaceAndCommas(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
		i++
	}
	return i
}

// lower returns s in lower case, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
