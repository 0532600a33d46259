package main

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/observe"
)

// metrics exports the middlewares' decisions and the requests' latency in
// Prometheus' text format at GET /metrics:
//
//	apikit_decisions_total{middleware="ratelimit",decision="limited",detail="core"} 3
//	blog_http_request_duration_seconds_bucket{route="GET /posts/{id}",status="200",le="0.005"} 41
//
// It is the observe.Observer of every middleware and the access log's
// Done hook. Each registry is its own, so tests can run several servers.
type metrics struct {
	registry  *prometheus.Registry
	decisions *prometheus.CounterVec
	latency   *prometheus.HistogramVec

	// counters caches the counter of each label set: a decision costs a
	// map lookup and an atomic add, no allocation.
	counters sync.Map // decisionKey -> prometheus.Counter
}

type decisionKey struct{ middleware, decision, detail string }

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apikit_decisions_total",
			Help: "Decisions of apikit's middlewares, by middleware, decision and detail (a resource, a caller kind, a reason).",
		}, []string{"middleware", "decision", "detail"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "blog_http_request_duration_seconds",
			Help:    "Time to answer a request, by route pattern and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
	}
	m.registry.MustRegister(m.decisions, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe counts one decision.
func (m *metrics) Observe(ev observe.Event) {
	key := decisionKey{ev.Middleware, string(ev.Decision), ev.Detail}
	c, ok := m.counters.Load(key)
	if !ok {
		c, _ = m.counters.LoadOrStore(key, m.decisions.WithLabelValues(key.middleware, key.decision, key.detail))
	}
	c.(prometheus.Counter).Inc()
}

// requestDone records a request's latency; the access log calls it when a
// request is answered. Requests no route matched share the route
// "unmatched", so scanners cannot grow the label set.
func (m *metrics) requestDone(_ *http.Request, e accesslog.Entry) {
	route := e.Route
	if route == "" {
		route = "unmatched"
	}
	m.latency.WithLabelValues(route, strconv.Itoa(e.Status)).Observe(e.Elapsed.Seconds())
}

// handler serves the registry in the text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
