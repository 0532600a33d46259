package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
	"slices"
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

// QuotaBucketStore is a Store that keeps the buckets too and takes a
// request's quota and buckets in one atomic step: one round trip for a
// networked store (redisstore). The Limiter uses TakeAll for a request
// that creates content when its Store is one and Config.Buckets is nil
// or the same store.
type QuotaBucketStore interface {
	Store
	BucketStore
	// TakeAll counts one request against key, as Take does, and when it
	// is within the quota takes one token from every bucket of
	// key.Caller, as Allow does, all or nothing. When the quota is used
	// up, usage is Take's refusal and the buckets are untouched (ok is
	// true). When a bucket is empty, the request is not counted either:
	// usage.Allowed is true, usage.Used the count without it, ok false
	// and wait the time until every bucket has a token.
	TakeAll(ctx context.Context, key Key, limit int, window time.Duration, buckets []Bucket, now time.Time) (usage Usage, ok bool, wait time.Duration, err error)
}

// ErrFull was returned by Memory when it held MaxKeys live keys.
//
// Deprecated: a full Memory evicts (see Memory) and never returns it; a
// store that failed with it let every newcomer in without a limit.
var ErrFull = errors.New("ratelimit: memory store is full")

// DefaultMaxKeys is the key cap of a Memory whose MaxKeys is zero: a
// million keys, about 150 MB of IPv4 windows at most.
const DefaultMaxKeys = 1 << 20

// Memory is the in-memory Store and BucketStore, for a service that runs
// on one machine. It is exact under concurrency and sharded so that cores
// do not contend. Memory is bounded: expired windows and refilled buckets
// are dropped, each shard sweeping itself at most once a minute when it is
// used (no goroutine), and at most MaxKeys windows and MaxKeys bucket sets
// are held.
//
// # When it is full
//
// A full store never lets a caller in unlimited, and never refuses one
// for being full: a newcomer's window or bucket set takes the place of
// another. Each of the 64 shards holds MaxKeys/64 of each. A newcomer
// that finds its shard full looks at 8 entries of the shard's largest
// class (a resource and kind of caller, so a flood of anonymous
// addresses evicts anonymous windows, not users'), taken where a map
// iteration starts, at random; bounded work under the shard's lock,
// never a scan. It drops those that have expired, or, if none has,
// evicts the window that counted the fewest requests (among equals, the
// one closest to its reset), or the bucket set with the most tokens
// left: the entry whose loss forgives the least.
//
// An evicted window is not forgotten. Its count and reset go into a small
// table of its class, in the slot of a hash of the caller's ID (a slot
// keeps the largest count and the latest reset it was given), and a
// caller without a window starts from its slot while the slot's window
// is open. So a flood never lowers anyone's count, and no caller is
// admitted beyond its limit in a window, however many callers churn
// through the store: an exhausted caller stays exhausted until its
// reset, or later if it shares a slot with one that resets later. The
// cost falls on innocent newcomers, who start from the count of their
// slot. Since the lightest windows go first, during a flood of single
// requests from distinct addresses the slots hold ones, and a newcomer
// loses a request or two of its quota. For newcomers to start near their
// limit, an attacker must first fill the whole store with windows near
// their limit: about MaxKeys × limit requests from MaxKeys distinct
// callers within one window (60 million an hour for the anonymous
// defaults), every one of them counted and admitted only within its own
// quota. The table has max(64, MaxKeys/256) slots of 16 bytes per class
// and shard (4 MB per class with the default MaxKeys), made on the
// class's first eviction and dropped by the sweep once every slot has
// expired.
//
// Bucket sets (the secondary limits) are evicted, not carried: a caller
// whose set was evicted gets full buckets. Since the fullest set goes
// first, a caller's drained bucket goes only when its shard's sample
// holds none fuller: an attacker must drain about MaxKeys buckets (80
// creations each by default, each admitted against its own bucket) to
// refill one of its own.
//
// Evicted counts evictions: one that grows means that MaxKeys is too
// small for the traffic, or a flood of distinct callers. Against a flood
// of IPv6 addresses the first defence is counting clients by network
// (forwarded.Config.IPv6Prefix), not the store.
//
// The zero value is ready to use; do not copy it after first use.
type Memory struct {
	// MaxKeys caps the windows held, and the bucket sets: each of the 64
	// shards holds MaxKeys/64 of each (at least one). Default
	// DefaultMaxKeys.
	MaxKeys int

	once    sync.Once
	hashKey maphash.Seed
	shards  [shardCount]memoryShard
}

