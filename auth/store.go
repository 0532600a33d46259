package auth

import (
	"context"
	"crypto/subtle"
	"hash/maphash"
	"sync"
	"time"
)

// AttemptStore keeps the login-attempt counters of the lockout. Each key
// ("account:alice", "ip:192.0.2.1") has a window that opens with its first
// counted attempt and lasts the window given; when it has passed, the
// count starts again from zero.
//
// Every method is one atomic step, so that concurrent logins on several
// goroutines or machines can never admit more attempts than the limit.
// The caller passes the time, so stores and tests agree on one clock.
// MemoryAttempts is the default; redisstore shares the counters between
// machines.
type AttemptStore interface {
	// Acquire counts one attempt for key, unless limit attempts have
	// already been counted in its window. It reports whether the attempt
	// may go on and, either way, when the key's window closes.
	Acquire(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (ok bool, reset time.Time, err error)
	// Release gives back one attempt Acquire counted (it succeeded, or
	// it ended before credentials were checked).
	Release(ctx context.Context, key string, now time.Time) error
	// Reset forgets every attempt counted for key.
	Reset(ctx context.Context, key string) error
}

// AttemptBatcher is an AttemptStore that does a login's several steps
// on its counters in one round trip (redisstore); the Authenticator uses
// it when its AttemptStore is one.
type AttemptBatcher interface {
	AttemptStore
	// AcquireAll counts one attempt for every key, or for none when one
	// of them has limit attempts in its window: then refused is that
	// key's index and reset when its window closes; -1 when all were
	// counted.
	AcquireAll(ctx context.Context, keys []string, limit int, window time.Duration, now time.Time) (refused int, reset time.Time, err error)
	// Settle gives back one attempt of each key of release (as Release)
	// and forgets the attempts of each key of reset (as Reset).
	Settle(ctx context.Context, release, reset []string, now time.Time) error
}

// RotateResult is what TokenStore.Rotate found.
type RotateResult int

const (
	// Rotated: the token was the session's current one and has been
	// replaced by the next.
	Rotated RotateResult = iota
	// Reused: the session is live but the token is not its current one:
	// an old token was presented again, so one copy of it was stolen. The
	// store has revoked the whole session.
	Reused
	// Unknown: the session does not exist, expired or was revoked.
	Unknown
)

// TokenStore keeps refresh-token sessions: for each session (the family
// of refresh tokens that descend from one login), the id ("jti") of its one
// current refresh token. Every method is one atomic step. MemoryTokens is
// the default; redisstore shares sessions between machines.
type TokenStore interface {
	// Start opens a session whose current refresh token is tokenID,
	// until expires.
	Start(ctx context.Context, session, tokenID string, expires, now time.Time) error
	// Rotate replaces the session's current token tokenID by next, valid
	// until expires. When tokenID is not the current one of a live session
	// it revokes the session and answers Reused.
	Rotate(ctx context.Context, session, tokenID, next string, expires, now time.Time) (RotateResult, error)
	// Revoke ends the session; later refreshes of any of its tokens are
	// Unknown. Revoking an unknown session is not an error.
	Revoke(ctx context.Context, session string) error
}

// shardCount spreads keys over independent locks (as httprate and
// sethvargo's memorystore do), so logins on different accounts do not
// wait on one mutex.
const shardCount = 64

// sweepEvery bounds how long an expired entry may stay in memory: a shard
// drops its expired entries when it is touched and this long has passed
// since its last sweep. Memory stays bounded by the keys of one window
// plus this, with no background goroutine.
const sweepEvery = time.Minute

// shardHash keys the hash that picks a shard, so a client cannot choose
// logins that all land on one shard.
var shardHash = maphash.MakeSeed()

func shardOf(key string) int {
	return int(maphash.String(shardHash, key) % shardCount)
}

// MemoryAttempts is the in-memory AttemptStore, for a service that runs on
// one machine. The zero value is ready to use; it is safe for concurrent
// use.
type MemoryAttempts struct {
	shards [shardCount]attemptShard
}

type attemptShard struct {
	mu        sync.Mutex
	counters  map[string]attemptCounter
	nextSweep time.Time
}

type attemptCounter struct {
	count int
	reset time.Time
}

func (s *attemptShard) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(sweepEvery)
	for key, c := range s.counters {
		if !now.Before(c.reset) {
			delete(s.counters, key)
		}
	}
}

