package ratelimit

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/myblog/apikit/observe"
)

// quota is one request's count, kept so that it can be given back.
type quota struct {
	limiter *Limiter
	store   Store // where the request was counted
	request *http.Request
	key     Key
	res     *resource
	usage   Usage
	now     time.Time
	header  http.Header
}

// refund gives the request back and corrects the headers already set. It
// reports whether the store took the request back; a failure is logged
// at Warn, since the response goes on with the request counted.
func (q *quota) refund() bool {
	l := q.limiter
	if err := q.store.Refund(q.request.Context(), q.key, q.usage.Reset, q.now); err != nil {
		l.storeFailed(q.request, "refund", err, slog.LevelWarn)
		return false
	}
	q.usage.Used--
	l.setHeaders(q.header, q.res, q.key.Caller.Kind, q.usage, q.now)
	return true
}

// errReleased is what a write through a refundWriter returns once the
// middleware that made it has returned.
var errReleased = errors.New("ratelimit: write after the handler returned")

// refundWriter gives the request back to the quota when the response is a
// 304 that answers a validator the client got from us (refundable),
// before the status line goes out, so the 304's own X-RateLimit-Remaining
// and -Used already count it out.
//
// It is made for one request and never reused. Once the middleware has
// returned (release), it no longer reaches the response: a goroutine the
// handler left behind gets a detached header map, its writes and flushes
// do nothing and return errReleased, and a late 304 refunds nothing. The
// mutex makes that exact: no call is half-way through the response when
// the middleware returns.
type refundWriter struct {
	w     http.ResponseWriter
	quota quota

	mu          sync.Mutex
	wroteHeader bool
	released    bool
}

// release cuts the writer off from the response; the middleware calls it
// when the handler returns.
func (w *refundWriter) release() {
	w.mu.Lock()
	w.released = true
	w.mu.Unlock()
}

// Header returns the response's header map, or, after release, an empty
// one that goes nowhere.
func (w *refundWriter) Header() http.Header {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return releasedWriter{}.Header()
	}
	return w.w.Header()
}

func (w *refundWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return
	}
	if !w.wroteHeader && code != http.StatusContinue && code != http.StatusEarlyHints {
		w.wroteHeader = true
		if code == http.StatusNotModified && refundable(w.quota.request, w.w.Header(), w.quota.now) && w.quota.refund() {
			l := w.quota.limiter
			l.observe(w.quota.request, observe.Refunded, w.quota.res.Name, nil)
		}
	}
	w.w.WriteHeader(code)
}

func (w *refundWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return 0, errReleased
	}
	w.wroteHeader = true
	return w.w.Write(b)
}

// Flush keeps http.Flusher working through the wrapper for handlers that
// assert it directly.
func (w *refundWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController.Flush calls: the flush of the
// response, or errReleased after release.
func (w *refundWriter) FlushError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return errReleased
	}
	w.wroteHeader = true
	return http.NewResponseController(w.w).Flush()
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController
// (deadlines, Hijack), or, after release, one that goes nowhere.
func (w *refundWriter) Unwrap() http.ResponseWriter {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return releasedWriter{}
	}
	return w.w
}

// releasedWriter is what a refundWriter stands for once released: a
// ResponseWriter that reaches no response.
type releasedWriter struct{}

func (releasedWriter) Header() http.Header              { return http.Header{} }
func (releasedWriter) Write([]byte) (int, error)        { return 0, errReleased }
func (releasedWriter) WriteHeader(int)                  {}
func (releasedWriter) FlushError() error                { return errReleased }
func (releasedWriter) SetWriteDeadline(time.Time) error { return errReleased }
func (releasedWriter) SetReadDeadline(time.Time) error  { return errReleased }
