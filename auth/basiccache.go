package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
)

// Defaults of Config.BasicCacheTTL and Config.BasicCacheSize.
const (
	DefaultBasicCacheTTL  = time.Minute
	DefaultBasicCacheSize = 10_000
)

// errCheckPanicked is the cause of the 500 the requests waiting on a
// password check get when the check panicked.
var errCheckPanicked = errors.New("auth: the password check panicked")

// basicKey is a credential's key in the cache: HMAC-SHA256, under a key
// made at random when the Authenticator is built, of the login and the
// password. The cache never holds a password, nor anything an attacker
// who reads the process's memory could test guesses against offline
// without that key too, which is in the same memory: the point is that
// no plain or fast-hashed password sits in a map.
type basicKey [sha256.Size]byte

type basicEntry struct {
	subject string
	expires time.Time
}

// basicFlight is one password check in progress: the requests that
// carry the same credential while it runs wait for its verdict instead
// of running bcrypt (and counting a lockout attempt) each.
type basicFlight struct {
	done    chan struct{}
	subject string
	refusal *apierrors.Error
	waiters int // under basicCache.mu, for the tests
}

// basicCache remembers, for TTL, the credentials of Basic requests that
// passed the password check, so that a client repeating them (a script,
// GitHub's own clients with a personal credential) pays for bcrypt once
// per TTL instead of once per request; and it joins concurrent checks of
// one credential into one. It is bounded: a put past its size drops
// expired entries, then arbitrary ones, down to 7/8 of it.
type basicCache struct {
	secret []byte
	ttl    time.Duration
	size   int

	mu         sync.Mutex
	entries    map[basicKey]basicEntry
	flights    map[basicKey]*basicFlight
	generation uint64 // bumped by forget: a check that began before does not store its verdict
}

func newBasicCache(ttl time.Duration, size int) *basicCache {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24)
	return &basicCache{
		secret:  secret,
		ttl:     ttl,
		size:    size,
		entries: make(map[basicKey]basicEntry),
		flights: make(map[basicKey]*basicFlight),
	}
}

// key is the key of a login, password and two-factor code (empty
// without one).
func (c *basicCache) key(login, password, code string) basicKey {
	mac := hmac.New(sha256.New, c.secret)
	// Each length first, so that ("ab", "c") and ("a", "bc") differ.
	for _, s := range [...]string{login, password} {
		n := len(s)
		_, _ = mac.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		_, _ = mac.Write([]byte(s))
	}
	_, _ = mac.Write([]byte(code))
	var k basicKey
	mac.Sum(k[:0])
	return k
}

// put stores a verdict; the caller holds mu.
func (c *basicCache) put(k basicKey, subject string, now time.Time) {
	if len(c.entries) >= c.size {
		target := c.size - c.size/8
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < target {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[k] = basicEntry{subject: subject, expires: now.Add(c.ttl)}
}

// forget drops every credential of subject.
func (c *basicCache) forget(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	for k, e := range c.entries {
		if e.subject == subject {
			delete(c.entries, k)
		}
	}
}

// len is the number of credentials held, for the tests.
func (c *basicCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// ForgetCredentials drops the Basic credentials of subject that this
// Authenticator remembers (Config.BasicCacheTTL): call it when the
// account's password, login or email changes, so that the old ones stop
// working at once on this process. Other processes of the service forget
// them when their BasicCacheTTL has passed.
func (a *Authenticator) ForgetCredentials(subject string) {
	if a.basicCache != nil {
		a.basicCache.forget(subject)
	}
}

// basicLogin checks a Basic credential: from the cache when it passed
// within BasicCacheTTL, else under the lockout (attemptPassword), once
// for all the requests that carry it at the same time. The two-factor
// code is part of the credential: a login, password and code that
// passed are remembered together (the code was used once, by the check
// that passed), and a new code is a new check.
func (a *Authenticator) basicLogin(r *http.Request, login, password string) (string, *apierrors.Error) {
	code, codeErr := a.otpCode(r)
	c := a.basicCache
	if c == nil || codeErr != nil {
		return a.attemptPassword(r, login, password, code, codeErr, "basic")
	}
	k := c.key(login, password, code)
	now := a.now()
	c.mu.Lock()
	if e, ok := c.entries[k]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		a.emit(r, observe.LoginSucceeded, "basic_cached", nil)
		return e.subject, nil
	}
	if f, ok := c.flights[k]; ok {
		f.waiters++
		c.mu.Unlock()
		<-f.done
		return f.subject, f.refusal
	}
	f := &basicFlight{done: make(chan struct{})}
	c.flights[k] = f
	generation := c.generation
	c.mu.Unlock()

	// Whatever happens in the check, the flight ends and its waiters go
	// on: a panic in CheckPassword reaches them as a 500.
	f.refusal = apierrors.Internal(errCheckPanicked)
	defer func() {
		c.mu.Lock()
		delete(c.flights, k)
		if f.refusal == nil && generation == c.generation {
			c.put(k, f.subject, now)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	f.subject, f.refusal = a.attemptPassword(r, login, password, code, nil, "basic")
	return f.subject, f.refusal
}
