package timezone_test

import (
	"testing"
	"time"

	"github.com/myblog/apikit/timezone"
)

// FuzzParse: the ISO 8601 parser never panics; a time it accepts with an
// explicit offset formats back (in UTC) to a string it accepts again as
// the same instant, to the second; and a time without an offset is read
// in the zone given.
func FuzzParse(f *testing.F) {
	for _, timestamp := range []string{
		"2014-02-27T15:05:06Z", "2014-02-27T15:05:06.123+01:00", "20140227T150506+0530", "2014-02-27",
		"2014-02-27T15:05", "2016-12-31T23:59:60Z", "2014-02-27T24:00:00Z", "2021-03-14T02:30:00", "9999-12-31T23:59:59-23:59",
	} {
		f.Add(timestamp)
	}
	newYork, ok := timezone.Lookup("America/New_York")
	if !ok {
		f.Fatal("no zone data")
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, explicit, err := timezone.Parse(s, newYork)
		if err != nil || got.UTC().Year() < 1 || got.UTC().Year() > 9999 {
			return // a four-digit year cannot format outside these
		}
		again, explicitAgain, err := timezone.Parse(timezone.Format(got), newYork)
		if err != nil || !explicitAgain {
			t.Fatalf("Format(Parse(%q)) = %q does not parse back: %v", s, timezone.Format(got), err)
		}
		if !again.Equal(got.Truncate(time.Second)) {
			t.Fatalf("%q: %v, then %v", s, got, again)
		}
		if !explicit && got.Location() != newYork {
			t.Fatalf("%q has no offset but was not read in the zone given: %v", s, got.Location())
		}
	})
}
