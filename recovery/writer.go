package recovery

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// errReleased is what a call through the writer returns once the
// middleware that made it has returned.
var errReleased = errors.New("recovery: response written after the handler returned")

// writer notes whether its response has started, for a ResponseWriter
// that cannot tell (see statusWriter).
//
// It is made for one request and never reused: a pool would hand a
// goroutine the handler left behind another request's response. Once the
// middleware has returned (release) it no longer reaches the response: a
// late call gets a detached header map, its writes and flushes do nothing
// and return errReleased. The mutex makes that exact: no write, flush or
// hijack is half-way through the response when the middleware returns.
type writer struct {
	w http.ResponseWriter

	mu       sync.Mutex  // held by every write, flush and hijack, and by release
	released atomic.Bool // set under mu; read without it by Header and Unwrap
	status   int         // the first final status; 0 until the response started
}

// release cuts the writer off from the response.
func (tw *writer) release() {
	tw.mu.Lock()
	tw.released.Store(true)
	tw.mu.Unlock()
}

// Status returns the final status written so far: 0 until the response
// started, 200 once a Write or a Flush started it without one, 101 after
// a Hijack.
func (tw *writer) Status() int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.status
}

// Header returns the response's header map, or, after release, an empty
// one that goes nowhere. It takes no lock: what a caller does with the map
// happens after Header returned, so a lock could not cover it; the check
// is what keeps a late caller off the response.
func (tw *writer) Header() http.Header {
	if tw.released.Load() {
		return http.Header{}
	}
	return tw.w.Header()
}

// WriteHeader notes the first final status. RFC 9110 §15.2: a 1xx is
// informational and a final status follows it, so after a 100 or a 103
// a 500 can still be written; 101 Switching Protocols ends the response
// as net/http treats it.
func (tw *writer) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.released.Load() {
		return
	}
	if tw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		tw.status = code
	}
	tw.w.WriteHeader(code)
}

// Write starts the response with a 200 when no status was written, as
// net/http does (even for an empty Write).
func (tw *writer) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.released.Load() {
		return 0, errReleased
	}
	if tw.status == 0 {
		tw.status = http.StatusOK
	}
	return tw.w.Write(b)
}

// Flush keeps http.Flusher working through the writer for handlers that
// assert it directly.
func (tw *writer) Flush() { _ = tw.FlushError() }

// FlushError is what http.ResponseController.Flush calls. A flush before
// any status sends a 200, as net/http does.
func (tw *writer) FlushError() error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.released.Load() {
		return errReleased
	}
	if tw.status == 0 {
		tw.status = http.StatusOK
	}
	return http.NewResponseController(tw.w).Flush()
}

// Hijack keeps http.Hijacker working through the writer (WebSocket
// libraries assert it directly). A hijacked connection is no longer an
// HTTP response a 500 can be written to: it counts as started (101).
func (tw *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.released.Load() {
		return nil, nil, errReleased
	}
	conn, rw, err := http.NewResponseController(tw.w).Hijack()
	if err == nil && tw.status == 0 {
		tw.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController
// (deadlines, full duplex), or, after release, one that goes nowhere.
func (tw *writer) Unwrap() http.ResponseWriter {
	if tw.released.Load() {
		return releasedWriter{}
	}
	return tw.w
}

// releasedWriter is what a writer stands for once released: a
// ResponseWriter that reaches no response.
type releasedWriter struct{}

func (releasedWriter) Header() http.Header                          { return http.Header{} }
func (releasedWriter) Write([]byte) (int, error)                    { return 0, errReleased }
func (releasedWriter) WriteHeader(int)                              {}
func (releasedWriter) FlushError() error                            { return errReleased }
func (releasedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errReleased }
func (releasedWriter) SetWriteDeadline(time.Time) error             { return errReleased }
func (releasedWriter) SetReadDeadline(time.Time) error              { return errReleased }
func (releasedWriter) EnableFullDuplex() error                      { return errReleased }
