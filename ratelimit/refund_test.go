package ratelimit_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlushAndUnwrapThroughTheRefundWriter(t *testing.T) {
	f := newFixture(t)
	var flushed, unwrapped bool
	h := f.limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, unwrapped = w.(interface{ Unwrap() http.ResponseWriter })
		w.(http.Flusher).Flush()
		flushed = true
		require.NoError(t, http.NewResponseController(w).Flush())
	}))
	w := f.serve(h, "GET", "/posts", "If-None-Match", `"x"`)
	assert.True(t, unwrapped)
	assert.True(t, flushed)
	assert.True(t, w.Flushed)
}

// lateCalls is what a goroutine left behind by a handler got from the
// refund writer after the middleware returned.
type lateCalls struct {
	header             http.Header
	writeErr, flushErr error
	deadlineErr        error
	unwrapped          http.ResponseWriter
	wrote              int
	unwrappedHeader    http.Header
}

// TestRefundWriterAfterReturn: a handler leaves a goroutine behind that
// uses the ResponseWriter after the middleware returned, while the next
// request is being served. Its calls never panic, never reach either
// response, and its late 304 gives nothing back to the quota. Run with
// -race: a late call that touched the response would be a data race with
// the server.
func TestRefundWriterAfterReturn(t *testing.T) {
	f := newFixture(t)
	returned := make(chan struct{})      // the middleware served the first request
	secondStarted := make(chan struct{}) // the second request's handler runs
	lateDone := make(chan lateCalls)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Step") {
		case "first":
			go func() {
				<-returned
				<-secondStarted
				var got lateCalls
				got.header = w.Header()
				got.header.Set("X-Late", "leaked")
				w.WriteHeader(http.StatusNotModified)
				got.wrote, got.writeErr = w.Write([]byte("leaked"))
				w.(http.Flusher).Flush()
				got.flushErr = http.NewResponseController(w).Flush()
				got.deadlineErr = http.NewResponseController(w).SetWriteDeadline(time.Time{})
				got.unwrapped = w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
				got.unwrappedHeader = got.unwrapped.Header()
				lateDone <- got
			}()
		case "second":
			close(secondStarted)
			late := <-lateDone
			assert.Equal(t, http.Header{"X-Late": {"leaked"}}, late.header, "a detached header map")
			assert.Equal(t, 0, late.wrote)
			assert.ErrorContains(t, late.writeErr, "after the handler returned")
			assert.ErrorContains(t, late.flushErr, "after the handler returned")
			assert.ErrorContains(t, late.deadlineErr, "after the handler returned")
			assert.Empty(t, late.unwrappedHeader, "Unwrap reaches no response either")
		}
		w.Header().Set("ETag", `"v2"`)
		_, _ = w.Write([]byte("fresh " + r.Header.Get("X-Step")))
	})
	limited := f.limiter.Handler(handler)
	srv, errorLog := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limited.ServeHTTP(w, r)
		if r.Header.Get("X-Step") == "first" {
			close(returned)
		}
	}))

	resp, body := do(t, srv, "GET", "/user", "X-Step", "first", "If-None-Match", `"v1"`)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "fresh first", body)
	assert.Equal(t, "59", resp.Header.Get("X-RateLimit-Remaining"))

	resp, body = do(t, srv, "GET", "/user", "X-Step", "second", "If-None-Match", `"v1"`)
	assert.Equal(t, 200, resp.StatusCode, "the late 304 reached no response")
	assert.Equal(t, "fresh second", body, "the late write reached no response")
	assert.Empty(t, resp.Header.Get("X-Late"))
	assert.Equal(t, "58", resp.Header.Get("X-RateLimit-Remaining"), "the late 304 gave nothing back")
	assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Used"))
	assert.Empty(t, errorLog.String())
}
