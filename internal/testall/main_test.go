package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		name   string
		events string
		want   string
	}{
		{
			name: "a passing package and a skipped test with its reason",
			events: `{"Action":"start","Package":"example.com/a"}
{"Action":"run","Package":"example.com/a","Test":"TestOK"}
{"Action":"output","Package":"example.com/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"example.com/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"example.com/a","Test":"TestOK"}
{"Action":"run","Package":"example.com/a","Test":"TestRedis"}
{"Action":"output","Package":"example.com/a","Test":"TestRedis","Output":"=== RUN   TestRedis\n"}
{"Action":"output","Package":"example.com/a","Test":"TestRedis","Output":"    redis_test.go:31: redis-server not found: apt-get install redis-server\n"}
{"Action":"output","Package":"example.com/a","Test":"TestRedis","Output":"--- SKIP: TestRedis (0.00s)\n"}
{"Action":"skip","Package":"example.com/a","Test":"TestRedis"}
{"Action":"output","Package":"example.com/a","Output":"PASS\n"}
{"Action":"output","Package":"example.com/a","Output":"ok  \texample.com/a\t0.012s\n"}
{"Action":"pass","Package":"example.com/a","Elapsed":0.012}
`,
			want: "ok  \texample.com/a\t0.012s\n" +
				"\nskipped tests (1):\n  example.com/a TestRedis: redis-server not found: apt-get install redis-server\n" +
				"\n1 passed, 0 failed, 1 skipped\n",
		},
		{
			name: "a failing test's output is printed, the passing one's is not",
			events: `{"Action":"run","Package":"example.com/b","Test":"TestGood"}
{"Action":"output","Package":"example.com/b","Test":"TestGood","Output":"    b_test.go:9: noise\n"}
{"Action":"pass","Package":"example.com/b","Test":"TestGood"}
{"Action":"run","Package":"example.com/b","Test":"TestBad"}
{"Action":"output","Package":"example.com/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"example.com/b","Test":"TestBad","Output":"    b_test.go:12: want 2, got 3\n"}
{"Action":"output","Package":"example.com/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"example.com/b","Test":"TestBad"}
{"Action":"output","Package":"example.com/b","Output":"FAIL\n"}
{"Action":"fail","Package":"example.com/b","Elapsed":0.5}
`,
			want: "    b_test.go:12: want 2, got 3\n--- FAIL: TestBad (0.00s)\nFAIL\texample.com/b\t0.500s\n\n1 passed, 1 failed, 0 skipped\n",
		},
		{
			name: "build errors and packages without tests",
			events: `{"ImportPath":"example.com/c","Action":"build-output","Output":"c.go:3:2: undefined: x\n"}
{"ImportPath":"example.com/c","Action":"build-fail"}
{"Action":"output","Package":"example.com/d","Output":"?   \texample.com/d\t[no test files]\n"}
{"Action":"skip","Package":"example.com/d"}
`,
			want: "c.go:3:2: undefined: x\n?   \texample.com/d\t[no test files]\n\n0 passed, 0 failed, 0 skipped\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			s := newSummary(&out)
			require.NoError(t, s.read(strings.NewReader(tt.events)))
			s.finish()
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestHasPackages(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"-race", "-shuffle=on"}, false},
		{[]string{"-run", "TestX"}, false},
		{[]string{"-run", "TestX", "./auth/..."}, true},
		{[]string{"./..."}, true},
		{[]string{"-count=1", "./link"}, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hasPackages(tt.args), "%q", tt.args)
	}
}
