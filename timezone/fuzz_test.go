package timezone_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	apierrors "github.com/myblog/apikit/errors"
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

// FuzzLookup: no name panics; a name is accepted exactly when it is
// listed, spelt as listed, and then names its own location; through the
// middleware the rest is the 400, never a 500; and the cache never holds
// more than the list.
func FuzzLookup(f *testing.F) {
	for _, name := range []string{
		"Europe/Amsterdam", "UTC", "US/Eastern", "Etc/GMT+5", "Europe//Amsterdam", "./Europe/Amsterdam", "Europe/Amsterdam/",
		"europe/amsterdam", "Europe/../Europe/Amsterdam", "posix/Europe/Amsterdam", "localtime", "Local", "Europe/Amsterdam\x00",
		"+01:00", "", strings.Repeat("Europe/", 100),
	} {
		f.Add(name)
	}
	listed := make(map[string]bool, len(timezone.ZoneNames))
	for _, name := range timezone.ZoneNames {
		listed[name] = true
	}
	resolver, err := timezone.New(timezone.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, ok := timezone.Lookup(name)
		if ok != listed[name] {
			t.Fatalf("Lookup(%q) = %v, but listed is %v", name, ok, listed[name])
		}
		if ok && loc.String() != name {
			t.Fatalf("Lookup(%q) is %q", name, loc)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Time-Zone"] = []string{name}
		zone, err := resolver.Resolve(r)
		var refusal *apierrors.Error
		switch {
		case name == "":
			if err != nil || zone.Rule != timezone.Default {
				t.Fatalf("an empty header is no header: %v, %v", zone, err)
			}
		case ok:
			if err != nil || zone.Name != name || zone.Rule != timezone.Header {
				t.Fatalf("Resolve(%q) = %v, %v", name, zone, err)
			}
		case !errors.As(err, &refusal) || refusal.Status != http.StatusBadRequest || refusal.ID != "invalid_time_zone":
			t.Fatalf("Resolve(%q): %v, want the 400", name, err)
		}
		if n := timezone.CachedZones(); n > len(timezone.ZoneNames) {
			t.Fatalf("%d cached zones, %d listed", n, len(timezone.ZoneNames))
		}
	})
}
