package auth

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast path of other issuers' tokens: their header and claims are
// decoded by hand, as the own tokens' claims are (claims.go), when they
// hold only what such tokens usually do: strings without escapes,
// numbers, "aud" as a string or an array of at most externalAudiences
// strings, "scope" as a string, "scp" as a string or an array of
// strings, and any other claim, which is skipped. Anything else (an
// escape, a key that names a claim only case-insensitively, invalid
// UTF-8, a "crit" or "b64" header) goes to encoding/json, which stays
// the reference and decides.

// externalAudiences is how many audiences the fast path keeps; a token
// naming more goes to encoding/json.
const externalAudiences = 4

var externalClaimNames = []string{"iss", "sub", "jti", "exp", "nbf", "iat", "aud", "scope", "scp"}

// decodeExternalHeader reads alg and kid from a header the fast path
// takes; reports false for any other.
func decodeExternalHeader(header string) (alg, kid string, ok bool) {
	if !utf8.ValidString(header) {
		return "", "", false
	}
	d := claimsDecoder{s: header}
	ok = d.object(func(key string) bool {
		switch key {
		case "alg":
			return d.stringClaim(&alg)
		case "kid":
			if !d.plainStringValue(&kid) || kid == "" {
				return false // encoding/json's path refuses an empty kid, with the reason
			}
			return true
		}
		return !mayName(key, externalHeaderNames) && d.skipValue(0)
	})
	return alg, kid, ok
}

// externalHeaderNames are the header parameters the fast path reads or
// leaves to encoding/json (crit and b64 are refused there).
var externalHeaderNames = []string{"alg", "kid", "crit", "b64"}

// plainStringValue reads a string (not null) without escapes.
func (d *claimsDecoder) plainStringValue(dst *string) bool {
	v, ok := d.plainString()
	if ok {
		*dst = v
	}
	return ok
}

// decodeExternalClaims reads the claims of a token the fast path takes
// into c; reports false for any other.
func decodeExternalClaims(payload string, c *externalClaims) bool {
	if !utf8.ValidString(payload) {
		return false
	}
	d := claimsDecoder{s: payload}
	return d.object(func(key string) bool {
		switch key {
		case "iss":
			return d.stringClaim(&c.Issuer)
		case "sub":
			return d.stringClaim(&c.Subject)
		case "jti":
			return d.stringClaim(&c.ID)
		case "exp":
			return d.dateClaim(&c.ExpiresAt, &c.exp)
		case "nbf":
			return d.dateClaim(&c.NotBefore, &c.nbf)
		case "iat":
			return d.dateClaim(&c.IssuedAt, &c.iat)
		case "aud":
			return d.stringList((*[]string)(&c.Audience), c.audienceBuf[:0], false)
		case "scope":
			return d.scopes((*[]string)(&c.Scope))
		case "scp":
			return d.scopes((*[]string)(&c.Scp))
		}
		// encoding/json matches keys case-insensitively.
		return !mayName(key, externalClaimNames) && d.skipValue(0)
	})
}

// mayName reports whether key may name one of names (each starting
// with a lower-case ASCII letter) case-insensitively, as encoding/json
// matches keys (strings.EqualFold). A key whose first byte is an ASCII
// character no name starts with, in either case, names none: most
// claims a provider adds (namespaced URLs, org_id, azp) and "typ" are
// told apart by one comparison. Any other key is namesAny's to decide,
// one beginning with a non-ASCII rune included ("ſub" folds to "sub").
func mayName(key string, names []string) bool {
	if key == "" || key[0] >= utf8.RuneSelf {
		return namesAny(key, names)
	}
	first := key[0] | 0x20 // the lower case of an ASCII letter
	for _, name := range names {
		if name[0] == first {
			return namesAny(key, names)
		}
	}
	return false
}

// dateClaim reads a NumericDate into *slot, pointing *dst at it; null
// leaves the claim absent, as encoding/json does.
func (d *claimsDecoder) dateClaim(dst **float64, slot *float64) bool {
	if d.null() {
		*dst = nil
		return true
	}
	d.space()
	start := d.i
	if !d.number() {
		return false
	}
	if seconds, ok := wholeSeconds(d.s[start:d.i]); ok {
		*slot = seconds
	} else {
		f, err := strconv.ParseFloat(d.s[start:d.i], 64)
		if err != nil {
			return false
		}
		*slot = f
	}
	*dst = slot
	return true
}

// wholeSeconds converts a JSON number of at most 15 digits and nothing
// else, the whole seconds providers write, to what strconv.ParseFloat
// would return: below 2^53, every such integer is a float64 exactly.
func wholeSeconds(number string) (float64, bool) {
	if len(number) > 15 {
		return 0, false
	}
	var v uint64
	for i := range len(number) {
		c := number[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return float64(v), true
}

// scopes reads "scope" or "scp": a space-separated string or an array
// of strings.
func (d *claimsDecoder) scopes(dst *[]string) bool {
	if d.null() {
		*dst = nil
		return true
	}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '"' {
		v, ok := d.plainString()
		*dst = strings.Fields(v)
		return ok
	}
	return d.stringList(dst, nil, true)
}

// stringList reads a string (when single) or an array of strings into
// *dst, appending to buf (a slice of a fixed array, bounded by its
// capacity unless unbounded).
func (d *claimsDecoder) stringList(dst *[]string, buf []string, unbounded bool) bool {
	if d.null() {
		*dst = nil
		return true
	}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '"' {
		v, ok := d.plainString()
		*dst = append(buf, v)
		return ok
	}
	if !d.consume('[') {
		return false
	}
	list := buf
	if !d.consume(']') {
		for {
			v, ok := d.plainString()
			if !ok || (!unbounded && len(list) == cap(list)) {
				return false
			}
			list = append(list, v)
			if d.consume(',') {
				continue
			}
			if !d.consume(']') {
				return false
			}
			break
		}
	}
	if list == nil {
		list = []string{} // [] is an empty list, not an absent claim
	}
	*dst = list
	return true
}
