package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Key names one quota: a caller's use of one resource.
type Key struct {
	Resource string
	Caller   Caller
}

// String returns the key as one string ("core:user:42"), for stores that
// need one, such as Redis.
func (k Key) String() string { return k.Resource + ":" + k.Caller.String() }

// Usage is a quota's state after Take or Peek.
type Usage struct {
	// Allowed reports whether Take counted the request: false when the
	// quota was already used up.
	Allowed bool
	// Used is the number of requests counted in the window, this one
	// included.
	Used int
	// Reset is when the window closes and the quota is whole again.
	Reset time.Time
}

// Store keeps the primary quotas. A window opens with the first counted
// request of a key and lasts the resource's window; once it has passed,
// counting starts again from zero. Every method is one atomic step (one
// round trip for a networked store), so that however many requests run at
// once, on however many machines, no more than the limit are admitted.
// The caller passes the time, so stores and tests share one clock.
//
// Memory is the default; redisstore shares quotas between machines.
type Store interface {
	// Take counts one request for key, unless limit requests were
	// already counted in its window.
	Take(ctx context.Context, key Key, limit int, window time.Duration, now time.Time) (Usage, error)
	// Refund gives back one request counted in the window that closes
	// at reset; nothing happens when that window has passed.
	Refund(ctx context.Context, key Key, reset, now time.Time) error
	// Peek returns key's usage without counting anything; a key with no
	// open window has Used 0 and Reset now+window.
	Peek(ctx context.Context, key Key, window time.Duration, now time.Time) (Usage, error)
}

// Bucket is one token bucket of the secondary limits, with the semantics
// of golang.org/x/time/rate: it holds Limit tokens, refills at Limit per
// Per, and each request takes one. Limit quick requests pass; the next one
// waits for a token.
type Bucket struct {
	Limit int
	Per   time.Duration
}

