package accesslog

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// errReleased is what a call through the recorder returns once the
// middleware that made it has returned.
var errReleased = errors.New("accesslog: response written after the handler returned")

// recorder notes the status and the body's size of one response.
//
// It is made for one request and never reused: a pool would hand a
// goroutine the handler left behind another request's response. Once the
// middleware has returned (release) it no longer reaches the response: a
// late call gets a detached header map, its writes and flushes do nothing
// and return errReleased. The mutex makes that exact: no write, flush or
// hijack is half-way through the response when the middleware returns.
type recorder struct {
	w http.ResponseWriter

	mu       sync.Mutex  // held by every write, flush and hijack, and by release
	released atomic.Bool // set under mu; read without it by Header and Unwrap
	status   int         // the first final status; 0 until the response started
	bytes    int64
	route    string
}

// release cuts the recorder off from the response and returns what it
// recorded.
func (rec *recorder) release() (status int, bytes int64, route string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.released.Store(true)
	return rec.status, rec.bytes, rec.route
}

// Status returns the final status written so far: 0 until the response
// started, 200 once a Write or a Flush started it without one, 101 after
// a Hijack. An apikit recovery middleware inside the access log reads it
// to tell whether a 500 can still be written, instead of wrapping the
// response again.
func (rec *recorder) Status() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.status
}

// setRoute records the route; false once released.
func (rec *recorder) setRoute(route string) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.released.Load() {
		return false
	}
	rec.route = route
	return true
}

// Header returns the response's header map, or, after release, an empty
// one that goes nowhere. It takes no lock: what a caller does with the map
// happens after Header returned, so a lock could not cover it; the check
// is what keeps a late caller off the response.
func (rec *recorder) Header() http.Header {
	if rec.released.Load() {
		return http.Header{}
	}
	return rec.w.Header()
}

// WriteHeader records the first final status. RFC 9110 §15.2: a 1xx is
// informational and a final status follows it, so 100 and 103 are passed
// on but not recorded; 101 Switching Protocols ends the response as net/http
// treats it, and is.
func (rec *recorder) WriteHeader(code int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.released.Load() {
		return
	}
	if rec.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rec.status = code
	}
	rec.w.WriteHeader(code)
}

// Write counts the bytes written; a Write without a WriteHeader is a 200,
// as net/http sends it (even an empty one).
func (rec *recorder) Write(b []byte) (int, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.released.Load() {
		return 0, errReleased
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.w.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Flush keeps http.Flusher working through the recorder for handlers that
// assert it directly.
func (rec *recorder) Flush() { _ = rec.FlushError() }

// FlushError is what http.ResponseController.Flush calls. A flush before
// any status sends a 200, as net/http does.
func (rec *recorder) FlushError() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.released.Load() {
		return errReleased
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return http.NewResponseController(rec.w).Flush()
}

// Hijack keeps http.Hijacker working through the recorder (WebSocket
// libraries assert it directly). A hijacked connection whose handler set
// no status is recorded as 101 Switching Protocols, what an upgrade
// answers, as gorilla/handlers' logger records it: the handler writes its
// own status line on the connection, out of the recorder's sight.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.released.Load() {
		return nil, nil, errReleased
	}
	conn, rw, err := http.NewResponseController(rec.w).Hijack()
	if err == nil && rec.status == 0 {
		rec.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController
// (deadlines, full duplex), or, after release, one that goes nowhere.
func (rec *recorder) Unwrap() http.ResponseWriter {
	if rec.released.Load() {
		return releasedWriter{}
	}
	return rec.w
}

// releasedWriter is what a recorder stands for once released: a
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
