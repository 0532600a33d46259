package ratelimit

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumberTable(t *testing.T) {
	table := newNumberTable(995, 10)
	tests := []struct {
		n    int
		want []string
	}{
		{994, nil},
		{995, []string{"995"}},
		{999, []string{"999"}},
		{1000, []string{"1000"}},
		{1004, []string{"1004"}},
		{1005, nil},
		{-1, nil},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			got := table.value(tt.n)
			assert.Equal(t, tt.want, got)
			if got != nil {
				assert.Equal(t, 1, cap(got), "len == cap: an append gets a fresh array")
			}
		})
	}
	v := table.value(1000)
	_ = append(v, "appended")
	assert.Equal(t, []string{"1001"}, table.value(1001), "an append to one value leaves the next alone")
}

func TestSharedNumbers(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 4999, 5000, maxSharedNumber} {
		assert.Equal(t, []string{strconv.Itoa(n)}, sharedNumber(n), "%d", n)
	}
	assert.Nil(t, sharedNumber(maxSharedNumber+1))
	assert.Nil(t, sharedNumber(-1))
}

// TestRemainingTables: for every quota, every Remaining value of the
// first maxSharedNumber requests of a window is in a table, and each
// table holds only what the shared one does not.
func TestRemainingTables(t *testing.T) {
	tests := []struct {
		limit  int
		lo, hi int // the quota's own table, or none when hi == 0
	}{
		{60, 0, 0},
		{5000, 0, 0},
		{maxSharedNumber, 0, 0},
		{maxSharedNumber + 1, maxSharedNumber + 1, maxSharedNumber + 1},
		{15_000, maxSharedNumber + 1, 15_000},
		{1 << 30, 1<<30 - maxSharedNumber, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.limit), func(t *testing.T) {
			r := &resource{Resource: Resource{Limit: tt.limit, AnonymousLimit: 60}}
			r.remaining, r.anonymousRemaining = remainingTable(tt.limit), remainingTable(60)
			require.Nil(t, r.anonymousRemaining)
			if tt.hi == 0 {
				assert.Nil(t, r.remaining)
			} else {
				require.NotNil(t, r.remaining)
				table := r.remaining()
				assert.Equal(t, tt.lo, table.lo)
				assert.Len(t, table.values, tt.hi-tt.lo+1)
			}
			for used := 0; used <= min(maxSharedNumber, tt.limit); used++ {
				remaining := tt.limit - used
				require.Equal(t, []string{strconv.Itoa(remaining)}, r.remainingValue(User, remaining), "used %d", used)
			}
			if tt.hi != 0 {
				assert.Nil(t, r.remainingValue(User, tt.hi+1), "above the quota: in no table")
			}
			if tt.lo-1 > maxSharedNumber {
				assert.Nil(t, r.remainingValue(User, tt.lo-1), "past the first maxSharedNumber requests: formatted per response")
			}
		})
	}
}
