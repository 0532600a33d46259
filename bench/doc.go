// Package bench measures apikit side by side with what its users would
// otherwise write or import, on identical work, in one run on one machine.
// It is its own module so that peer libraries never enter the library's
// dependencies.
//
// Run every benchmark from the repository root with
//
//	go test -run '^$' -bench . -benchmem ./bench/...
//
// Each benchmark has an apikit sub-benchmark and one per alternative, so
// benchstat can print them as ratios.
package bench
