package timezone

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// ZoneNames is a copy of the names Lookup accepts.
var ZoneNames = slices.Clone(zoneNames[:])

// CachedZones counts the cache's entries, failed loads included.
func CachedZones() int {
	n := 0
	for i := range zoneCache {
		if zoneCache[i].Load() != nil {
			n++
		}
	}
	return n
}

// FailLoading makes the listed name fail to load, as in a binary whose
// embedded database lacks it, until t ends, and drops its cache entry
// before and after. It returns the number of load attempts for name so
// far.
func FailLoading(t testing.TB, name string) (attempts func() int) {
	t.Helper()
	i, listed := zoneIndex[name]
	if !listed {
		t.Fatalf("%q is not listed", name)
	}
	var n atomic.Int32
	zoneCache[i].Store(nil)
	loadLocation = func(zone string) (*time.Location, error) {
		if zone == name {
			n.Add(1)
			return nil, errors.New("unknown time zone " + zone)
		}
		return time.LoadLocation(zone)
	}
	t.Cleanup(func() {
		loadLocation = time.LoadLocation
		zoneCache[i].Store(nil)
	})
	return func() int { return int(n.Load()) }
}
