package ratelimit

import (
	"strconv"
	"sync"
)

// The X-RateLimit-Remaining and -Used values of a response are usually
// taken from tables made once, so that setting them allocates nothing:
// Used and small Remaining values from sharedNumbers (0 to
// maxSharedNumber, enough for every default quota), and, for a quota
// above that, Remaining values of the first maxSharedNumber requests of a
// window from a table of the resource's own, made on first use. Past
// those, the two values are formatted per response (two allocations).

// maxSharedNumber bounds the numbers in the shared table, and the length
// of a quota's own table.
const maxSharedNumber = 10_000

// numberTable holds the header values of the numbers lo to lo+n-1: one
// string of all their digits and one []string of n substrings of it, so
// a table of 10,000 values is two allocations and about 200 KB.
type numberTable struct {
	lo     int
	values []string
}

func newNumberTable(lo, n int) *numberTable {
	ends := make([]int, n)
	var digits []byte
	for i := range n {
		digits = strconv.AppendInt(digits, int64(lo+i), 10)
		ends[i] = len(digits)
	}
	all := string(digits)
	t := &numberTable{lo: lo, values: make([]string, n)}
	start := 0
	for i, end := range ends {
		t.values[i] = all[start:end]
		start = end
	}
	return t
}

// value returns v's header value, or nil when v is not in the table. The
// slice shares the table's array with len == cap, so a Header().Add
// elsewhere gets a fresh array and never writes into the table.
func (t *numberTable) value(v int) []string {
	i := v - t.lo
	if i < 0 || i >= len(t.values) {
		return nil
	}
	return t.values[i : i+1 : i+1]
}

var sharedNumbers = sync.OnceValue(func() *numberTable { return newNumberTable(0, maxSharedNumber+1) })

// sharedNumber returns n as a shared header value, or nil when n is not
// in the table.
func sharedNumber(n int) []string {
	return sharedNumbers().value(n)
}

// remainingTable returns the table of a quota's Remaining values that
// the shared table does not hold, those of the first maxSharedNumber
// requests of a window, or nil when the shared table holds them all.
func remainingTable(limit int) func() *numberTable {
	if limit <= maxSharedNumber {
		return nil
	}
	lo := max(limit-maxSharedNumber, maxSharedNumber+1)
	return sync.OnceValue(func() *numberTable { return newNumberTable(lo, limit-lo+1) })
}
