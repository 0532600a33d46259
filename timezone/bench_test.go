package timezone_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/timezone"
)

// BenchmarkResolveHeader resolves a Time-Zone header once the zone is
// cached: a map read, no allocation.
func BenchmarkResolveHeader(b *testing.B) {
	resolver, err := timezone.New(timezone.Config{})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/posts", nil)
	r.Header.Set("Time-Zone", "Europe/Amsterdam")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := resolver.Resolve(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerHeader is the middleware with a header: the context
// value and the request copy every context-setting middleware costs.
func BenchmarkHandlerHeader(b *testing.B) {
	resolver, err := timezone.New(timezone.Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := resolver.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("POST", "/posts", nil)
	r.Header.Set("Time-Zone", "Europe/Amsterdam")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(nil, r)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := timezone.Parse("2014-02-27T15:05:06.123+01:00", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerInvalid refuses an unknown zone, with and without an
// Observer: the same allocations.
func BenchmarkHandlerInvalid(b *testing.B) {
	for _, bm := range []struct {
		name     string
		observer *counter
	}{{"nil-observer", nil}, {"observer", &counter{}}} {
		b.Run(bm.name, func(b *testing.B) {
			cfg := timezone.Config{OnError: func(http.ResponseWriter, *http.Request, *apierrors.Error) {}}
			if bm.observer != nil {
				cfg.Observer = bm.observer
			}
			resolver, err := timezone.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			h := resolver.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest("POST", "/posts", nil)
			r.Header.Set("Time-Zone", "Mars/Olympus_Mons")
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(nil, r)
			}
		})
	}
}

// BenchmarkLookup looks up a listed name (cached) and names that are
// refused: unknown, a spelling the OS zoneinfo reader would accept, and a
// name longer than any listed one. A refusal is a look-up in the name
// list: no file system access, no allocation.
func BenchmarkLookup(b *testing.B) {
	for _, bm := range []struct{ name, zone string }{
		{"listed", "Europe/Amsterdam"},
		{"unknown", "Mars/Olympus_Mons"},
		{"non-canonical", "Europe//Amsterdam"},
		{"lower-case", "europe/amsterdam"},
		{"too-long", strings.Repeat("Europe/", 300) + "Amsterdam"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				timezone.Lookup(bm.zone)
			}
		})
	}
}
