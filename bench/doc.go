// Package bench measures apikit side by side with what its users would
// otherwise write or import, on identical work, in one run on one machine.
// It is its own module so that peer libraries never enter the library's
// dependencies.
//
// Every comparison names its sub-benchmarks with benchstat's key=value
// syntax: impl=apikit first (benchstat's base column), then one impl= per
// peer (impl=rs-cors, impl=jwtauth, impl=httprate, ...), then impl=bare,
// the handler alone, where a middleware is measured; other dimensions are
// keys too (kind=preflight, size=1MiB, quota=5000). Run everything and
// print the tables with
//
//	bench/run
//
// which runs
//
//	go test -run '^$' -bench . -benchmem -count 6 ./...
//
// in this module into bench/results/ and prints
//
//	benchstat -table .name -col /impl FILE
//
// BenchmarkStack measures the example server's whole middleware chain;
// BenchmarkStackLayers, run only when named (BENCH=StackLayers bench/run),
// adds its middlewares one at a time. The program in loadtest measures
// the example server over loopback with a real HTTP client
// (go run ./bench/loadtest). BENCHMARKS.md at the repository root holds
// the last results and the targets they are checked against.
package bench
