// Package logthrottle keeps a failure that repeats on every request (a
// store that is down) to one log line every so often: the first one at
// once, then at most one per interval, each saying how many it stands
// for. The events still reach the Observer one by one; only the log is
// spared.
package logthrottle

import (
	"sync"
	"time"
)

// Every is the interval of a zero Throttle.
const Every = 10 * time.Second

// Throttle decides which occurrences of one failure are logged. The zero
// value logs at most one line every Every; it is safe for concurrent use.
type Throttle struct {
	// Interval between two lines. Default Every.
	Interval time.Duration

	mu         sync.Mutex
	next       time.Time
	suppressed int64
}

// Allow reports whether the occurrence at now is to be logged, and how
// many occurrences were not logged since the last line.
func (t *Throttle) Allow(now time.Time) (log bool, suppressed int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Before(t.next) {
		t.suppressed++
		return false, 0
	}
	interval := t.Interval
	if interval <= 0 {
		interval = Every
	}
	t.next = now.Add(interval)
	suppressed, t.suppressed = t.suppressed, 0
	return true, suppressed
}
