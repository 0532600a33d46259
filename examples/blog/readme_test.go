package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEWalkthrough follows the README's walk through the example
// server in order, on a fresh database, running each `$ ` command with
// bash and curl as a reader would, and compares what comes back with what
// the README shows: status lines, the headers it lists and the bodies, up
// to its elisions (…). Values that differ on every run (ids, ETags, times,
// Retry-After) are matched by their shape; an id or ETag the README shows
// and a later command uses stands for the one this run got. The README's
// 127.0.0.1:8080 is the test server's address.
func TestREADMEWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		requireTool(t, tool, "apt-get install "+tool)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	steps := walkthroughSteps(t, string(readme))
	require.NotEmpty(t, steps, "the README has a walkthrough")

	addr := startREADMEServer(t)
	w := &walkthrough{t: t, addr: addr, values: map[string]string{}, env: map[string]string{}}
	for _, step := range steps {
		w.run(step)
	}
}

// walkStep is one `$ ` command of the README and the output it shows.
type walkStep struct {
	command string
	output  string
}

// walkthroughSteps reads the console blocks of the README's walkthrough
// section.
func walkthroughSteps(t *testing.T, readme string) []walkStep {
	start := strings.Index(readme, "## A walk through the example server")
	require.GreaterOrEqual(t, start, 0, "the README has its walkthrough section")
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var steps []walkStep
	for _, block := range regexp.MustCompile("(?s)```console\n(.*?)```").FindAllStringSubmatch(section, -1) {
		var current *walkStep
		for line := range strings.SplitSeq(block[1], "\n") {
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				steps = append(steps, walkStep{command: cmd})
				current = &steps[len(steps)-1]
				continue
			}
			require.NotNil(t, current, "a console block starts with a command: %q", line)
			current.output += line + "\n"
		}
	}
	for i := range steps {
		steps[i].output = strings.TrimRight(steps[i].output, "\n")
	}
	return steps
}

// startREADMEServer runs the example server as `go run ./examples/blog`
// does, with its defaults, on a free port and a fresh database.
func startREADMEServer(t *testing.T) string { return startServer(t) }

