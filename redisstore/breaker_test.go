package redisstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/observe"
)

// fakeClock is the breaker's clock in these tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// probes answers the breaker's PINGs with the errors it is given, one per
// probe, and says when each has run.
type probes struct {
	answers chan error
	done    chan struct{}
}

func (p *probes) probe(context.Context) error {
	err := <-p.answers
	defer func() { p.done <- struct{}{} }()
	return err
}

// answer lets the next probe return err and waits for the breaker to take
// the outcome in.
func (p *probes) answer(t *testing.T, err error) {
	t.Helper()
	p.answers <- err
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("no probe ran")
	}
}

type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) Observe(ev observe.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev.Middleware+" "+string(ev.Decision)+" "+ev.Detail)
}

func newTestBreaker(t *testing.T) (*breaker, *fakeClock, *probes, *bytes.Buffer, *events) {
	clock := &fakeClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	p := &probes{answers: make(chan error), done: make(chan struct{})}
	logs := new(bytes.Buffer)
	ev := new(events)
	b := &breaker{
		after: 3, openFor: 500 * time.Millisecond, most: 2 * time.Second,
		probe: p.probe, timeout: time.Second,
		logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)), observer: ev, now: clock.Now,
	}
	return b, clock, p, logs, ev
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// waitState polls the breaker's state (set by the probe's goroutine).
func waitState(t *testing.T, b *breaker, up bool) {
	t.Helper()
	require.Eventually(t, func() bool { return b.health().Up == up }, 5*time.Second, time.Millisecond)
}

func TestBreakerOpensAfterARunOfFailures(t *testing.T) {
	b, _, _, logs, ev := newTestBreaker(t)
	ctx := context.Background()
	down := errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	tests := []struct {
		name string
		err  error
		ctx  context.Context
		up   bool
	}{
		{"first failure", down, ctx, true},
		{"a success resets the run", nil, ctx, true},
		{"failure 1", down, ctx, true},
		{"failure 2", down, ctx, true},
		{"the caller's own cancellation is not Redis's fault", context.Canceled, cancelled(), true},
		{"failure 3 opens it", down, ctx, false},
	}
	for _, tt := range tests {
		require.NoError(t, b.allow(), tt.name)
		b.record(tt.ctx, tt.err)
		assert.Equal(t, tt.up, b.health().Up, tt.name)
	}
	assert.ErrorIs(t, b.allow(), ErrDown, "fails at once while open")
	assert.Equal(t, 1, strings.Count(logs.String(), "\n"), logs.String())
	assert.Contains(t, logs.String(), `level=ERROR msg="redisstore: Redis is down`)
	assert.Equal(t, []string{"redisstore store_down redis"}, ev.list)
	h := b.health()
	assert.Equal(t, down, h.Err)
	assert.Equal(t, int64(1), h.Refused)
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestBreakerProbesInTheBackgroundAndBacksOff(t *testing.T) {
	b, clock, p, logs, ev := newTestBreaker(t)
	down := errors.New("i/o timeout")
	for range 3 {
		b.record(context.Background(), down)
	}
	require.False(t, b.health().Up)

	// Before the interval: no probe, every operation fails at once.
	clock.Advance(499 * time.Millisecond)
	for range 100 {
		require.ErrorIs(t, b.allow(), ErrDown)
	}
	// Then one probe starts (the operation still fails at once); while it
	// runs, no other starts.
	intervals := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
	for i, interval := range intervals[:len(intervals)-1] {
		clock.Advance(interval)
		require.ErrorIs(t, b.allow(), ErrDown)
		require.ErrorIs(t, b.allow(), ErrDown, "a probe is already running")
		p.answer(t, down)
		waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return !b.probing })
		b.mu.Lock()
		got := b.interval
		b.mu.Unlock()
		assert.Equal(t, intervals[i+1], got, "the interval doubles, up to BreakForMax")
	}
	// Redis answers: closed, one line, one event.
	clock.Advance(2 * time.Second)
	require.ErrorIs(t, b.allow(), ErrDown)
	p.answer(t, nil)
	waitState(t, b, true)
	require.NoError(t, b.allow())
	assert.Equal(t, []string{"redisstore store_down redis", "redisstore store_up redis"}, ev.list)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 3, "down, one summary past 10s, back:\n%s", logs.String())
	assert.Contains(t, lines[1], `msg="redisstore: Redis is still down"`)
	assert.Contains(t, lines[2], `msg="redisstore: Redis answers again"`)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond)
}