const shardCount = 64

// sweepEvery is how often a shard drops its expired entries.
const sweepEvery = time.Minute

// evictionSample is how many entries a full shard looks at to choose the
// one it evicts: the first ones of a map iteration, which starts at a
// random place, so an attacker can neither predict nor steer the choice.
const evictionSample = 8

type memoryShard struct {
	mu sync.Mutex
	// windows holds one class per resource and kind of caller: a map
	// keyed by the caller's ID (string-keyed maps are the fastest Go
	// has; a shard sees only a few classes, found by a short scan).
	windows   []windowClass
	buckets   map[Caller]*bucketSet
	nextSweep time.Time
	// evictedWindows and evictedBuckets count evictions, for Evicted.
	evictedWindows, evictedBuckets int
	_                              [64]byte // keep shards on separate cache lines
}

type windowClass struct {
	resource string
	kind     Kind
	byID     map[string]*window
	// carried holds the counts of evicted windows, by a hash of the
	// caller's ID; nil until the class first evicts.
	carried []window
}

// class returns key's class, creating it when create is set; nil
// otherwise. The pointer is good until the next class is created.
func (s *memoryShard) class(key Key, create bool) *windowClass {
	for i := range s.windows {
		c := &s.windows[i]
		if c.kind == key.Caller.Kind && c.resource == key.Resource {
			return c
		}
	}
	if !create {
		return nil
	}
	s.windows = append(s.windows, windowClass{resource: key.Resource, kind: key.Caller.Kind, byID: make(map[string]*window)})
	return &s.windows[len(s.windows)-1]
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

// hash is the hash of caller: its low bits pick the shard, the others a
// slot of the carried table.
func (m *Memory) hash(caller Caller) uint64 {
	m.init()
	return maphash.String(m.hashKey, caller.ID) + uint64(caller.Kind)
}

func (m *Memory) shard(hash uint64) *memoryShard {
	return &m.shards[hash%shardCount]
}

func (m *Memory) maxPerShard() int {
	limit := m.MaxKeys
	if limit <= 0 {
		limit = DefaultMaxKeys
	}
	return max(1, limit/shardCount)
}

// carriedSlots is the size of a class's table of evicted counts.
func (m *Memory) carriedSlots() int {
	return max(64, m.maxPerShard()/4)
}

// carriedSlot returns the slot of the table that hash falls in.
func carriedSlot(table []window, hash uint64) *window {
	return &table[(hash/shardCount)%uint64(len(table))]
}

// sweep drops expired windows, full buckets and carried tables whose
// slots have all expired, at most once per sweepEvery. When it drops
// most of a map it copies the rest into a new one, because Go maps never
// give memory back.
func (s *memoryShard) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
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
		if c.carried != nil && !slices.ContainsFunc(c.carried, func(w window) bool { return nanos < w.reset }) {
			c.carried = nil
		}
	}
	before := len(s.buckets)
	for c, set := range s.buckets {
		if set.deficit(now) == 0 {
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

// evictWindow makes room for one window in s, which is full: it drops
// the expired windows among evictionSample of its largest class, or, when
// none has expired, evicts the one that counted the fewest requests (the
// closest to its reset among equals) and carries its count.
func (m *Memory) evictWindow(s *memoryShard, nanos int64) {
	c := &s.windows[0]
	for i := range s.windows {
		if len(s.windows[i].byID) > len(c.byID) {
			c = &s.windows[i]
		}
	}
	var victimID string
	var victim *window
	expired, looked := false, 0
	for id, w := range c.byID {
		switch {
		case nanos >= w.reset:
			delete(c.byID, id)
			expired = true
		case victim == nil || w.used < victim.used || w.used == victim.used && w.reset < victim.reset:
			victimID, victim = id, w
		}
		if looked++; looked == evictionSample {
			break
		}
	}
	if expired || victim == nil {
		return
	}
	delete(c.byID, victimID)
	s.evictedWindows++
	if c.carried == nil {
		c.carried = make([]window, m.carriedSlots())
	}
	slot := carriedSlot(c.carried, m.hash(Caller{Kind: c.kind, ID: victimID}))
	if nanos >= slot.reset {
		*slot = *victim
		return
	}
	slot.used = max(slot.used, victim.used)
	slot.reset = max(slot.reset, victim.reset)
}

// carriedWindow returns the window a caller without one starts from: the
// slot of its hash when it is open, else none.
func (c *windowClass) carriedWindow(hash uint64, nanos int64) (window, bool) {
	if c == nil || c.carried == nil {
		return window{}, false
	}
	slot := *carriedSlot(c.carried, hash)
	return slot, nanos < slot.reset
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, key Key, limit int, windowLength time.Duration, now time.Time) (Usage, error) {
	hash := m.hash(key.Caller)
	s := m.shard(hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	c := s.class(key, true)
	id := key.Caller.ID
	nanos := now.UnixNano()
	w := c.byID[id]
	switch {
	case w == nil:
		if s.windowCount() >= m.maxPerShard() {
			m.evictWindow(s, nanos)
		}
		w = &window{reset: now.Add(windowLength).UnixNano()}
		if carried, ok := c.carriedWindow(hash, nanos); ok {
			*w = carried
		}
		c.byID[id] = w
	case nanos >= w.reset:
		*w = window{reset: now.Add(windowLength).UnixNano()}
	}
	if w.used >= limit {
		return Usage{Allowed: false, Used: w.used, Reset: time.Unix(0, w.reset)}, nil
	}
	w.used++
	return Usage{Allowed: true, Used: w.used, Reset: time.Unix(0, w.reset)}, nil
}

// Refund implements Store. A window evicted since Take gets nothing back.
func (m *Memory) Refund(_ context.Context, key Key, reset, now time.Time) error {
	s := m.shard(m.hash(key.Caller))
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.class(key, false)
	if c == nil {
		return nil
	}
	w := c.byID[key.Caller.ID]
	if w == nil || w.reset != reset.UnixNano() || now.UnixNano() >= w.reset || w.used == 0 {
		return nil
	}
	w.used--
	return nil
}

// Peek implements Store. A caller without a window whose carried slot is
// open sees the slot: what its next Take starts from.
func (m *Memory) Peek(_ context.Context, key Key, windowLength time.Duration, now time.Time) (Usage, error) {
	hash := m.hash(key.Caller)
	s := m.shard(hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	nanos := now.UnixNano()
	c := s.class(key, false)
	var w *window
	if c != nil {
		w = c.byID[key.Caller.ID]
	}
	if w == nil {
		if carried, ok := c.carriedWindow(hash, nanos); ok {
			w = &carried
		}
	}
	if w == nil || nanos >= w.reset {
		return Usage{Allowed: true, Reset: now.Add(windowLength)}, nil
	}
	return Usage{Allowed: true, Used: w.used, Reset: time.Unix(0, w.reset)}, nil
}

// Allow implements BucketStore.
func (m *Memory) Allow(_ context.Context, caller Caller, buckets []Bucket, now time.Time) (bool, time.Duration, error) {
	s := m.shard(m.hash(caller))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = make(map[Caller]*bucketSet)
	}
	s.sweep(now)
	set, found := s.buckets[caller]
	if !found || len(set.limiters) != len(buckets) {
		if !found && len(s.buckets) >= m.maxPerShard() {
			s.evictBucket(now)
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

// evictBucket makes room for one bucket set in s, which is full: it
// drops the full sets among evictionSample, or, when none is full,
// evicts the one with the most tokens left.
func (s *memoryShard) evictBucket(now time.Time) {
	var victim Caller
	least, refilled, looked := math.Inf(1), false, 0
	for caller, set := range s.buckets {
		switch deficit := set.deficit(now); {
		case deficit == 0:
			delete(s.buckets, caller)
			refilled = true
		case deficit < least:
			victim, least = caller, deficit
		}
		if looked++; looked == evictionSample {
			break
		}
	}
	if refilled || math.IsInf(least, 1) {
		return
	}
	delete(s.buckets, victim)
	s.evictedBuckets++
}

// deficit is the number of tokens the set's buckets lack: zero when every
// bucket is full again, so that the set is the same as a new one and can
// be dropped.
func (b *bucketSet) deficit(now time.Time) float64 {
	var missing float64
	for _, lim := range b.limiters {
		missing += max(0, float64(lim.Burst())-lim.TokensAt(now))
	}
	return missing
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

// Evicted returns the number of live windows and bucket sets evicted to
// make room for newcomers since the store was made (expired ones dropped
// are not counted). It is meant for metrics: see Memory.
func (m *Memory) Evicted() (windows, buckets int) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		windows += s.evictedWindows
		buckets += s.evictedBuckets
		s.mu.Unlock()
	}
	return windows, buckets
}