// startServer runs the example server as the command does, with the
// flags of args, on a free port and a fresh database, and returns its
// address.
func startServer(t *testing.T, args ...string) string {
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "blog.db")}, args...)
	go func() {
		done <- run(ctx, args, func(string) string { return "" }, &testLog{t: t}, func(a net.Addr) { listening <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("the server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start within 30 s")
	}
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return addr.String()
}

// testLog sends the server's log to the test's, shown on failure.
type testLog struct{ t *testing.T }

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// walkthrough runs the steps, remembering what the README's values stand
// for in this run.
type walkthrough struct {
	t    *testing.T
	addr string
	// values maps an id or ETag the README shows to this run's.
	values map[string]string
	// env holds the variables the README's assignments set.
	env map[string]string
	// last is the previous command's output.
	last string
}

// elidedAssignment is `TOKEN=eyJhbGciOiJIUzI1NiIs…   # the token above`:
// the variable takes the value of the previous output that starts so.
var elidedAssignment = regexp.MustCompile(`^([A-Z_]+)=(\S*)…\s*(#.*)?$`)

// assignment is `POST=df658f7b-…-5a9ec6a7f0a2   # the post's id`.
var assignment = regexp.MustCompile(`^([A-Z_]+)=(\S+)\s*(#.*)?$`)

func (w *walkthrough) run(step walkStep) {
	t := w.t
	command := w.substitute(step.command)
	if m := elidedAssignment.FindStringSubmatch(command); m != nil {
		value := regexp.MustCompile(regexp.QuoteMeta(m[2]) + `[A-Za-z0-9._~+/=-]*`).FindString(w.last)
		require.NotEmpty(t, value, "the output before %q has a value starting %q", step.command, m[2])
		w.env[m[1]] = value
		return
	}
	if m := assignment.FindStringSubmatch(command); m != nil {
		w.env[m[1]] = m[2]
		return
	}
	cmd := exec.Command("bash", "-c", command)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	for name, value := range w.env {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	out, err := cmd.Output()
	require.NoError(t, err, "$ %s", command)
	got := strings.ReplaceAll(string(out), "\r\n", "\n")
	w.last = got
	want := strings.ReplaceAll(step.output, "127.0.0.1:8080", w.addr)
	if strings.HasPrefix(want, "HTTP/") {
		w.compareResponse(step.command, want, got)
		return
	}
	w.match(step.command, "output", want, strings.TrimRight(got, "\n"))
}

// substitute replaces the README's address and values with this run's.
func (w *walkthrough) substitute(s string) string {
	s = strings.ReplaceAll(s, "127.0.0.1:8080", w.addr)
	for shown, actual := range w.values {
		s = strings.ReplaceAll(s, shown, actual)
	}
	return s
}

// compareResponse compares a `curl -i` answer: the status line, each
// header the README lists (others are left out of it), and the body.
func (w *walkthrough) compareResponse(command, want, got string) {
	t := w.t
	wantHead, wantBody, _ := strings.Cut(want, "\n\n")
	gotHead, gotBody, _ := strings.Cut(got, "\n\n")
	wantLines := strings.Split(wantHead, "\n")
	gotLines := strings.Split(gotHead, "\n")
	w.match(command, "status line", wantLines[0], gotLines[0])
	gotHeader := map[string]string{}
	for _, line := range gotLines[1:] {
		name, value, _ := strings.Cut(line, ": ")
		gotHeader[strings.ToLower(name)] = value
	}
	for _, line := range wantLines[1:] {
		if line == "…" {
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		require.True(t, ok, "a header line in the README: %q", line)
		actual, present := gotHeader[strings.ToLower(name)]
		if !assert.True(t, present, "$ %s\nthe response has no %s; it has:\n%s", command, name, gotHead) {
			continue
		}
		if strings.EqualFold(name, "Retry-After") {
			assert.Regexp(t, `^[0-9]+$`, actual, "$ %s: Retry-After", command)
			continue
		}
		w.match(command, name, value, actual)
	}
	w.match(command, "body", wantBody, strings.TrimRight(gotBody, "\n"))
}

// volatile are the shapes of values that differ on every run. identity
// ones (ids, ETags) may reappear in later commands and are remembered.
var volatile = []struct {
	re       *regexp.Regexp
	identity bool
}{
	{regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), true},
	{regexp.MustCompile(`^"[0-9a-f]{16}"`), true},
	{regexp.MustCompile(`^[0-9a-f]{8}-`), false}, // an id's start before an elision
	{regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})`), false},
	{regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT`), false},
	{regexp.MustCompile(`^1[0-9]{9}\b`), false}, // a Unix time: X-RateLimit-Reset
}

// match compares got with the README's want, where … stands for anything
// and volatile values for any value of their shape, and remembers what
// the README's ids and ETags stand for.
func (w *walkthrough) match(command, what, want, got string) {
	t := w.t
	var pattern strings.Builder
	pattern.WriteString(`(?s)^`)
	var shown []string // the README's identity values, by capture group
	for i := 0; i < len(want); {
		if strings.HasPrefix(want[i:], "…") {
			pattern.WriteString(`.*?`)
			i += len("…")
			continue
		}
		matched := false
		for _, v := range volatile {
			if loc := v.re.FindStringIndex(want[i:]); loc != nil && (i == 0 || !isWordByte(want[i-1])) {
				value := want[i : i+loc[1]]
				pattern.WriteString("(" + v.re.String()[1:] + ")")
				if v.identity {
					shown = append(shown, value)
				} else {
					shown = append(shown, "")
				}
				i += loc[1]
				matched = true
				break
			}
		}
		if !matched {
			pattern.WriteString(regexp.QuoteMeta(want[i : i+1]))
			i++
		}
	}
	pattern.WriteString(`$`)
	m := regexp.MustCompile(pattern.String()).FindStringSubmatch(got)
	if !assert.NotNil(t, m, "$ %s\n%s differs from the README's:\nREADME: %s\ngot:    %s", command, what, want, got) {
		return
	}
	for i, value := range shown {
		if value == "" {
			continue
		}
		if previous, ok := w.values[value]; ok && previous != m[i+1] {
			t.Errorf("$ %s\nthe README's %s stands for %s earlier and %s here", command, value, previous, m[i+1])
		}
		w.values[value] = m[i+1]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
