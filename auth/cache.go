package auth

import (
	"hash/maphash"
	"sync"
	"time"
)

// DefaultTokenCacheSize is how many verified access tokens an
// Authenticator remembers by default.
const DefaultTokenCacheSize = 10_000

// tokenCache remembers the claims of access tokens already verified, so
// that a client sending the same token request after request pays for
// the signature and the claims once. An entry is only a shortcut to the
// verdict Tokens.Verify gave: it is used only while the token is valid
// by its own exp and nbf (with the leeway), and the cache is bounded, an
// arbitrary entry making room when a shard is full. Keys are whole tokens,
// signature included, so a token that differs by one byte is verified
// afresh.
type tokenCache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]tokenCacheShard
}

const cacheShards = 32

type tokenCacheShard struct {
	mu      sync.Mutex
	entries map[string]*cachedToken
	_       [40]byte
}

type cachedToken struct {
	subject, id, session, scope string
	expiresAt                   time.Time // when the token stops working, leeway included
	notBefore                   time.Time // when it starts, leeway included
	exp                         time.Time // its exp claim, for Identity.ExpiresAt
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{seed: maphash.MakeSeed(), perShard: max(1, size/cacheShards)}
}

func (c *tokenCache) shard(token string) *tokenCacheShard {
	return &c.shards[maphash.String(c.seed, token)%cacheShards]
}

// get returns the cached claims of token when they are still usable at
// now.
func (c *tokenCache) get(token string, now time.Time) (*cachedToken, bool) {
	s := c.shard(token)
	s.mu.Lock()
	entry, ok := s.entries[token]
	s.mu.Unlock()
	if !ok || !now.Before(entry.expiresAt) || now.Before(entry.notBefore) {
		return nil, false
	}
	return entry, true
}

func (c *tokenCache) put(token string, entry *cachedToken, now time.Time) {
	s := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[string]*cachedToken, c.perShard)
	}
	if len(s.entries) >= c.perShard {
		for k, e := range s.entries {
			if !now.Before(e.expiresAt) || len(s.entries) >= c.perShard {
				delete(s.entries, k)
			}
			if len(s.entries) < c.perShard {
				break
			}
		}
	}
	s.entries[token] = entry
}
