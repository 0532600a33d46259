// Package token holds the one definition of an HTTP token (RFC 9110
// §5.6.2) that every apikit package checks field names, parameter names
// and media-type parts against.
package token

// Char reports whether c is a tchar:
//
//	tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//	        "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
func Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// Valid reports whether s is a token: one or more tchars.
func Valid(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !Char(s[i]) {
			return false
		}
	}
	return true
}

// EqualFold reports whether a and b are equal ignoring ASCII case only.
// Everything HTTP compares case-insensitively (scheme names, media types,
// field names, parameter names, RFC 9110 §5.1, §8.3.1, §11.1) is ASCII;
// strings.EqualFold's Unicode folding would let "\u212a" (the Kelvin
// sign) stand for "k" and "\u017f" (the long s) for "s", so "to\u212aen"
// would pass for "token".
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// HasPrefixFold is strings.HasPrefix with EqualFold's rules.
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && EqualFold(s[:len(prefix)], prefix)
}
