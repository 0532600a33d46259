package logthrottle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAllow(t *testing.T) {
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		at         time.Duration
		log        bool
		suppressed int64
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{9 * time.Second, false, 0},
		{10 * time.Second, true, 2},
		{10*time.Second + time.Millisecond, false, 0},
		{time.Minute, true, 1},
	}
	var th Throttle
	for _, tt := range tests {
		log, suppressed := th.Allow(start.Add(tt.at))
		assert.Equal(t, tt.log, log, "at %v", tt.at)
		assert.Equal(t, tt.suppressed, suppressed, "at %v", tt.at)
	}
}

func TestInterval(t *testing.T) {
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	th := Throttle{Interval: time.Second}
	log, _ := th.Allow(start)
	assert.True(t, log)
	log, _ = th.Allow(start.Add(999 * time.Millisecond))
	assert.False(t, log)
	log, n := th.Allow(start.Add(time.Second))
	assert.True(t, log)
	assert.Equal(t, int64(1), n)
}
