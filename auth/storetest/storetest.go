// Package storetest is the conformance suite of auth's store interfaces.
// Every implementation (auth.MemoryAttempts, auth.MemoryTokens, redisstore)
// runs the same tests, so a service can swap one for another and keep the
// lockout and refresh-token rotation it was tested with.
//
//	func TestMyAttemptStore(t *testing.T) {
//		storetest.AttemptStore(t, func(t *testing.T) auth.AttemptStore { return newStore(t) })
//	}
//
// The tests pass the time to the store, as the auth middleware does, and
// never sleep; keys are unique per test, so one store may serve them all.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
)

// epoch is the tests' clock origin: a fixed, recent instant, so stores
// that keep absolute times (in Redis) keep sensible ones.
var epoch = time.Now().Truncate(time.Second)

var keySeq atomic.Int64

// key returns a key no other test in this process uses.
func key(t *testing.T, name string) string {
	return fmt.Sprintf("storetest:%s:%d:%s", t.Name(), keySeq.Add(1), name)
}

// AttemptBatcher runs the conformance tests of an auth.AttemptBatcher's
// own methods (run AttemptStore too for the others).
func AttemptBatcher(t *testing.T, newStore func(t *testing.T) auth.AttemptBatcher) {
	ctx := context.Background()
	const limit = 3
	const window = 15 * time.Minute

	t.Run("AcquireAll counts every key, or none when one is locked", func(t *testing.T) {
		s := newStore(t)
		ip, account := key(t, "ip:192.0.2.1"), key(t, "account:alice")
		for range limit {
			refused, _, err := s.AcquireAll(ctx, []string{ip, account}, limit, window, epoch)
			require.NoError(t, err)
			assert.Equal(t, -1, refused)
		}
		refused, reset, err := s.AcquireAll(ctx, []string{ip, account}, limit, window, epoch.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, 0, refused, "the first key is locked")
		assert.True(t, reset.Equal(epoch.Add(window)), "reset %v", reset)

		other := key(t, "ip:192.0.2.2")
		refused, _, err = s.AcquireAll(ctx, []string{other, account}, limit, window, epoch.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, 1, refused, "the account is locked")
		assert.Equal(t, 0, countBefore(t, s, other), "the other key's attempt was given back")
	})

	t.Run("Settle releases some keys and resets others", func(t *testing.T) {
		s := newStore(t)
		ip, account := key(t, "ip:192.0.2.1"), key(t, "account:alice")
		for range 2 {
			refused, _, err := s.AcquireAll(ctx, []string{ip, account}, limit, window, epoch)
			require.NoError(t, err)
			require.Equal(t, -1, refused)
		}
		require.NoError(t, s.Settle(ctx, []string{ip}, []string{account}, epoch))
		assert.Equal(t, 1, countBefore(t, s, ip), "one attempt given back")
		assert.Equal(t, 0, countBefore(t, s, account), "all forgotten")
	})

	t.Run("64 goroutines: exactly the limit on both keys", func(t *testing.T) {
		s := newStore(t)
		ip, account := key(t, "ip:192.0.2.1"), key(t, "account:alice")
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				refused, _, err := s.AcquireAll(ctx, []string{ip, account}, limit, window, epoch)
				if assert.NoError(t, err) && refused < 0 {
					admitted.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(limit), admitted.Load())
		assert.Equal(t, limit, countBefore(t, s, ip))
		assert.Equal(t, limit, countBefore(t, s, account))
	})
}

// countBefore reads how many attempts key holds: the smallest limit at
// which Acquire lets one more through is one more than the count; the
// probe's own attempt is given back.
func countBefore(t *testing.T, s auth.AttemptStore, key string) int {
	t.Helper()
	ctx := context.Background()
	for n := 0; n <= 100; n++ {
		ok, _, err := s.Acquire(ctx, key, n, time.Hour, epoch)
		require.NoError(t, err)
		if ok {
			require.NoError(t, s.Release(ctx, key, epoch))
			return n - 1
		}
	}
	t.Fatalf("%s holds more than 100 attempts", key)
	return 0
}

