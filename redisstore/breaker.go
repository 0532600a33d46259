package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/myblog/apikit/observe"
)

// ErrDown is the error of every operation while the breaker holds Redis
// for down: the operation was not tried, and failed at once.
var ErrDown = errors.New("redisstore: Redis is down (breaker open); not tried")

// Defaults of the breaker (Config.BreakAfter, BreakFor, BreakForMax).
const (
	DefaultBreakAfter  = 3
	DefaultBreakFor    = 500 * time.Millisecond
	DefaultBreakForMax = 2 * time.Second
)

// summaryEvery is how often the log says, while Redis stays down, how
// many operations the breaker refused.
const summaryEvery = 10 * time.Second

// Health is the breaker's view of Redis, for a health check.
type Health struct {
	// Up is false while the breaker holds Redis for down.
	Up bool
	// Since is when the current state began (zero for a store that has
	// never been down).
	Since time.Time
	// Err is the failure that opened the breaker; nil while up.
	Err error
	// Refused counts the operations failed at once since the breaker
	// opened.
	Refused int64
}

// breaker holds Redis for down after a run of failures, so that an
// outage costs requests nothing: while open, every operation fails at
// once with ErrDown. When its interval has passed, one PING in the
// background (never a request) tries Redis: an answer closes it, a
// failure opens it again for twice as long, up to a maximum.
type breaker struct {
	after          int
	openFor, most  time.Duration
	probe          func(context.Context) error
	timeout        time.Duration
	logger         *slog.Logger
	observer       observe.Observer
	now            func() time.Time
	open           atomic.Bool
	refused        atomic.Int64
	mu             sync.Mutex
	failures       atomic.Int64 // in a row, while closed
	since          time.Time
	retryAt        time.Time
	interval       time.Duration
	probing        bool
	lastErr        error
	lastSummary    time.Time
	refusedSummary int64
}

// allow reports ErrDown while the breaker is open, starting the probe
// when its interval has passed.
func (b *breaker) allow() error {
	if !b.open.Load() {
		return nil
	}
	b.refused.Add(1)
	b.probeIfDue()
	return ErrDown
}

// probeIfDue starts the probe when the open interval has passed and none
// is running.
func (b *breaker) probeIfDue() {
	b.mu.Lock()
	start := b.open.Load() && !b.probing && !b.now().Before(b.retryAt)
	if start {
		b.probing = true
	}
	b.mu.Unlock()
	if start {
		go b.runProbe()
	}
}

// record notes an operation's outcome. A failure caused by the caller
// (its context cancelled or past its own deadline) says nothing of Redis
// and is not counted.
func (b *breaker) record(parent context.Context, err error) {
	if err == nil {
		if b.failures.Load() != 0 {
			b.failures.Store(0)
		}
		return
	}
	if parent.Err() != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open.Load() || b.failures.Add(1) < int64(b.after) {
		return
	}
	b.trip(err, b.after)
}

// fail opens the breaker at once (Check found Redis down).
func (b *breaker) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open.Load() {
		b.trip(err, 1)
	}
}

// trip opens the breaker after failures failures in a row; b.mu is held.
func (b *breaker) trip(err error, failures int) {
	interval := b.openFor
	now := b.now()
	b.open.Store(true)
	b.failures.Store(0)
	b.since, b.lastSummary = now, now
	b.interval = interval
	b.retryAt = now.Add(interval)
	b.lastErr = err
	b.refused.Store(0)
	b.refusedSummary = 0
	if b.logger != nil {
		b.logger.LogAttrs(context.Background(), slog.LevelError, "redisstore: Redis is down; every operation fails at once until it answers again",
			slog.Any("error", err), slog.Int("failures_in_a_row", failures), slog.Duration("retry_in", interval))
	}
	b.emit(observe.StoreDown, err)
}

// runProbe tries Redis once and closes or reopens the breaker.
func (b *breaker) runProbe() {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	err := b.probe(ctx)
	cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	now := b.now()
	if err == nil {
		downFor := now.Sub(b.since)
		b.open.Store(false)
		b.since, b.lastErr = now, nil
		b.failures.Store(0)
		if b.logger != nil {
			b.logger.LogAttrs(ctx, slog.LevelInfo, "redisstore: Redis answers again",
				slog.Duration("down_for", downFor.Round(time.Millisecond)), slog.Int64("refused", b.refused.Load()))
		}
		b.emit(observe.StoreUp, nil)
		return
	}
	b.lastErr = err
	b.interval = min(2*b.interval, b.most)
	b.retryAt = now.Add(b.interval)
	if b.logger != nil && now.Sub(b.lastSummary) >= summaryEvery {
		refused := b.refused.Load()
		b.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: Redis is still down",
			slog.Any("error", err), slog.Duration("down_for", now.Sub(b.since).Round(time.Millisecond)),
			slog.Int64("refused_since_last", refused-b.refusedSummary), slog.Duration("retry_in", b.interval))
		b.lastSummary, b.refusedSummary = now, refused
	}
}

func (b *breaker) emit(d observe.Decision, err error) {
	if b.observer != nil {
		b.observer.Observe(observe.Event{Middleware: "redisstore", Decision: d, Detail: "redis", Err: err})
	}
}

// health is the breaker's state. Asking starts a probe that is due, so
// that a health check sees Redis come back even when no request used it.
func (b *breaker) health() Health {
	b.probeIfDue()
	b.mu.Lock()
	defer b.mu.Unlock()
	h := Health{Up: !b.open.Load(), Since: b.since, Err: b.lastErr}
	if !h.Up {
		h.Refused = b.refused.Load()
	}
	return h
}
