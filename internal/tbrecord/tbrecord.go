// Package tbrecord lets the tests of apikit's test-support packages
// (pgtest, oidctest, nginxtest) check what a helper does when it fails
// or skips: Run calls the helper with a testing.TB that records Fatal and
// Skip instead of ending the test.
package tbrecord

import (
	"fmt"
	"runtime"
	"testing"
)

// Recorder is a testing.TB that records Fatal and Skip and ends the
// goroutine that called them, as the testing package does; every other
// method is the test's (FailMessage and SkipMessage are not named
// Failed and Skipped, which testing.TB has as methods).
type Recorder struct {
	testing.TB
	FailMessage, SkipMessage string
}

func (r *Recorder) Helper() {}

func (r *Recorder) Fatal(args ...any) { r.FailMessage = fmt.Sprint(args...); runtime.Goexit() }

func (r *Recorder) Fatalf(format string, args ...any) {
	r.FailMessage = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *Recorder) Skip(args ...any) { r.SkipMessage = fmt.Sprint(args...); runtime.Goexit() }

func (r *Recorder) Skipf(format string, args ...any) {
	r.SkipMessage = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Run runs f with a Recorder on t in a goroutine of its own, so that a
// Fatal or Skip ends only f, and returns what it recorded.
func Run(t testing.TB, f func(r *Recorder)) *Recorder {
	r := &Recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}
