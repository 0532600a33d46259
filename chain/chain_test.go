package chain_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/myblog/apikit/chain"
)

// tag is a middleware that records its name on the way in and out.
func tag(name string, trace *[]string) chain.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*trace = append(*trace, name+">")
			next.ServeHTTP(w, r)
			*trace = append(*trace, "<"+name)
		})
	}
}

func TestThenReadsOutermostFirst(t *testing.T) {
	tests := []struct {
		name  string
		build func(trace *[]string) chain.Chain
		want  string
	}{
		{name: "empty chain is the handler", build: func(*[]string) chain.Chain { return chain.New() }, want: "h"},
		{name: "zero value is empty", build: func(*[]string) chain.Chain { return chain.Chain{} }, want: "h"},
		{name: "first is outermost", build: func(tr *[]string) chain.Chain { return chain.New(tag("a", tr), tag("b", tr), tag("c", tr)) }, want: "a> b> c> h <c <b <a"},
		{name: "Append goes inside", build: func(tr *[]string) chain.Chain { return chain.New(tag("a", tr)).Append(tag("b", tr)) }, want: "a> b> h <b <a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trace []string
			h := tt.build(&trace).Then(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { trace = append(trace, "h") }))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			assert.Equal(t, tt.want, strings.Join(trace, " "))
		})
	}
}

// Chains share nothing: extending one never changes another built from
// the same base.
func TestAppendDoesNotShare(t *testing.T) {
	var trace []string
	base := chain.New(tag("a", &trace), tag("b", &trace))
	left := base.Append(tag("l", &trace))
	right := base.Append(tag("r", &trace))
	assert.Equal(t, 2, base.Len())
	final := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	left.Then(final).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "a> b> l> <l <b <a", strings.Join(trace, " "))
	trace = nil
	right.Then(final).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "a> b> r> <r <b <a", strings.Join(trace, " "))
}

func TestNilIsAProgrammingError(t *testing.T) {
	var trace []string
	assert.PanicsWithValue(t, "chain: middleware 2 of 3 is nil", func() { chain.New(tag("a", &trace), nil, tag("c", &trace)) })
	assert.PanicsWithValue(t, "chain: middleware 3 of 3 is nil", func() { chain.New(tag("a", &trace), tag("b", &trace)).Append(nil) })
	assert.PanicsWithValue(t, "chain: Then(nil)", func() { chain.New().Then(nil) })
}

func BenchmarkThen(b *testing.B) {
	var trace []string
	mw := func(next http.Handler) http.Handler { return next }
	c := chain.New(mw, mw, mw, tag("t", &trace))
	_ = trace
	h := c.Then(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		trace = trace[:0]
		h.ServeHTTP(w, r)
	}
}
