package chain_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/chain"
)

// tag is a middleware that appends its name to X-Trace on the way in and
// to the body on the way out, so a response shows the order both ways.
func tag(name string) chain.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Add("X-Trace", name)
			next.ServeHTTP(w, r)
			_, _ = io.WriteString(w, " <"+name)
		})
	}
}

// traced answers with the X-Trace the request arrived with.
var traced = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, strings.Join(append(r.Header.Values("X-Trace"), "h"), ">"))
})

func serve(h http.Handler) string {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	return w.Body.String()
}

func TestThenOrder(t *testing.T) {
	tests := []struct {
		name  string
		chain chain.Chain
		want  string
	}{
		{"zero chain is the handler itself", chain.Chain{}, "h"},
		{"empty New", chain.New(), "h"},
		{"one", chain.New(tag("a")), "a>h <a"},
		{"outermost first", chain.New(tag("a"), tag("b"), tag("c")), "a>b>c>h <c <b <a"},
		{"Append goes inside", chain.New(tag("a")).Append(tag("b"), tag("c")), "a>b>c>h <c <b <a"},
		{"Append to the zero chain", chain.Chain{}.Append(tag("a")), "a>h <a"},
		{"Append nothing", chain.New(tag("a")).Append(), "a>h <a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, serve(tt.chain.Then(traced)))
		})
	}
}

// Then equals nesting by hand: m1(m2(m3(h))).
func TestThenIsNesting(t *testing.T) {
	a, b, c := tag("a"), tag("b"), tag("c")
	assert.Equal(t, serve(a(b(c(traced)))), serve(chain.New(a, b, c).Then(traced)))
}

// Two chains appended to one base share nothing: the second Append does
// not overwrite what the first added, and the base is unchanged.
func TestAppendDoesNotAlias(t *testing.T) {
	base := chain.New(tag("a"), tag("b"))
	left := base.Append(tag("l"))
	right := base.Append(tag("r"))
	assert.Equal(t, "a>b>l>h <l <b <a", serve(left.Then(traced)))
	assert.Equal(t, "a>b>r>h <r <b <a", serve(right.Then(traced)))
	assert.Equal(t, "a>b>h <b <a", serve(base.Then(traced)))
	assert.Equal(t, []int{2, 3, 3}, []int{base.Len(), left.Len(), right.Len()})
}

// New copies its arguments: changing the slice passed with ... later
// changes no chain.
func TestNewCopies(t *testing.T) {
	mws := []chain.Middleware{tag("a"), tag("b")}
	c := chain.New(mws...)
	mws[0] = tag("x")
	assert.Equal(t, "a>b>h <b <a", serve(c.Then(traced)))
}

func TestPanics(t *testing.T) {
	returnsNil := func(http.Handler) http.Handler { return nil }
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"nil middleware in New", func() { chain.New(tag("a"), nil) }, "chain: New: the middleware at index 1 is nil"},
		{"nil middleware in Append", func() { chain.New(tag("a")).Append(nil) }, "chain: Append: the middleware at index 0 is nil"},
		{"nil handler", func() { chain.New(tag("a")).Then(nil) }, "chain: Then with a nil handler"},
		{"nil handler, empty chain", func() { chain.Chain{}.Then(nil) }, "chain: Then with a nil handler"},
		{"middleware returns nil", func() { chain.New(tag("a"), returnsNil, tag("c")).Then(traced) }, "chain: the middleware at index 1 returned a nil handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.want, tt.call)
		})
	}
}

// header is a middleware of apikit's shape: a type with a Handler method.
type header struct{ key, value string }

func (m *header) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(m.key, m.value)
		next.ServeHTTP(w, r)
	})
}

func TestMethodValues(t *testing.T) {
	id := &header{"X-Request-Id", "42"}
	h := chain.New(id.Handler, tag("a")).Then(traced)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "42", w.Header().Get("X-Request-Id"))
	assert.Equal(t, "a>h <a", w.Body.String())
}

// Then calls each middleware once, when it is called, not per request.
func TestThenCallsEachMiddlewareOnce(t *testing.T) {
	calls := 0
	counting := func(next http.Handler) http.Handler { calls++; return next }
	h := chain.New(counting, counting).Then(traced)
	require.Equal(t, 2, calls)
	for range 3 {
		serve(h)
	}
	assert.Equal(t, 2, calls)
}

// The handler Then returns is the outermost middleware's own: a request
// through the chain allocates what it allocates nested by hand (here
// nothing).
func TestThenAddsNoAllocation(t *testing.T) {
	pass := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
	}
	end := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	chained := chain.New(pass, pass, pass).Then(end)
	nested := pass(pass(pass(end)))
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	assert.Equal(t, testing.AllocsPerRun(100, func() { nested.ServeHTTP(w, r) }),
		testing.AllocsPerRun(100, func() { chained.ServeHTTP(w, r) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { chained.ServeHTTP(w, r) }))
}
