package recovery_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/accesslog"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/recovery"
)

var benchBody = []byte(`{"id":1}`)

// BenchmarkHandler is a request that does not panic: alone, recovery
// wraps the response once (one allocation); inside the access log it
// uses the access log's writer and adds nothing to it.
func BenchmarkHandler(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(benchBody) })
	discard := slog.New(slog.DiscardHandler)
	m, err := recovery.New(recovery.Config{Logger: discard})
	require.NoError(b, err)
	observed, err := recovery.New(recovery.Config{Logger: discard, Observer: observe.Func(func(observe.Event) {})})
	require.NoError(b, err)
	al, err := accesslog.New(accesslog.Config{Logger: discard})
	require.NoError(b, err)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"case=bare", next},
		{"case=alone", m.Handler(next)},
		{"case=alone/observer=on", observed.Handler(next)},
		{"case=accesslog", al.Handler(next)},
		{"case=accesslog+recovery", al.Handler(m.Handler(next))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/posts", nil)
			w := &statusLog{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				w.codes = w.codes[:0]
				w.body.Reset()
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkPanic is a recovered panic: the stack, the log record and the
// 500's body.
func BenchmarkPanic(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	m, err := recovery.New(recovery.Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(b, err)
	h := m.Handler(next)
	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	w := &statusLog{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.codes = w.codes[:0]
		w.body.Reset()
		h.ServeHTTP(w, r)
	}
}
