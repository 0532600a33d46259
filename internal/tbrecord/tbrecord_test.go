package tbrecord_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/myblog/apikit/internal/tbrecord"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name                string
		f                   func(r *tbrecord.Recorder)
		failed, skipped     string
		reachedAfterRefusal bool
	}{
		{"Fatal", func(r *tbrecord.Recorder) { r.Fatal("no ", "server") }, "no server", "", false},
		{"Fatalf", func(r *tbrecord.Recorder) { r.Fatalf("port %d", 5432) }, "port 5432", "", false},
		{"Skip", func(r *tbrecord.Recorder) { r.Skip("install ", "it") }, "", "install it", false},
		{"Skipf", func(r *tbrecord.Recorder) { r.Skipf("%s missing", "nginx") }, "", "nginx missing", false},
		{"neither", func(r *tbrecord.Recorder) {}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			r := tbrecord.Run(t, func(r *tbrecord.Recorder) { tt.f(r); reached = true })
			assert.Equal(t, tt.failed, r.FailMessage)
			assert.Equal(t, tt.skipped, r.SkipMessage)
			assert.Equal(t, tt.reachedAfterRefusal, reached, "Fatal and Skip end the goroutine")
		})
	}
}