// BucketStore keeps the secondary limits' token buckets.
type BucketStore interface {
	// Allow takes one token from every bucket of caller, or, when one of
	// them is empty, from none, and reports how long until each would
	// have a token again.
	Allow(ctx context.Context, caller Caller, buckets []Bucket, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

// ErrFull is returned by Memory when it holds MaxKeys keys that are all
// still live; the Limiter then applies its store-failure policy.
var ErrFull = errors.New("ratelimit: memory store is full")

// DefaultMaxKeys is the key cap of a Memory whose MaxKeys is zero: a
// million keys, about 150 MB of IPv4 windows at most.
const DefaultMaxKeys = 1 << 20

// Memory is the in-memory Store and BucketStore, for a service that runs
// on one machine. It is exact under concurrency and sharded so that cores
// do not contend. Memory is bounded: expired windows and refilled buckets
// are dropped, each shard sweeping itself at most once a minute when it is
// used (no goroutine), and at most MaxKeys keys of each kind are held.
//
// The zero value is ready to use; do not copy it after first use.
type Memory struct {
	// MaxKeys caps the keys held (windows and buckets each). When a
	// request needs a new key and the cap is reached even after dropping
	// expired ones, the store answers ErrFull. Default DefaultMaxKeys.
	MaxKeys int

	once    sync.Once
	hashKey maphash.Seed
	shards  [shardCount]memoryShard
}

const shardCount = 64

// sweepEvery is how often a shard drops its expired entries.
const sweepEvery = time.Minute

type memoryShard struct {
	mu sync.Mutex
	// windows holds one map per resource and kind of caller, keyed by
	// the caller's ID: string-keyed maps are the fastest Go has, and a
	// shard sees only a few classes, found by a short scan.
	windows   []windowClass
	buckets   map[Caller]*bucketSet
	nextSweep time.Time
	_         [64]byte // keep shards on separate cache lines
}

type windowClass struct {
	resource string
	kind     Kind
	byID     map[string]*window
}

// class returns the map of key's resource and kind, creating it when
// create is set; nil otherwise.
func (s *memoryShard) class(key Key, create bool) map[string]*window {
	for i := range s.windows {
		c := &s.windows[i]
		if c.kind == key.Caller.Kind && c.resource == key.Resource {
			return c.byID
		}
	}
	if !create {
		return nil
	}
	m := make(map[string]*window)
	s.windows = append(s.windows, windowClass{resource: key.Resource, kind: key.Caller.Kind, byID: m})
	return m
}

func (s *memoryShard) windowCount() int {
	n := 0
	for _, c := range s.windows {
		n += len(c.byID)
	}
	return n
}

type window struct {
	used  int
	reset int64 // unix nanoseconds
}

type bucketSet struct {
	limiters []*rate.Limiter
}

func (m *Memory) init() {
	m.once.Do(func() { m.hashKey = maphash.MakeSeed() })
}

func (m *Memory) shard(caller Caller) *memoryShard {
	m.init()
	h := maphash.String(m.hashKey, caller.ID) + uint64(caller.Kind)
	return &m.shards[h%shardCount]
}

func (m *Memory) maxPerShard() int {
	limit := m.MaxKeys
	if limit <= 0 {
		limit = DefaultMaxKeys
	}
	return max(1, limit/shardCount)
}

// sweep drops expired windows and full buckets, at most once per
// sweepEvery unless force is set. When it drops most of a map it copies
// the rest into a new one, because Go maps never give memory back.
func (s *memoryShard) sweep(now time.Time, force bool) {
	if !force && now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(sweepEvery)
	nanos := now.UnixNano()
	for i := range s.windows {
		c := &s.windows[i]
		before := len(c.byID)
		for id, w := range c.byID {
			if nanos >= w.reset {
				delete(c.byID, id)
			}
		}
		if before > 64 && len(c.byID) < before/4 {
			fresh := make(map[string]*window, len(c.byID))
			for id, w := range c.byID {
				fresh[id] = w
			}
			c.byID = fresh
		}
	}
	before := len(s.buckets)
	for c, set := range s.buckets {
		if set.full(now) {
			delete(s.buckets, c)
		}
	}
	if before > 64 && len(s.buckets) < before/4 {
		fresh := make(map[Caller]*bucketSet, len(s.buckets))
		for c, set := range s.buckets {
			fresh[c] = set
		}
		s.buckets = fresh
	}
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, key Key, limit int, windowLength time.Duration, now time.Time) (Usage, error) {
	s := m.shard(key.Caller)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, false)
	byID := s.class(key, true)
	id := key.Caller.ID
	nanos := now.UnixNano()
	w := byID[id]
	switch {
	case w == nil:
		if s.windowCount() >= m.maxPerShard() {
			s.sweep(now, true)
			byID = s.class(key, true)
			if s.windowCount() >= m.maxPerShard() {
				return Usage{}, ErrFull
			}
		}
		w = &window{reset: now.Add(windowLength).UnixNano()}
		byID[id] = w
	case nanos >= w.reset:
		*w = window{reset: now.Add(windowLength).UnixNano()}
	}
	if w.used >= limit {
		return Usage{Allowed: false, Used: w.used, Reset: time.Unix(0, w.reset)}, nil
	}
	w.used++
	return Usage{Allowed: true, Used: w.used, Reset: time.Unix(0, w.reset)}, nil
}

// Refund implements Store.
func (m *Memory) Refund(_ context.Context, key Key, reset, now time.Time) error {
	s := m.shard(key.Caller)
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.class(key, false)[key.Caller.ID]
	if w == nil || w.reset != reset.UnixNano() || now.UnixNano() >= w.reset || w.used == 0 {
		return nil
	}
	w.used--
	return nil
}

// Peek implements Store.
func (m *Memory) Peek(_ context.Context, key Key, windowLength time.Duration, now time.Time) (Usage, error) {
	s := m.shard(key.Caller)
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.class(key, false)[key.Caller.ID]
	if w == nil || now.UnixNano() >= w.reset {
		return Usage{Allowed: true, Reset: now.Add(windowLength)}, nil
	}
	return Usage{Allowed: true, Used: w.used, Reset: time.Unix(0, w.reset)}, nil
}

// Allow implements BucketStore.
func (m *Memory) Allow(_ context.Context, caller Caller, buckets []Bucket, now time.Time) (bool, time.Duration, error) {
	s := m.shard(caller)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = make(map[Caller]*bucketSet)
	}
	s.sweep(now, false)
	set, found := s.buckets[caller]
	if !found || len(set.limiters) != len(buckets) {
		if !found && len(s.buckets) >= m.maxPerShard() {
			s.sweep(now, true)
			if len(s.buckets) >= m.maxPerShard() {
				return false, 0, ErrFull
			}
		}
		set = &bucketSet{limiters: make([]*rate.Limiter, len(buckets))}
		for i, b := range buckets {
			set.limiters[i] = rate.NewLimiter(rate.Limit(float64(b.Limit)/b.Per.Seconds()), b.Limit)
		}
		s.buckets[caller] = set
	}
	var wait time.Duration
	for _, lim := range set.limiters {
		if tokens := lim.TokensAt(now); tokens < 1 {
			need := time.Duration(math.Ceil((1 - tokens) / float64(lim.Limit()) * float64(time.Second)))
			wait = max(wait, need)
		}
	}
	if wait > 0 {
		return false, wait, nil
	}
	for _, lim := range set.limiters {
		lim.AllowN(now, 1)
	}
	return true, 0, nil
}

// full reports whether every bucket is full again, so the set is the same
// as a new one and can be dropped.
func (b *bucketSet) full(now time.Time) bool {
	for _, lim := range b.limiters {
		if lim.TokensAt(now) < float64(lim.Burst()) {
			return false
		}
	}
	return true
}

// Len returns the number of windows and bucket sets held, expired ones not
// yet swept included. It is meant for tests and metrics.
func (m *Memory) Len() (windows, buckets int) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		windows += s.windowCount()
		buckets += len(s.buckets)
		s.mu.Unlock()
	}
	return windows, buckets
}
