// Command testall runs every test of every module in the repository and
// says, without -v, which tests were skipped and why: a developer whose
// machine lacks redis-server or Chromium sees what was not run and what
// to install, instead of a row of "ok" lines that hide it.
//
//	go run ./internal/testall            # every module, as CI runs it
//	go run ./internal/testall -race -shuffle=on
//	go run ./internal/testall -run TestLogin ./auth/...
//
// Flags before the packages are go test's; with no package patterns it
// tests the library, redisstore, examples and bench. It prints what go
// test prints without -v (a line per package, the output of failing tests
// and build errors), then the skipped tests with their reasons, then a
// closing line "N passed, N failed, N skipped". Its exit status is go
// test's.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// modules are the package patterns of every module in go.work.
var modules = []string{"./...", "./redisstore/...", "./examples/...", "./examples/recipes/...", "./bench/..."}

func main() {
	args := os.Args[1:]
	if !hasPackages(args) {
		args = append(args, modules...)
	}
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		os.Exit(2)
	}
	s := newSummary(os.Stdout)
	if err := s.read(stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testall: reading go test -json:", err)
	}
	waitErr := cmd.Wait()
	s.finish()
	if waitErr != nil {
		if exit, ok := waitErr.(*exec.ExitError); ok {
			os.Exit(exit.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "testall:", waitErr)
		os.Exit(2)
	}
	if s.failed > 0 {
		os.Exit(1)
	}
}

// hasPackages reports whether args name packages: an argument that does
// not start with "-" and is not the value of a flag that takes one.
func hasPackages(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return true
		}
		if !strings.Contains(a, "=") && flagTakesValue(strings.TrimLeft(a, "-")) {
			i++
		}
	}
	return false
}

// flagTakesValue lists go test's flags that take a separate value.
func flagTakesValue(name string) bool {
	switch name {
	case "run", "skip", "bench", "benchtime", "count", "cpu", "parallel", "timeout",
		"shuffle", "coverprofile", "covermode", "coverpkg", "p", "tags", "exec",
		"fuzz", "fuzztime", "fuzzminimizetime", "list", "o", "outputdir", "blockprofile",
		"cpuprofile", "memprofile", "mutexprofile", "trace", "gcflags", "ldflags", "vet":
		return true
	}
	return false
}

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// testRun is what one test printed.
type testRun struct {
	name   string
	output []string
}

// pkgRun is what one package's test binary printed so far.
type pkgRun struct {
	tests   map[string]*testRun
	failed  []*testRun
	output  []string // package-level lines
	anyTest bool
}

// summary turns go test -json events into go test's own non-verbose
// output plus the skips.
type summary struct {
	out                     io.Writer
	pkgs                    map[string]*pkgRun
	skips                   []string
	passed, failed, skipped int
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, pkgs: map[string]*pkgRun{}}
}

func (s *summary) pkg(name string) *pkgRun {
	p := s.pkgs[name]
	if p == nil {
		p = &pkgRun{tests: map[string]*testRun{}}
		s.pkgs[name] = p
	}
	return p
}

// read consumes the event stream. A line that is not JSON (a build
// error printed by the go command) is passed through.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			fmt.Fprintln(s.out, string(line))
			continue
		}
		s.handle(ev)
	}
	return sc.Err()
}

func (s *summary) handle(ev event) {
	switch ev.Action {
	case "build-output":
		fmt.Fprint(s.out, ev.Output)
		return
	case "build-fail":
		return
	}
	if ev.Package == "" {
		return
	}
	p := s.pkg(ev.Package)
	if ev.Test == "" {
		switch ev.Action {
		case "output":
			p.output = append(p.output, ev.Output)
		case "pass", "skip":
			s.packageLine(ev, p, "ok  ")
		case "fail":
			s.packageLine(ev, p, "FAIL")
		}
		return
	}
	p.anyTest = true
	t := p.tests[ev.Test]
	if t == nil {
		t = &testRun{name: ev.Test}
		p.tests[ev.Test] = t
	}
	switch ev.Action {
	case "output":
		t.output = append(t.output, ev.Output)
	case "pass":
		s.passed++
	case "fail":
		s.failed++
		p.failed = append(p.failed, t)
	case "skip":
		s.skipped++
		s.skips = append(s.skips, ev.Package+" "+ev.Test+": "+skipReason(t.output))
	}
}

// packageLine prints what go test prints when a package is done.
func (s *summary) packageLine(ev event, p *pkgRun, status string) {
	if status == "FAIL" {
		for _, t := range p.failed {
			for _, line := range t.output {
				if !isProgress(line) {
					fmt.Fprint(s.out, line)
				}
			}
		}
		for _, line := range p.output {
			if !isProgress(line) && !strings.HasPrefix(line, "PASS") && !strings.HasPrefix(line, "FAIL") && !strings.HasPrefix(line, "ok  ") {
				fmt.Fprint(s.out, line)
			}
		}
	}
	switch {
	case ev.Action == "skip" || (!p.anyTest && hasNoTestFiles(p.output)):
		fmt.Fprintf(s.out, "?   \t%s\t[no test files]\n", ev.Package)
	default:
		fmt.Fprintf(s.out, "%s\t%s\t%.3fs\n", status, ev.Package, ev.Elapsed)
	}
	delete(s.pkgs, ev.Package)
}

func hasNoTestFiles(output []string) bool {
	for _, line := range output {
		if strings.Contains(line, "[no test files]") {
			return true
		}
	}
	return len(output) == 0
}

// isProgress reports whether a line is test2json's verbose progress,
// which go test without -v does not print.
func isProgress(line string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- SKIP"} {
		if strings.HasPrefix(strings.TrimLeft(line, " "), p) {
			return true
		}
	}
	return false
}

// skipReason is the message a skipped test gave t.Skip: its output
// without progress lines, trimmed to one line.
func skipReason(output []string) string {
	var parts []string
	for _, line := range output {
		if isProgress(line) {
			continue
		}
		line = strings.TrimSpace(line)
		// "redis_test.go:31: redis-server not found: apt-get install redis-server"
		if i := strings.Index(line, ": "); i > 0 && strings.Contains(line[:i], ".go:") {
			line = line[i+2:]
		}
		if line != "" {
			parts = append(parts, line)
		}
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}

// finish prints the skipped tests and the closing line.
func (s *summary) finish() {
	if len(s.skips) > 0 {
		fmt.Fprintf(s.out, "\nskipped tests (%d):\n", len(s.skips))
		for _, line := range s.skips {
			fmt.Fprintln(s.out, "  "+line)
		}
	}
	fmt.Fprintf(s.out, "\n%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}
