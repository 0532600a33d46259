package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTokenCacheSize is how many verified access tokens an
// Authenticator remembers by default.
const DefaultTokenCacheSize = 10_000

// tokenCache remembers the claims of access tokens already verified, so
// that a client sending the same token request after request pays for
// the signature and the claims once. An entry is only a shortcut to the
// verdict Tokens.Verify gave: it is used only while the token is valid
// by its own exp and nbf (with the leeway). Keys are whole tokens,
// signature included, so a token that differs by one byte is verified
// afresh.
//
// Reads take no lock (a sync.Map), so one token shared by many
// goroutines, a service account's, costs no contention. The cache is
// bounded: when a put takes it past its size, one goroutine sweeps it,
// dropping expired entries first and then arbitrary ones, down to 7/8 of
// the size, so sweeps are rare.
type tokenCache struct {
	size    int64
	entries sync.Map // string → *cachedToken
	count   atomic.Int64
	sweep   sync.Mutex
}

type cachedToken struct {
	subject, id, session, scope string
	scopesHeader                []string  // X-OAuth-Scopes of a scoped token, made once
	expiresAt                   time.Time // when the token stops working, leeway included
	notBefore                   time.Time // when it starts, leeway included
	exp                         time.Time // its exp claim, for Identity.ExpiresAt
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{size: int64(max(1, size))}
}

// get returns the cached claims of token when they are still usable at
// now.
func (c *tokenCache) get(token string, now time.Time) (*cachedToken, bool) {
	v, ok := c.entries.Load(token)
	if !ok {
		return nil, false
	}
	entry := v.(*cachedToken)
	if !now.Before(entry.expiresAt) || now.Before(entry.notBefore) {
		return nil, false
	}
	return entry, true
}

func (c *tokenCache) put(token string, entry *cachedToken, now time.Time) {
	if _, loaded := c.entries.Swap(token, entry); loaded {
		return
	}
	if c.count.Add(1) > c.size && c.sweep.TryLock() {
		defer c.sweep.Unlock()
		c.evict(token, now)
	}
}

// evict drops expired entries, then arbitrary ones other than keep (the
// token just verified), until the cache holds at most 7/8 of its size.
func (c *tokenCache) evict(keep string, now time.Time) {
	target := max(1, c.size-c.size/8)
	c.entries.Range(func(k, v any) bool {
		if !now.Before(v.(*cachedToken).expiresAt) {
			c.delete(k)
		}
		return true
	})
	c.entries.Range(func(k, _ any) bool {
		if c.count.Load() <= target {
			return false
		}
		if k != keep {
			c.delete(k)
		}
		return true
	})
}

func (c *tokenCache) delete(k any) {
	if _, loaded := c.entries.LoadAndDelete(k); loaded {
		c.count.Add(-1)
	}
}

// len is the number of entries, for tests.
func (c *tokenCache) len() int { return int(c.count.Load()) }
