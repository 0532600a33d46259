package accesslog_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/accesslog"
)

var benchBody = []byte(`{"id":1}`)

// BenchmarkHandler is one request through the access log: its writer is
// the one allocation of its own; a record logged costs what slog's
// handler costs (a Record holds five attributes inline, the rest are one
// allocation).
func BenchmarkHandler(b *testing.B) {
	discard := slog.New(slog.DiscardHandler)
	json := slog.New(slog.NewJSONHandler(io.Discard, nil))
	requestID := func(*http.Request) []slog.Attr { return []slog.Attr{slog.String("request_id", "req-1")} }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /posts/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(benchBody) })
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(benchBody) })
	for _, bc := range []struct {
		name   string
		cfg    accesslog.Config
		router bool
		record bool // RecordRoute around the router
	}{
		{name: "logger=discard", cfg: accesslog.Config{Logger: discard}},
		{name: "logger=discard/done=on", cfg: accesslog.Config{Logger: discard, Done: func(*http.Request, accesslog.Entry) {}}},
		{name: "logger=discard/router=mux", cfg: accesslog.Config{Logger: discard}, router: true},
		{name: "logger=discard/router=mux/route=on", cfg: accesslog.Config{Logger: discard}, router: true, record: true},
		{name: "logger=json", cfg: accesslog.Config{Logger: json}},
		{name: "logger=json/attrs=on", cfg: accesslog.Config{Logger: json, Attrs: requestID}},
		{name: "logger=json/router=mux/route=on", cfg: accesslog.Config{Logger: json}, router: true, record: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := accesslog.New(bc.cfg)
			require.NoError(b, err)
			var h http.Handler = next
			switch {
			case bc.record:
				h = accesslog.RecordRoute(mux)
			case bc.router:
				h = mux
			}
			h = m.Handler(h)
			r := httptest.NewRequest(http.MethodGet, "/posts/1?access_token=x", nil)
			r.Header.Set("User-Agent", "bench")
			w := sink{http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}
