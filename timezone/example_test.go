package timezone_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/timezone"
)

// A handler creating a post reads published_at with the request's zone.
func Example() {
	zones, _ := timezone.New(timezone.Config{})
	create := zones.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zone, _ := timezone.FromContext(r.Context())
		for _, publishedAt := range []string{"2014-02-27T15:05:06+01:00", "2014-02-27T15:05:06"} {
			t, decided, err := zone.Parse(publishedAt)
			if err != nil {
				panic(err)
			}
			fmt.Println(timezone.Format(t), decided.Name, decided.Rule)
		}
	}))
	r := httptest.NewRequest("POST", "/posts", nil)
	r.Header.Set("Time-Zone", "America/New_York")
	create.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// 2014-02-27T14:05:06Z +01:00 timestamp
	// 2014-02-27T20:05:06Z America/New_York header
}

func ExampleParse() {
	t, explicit, _ := timezone.Parse("20140227T150506+0530", nil)
	fmt.Println(timezone.Format(t), explicit)
	// Output:
	// 2014-02-27T09:35:06Z true
}

// Lookup takes a zone name only as the tz database spells it; links such
// as US/Eastern are IANA names too.
func ExampleLookup() {
	for _, name := range []string{
		"Europe/Amsterdam", "US/Eastern", "UTC",
		"Europe//Amsterdam", "europe/amsterdam", "posix/Europe/Amsterdam", "Local", "+01:00",
	} {
		_, ok := timezone.Lookup(name)
		fmt.Printf("%-22s %v\n", name, ok)
	}
	// Output:
	// Europe/Amsterdam       true
	// US/Eastern             true
	// UTC                    true
	// Europe//Amsterdam      false
	// europe/amsterdam       false
	// posix/Europe/Amsterdam false
	// Local                  false
	// +01:00                 false
}
