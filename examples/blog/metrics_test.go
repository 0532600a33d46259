package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetrics sends known traffic and reads it back from GET /metrics,
// parsed with Prometheus' own text parser: every middleware's decisions
// are counted, and the latency histogram has one observation per request,
// by route and status.
func TestMetrics(t *testing.T) {
	b := e2eStart(t, func(c *config) { c.rateLimitAnonymous = 3 })
	send := func(method, path string, header ...string) *http.Response {
		req, err := http.NewRequest(method, b.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "metrics-test")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := b.client.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	first := send("GET", "/posts") // admitted
	require.Equal(t, http.StatusOK, first.StatusCode)
	notModified := send("GET", "/posts", "If-None-Match", first.Header.Get("ETag")) // 304: refunded
	require.Equal(t, http.StatusNotModified, notModified.StatusCode)
	send("GET", "/posts") // admitted
	send("GET", "/posts") // admitted: the third of 3
	limited := send("GET", "/posts")
	require.Equal(t, http.StatusForbidden, limited.StatusCode)
	send("GET", "/user", "Authorization", "Bearer not.a.token") // 401 before the limiter
	send("GET", "/posts", "User-Agent", "")                     // 403 without a User-Agent
	send("GET", "/posts", "Accept", "application/vnd.myblog.v2+json")
	send("OPTIONS", "/posts", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PATCH")

	resp, err := b.client.Get(b.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)

	decisions := map[string]float64{}
	for _, m := range families["apikit_decisions_total"].GetMetric() {
		decisions[labels(m, "middleware", "decision", "detail")] = m.GetCounter().GetValue()
	}
	assert.Equal(t, map[string]float64{
		"ratelimit admitted core":          4, // 3 counted, the 304 among them before its refund
		"ratelimit refunded core":          1,
		"ratelimit limited core":           1,
		"conditional not_modified etag":    1,
		"auth token_refused malformed":     1,
		"useragent forbidden user_agent":   1,
		"mediatype not_acceptable version": 1,
		"cors preflight ":                  1,
	}, pick(decisions, "ratelimit", "conditional", "auth", "useragent", "mediatype", "cors"))

	latency := map[string]uint64{}
	for _, m := range families["blog_http_request_duration_seconds"].GetMetric() {
		latency[labels(m, "route", "status")] = m.GetHistogram().GetSampleCount()
	}
	// Refusals answered before the router have no route.
	assert.Equal(t, map[string]uint64{
		"GET /posts 200": 3,
		"GET /posts 304": 1,
		"unmatched 403":  2, // over the quota, no User-Agent
		"unmatched 401":  1,
		"unmatched 406":  1,
		"unmatched 204":  1, // the preflight
	}, latency)
	assert.NotZero(t, families["go_goroutines"].GetMetric(), "the Go runtime's collectors are registered")
}

// labels joins a metric's values of names with spaces.
func labels(m *dto.Metric, names ...string) string {
	values := make([]string, len(names))
	for _, l := range m.GetLabel() {
		for i, n := range names {
			if l.GetName() == n {
				values[i] = l.GetValue()
			}
		}
	}
	return strings.Join(values, " ")
}

// pick keeps the counts of the named middlewares.
func pick(counts map[string]float64, middlewares ...string) map[string]float64 {
	out := map[string]float64{}
	for key, v := range counts {
		for _, m := range middlewares {
			if strings.HasPrefix(key, m+" ") {
				out[key] = v
			}
		}
	}
	return out
}
