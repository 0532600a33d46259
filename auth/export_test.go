package auth

// TokenRefusal exposes tokenRefusal to the external tests, which hold the
// table of refused tokens.
var TokenRefusal = tokenRefusal

// BasicCacheLen is how many Basic credentials a remembers.
func BasicCacheLen(a *Authenticator) int { return a.basicCache.len() }

// BasicWaiters is how many requests wait on a password check another
// request with the same credential runs.
func BasicWaiters(a *Authenticator) int {
	c := a.basicCache
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.flights {
		n += f.waiters
	}
	return n
}
