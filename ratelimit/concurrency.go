package ratelimit

import (
	"hash/maphash"
	"sync/atomic"
)

// concurrencySlots is the size of the in-flight table: 32 KiB, small
// enough to stay in a core's cache.
const concurrencySlots = 1 << 13

// concurrency counts each caller's requests in flight on this process,
// lock-free, in a fixed table of counters indexed by a hash of the caller
// (one row of a count-min sketch). Memory is constant whatever the number
// of callers. Two callers that share a slot share its count, which can
// only make the cap stricter for them, and only when their requests in
// flight together reach it: with 8,192 slots and the few thousand
// requests a process has in flight, that is rare enough to ignore.
type concurrency struct {
	max     int32
	hashKey maphash.Seed
	slots   []atomic.Int32
}

func newConcurrency(limit int) *concurrency {
	return &concurrency{
		max:     int32(min(limit, 1<<30)),
		hashKey: maphash.MakeSeed(),
		slots:   make([]atomic.Int32, concurrencySlots),
	}
}

func (c *concurrency) slot(caller Caller) *atomic.Int32 {
	h := maphash.String(c.hashKey, caller.ID) + uint64(caller.Kind)*0x9e3779b97f4a7c15
	return &c.slots[h%concurrencySlots]
}

// enter counts a request in, unless the caller's slot already has max in
// flight; it returns the slot to pass to leave.
func (c *concurrency) enter(caller Caller) (*atomic.Int32, bool) {
	slot := c.slot(caller)
	if slot.Add(1) > c.max {
		slot.Add(-1)
		return nil, false
	}
	return slot, true
}

// leave counts a request out.
func leave(slot *atomic.Int32) { slot.Add(-1) }
