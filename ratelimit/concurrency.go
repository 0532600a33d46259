package ratelimit

import (
	"hash/maphash"
	"sync"
)

// concurrency counts each caller's requests in flight on this process.
// Entries live only while a request runs, so memory is bounded by the
// requests in flight, not by the number of callers ever seen.
type concurrency struct {
	max    int
	seed   maphash.Seed
	once   sync.Once
	shards [shardCount]concurrencyShard
}

type concurrencyShard struct {
	mu       sync.Mutex
	inFlight map[Caller]int
	_        [64]byte
}

func (c *concurrency) shard(caller Caller) *concurrencyShard {
	c.once.Do(func() { c.seed = maphash.MakeSeed() })
	return &c.shards[(maphash.String(c.seed, caller.ID)+uint64(caller.Kind))%shardCount]
}

// enter counts a request in, unless the caller has max in flight.
func (c *concurrency) enter(caller Caller) bool {
	s := c.shard(caller)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight == nil {
		s.inFlight = make(map[Caller]int)
	}
	n := s.inFlight[caller]
	if n >= c.max {
		return false
	}
	s.inFlight[caller] = n + 1
	return true
}

// leave counts a request out.
func (c *concurrency) leave(caller Caller) {
	s := c.shard(caller)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.inFlight[caller]; n > 1 {
		s.inFlight[caller] = n - 1
		return
	}
	delete(s.inFlight, caller)
}
