package conditional_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rule of net/http: a ResponseWriter may not be used after ServeHTTP
// returned, but a handler that leaves a goroutine behind does. Its late
// calls must neither panic nor reach another request's response, though
// the middleware's writers reuse pooled buffers.
func TestLateWritesAfterTheMiddlewareReturned(t *testing.T) {
	m := newMiddleware(t)
	leftBehind := make(chan http.ResponseWriter, 1)
	secondStarted := make(chan struct{})
	lateDone := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/first", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"first":true}`))
		leftBehind <- w // for a goroutine that outlives the handler
	})))
	mux.Handle("/second", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(body[:10]))
		close(secondStarted)
		<-lateDone // the late goroutine writes while this response is being built
		_, _ = w.Write([]byte(body[10:]))
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	first, err := srv.Client().Get(srv.URL + "/first")
	require.NoError(t, err)
	firstBody, err := io.ReadAll(first.Body)
	require.NoError(t, err)
	require.NoError(t, first.Body.Close())
	assert.Equal(t, `{"first":true}`, string(firstBody))
	late := <-leftBehind // the first request's middleware has returned

	type result struct {
		resp *http.Response
		body string
		err  error
	}
	second := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL + "/second")
		if err != nil {
			second <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		second <- result{resp: resp, body: string(b), err: err}
	}()
	<-secondStarted

	var writeErr, flushErr error
	var written int
	go func() {
		defer close(lateDone)
		late.Header().Set("X-Late", "1")
		late.WriteHeader(http.StatusTeapot)
		written, writeErr = late.Write([]byte("late bytes"))
		flushErr = http.NewResponseController(late).Flush()
		late.(http.Flusher).Flush()
		_ = http.NewResponseController(late).EnableFullDuplex()
	}()
	<-lateDone
	assert.Zero(t, written)
	assert.Error(t, writeErr)
	assert.Error(t, flushErr)

	got := <-second
	require.NoError(t, got.err)
	assert.Equal(t, http.StatusOK, got.resp.StatusCode)
	assert.Equal(t, body, got.body, "the second response is whole and has nothing of the late writes")
	assert.Equal(t, bodyETag, got.resp.Header.Get("ETag"))
	assert.Empty(t, got.resp.Header.Get("X-Late"))
}
