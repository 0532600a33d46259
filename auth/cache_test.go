package auth

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenCacheWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := newTokenCache(8)
	c.put("t", &cachedToken{subject: "u", notBefore: now.Add(-time.Minute), expiresAt: now.Add(time.Hour)}, now)
	tests := []struct {
		name string
		at   time.Time
		hit  bool
	}{
		{"before nbf", now.Add(-2 * time.Minute), false},
		{"at nbf", now.Add(-time.Minute), true},
		{"now", now, true},
		{"the last instant", now.Add(time.Hour - time.Nanosecond), true},
		{"at exp", now.Add(time.Hour), false},
		{"after exp", now.Add(2 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry, ok := c.get("t", tt.at)
			assert.Equal(t, tt.hit, ok)
			if tt.hit {
				assert.Equal(t, "u", entry.subject)
			}
		})
	}
	_, ok := c.get("T", now)
	assert.False(t, ok, "keys are whole tokens, compared exactly")
}

func TestTokenCacheBound(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		size    int
		expired int // how many of the first entries have expired by the time the cache is full
	}{
		{"all live", 64, 0},
		{"expired go first", 64, 32},
		{"size one", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTokenCache(tt.size)
			for i := range tt.expired {
				c.put("old"+strconv.Itoa(i), &cachedToken{expiresAt: now.Add(time.Minute)}, now)
			}
			later := now.Add(time.Hour)
			for i := range 10 * tt.size {
				c.put("new"+strconv.Itoa(i), &cachedToken{expiresAt: later.Add(time.Hour)}, later)
				require.LessOrEqual(t, c.len(), tt.size, "after %d puts", i+1)
			}
			n := 0
			c.entries.Range(func(k, _ any) bool {
				n++
				assert.NotContains(t, k, "old", "an expired entry outlived a sweep")
				return true
			})
			assert.Equal(t, c.len(), n, "the count is the number of entries")
			_, ok := c.get("new"+strconv.Itoa(10*tt.size-1), later)
			assert.True(t, ok, "the newest entry is kept")
		})
	}
}

func TestTokenCacheConcurrentPuts(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := newTokenCache(100)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				key := strconv.Itoa(g) + "-" + strconv.Itoa(i%300)
				c.put(key, &cachedToken{expiresAt: now.Add(time.Hour)}, now)
				c.get(key, now)
			}
		})
	}
	wg.Wait()
	n := 0
	c.entries.Range(func(_, _ any) bool { n++; return true })
	assert.Equal(t, c.len(), n, "the count is exact")
	// A sweep runs only when its put finds the lock free, so a racing put
	// may leave the cache above its size until the next one; never far.
	assert.LessOrEqual(t, n, 100+4)
}
