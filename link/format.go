package link

import "github.com/myblog/apikit/internal/token"

// Append appends links to dst as one Link field value, in GitHub's form:
//
//	<https://api.myblog.com/posts?page=2>; rel="next", <https://api.myblog.com/posts?page=5>; rel="last"
//
// rel comes first and every value is a quoted-string, so the simplest
// clients (go-github splits on "," and ";" and compares `rel="next"`) read
// it. Bytes that may not appear in a URI, or that would end the <...> or a
// link-value early, are percent-encoded (RFC 3986 §2.1): controls, space,
// '"', '<', '>', '\', '^', '`', '{', '|', '}', bytes above 0x7F, and ','
// (which naive parsers split on). A link with an empty Rel has no rel
// parameter; parameters whose name is not a token are left out.
func Append(dst []byte, links ...Link) []byte {
	for i, l := range links {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '<')
		dst = appendURL(dst, l.URL)
		dst = append(dst, '>')
		if l.Rel != "" {
			dst = append(dst, `; rel=`...)
			dst = appendQuoted(dst, l.Rel)
		}
		for _, p := range l.Params {
			if !token.Valid(p.Name) {
				continue
			}
			dst = append(dst, "; "...)
			dst = append(dst, p.Name...)
			dst = append(dst, '=')
			dst = appendQuoted(dst, p.Value)
		}
	}
	return dst
}

// Format returns links as one Link field value; see Append.
func Format(links ...Link) string {
	var buf [512]byte
	return string(Append(buf[:0], links...))
}

const hexDigits = "0123456789ABCDEF"

func appendURL(dst []byte, u string) []byte {
	for i := 0; i < len(u); i++ {
		c := u[i]
		if mustEscape(c) {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// EscapeURL returns u with the bytes Append percent-encodes encoded, as
// it appears in a header Append writes.
func EscapeURL(u string) string {
	for i := 0; i < len(u); i++ {
		if mustEscape(u[i]) {
			return string(appendURL(make([]byte, 0, len(u)+8), u))
		}
	}
	return u
}

func mustEscape(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return true
	}
	switch c {
	case '"', '<', '>', '\\', '^', '`', '{', '|', '}', ',':
		return true
	}
	return false
}

// appendQuoted appends s as a quoted-string (RFC 9110 §5.6.4); control
// characters, which a quoted-string cannot hold, are left out.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < ' ' && c != '\t', c == 0x7f:
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
