package mediatype

// maxRanges bounds the media ranges read from Accept, over all its field
// lines: a client has no reason to send more, and an attacker's thousands
// must not cost us more than the first few. The rest of the field is
// ignored, as if it were not there.
const maxRanges = 32

// mediaRange is one element of an Accept field (RFC 9110 §12.5.1):
//
//	media-range = ( "*/*" / ( type "/" "*" ) / ( type "/" subtype ) ) parameters
//	weight      = OWS ";" OWS "q=" qvalue
//
// type and subtype are slices of the field, in the client's case.
type mediaRange struct {
	typ, subtype string
	weight       int // qvalue × 1000: 0 to 1000
}

// rangeScanner reads the media ranges of the Accept field lines one by one,
// without allocating. Several field lines are one list (RFC 9110 §5.3).
type rangeScanner struct {
	lines []string
	rest  string // what is left of the current line
	read  int
}

// next returns the next media range. ok is false once the field is read
// or maxRanges ranges were; valid is false for a range that does not
// parse, which the caller ignores (RFC 9110 §5.6.1 lets a recipient skip
// the elements it cannot read).
func (sc *rangeScanner) next() (r mediaRange, valid, ok bool) {
	for {
		sc.rest = skipEmptyElements(sc.rest)
		if sc.rest != "" {
			break
		}
		if len(sc.lines) == 0 {
			return mediaRange{}, false, false
		}
		sc.rest, sc.lines = sc.lines[0], sc.lines[1:]
	}
	if sc.read == maxRanges {
		return mediaRange{}, false, false
	}
	sc.read++
	r, rest, valid := parseRange(sc.rest)
	if !valid {
		rest = skipElement(sc.rest)
	}
	sc.rest = rest
	return r, valid, true
}

// parseRange parses the media range at the start of s and returns what
// follows it (empty, or starting with the ',' before the next element).
func parseRange(s string) (r mediaRange, rest string, ok bool) {
	r.typ, s = cutToken(s)
	if r.typ == "" || s == "" || s[0] != '/' {
		return r, s, false
	}
	r.subtype, s = cutToken(s[1:])
	if r.subtype == "" || r.typ == "*" && r.subtype != "*" {
		return r, s, false
	}
	r.weight = 1000
	weighted := false
	for {
		// parameters = *( OWS ";" OWS [ parameter ] )
		s = trimOWS(s)
		if s == "" || s[0] == ',' {
			return r, s, true
		}
		if s[0] != ';' {
			return r, s, false
		}
		s = trimOWS(s[1:])
		if s == "" || s[0] == ',' || s[0] == ';' {
			continue // an empty parameter is allowed
		}
		// parameter = parameter-name "=" parameter-value, no space around
		// "=" (RFC 9110 §5.6.6).
		var name string
		name, s = cutToken(s)
		if name == "" || s == "" || s[0] != '=' {
			return r, s, false
		}
		s = s[1:]
		var value string
		quoted := s != "" && s[0] == '"'
		if quoted {
			value, s, ok = cutQuoted(s)
		} else {
			value, s = cutToken(s)
			ok = value != ""
		}
		if !ok {
			return r, s, false
		}
		// The first "q" is the weight (RFC 9110 §12.4.2; "q=" is an ABNF
		// literal, so case-insensitive: RFC 5234 §2.3);
		// parameters after it are RFC 7231's accept-ext, read and ignored.
		// Other media-type parameters (charset=utf-8) do not change what
		// the range matches: the service has one JSON in UTF-8.
		if !weighted && (name == "q" || name == "Q") {
			weighted = true
			if quoted {
				return r, s, false
			}
			if r.weight, ok = parseQValue(value); !ok {
				return r, s, false
			}
		}
	}
}

// parseQValue parses a weight (RFC 9110 §12.4.2) into thousandths:
//
//	qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' || len(s) > 1 && s[1] != '.' {
		return 0, false
	}
	weight := 0
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		weight += int(c-'0') * scale
		scale /= 10
	}
	if s[0] == '1' {
		if weight != 0 {
			return 0, false
		}
		return 1000, true
	}
	return weight, true
}

// cutToken returns the token at the start of s and the rest.
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && isTokenChar[s[i]] {
		i++
	}
	return s[:i], s[i:]
}

// cutQuoted returns the quoted-string at the start of s, quotes included,
// and the rest (RFC 9110 §5.6.4).
func cutQuoted(s string) (quoted, rest string, ok bool) {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[:i+1], s[i+1:], true
		case c == '\\':
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
			if i+1 == len(s) || !isQuotedChar(s[i+1]) && s[i+1] != '"' && s[i+1] != '\\' {
				return "", s, false
			}
			i++
		case !isQuotedChar(c):
			return "", s, false
		}
	}
	return "", s, false // no closing quote
}

// isQuotedChar reports whether c is qdtext: HTAB, SP, VCHAR but '"' and
// '\', or obs-text.
func isQuotedChar(c byte) bool {
	return c == '\t' || c == ' ' || c >= 0x21 && c != '"' && c != '\\' && c != 0x7f
}

// skipElement skips a malformed element up to the ',' ending it, outside
// quoted-strings, so that a comma inside quotes does not start a new one.
func skipElement(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			return s[i:]
		}
	}
	return ""
}

// skipEmptyElements skips whitespace and the empty elements a list may
// hold ("a, , b", RFC 9110 §5.6.1).
func skipEmptyElements(s string) string {
	for len(s) > 0 && (s[0] == ',' || s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// trimOWS trims optional whitespace from the start of s (RFC 9110 §5.6.3).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// isTokenChar holds tchar (RFC 9110 §5.6.2).
var isTokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