// AttemptStore runs the conformance tests of an auth.AttemptStore.
func AttemptStore(t *testing.T, newStore func(t *testing.T) auth.AttemptStore) {
	ctx := context.Background()
	const limit = 3
	const window = 15 * time.Minute

	t.Run("counts up to the limit, then refuses until the window closes", func(t *testing.T) {
		s, k := newStore(t), key(t, "account:alice")
		for i := range limit {
			ok, reset, err := s.Acquire(ctx, k, limit, window, epoch.Add(time.Duration(i)*time.Second))
			require.NoError(t, err)
			assert.True(t, ok, "attempt %d", i+1)
			assert.True(t, reset.Equal(epoch.Add(window)), "the window opens with the first attempt: reset %v", reset)
		}
		ok, reset, err := s.Acquire(ctx, k, limit, window, epoch.Add(time.Minute))
		require.NoError(t, err)
		assert.False(t, ok)
		assert.True(t, reset.Equal(epoch.Add(window)), "reset %v", reset)

		ok, _, err = s.Acquire(ctx, k, limit, window, epoch.Add(window-time.Millisecond))
		require.NoError(t, err)
		assert.False(t, ok, "still locked just before the window closes")

		ok, reset, err = s.Acquire(ctx, k, limit, window, epoch.Add(window))
		require.NoError(t, err)
		assert.True(t, ok, "a new window opens once the old one has passed")
		assert.True(t, reset.Equal(epoch.Add(2*window)), "reset %v", reset)
	})

	t.Run("keys are independent", func(t *testing.T) {
		s, a, b := newStore(t), key(t, "a"), key(t, "b")
		for range limit {
			ok, _, err := s.Acquire(ctx, a, limit, window, epoch)
			require.NoError(t, err)
			require.True(t, ok)
		}
		ok, _, err := s.Acquire(ctx, b, limit, window, epoch)
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("release gives one attempt back", func(t *testing.T) {
		s, k := newStore(t), key(t, "ip")
		for range limit {
			ok, _, err := s.Acquire(ctx, k, limit, window, epoch)
			require.NoError(t, err)
			require.True(t, ok)
		}
		require.NoError(t, s.Release(ctx, k, epoch))
		ok, _, err := s.Acquire(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		assert.True(t, ok, "the released attempt can be used again")
		ok, _, err = s.Acquire(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		assert.False(t, ok, "but only one")
	})

	t.Run("release of an unknown key is harmless", func(t *testing.T) {
		s, k := newStore(t), key(t, "none")
		require.NoError(t, s.Release(ctx, k, epoch))
		for range limit {
			ok, _, err := s.Acquire(ctx, k, limit, window, epoch)
			require.NoError(t, err)
			require.True(t, ok)
		}
		ok, _, err := s.Acquire(ctx, k, limit, window, epoch)
		require.NoError(t, err)
		assert.False(t, ok, "a release never makes the count negative")
	})

	t.Run("reset forgets every attempt", func(t *testing.T) {
		s, k := newStore(t), key(t, "account:bob")
		for range limit {
			_, _, err := s.Acquire(ctx, k, limit, window, epoch)
			require.NoError(t, err)
		}
		require.NoError(t, s.Reset(ctx, k))
		ok, reset, err := s.Acquire(ctx, k, limit, window, epoch.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)
		assert.True(t, reset.Equal(epoch.Add(time.Minute+window)), "a fresh window: reset %v", reset)
	})

	t.Run("concurrent acquires never exceed the limit", func(t *testing.T) {
		s, k := newStore(t), key(t, "race")
		const goroutines = 64
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				ok, _, err := s.Acquire(ctx, k, limit, window, epoch)
				if assert.NoError(t, err) && ok {
					admitted.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(limit), admitted.Load())
	})
}

// TokenStore runs the conformance tests of an auth.TokenStore.
func TokenStore(t *testing.T, newStore func(t *testing.T) auth.TokenStore) {
	ctx := context.Background()
	const ttl = 14 * 24 * time.Hour

	t.Run("rotation follows the current token", func(t *testing.T) {
		s, session := newStore(t), key(t, "session")
		require.NoError(t, s.Start(ctx, session, "t1", epoch.Add(ttl), epoch))
		result, err := s.Rotate(ctx, session, "t1", "t2", epoch.Add(time.Hour+ttl), epoch.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, auth.Rotated, result)
		result, err = s.Rotate(ctx, session, "t2", "t3", epoch.Add(2*time.Hour+ttl), epoch.Add(2*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, auth.Rotated, result)
	})

	t.Run("a reused token revokes the session", func(t *testing.T) {
		s, session := newStore(t), key(t, "session")
		require.NoError(t, s.Start(ctx, session, "t1", epoch.Add(ttl), epoch))
		result, err := s.Rotate(ctx, session, "t1", "t2", epoch.Add(ttl), epoch)
		require.NoError(t, err)
		require.Equal(t, auth.Rotated, result)

		result, err = s.Rotate(ctx, session, "t1", "t9", epoch.Add(ttl), epoch)
		require.NoError(t, err)
		assert.Equal(t, auth.Reused, result, "t1 was used already")

		result, err = s.Rotate(ctx, session, "t2", "t3", epoch.Add(ttl), epoch)
		require.NoError(t, err)
		assert.Equal(t, auth.Unknown, result, "the legitimate holder's t2 is revoked with its session")
	})

	t.Run("an expired session is unknown", func(t *testing.T) {
		s, session := newStore(t), key(t, "session")
		require.NoError(t, s.Start(ctx, session, "t1", epoch.Add(time.Hour), epoch))
		result, err := s.Rotate(ctx, session, "t1", "t2", epoch.Add(ttl), epoch.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, auth.Unknown, result)
	})

	t.Run("an unknown session is unknown", func(t *testing.T) {
		s := newStore(t)
		result, err := s.Rotate(ctx, key(t, "never-started"), "t1", "t2", epoch.Add(ttl), epoch)
		require.NoError(t, err)
		assert.Equal(t, auth.Unknown, result)
	})

	t.Run("revoke ends the session and is idempotent", func(t *testing.T) {
		s, session := newStore(t), key(t, "session")
		require.NoError(t, s.Start(ctx, session, "t1", epoch.Add(ttl), epoch))
		require.NoError(t, s.Revoke(ctx, session))
		require.NoError(t, s.Revoke(ctx, session))
		result, err := s.Rotate(ctx, session, "t1", "t2", epoch.Add(ttl), epoch)
		require.NoError(t, err)
		assert.Equal(t, auth.Unknown, result)
	})

	t.Run("sessions are independent", func(t *testing.T) {
		s, a, b := newStore(t), key(t, "a"), key(t, "b")
		require.NoError(t, s.Start(ctx, a, "t1", epoch.Add(ttl), epoch))
		require.NoError(t, s.Start(ctx, b, "t1", epoch.Add(ttl), epoch))
		require.NoError(t, s.Revoke(ctx, a))
		result, err := s.Rotate(ctx, b, "t1", "t2", epoch.Add(ttl), epoch)
		require.NoError(t, err)
		assert.Equal(t, auth.Rotated, result)
	})

	t.Run("concurrent rotations of one token: exactly one wins", func(t *testing.T) {
		s, session := newStore(t), key(t, "session")
		require.NoError(t, s.Start(ctx, session, "t1", epoch.Add(ttl), epoch))
		const goroutines = 32
		var rotated, reused, unknown atomic.Int64
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				result, err := s.Rotate(ctx, session, "t1", fmt.Sprintf("next-%d", i), epoch.Add(ttl), epoch)
				if !assert.NoError(t, err) {
					return
				}
				switch result {
				case auth.Rotated:
					rotated.Add(1)
				case auth.Reused:
					reused.Add(1)
				case auth.Unknown:
					unknown.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(1), rotated.Load(), "one refresh wins")
		assert.Equal(t, int64(goroutines-1), reused.Load()+unknown.Load(), "every other one is refused")
		assert.GreaterOrEqual(t, reused.Load(), int64(1), "the first loser sees the reuse")
	})
}
