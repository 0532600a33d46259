package nginxtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/internal/nginxtest"
)

// What the usual configuration does to a client's forwarding headers,
// which the forwarded package's defaults rely on: nginx appends to
// X-Forwarded-For, replaces X-Real-IP and X-Forwarded-Proto, and passes
// Forwarded and X-Forwarded-Host through as the client sent them.
func TestStart(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen := map[string]any{"RemoteAddr": r.RemoteAddr, "Host": r.Host, "URI": r.RequestURI}
		for _, key := range []string{"X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"} {
			seen[key] = r.Header.Values(key)
		}
		_ = json.NewEncoder(w).Encode(seen)
	}))
	defer upstream.Close()
	proxy := nginxtest.Start(t, upstream.URL)

	tests := []struct {
		name   string
		header http.Header
		want   map[string]any
	}{
		{
			name:   "no forwarding headers",
			header: http.Header{},
			want: map[string]any{"X-Forwarded-For": []any{"127.0.0.2"}, "X-Real-Ip": []any{"127.0.0.2"}, "X-Forwarded-Proto": []any{"http"},
				"X-Forwarded-Host": nil, "Forwarded": nil},
		},
		{
			name: "spoofed headers",
			header: http.Header{
				"X-Forwarded-For":   {"198.51.100.1"},
				"X-Real-Ip":         {"198.51.100.2"},
				"X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host":  {"evil.example"},
				"Forwarded":         {"for=198.51.100.3", ";"},
			},
			want: map[string]any{"X-Forwarded-For": []any{"198.51.100.1, 127.0.0.2"}, "X-Real-Ip": []any{"127.0.0.2"}, "X-Forwarded-Proto": []any{"http"},
				"X-Forwarded-Host": []any{"evil.example"}, "Forwarded": []any{"for=198.51.100.3", ";"}},
		},
	}
	client := nginxtest.ClientFrom(t, "127.0.0.2")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, proxy.URL+"/posts?page=2", nil)
			require.NoError(t, err)
			req.Host = "api.myblog.test:8080"
			for key, values := range tt.header {
				req.Header[key] = values
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var seen map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&seen))
			assert.Regexp(t, `^127\.0\.0\.1:[0-9]+$`, seen["RemoteAddr"], "nginx connects from 127.0.0.1")
			delete(seen, "RemoteAddr")
			want := map[string]any{"Host": "api.myblog.test", "URI": "/posts?page=2"}
			for k, v := range tt.want {
				want[k] = v
			}
			assert.Equal(t, want, seen, "$host drops the port")
		})
	}
}
