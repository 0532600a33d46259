module github.com/myblog/apikit/bench

go 1.25.0

require github.com/myblog/apikit v0.0.0

// The benchmarks always measure the library in this repository.
replace github.com/myblog/apikit => ../
