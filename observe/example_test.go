package observe_test

import (
	"fmt"
	"net/http/httptest"
	"sync"

	"github.com/myblog/apikit/observe"
)

// counts is an Observer that counts decisions by middleware and decision,
// as a metrics exporter would.
type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) Observe(ev observe.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[ev.Middleware+" "+string(ev.Decision)]++
}

// Every middleware's Config has an Observer field; one value serves them
// all. Here the events are sent by hand, as the middlewares would.
func Example() {
	c := &counts{n: map[string]int{}}
	var o observe.Observer = c // ratelimit.Config{Observer: o}, auth.Config{Observer: o}, ...
	r := httptest.NewRequest("GET", "/posts", nil)
	o.Observe(observe.Event{Middleware: "ratelimit", Decision: observe.Admitted, Detail: "core", Request: r})
	o.Observe(observe.Event{Middleware: "ratelimit", Decision: observe.Admitted, Detail: "core", Request: r})
	o.Observe(observe.Event{Middleware: "conditional", Decision: observe.NotModified, Request: r})
	fmt.Println(c.n["ratelimit admitted"], c.n["conditional not_modified"])
	// Output: 2 1
}
