package accesslog_test

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// capture is a slog.Handler that keeps every record, its attributes
// flattened in order as name=value pairs.
type capture struct {
	mu      sync.Mutex
	level   slog.Level
	records []record
}

type record struct {
	level   slog.Level
	message string
	attrs   []attr
}

type attr struct {
	key   string
	value any
}

func (c *capture) Enabled(_ context.Context, l slog.Level) bool { return l >= c.level }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := record{level: r.Level, message: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs = append(rec.attrs, attr{a.Key, a.Value.Resolve().Any()})
		return true
	})
	c.mu.Lock()
	c.records = append(c.records, rec)
	c.mu.Unlock()
	return nil
}

func (c *capture) WithAttrs([]slog.Attr) slog.Handler { panic("not used") }
func (c *capture) WithGroup(string) slog.Handler      { panic("not used") }

func (c *capture) all() []record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]record(nil), c.records...)
}

// clock advances by step at every reading, so a request measured with it
// takes exactly step.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func newClock(step time.Duration) *clock {
	return &clock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), step: step}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}
