package observe_test

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/myblog/apikit/observe"
)

func TestFunc(t *testing.T) {
	var mu sync.Mutex
	var got []observe.Event
	var o observe.Observer = observe.Func(func(ev observe.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
	})
	r := httptest.NewRequest("GET", "/posts", nil)
	failure := errors.New("redis: connection refused")
	events := []observe.Event{
		{Middleware: "ratelimit", Decision: observe.Admitted, Detail: "core", Request: r},
		{Middleware: "ratelimit", Decision: observe.StoreError, Request: r, Err: failure},
	}
	for _, ev := range events {
		o.Observe(ev)
	}
	assert.Equal(t, events, got)
}

// An Event passed to an Observer costs no allocation.
func TestObserveDoesNotAllocate(t *testing.T) {
	var n int
	var o observe.Observer = observe.Func(func(ev observe.Event) {
		if ev.Decision == observe.Limited {
			n++
		}
	})
	r := httptest.NewRequest("GET", "/", nil)
	allocs := testing.AllocsPerRun(100, func() {
		o.Observe(observe.Event{Middleware: "ratelimit", Decision: observe.Limited, Detail: "core", Request: r})
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 101, n)
}
