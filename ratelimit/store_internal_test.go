package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestEvictWindow: a full shard evicts what forgives the least, from its
// largest class, and carries the count of what it evicts.
func TestEvictWindow(t *testing.T) {
	now := time.Date(2013, 7, 1, 16, 47, 53, 0, time.UTC).UnixNano()
	at := func(d time.Duration) int64 { return now + int64(d) }
	tests := []struct {
		name string
		// windows of the largest class ("a" core anonymous), and one
		// lone user window of another class.
		windows     map[string]window
		wantGone    []string
		wantCarried *window // the slot of the evicted window; nil: nothing carried
	}{
		{
			name:     "expired windows are dropped, nothing live is evicted",
			windows:  map[string]window{"old": {used: 60, reset: now}, "busy": {used: 1, reset: at(time.Hour)}},
			wantGone: []string{"old"},
		},
		{
			name:        "the window with the fewest requests goes",
			windows:     map[string]window{"heavy": {used: 60, reset: at(time.Minute)}, "light": {used: 2, reset: at(time.Hour)}, "mid": {used: 30, reset: at(time.Second)}},
			wantGone:    []string{"light"},
			wantCarried: &window{used: 2, reset: at(time.Hour)},
		},
		{
			name:        "among equals, the one closest to its reset",
			windows:     map[string]window{"new": {used: 5, reset: at(time.Hour)}, "old": {used: 5, reset: at(time.Minute)}},
			wantGone:    []string{"old"},
			wantCarried: &window{used: 5, reset: at(time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Memory{MaxKeys: 64}
			s := &memoryShard{}
			c := s.class(Key{Resource: "core", Caller: Caller{Kind: Anonymous}}, true)
			for id, w := range tt.windows {
				c.byID[id] = &w
			}
			users := s.class(Key{Resource: "core", Caller: Caller{Kind: User}}, true)
			users.byID["lone"] = &window{used: 0, reset: at(time.Hour)}
			c = &s.windows[0]

			m.evictWindow(s, now)
			for _, id := range tt.wantGone {
				assert.NotContains(t, c.byID, id)
			}
			assert.Len(t, c.byID, len(tt.windows)-len(tt.wantGone))
			assert.Contains(t, s.windows[1].byID, "lone", "the smaller class is left alone")
			if tt.wantCarried == nil {
				assert.Nil(t, c.carried)
				assert.Zero(t, s.evictedWindows)
				return
			}
			assert.Equal(t, 1, s.evictedWindows)
			got, open := c.carriedWindow(m.hash(Caller{Kind: Anonymous, ID: tt.wantGone[0]}), now)
			assert.True(t, open)
			assert.Equal(t, *tt.wantCarried, got)
		})
	}
}

// TestCarriedSlotsMerge: callers that share a slot share the largest
// count and the latest reset, so that none comes back lower than it
// left; a slot whose window has passed starts over.
func TestCarriedSlotsMerge(t *testing.T) {
	now := time.Date(2013, 7, 1, 16, 47, 53, 0, time.UTC).UnixNano()
	hour := int64(time.Hour)
	tests := []struct {
		name       string
		slot, next window
		at         int64
		want       window
	}{
		{"the larger count and the later reset", window{used: 60, reset: now + hour/2}, window{used: 3, reset: now + hour}, now, window{used: 60, reset: now + hour}},
		{"a count is never lowered", window{used: 3, reset: now + hour}, window{used: 60, reset: now + hour/2}, now, window{used: 60, reset: now + hour}},
		{"an expired slot starts over", window{used: 60, reset: now}, window{used: 3, reset: now + hour}, now, window{used: 3, reset: now + hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Memory{MaxKeys: 64}
			s := &memoryShard{}
			c := s.class(Key{Resource: "core"}, true)
			c.carried = make([]window, m.carriedSlots())
			*carriedSlot(c.carried, m.hash(Caller{ID: "next"})) = tt.slot
			c.byID["next"] = &tt.next
			m.evictWindow(s, tt.at)
			got, _ := c.carriedWindow(m.hash(Caller{ID: "next"}), tt.at)
			assert.Equal(t, tt.want, got)
		})
	}
}