// Acquire implements AttemptStore.
func (m *MemoryAttempts) Acquire(_ context.Context, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	s := &m.shards[shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counters == nil {
		s.counters = make(map[string]attemptCounter)
	}
	s.sweep(now)
	c, found := s.counters[key]
	if !found || !now.Before(c.reset) {
		c = attemptCounter{reset: now.Add(window)}
	}
	if c.count >= limit {
		return false, c.reset, nil
	}
	c.count++
	s.counters[key] = c
	return true, c.reset, nil
}

// Release implements AttemptStore.
func (m *MemoryAttempts) Release(_ context.Context, key string, now time.Time) error {
	s := &m.shards[shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.counters[key]
	if !found || !now.Before(c.reset) {
		return nil
	}
	c.count--
	if c.count <= 0 {
		delete(s.counters, key)
		return nil
	}
	s.counters[key] = c
	return nil
}

// Reset implements AttemptStore.
func (m *MemoryAttempts) Reset(_ context.Context, key string) error {
	s := &m.shards[shardOf(key)]
	s.mu.Lock()
	delete(s.counters, key)
	s.mu.Unlock()
	return nil
}

// Len returns the number of keys held, expired ones not yet swept
// included. It is meant for tests and metrics.
func (m *MemoryAttempts) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.counters)
		s.mu.Unlock()
	}
	return n
}

// MemoryTokens is the in-memory TokenStore, for a service that runs on one
// machine. Sessions are lost when the process stops, which logs every user
// out: use a shared store (redisstore) when that matters. The zero value
// is ready to use; it is safe for concurrent use.
type MemoryTokens struct {
	shards [shardCount]tokenShard
}

type tokenShard struct {
	mu        sync.Mutex
	sessions  map[string]tokenSession
	nextSweep time.Time
}

type tokenSession struct {
	current string
	expires time.Time
}

func (s *tokenShard) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(sweepEvery)
	for key, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, key)
		}
	}
}

// Start implements TokenStore.
func (m *MemoryTokens) Start(_ context.Context, session, tokenID string, expires, now time.Time) error {
	s := &m.shards[shardOf(session)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = make(map[string]tokenSession)
	}
	s.sweep(now)
	s.sessions[session] = tokenSession{current: tokenID, expires: expires}
	return nil
}

// Rotate implements TokenStore.
func (m *MemoryTokens) Rotate(_ context.Context, session, tokenID, next string, expires, now time.Time) (RotateResult, error) {
	s := &m.shards[shardOf(session)]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	sess, found := s.sessions[session]
	if !found || !now.Before(sess.expires) {
		delete(s.sessions, session)
		return Unknown, nil
	}
	if subtle.ConstantTimeCompare([]byte(sess.current), []byte(tokenID)) != 1 {
		delete(s.sessions, session)
		return Reused, nil
	}
	s.sessions[session] = tokenSession{current: next, expires: expires}
	return Rotated, nil
}

// Revoke implements TokenStore.
func (m *MemoryTokens) Revoke(_ context.Context, session string) error {
	s := &m.shards[shardOf(session)]
	s.mu.Lock()
	delete(s.sessions, session)
	s.mu.Unlock()
	return nil
}

// Len returns the number of sessions held, expired ones not yet swept
// included. It is meant for tests and metrics.
func (m *MemoryTokens) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.sessions)
		s.mu.Unlock()
	}
	return n
}
