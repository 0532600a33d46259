package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The quick start serves what the README says it does, over a real
// listener: JSON with X-RateLimit-* and a Link header, a 304 for a
// repeated ETag, the errors package's 404 and 422, the User-Agent 403.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, "127.0.0.1:0", slog.New(slog.DiscardHandler), func(a net.Addr) { listening <- a })
	}()
	var base string
	select {
	case addr := <-listening:
		base = "http://" + addr.String()
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10 s")
	}
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })

	get := func(path string, header ...string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "quickstart-test")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	tests := []struct {
		name   string
		path   string
		header []string
		status int
		body   string
		check  func(t *testing.T, h http.Header)
	}{
		{name: "a page of notes with its links", path: "/notes?per_page=2", status: 200, body: `["buy milk","call mum"]`, check: func(t *testing.T, h http.Header) {
			assert.Equal(t, `<`+base+`/notes?per_page=2&page=2>; rel="next", <`+base+`/notes?per_page=2&page=3>; rel="last"`, h.Get("Link"))
			assert.Equal(t, "60", h.Get("X-RateLimit-Limit"))
			assert.Equal(t, "example.v3; format=json", h.Get("X-example-Media-Type"))
			assert.NotEmpty(t, h.Get("X-example-Request-Id"))
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		}},
		{name: "an unknown note is the errors package's 404", path: "/notes/9", status: 404, body: `{"message":"Not Found","documentation_url":"https://docs.example.com/v1"}`},
		{name: "a bad page is a 422", path: "/notes?page=x", status: 422},
		{name: "no User-Agent is a 403", path: "/notes", header: []string{"User-Agent", ""}, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(tt.path, tt.header...)
			assert.Equal(t, tt.status, resp.StatusCode, body)
			if tt.body != "" {
				assert.Equal(t, tt.body, body)
			}
			if tt.check != nil {
				tt.check(t, resp.Header)
			}
		})
	}

	first, body := get("/notes/1")
	require.Equal(t, http.StatusOK, first.StatusCode)
	assert.Equal(t, `{"note":"call mum"}`, body)
	again, body := get("/notes/1", "If-None-Match", first.Header.Get("ETag"))
	assert.Equal(t, http.StatusNotModified, again.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, first.Header.Get("X-RateLimit-Remaining"), again.Header.Get("X-RateLimit-Remaining"), "a 304 does not count")
}
