package auth

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// An issuer writes the same JOSE header for every token one key signs
// ({"alg":"RS256","typ":"JWT","kid":"..."}, byte for byte), so an Issuer
// remembers, for the few header segments of the tokens it verified, the
// algorithm, the kid and the key they resolved to; a later token
// with the same segment skips decoding the header and looking the key
// up. The rules that keep this from accepting anything the full way
// would refuse:
//
//   - an entry is made only for a token that verified, every check of
//     its header, of the algorithm's binding to the key, of its
//     signature and of its claims passed: a refused header, or one a
//     forger made up, is never remembered (nor evicts one that is);
//   - an entry holds only while the issuer's key set is the very one its
//     key was found in (the same parsed set, not one fetched since) and
//     fresh: a fetch that rotates or withdraws a key makes every entry
//     stale, and an expired set is fetched again as without the cache;
//   - the segment is compared whole, so a header differing in one byte
//     is decoded and checked on its own.

// headerCacheSlots bounds the header segments an Issuer remembers: each
// has one slot, chosen by a hash of the segment, and replaces the one
// there. Issuers sign with one to three keys at a time.
const headerCacheSlots = 64

// headerCache is safe for concurrent use: a slot is read and replaced
// whole, atomically.
type headerCache struct {
	seed  maphash.Seed
	slots [headerCacheSlots]atomic.Pointer[resolvedHeader]
}

// resolvedHeader is a token's header segment, what it names and the key
// it resolved to in keys.
type resolvedHeader struct {
	segment  string
	alg, kid string
	keys     *keyMap
	key      *publicKey
}

func newHeaderCache() *headerCache { return &headerCache{seed: maphash.MakeSeed()} }

func (c *headerCache) slot(segment string) *atomic.Pointer[resolvedHeader] {
	return &c.slots[maphash.String(c.seed, segment)%headerCacheSlots]
}

// get returns what segment resolved to in keys, if it was remembered
// from keys.
func (c *headerCache) get(segment string, keys *keyMap) (*resolvedHeader, bool) {
	h := c.slot(segment).Load()
	if h == nil || h.keys != keys || h.segment != segment {
		return nil, false
	}
	return h, true
}

// put remembers h, the header of a token that verified with h.key, found
// in h.keys.
func (c *headerCache) put(h resolvedHeader) {
	h.segment = strings.Clone(h.segment) // not the token it was sliced from
	c.slot(h.segment).Store(&h)
}

// decodeHeader decodes a token's JOSE header segment, refusing what no
// verification could accept: bad base64url or JSON, a "crit" header (no
// extension is understood), an unencoded payload (b64: false), an empty
// kid.
func decodeHeader(segment string) (alg, kid string, err error) {
	if strictBase64.DecodedLen(len(segment)) > maxHeaderJSON {
		return "", "", fmt.Errorf("%w: the header is longer than %d bytes", jwt.ErrTokenMalformed, maxHeaderJSON)
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	header, err := sc.decode(segment)
	if err != nil {
		return "", "", fmt.Errorf("%w: header: %w", jwt.ErrTokenMalformed, err)
	}
	if alg, kid, ok := decodeExternalHeader(string(header)); ok {
		return alg, kid, nil
	}
	var h externalHeader
	if err := json.Unmarshal(header, &h); err != nil {
		return "", "", fmt.Errorf("%w: header: %w", jwt.ErrTokenMalformed, err)
	}
	if h.Crit != nil || (h.B64 != nil && !*h.B64) {
		return "", "", fmt.Errorf("%w: the header asks for an extension (crit, b64) this service does not implement", jwt.ErrTokenUnverifiable)
	}
	if h.Kid != nil {
		if *h.Kid == "" {
			return "", "", fmt.Errorf("%w: kid is empty", jwt.ErrTokenMalformed)
		}
		kid = *h.Kid
	}
	return h.Alg, kid, nil
}
