// Package etaglist splits the entity-tag lists of If-Match and
// If-None-Match (RFC 9110 §13.1.1, §13.1.2) into their members, for the
// packages that read them (conditional answers them, ratelimit decides
// whether their 304 is free).
package etaglist

import "strings"

// Next splits the first member off v, a comma-separated list of
// entity-tags or "*", and returns it without the whitespace around it,
// and the rest of the list. Entity-tags may hold commas inside their
// quotes (RFC 9110 §8.8.3: etagc is any visible character but DQUOTE),
// so a comma inside quotes does not end a member. Empty members (",,")
// come back as "". It allocates nothing.
func Next(v string) (member, rest string) {
	v = strings.TrimLeft(v, " \t,")
	inQuotes := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuotes = !inQuotes
		case ',':
			if !inQuotes {
				return strings.TrimRight(v[:i], " \t"), v[i+1:]
			}
		}
	}
	return strings.TrimRight(v, " \t"), ""
}
