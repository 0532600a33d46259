package jsonp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/jsonp"
	"github.com/myblog/apikit/observe"
)

// A custom OnError answers a refused callback whole on a real server: its
// status, its own Content-Type and body reach the client, and the headers
// the middlewares outside set (the rate limiter's) are still there.
func TestOnErrorAnswersWholeOnARealServer(t *testing.T) {
	calls := make(chan *apierrors.Error, 1)
	m := newMiddleware(t, func(c *jsonp.Config) {
		c.OnError = func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			calls <- e
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(e.Status)
			_, _ = io.WriteString(w, "bad callback\n")
		}
	})
	srv := httptest.NewServer(rateLimited(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran for a refused callback")
	}))))
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/posts?callback=alert(1)")
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "bad callback\n", string(got))
	assert.Equal(t, "4966", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, &apierrors.Error{Status: http.StatusBadRequest, Message: jsonp.MsgInvalidCallback, ID: "invalid_callback"}, <-calls)
}

func TestObserverSeesRefusedCallbacks(t *testing.T) {
	var mu sync.Mutex
	var events []observe.Event
	m := newMiddleware(t, func(c *jsonp.Config) {
		c.Observer = observe.Func(func(ev observe.Event) {
			mu.Lock()
			defer mu.Unlock()
			ev.Request = nil // compared below by target
			events = append(events, ev)
		})
	})
	h := m.Handler(handler(200, jsonType, `{}`))
	for target, code := range map[string]int{
		"/posts":                   200,
		"/posts?callback=ok":       200,
		"/posts?callback=alert(1)": 400,
		"/posts?callback=1abc":     400,
		"/posts?callback=a..b":     400,
	} {
		assert.Equal(t, code, get(h, target).Code, target)
	}
	invalid := observe.Event{Middleware: "jsonp", Decision: observe.Invalid, Detail: "callback"}
	assert.Equal(t, []observe.Event{invalid, invalid, invalid}, events)
}

// Rule of net/http: a ResponseWriter may not be used after ServeHTTP
// returned, but a handler that leaves a goroutine behind does. Its late
// calls must neither panic nor reach another request's script, though
// the middleware reuses pooled buffers.
func TestLateWritesAfterTheMiddlewareReturned(t *testing.T) {
	m := newMiddleware(t)
	leftBehind := make(chan http.ResponseWriter, 1)
	secondStarted := make(chan struct{})
	lateDone := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/first", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		_, _ = w.Write([]byte(`{"first":true}`))
		leftBehind <- w // for a goroutine that outlives the handler
	})))
	mux.Handle("/second", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		_, _ = w.Write([]byte(`{"login":`))
		close(secondStarted)
		<-lateDone // the late goroutine writes while this script is being built
		_, _ = w.Write([]byte(`"octocat"}`))
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	first, err := srv.Client().Get(srv.URL + "/first?callback=cb")
	require.NoError(t, err)
	firstBody, err := io.ReadAll(first.Body)
	require.NoError(t, err)
	require.NoError(t, first.Body.Close())
	assert.Equal(t, `/**/cb({"meta":{"status":200},"data":{"first":true}})`, string(firstBody))
	late := <-leftBehind // the first request's middleware has returned

	type result struct {
		resp *http.Response
		body string
		err  error
	}
	second := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL + "/second?callback=cb")
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
		late.Header().Set("X-RateLimit-Late", "1")
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
	assert.Equal(t, `/**/cb({"meta":{"status":200},"data":{"login":"octocat"}})`, got.body, "the second script is whole and has nothing of the late writes")
	assert.Empty(t, got.resp.Header.Get("X-RateLimit-Late"))
}
