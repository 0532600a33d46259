package timezone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/timezone"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, ok := timezone.Lookup(name)
	require.True(t, ok, name)
	return loc
}

func TestParse(t *testing.T) {
	amsterdam := mustLoad(t, "Europe/Amsterdam")
	tests := []struct {
		in       string
		want     string // UTC, RFC 3339 with nanoseconds
		explicit bool
	}{
		{"2014-02-27T15:05:06Z", "2014-02-27T15:05:06Z", true},
		{"2014-02-27T15:05:06z", "2014-02-27T15:05:06Z", true},
		{"2014-02-27T15:05:06+01:00", "2014-02-27T14:05:06Z", true},
		{"2014-02-27T15:05:06+0100", "2014-02-27T14:05:06Z", true},
		{"2014-02-27T15:05:06+01", "2014-02-27T14:05:06Z", true},
		{"2014-02-27T15:05:06-03:30", "2014-02-27T18:35:06Z", true},
		{"2014-02-27T15:05:06.123Z", "2014-02-27T15:05:06.123Z", true},
		{"2014-02-27T15:05:06,5+05:30", "2014-02-27T09:35:06.5Z", true},
		{"2014-02-27T15:05:06.1234567891Z", "2014-02-27T15:05:06.123456789Z", true},
		{"2014-02-27 15:05:06Z", "2014-02-27T15:05:06Z", true},
		{"20140227T150506Z", "2014-02-27T15:05:06Z", true},
		{"20140227T150506+0530", "2014-02-27T09:35:06Z", true},
		{"2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z", true},
		{"2014-02-27T24:00:00Z", "2014-02-28T00:00:00Z", true},
		{"2014-02-27T15:05:06", "2014-02-27T14:05:06Z", false},
		{"2014-02-27T15:05", "2014-02-27T14:05:00Z", false},
		{"2014-07-27T15:05:06", "2014-07-27T13:05:06Z", false},
		{"2014-02-27", "2014-02-26T23:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, explicit, err := timezone.Parse(tt.in, amsterdam)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.UTC().Format(time.RFC3339Nano))
			assert.Equal(t, tt.explicit, explicit)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"", "2014", "2014-02", "2014-2-27", "2014-02-30", "2013-02-29", "2014-13-01", "2014-02-27T25:00",
		"2014-02-27T15:60", "2014-02-27T24:00:01Z", "2014-02-27T15:05:06.Z", "2014-02-27T15:05:06+24:00",
		"2014-02-27T15:05:06+01:60", "2014-02-27T15:05:06 +01:00", "2014-02-27T15:05:06Zjunk", "27/02/2014",
		"2014-02-27X15:05", "2014-0227", "yesterday",
	} {
		t.Run(in, func(t *testing.T) {
			_, _, err := timezone.Parse(in, time.UTC)
			assert.ErrorIs(t, err, timezone.ErrSyntax)
		})
	}
}

func TestFormat(t *testing.T) {
	kolkata := mustLoad(t, "Asia/Kolkata")
	assert.Equal(t, "2012-10-12T23:33:14Z", timezone.Format(time.Date(2012, 10, 13, 5, 3, 14, 999, kolkata)), "UTC, whole seconds, half-hour zone")
	assert.Equal(t, "2012-10-12T23:33:14Z", string(timezone.AppendFormat(nil, time.Date(2012, 10, 12, 23, 33, 14, 0, time.UTC))))
}

// The precedence: an explicit offset, then Time-Zone, then the user's
// last known zone, then UTC.
func TestPrecedence(t *testing.T) {
	userZones := map[string]string{"alice": "Asia/Kolkata", "bob": "", "carol": "Mars/Olympus_Mons"}
	resolver, err := timezone.New(timezone.Config{
		UserZone: func(r *http.Request) (string, error) {
			user := r.Header.Get("X-Test-User")
			if user == "broken" {
				return "", errors.New("database is down")
			}
			return userZones[user], nil
		},
	})
	require.NoError(t, err)
	tests := []struct {
		name      string
		header    []string
		timestamp string
		wantZone  string
		wantRule  timezone.Rule
		wantUTC   string
	}{
		{"an explicit offset wins over everything", []string{"Time-Zone", "America/New_York", "X-Test-User", "alice"}, "2014-02-27T15:05:06+01:00", "+01:00", timezone.Timestamp, "2014-02-27T14:05:06Z"},
		{"Z is explicit too", []string{"Time-Zone", "America/New_York"}, "2014-02-27T15:05:06Z", "UTC", timezone.Timestamp, "2014-02-27T15:05:06Z"},
		{"no offset: the header decides", []string{"Time-Zone", "America/New_York", "X-Test-User", "alice"}, "2014-02-27T15:05:06", "America/New_York", timezone.Header, "2014-02-27T20:05:06Z"},
		{"no header: the user's last zone", []string{"X-Test-User", "alice"}, "2014-02-27T15:05:06", "Asia/Kolkata", timezone.User, "2014-02-27T09:35:06Z"},
		{"a user without a zone: UTC", []string{"X-Test-User", "bob"}, "2014-02-27T15:05:06", "UTC", timezone.Default, "2014-02-27T15:05:06Z"},
		{"a user zone that is not a zone falls through", []string{"X-Test-User", "carol"}, "2014-02-27T15:05:06", "UTC", timezone.Default, "2014-02-27T15:05:06Z"},
		{"a failing lookup falls through", []string{"X-Test-User", "broken"}, "2014-02-27T15:05:06", "UTC", timezone.Default, "2014-02-27T15:05:06Z"},
		{"nothing: UTC", nil, "2014-02-27T15:05:06", "UTC", timezone.Default, "2014-02-27T15:05:06Z"},
		{"an empty header is no header", []string{"Time-Zone", "", "X-Test-User", "alice"}, "2014-02-27T15:05:06", "Asia/Kolkata", timezone.User, "2014-02-27T09:35:06Z"},
		{"DST: New York summer is -4", []string{"Time-Zone", "America/New_York"}, "2021-07-01T12:00:00", "America/New_York", timezone.Header, "2021-07-01T16:00:00Z"},
		{"DST: 02:30 does not exist in New York on 14 March 2021: moved forward to 03:30 EDT", []string{"Time-Zone", "America/New_York"}, "2021-03-14T02:30:00", "America/New_York", timezone.Header, "2021-03-14T07:30:00Z"},
		{"DST: the first 01:30 in New York on 7 November 2021", []string{"Time-Zone", "America/New_York"}, "2021-11-07T01:30:00", "America/New_York", timezone.Header, "2021-11-07T05:30:00Z"},
		{"DST: Amsterdam winter is +1", []string{"Time-Zone", "Europe/Amsterdam"}, "2021-03-28T01:59:59", "Europe/Amsterdam", timezone.Header, "2021-03-28T00:59:59Z"},
		{"DST: Amsterdam summer is +2, just after the change", []string{"Time-Zone", "Europe/Amsterdam"}, "2021-03-28T03:00:00", "Europe/Amsterdam", timezone.Header, "2021-03-28T01:00:00Z"},
		{"DST: 02:30 does not exist in Amsterdam on 28 March 2021: 03:30 CEST", []string{"Time-Zone", "Europe/Amsterdam"}, "2021-03-28T02:30:00", "Europe/Amsterdam", timezone.Header, "2021-03-28T01:30:00Z"},
		{"DST: 02:30 happens twice in Amsterdam on 31 October 2021: the first, CEST", []string{"Time-Zone", "Europe/Amsterdam"}, "2021-10-31T02:30:00", "Europe/Amsterdam", timezone.Header, "2021-10-31T00:30:00Z"},
		{"a half-hour zone", []string{"Time-Zone", "Asia/Kolkata"}, "2021-03-28T03:00:00", "Asia/Kolkata", timezone.Header, "2021-03-27T21:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/posts", nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			var got time.Time
			var decided *timezone.Zone
			h := resolver.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				zone, ok := timezone.FromContext(r.Context())
				assert.Equal(t, zone.Rule != timezone.Default, ok, "in the context only when a rule decided")
				var err error
				got, decided, err = zone.Parse(tt.timestamp)
				require.NoError(t, err)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, 200, w.Code, w.Body.String())
			require.NotNil(t, decided)
			assert.Equal(t, tt.wantZone, decided.Name)
			assert.Equal(t, tt.wantRule, decided.Rule)
			assert.Equal(t, tt.wantUTC, timezone.Format(got))
		})
	}
}

func TestUnknownZone(t *testing.T) {
	errs, err := apierrors.NewWriter(apierrors.Config{})
	require.NoError(t, err)
	strict, err := timezone.New(timezone.Config{Errors: errs})
	require.NoError(t, err)
	lenient, err := timezone.New(timezone.Config{IgnoreInvalid: true})
	require.NoError(t, err)
	for _, name := range []string{"Mars/Olympus_Mons", "Local", "../../etc/passwd", "/etc/localtime", "europe/amsterdam", "Europe", "Europe/Amsterdam\x00", "+01:00"} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Time-Zone", name)
			w := httptest.NewRecorder()
			strict.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") })).ServeHTTP(w, r)
			assert.Equal(t, 400, w.Code)
			var body struct {
				Message string
				Errors  []apierrors.FieldError
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Contains(t, body.Message, "Invalid Time-Zone header")
			assert.Equal(t, []apierrors.FieldError{{Resource: "Request", Field: "Time-Zone", Code: "invalid"}}, body.Errors)

			zone, err := lenient.Resolve(r)
			require.NoError(t, err)
			assert.Equal(t, timezone.Default, zone.Rule, "ignored by config")
		})
	}
}

// spellings are names the OS zoneinfo reader (time.LoadLocation on Linux)
// accepts, or that reach the file system, but that are not a listed
// name as the tz database spells it: each would otherwise be one more
// cache entry for the same zone, or the server's own configuration.
var spellings = []struct {
	name  string
	zone  string
	shown string // the name as the message quotes it
}{
	{"two slashes", "Europe//Amsterdam", "Europe//Amsterdam"},
	{"three slashes", "Europe///Amsterdam", "Europe///Amsterdam"},
	{"a dot directory", "Europe/./Amsterdam", "Europe/./Amsterdam"},
	{"a leading dot directory", "./Europe/Amsterdam", "./Europe/Amsterdam"},
	{"a trailing slash", "Europe/Amsterdam/", "Europe/Amsterdam/"},
	{"a parent directory", "Europe/../Europe/Amsterdam", "Europe/../Europe/Amsterdam"},
	{"an absolute path", "/usr/share/zoneinfo/Europe/Amsterdam", "/usr/share/zoneinfo/Europe/Amsterdam"},
	{"the OS's posix/ copy", "posix/Europe/Amsterdam", "posix/Europe/Amsterdam"},
	{"the OS's right/ copy, with leap seconds", "right/Europe/Amsterdam", "right/Europe/Amsterdam"},
	{"the server's own zone file", "localtime", "localtime"},
	{"the OS's posixrules", "posixrules", "posixrules"},
	{"lower case", "europe/amsterdam", "europe/amsterdam"},
	{"upper case", "EUROPE/AMSTERDAM", "EUROPE/AMSTERDAM"},
	{"Local, the server's zone", "Local", "Local"},
	{"lower-case utc", "utc", "utc"},
	{"an offset", "+01:00", "+01:00"},
	{"one byte longer than the longest name", "America/Argentina/ComodRivadavia_", "America/Argentina/ComodRivadavia_"},
	{"7 KB of directories", strings.Repeat("Europe/", 1000) + "Amsterdam", strings.Repeat("Europe/", 10)[:64] + "…"},
	{"64 KB of slashes", "Europe" + strings.Repeat("/", 64<<10) + "Amsterdam", "Europe" + strings.Repeat("/", 58) + "…"},
}

// The attack of issue 19: on a real server, every other spelling of a
// zone is the 400 JSON error, read from the client's response.
func TestNonCanonicalZoneOnARealServer(t *testing.T) {
	resolver, err := timezone.New(timezone.Config{})
	require.NoError(t, err)
	srv := httptest.NewServer(resolver.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") })))
	t.Cleanup(srv.Close)
	for _, tt := range spellings {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", srv.URL+"/posts", nil)
			require.NoError(t, err)
			req.Header.Set("Time-Zone", tt.zone)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
			want, err := json.Marshal(map[string]any{
				"message": "Invalid Time-Zone header: " + strconv.Quote(tt.shown) + " is not a canonical IANA time zone name such as Europe/Amsterdam",
				"errors":  []map[string]string{{"resource": "Request", "field": "Time-Zone", "code": "invalid"}},
			})
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(body))
			_, ok := timezone.Lookup(tt.zone)
			assert.False(t, ok, "Lookup refuses it too")
		})
	}
}

// Names net/http never delivers (it refuses a NUL in a header) but that
// another server, or a UserZone store, can hand the middleware.
func TestZoneNamesNetHTTPRefuses(t *testing.T) {
	resolver, err := timezone.New(timezone.Config{UserZone: func(r *http.Request) (string, error) {
		return r.Header.Get("X-Test-User-Zone"), nil
	}})
	require.NoError(t, err)
	for _, name := range []string{"Europe/Amsterdam\x00", "Europe/Amsterdam\x00/../../etc/passwd", "\x00", "Europe\\Amsterdam", "Europe/Amsterdam\n"} {
		t.Run(strconv.Quote(name), func(t *testing.T) {
			_, ok := timezone.Lookup(name)
			assert.False(t, ok)

			r := httptest.NewRequest("GET", "/", nil)
			r.Header["Time-Zone"] = []string{name}
			w := httptest.NewRecorder()
			resolver.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") })).ServeHTTP(w, r)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Contains(t, w.Body.String(), `is not a canonical IANA time zone name`)

			r = httptest.NewRequest("GET", "/", nil)
			r.Header["X-Test-User-Zone"] = []string{name}
			zone, err := resolver.Resolve(r)
			require.NoError(t, err)
			assert.Equal(t, timezone.Default, zone.Rule, "a user zone that is no listed name falls through to UTC")
		})
	}
	_, ok := timezone.Lookup("")
	assert.False(t, ok, "the empty name, which time.LoadLocation takes for UTC")
}

// The memory of issue 19: thousands of distinct spellings add nothing to
// the cache, which never holds more than one entry per listed name.
func TestCacheHoldsOnlyListedZones(t *testing.T) {
	resolver, err := timezone.New(timezone.Config{})
	require.NoError(t, err)
	h := resolver.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	serve := func(zone string) int {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Time-Zone", zone)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, zone := range []string{"Europe/Amsterdam", "America/New_York", "Asia/Kolkata"} {
		require.Equal(t, http.StatusOK, serve(zone), zone)
	}
	before := timezone.CachedZones()

	seen := map[string]bool{}
	for _, zone := range []string{"Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "America/Argentina/Buenos_Aires"} {
		area, city, _ := strings.Cut(zone, "/")
		for i := 1; i <= 300; i++ {
			for _, spelling := range []string{
				area + strings.Repeat("/", i+1) + city,
				strings.Repeat("./", i) + zone,
				area + "/" + strings.Repeat("./", i) + city,
				"posix/" + area + strings.Repeat("/", i) + city,
				"right/" + area + strings.Repeat("/", i) + city,
			} {
				seen[spelling] = true
				require.Equal(t, http.StatusBadRequest, serve(spelling), spelling)
			}
		}
	}
	require.Greater(t, len(seen), 5000, "distinct spellings sent")
	assert.Equal(t, before, timezone.CachedZones(), "no spelling is cached")

	for _, name := range timezone.ZoneNames {
		require.Equal(t, http.StatusOK, serve(name), name)
		require.LessOrEqual(t, timezone.CachedZones(), len(timezone.ZoneNames))
	}
	assert.Equal(t, len(timezone.ZoneNames), timezone.CachedZones(), "every listed name, once")
}

// A listed name whose data the binary lacks (built with a Go older than
// the list) is refused like any unknown name, and is not loaded again on
// every request.
func TestListedZoneThatFailsToLoad(t *testing.T) {
	attempts := timezone.FailLoading(t, "America/Ciudad_Juarez")
	resolver, err := timezone.New(timezone.Config{})
	require.NoError(t, err)
	for range 3 {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Time-Zone", "America/Ciudad_Juarez")
		_, err := resolver.Resolve(r)
		var refusal *apierrors.Error
		require.ErrorAs(t, err, &refusal)
		assert.Equal(t, http.StatusBadRequest, refusal.Status)
		assert.Equal(t, "invalid_time_zone", refusal.ID)
		_, ok := timezone.Lookup("America/Ciudad_Juarez")
		assert.False(t, ok)
	}
	assert.Equal(t, 1, attempts(), "the failure is remembered")
	_, ok := timezone.Lookup("Europe/Amsterdam")
	assert.True(t, ok, "other zones are unaffected")
}

func TestRemember(t *testing.T) {
	var remembered []string
	resolver, err := timezone.New(timezone.Config{Remember: func(r *http.Request, zone string) { remembered = append(remembered, zone) }})
	require.NoError(t, err)
	for _, name := range []string{"Europe/Amsterdam", "Nowhere/Else", ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Time-Zone", name)
		_, _ = resolver.Resolve(r)
	}
	assert.Equal(t, []string{"Europe/Amsterdam"}, remembered, "only a valid header zone is remembered")
}

func TestFromContextDefaultsToUTC(t *testing.T) {
	zone, ok := timezone.FromContext(context.Background())
	assert.False(t, ok, "nothing in the context")
	require.NotNil(t, zone, "never nil: UTC")
	assert.Equal(t, time.UTC, zone.Location)
	assert.Equal(t, timezone.Default, zone.Rule)
	kolkata := &timezone.Zone{Location: mustLoad(t, "Asia/Kolkata"), Name: "Asia/Kolkata", Rule: timezone.User}
	zone, ok = timezone.FromContext(timezone.WithZone(context.Background(), kolkata))
	assert.True(t, ok)
	assert.Same(t, kolkata, zone)
	zone, ok = timezone.FromContext(timezone.WithZone(context.Background(), nil))
	assert.False(t, ok, "a nil zone is none")
	assert.Equal(t, time.UTC, zone.Location)
	assert.Equal(t, "header", timezone.Header.String())
	assert.Equal(t, "Rule(9)", timezone.Rule(9).String())
}

func TestCustomHeader(t *testing.T) {
	resolver, err := timezone.New(timezone.Config{Header: "x-time-zone"})
	require.NoError(t, err)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Time-Zone", "Asia/Kolkata")
	zone, err := resolver.Resolve(r)
	require.NoError(t, err)
	assert.Equal(t, "Asia/Kolkata", zone.Name)

	_, err = timezone.New(timezone.Config{Header: "bad header"})
	assert.EqualError(t, err, `timezone: Header: "bad header" is not a field name`)
	var configErr *apierrors.ConfigError
	require.ErrorAs(t, err, &configErr)
	assert.Equal(t, apierrors.ConfigError{Package: "timezone", Field: "Header", Reason: `"bad header" is not a field name`}, *configErr)
}

func TestJSONTime(t *testing.T) {
	var in struct {
		At   timezone.Time `json:"at"`
		Nil  timezone.Time `json:"nil"`
		Wall timezone.Time `json:"wall"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"at":"2014-02-27T15:05:06+01:00","nil":null,"wall":"2014-02-27T15:05:06"}`), &in))
	assert.True(t, in.At.Explicit())
	assert.True(t, in.Nil.IsZero())
	assert.False(t, in.Wall.Explicit())
	kolkata := &timezone.Zone{Location: mustLoad(t, "Asia/Kolkata"), Name: "Asia/Kolkata", Rule: timezone.Header}
	assert.Equal(t, "2014-02-27T14:05:06Z", timezone.Format(in.At.In(kolkata)), "explicit: kept")
	assert.Equal(t, "2014-02-27T09:35:06Z", timezone.Format(in.Wall.In(kolkata)), "wall clock: read in the request's zone")

	out, err := json.Marshal(map[string]timezone.Time{"at": in.At, "nil": in.Nil, "made": timezone.NewTime(time.Date(2012, 10, 12, 23, 33, 14, 5, time.UTC))})
	require.NoError(t, err)
	assert.JSONEq(t, `{"at":"2014-02-27T14:05:06Z","nil":null,"made":"2012-10-12T23:33:14Z"}`, string(out))

	for _, bad := range []string{`{"at":"27 Feb 2014"}`, `{"at":12}`, `{"at":"2014-02-30T00:00:00Z"}`} {
		var v struct {
			At timezone.Time `json:"at"`
		}
		err := json.Unmarshal([]byte(bad), &v)
		var fe apierrors.FieldError
		require.ErrorAs(t, err, &fe, bad)
		assert.Equal(t, apierrors.CodeInvalid, fe.Code)
	}
}

func TestZoneNow(t *testing.T) {
	zone := &timezone.Zone{Location: mustLoad(t, "Asia/Kolkata"), Name: "Asia/Kolkata", Rule: timezone.Header}
	now := zone.Now()
	_, offset := now.Zone()
	assert.Equal(t, 5*3600+1800, offset)
}

// A custom hook's status, headers and body arrive whole on a real
// connection, and it gets the 400 the default would have written.
func TestOnErrorOnARealServer(t *testing.T) {
	var got *apierrors.Error
	resolver, err := timezone.New(timezone.Config{OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
		got = e
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Hook", "ran")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, "name an IANA zone\n")
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(resolver.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") })))
	t.Cleanup(srv.Close)

	req, err := http.NewRequest("POST", srv.URL+"/posts", nil)
	require.NoError(t, err)
	req.Header.Set("Time-Zone", "+01:00")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "ran", resp.Header.Get("X-Hook"))
	assert.Equal(t, "name an IANA zone\n", string(body))
	require.NotNil(t, got)
	assert.Equal(t, &apierrors.Error{
		Status:  http.StatusBadRequest,
		Message: `Invalid Time-Zone header: "+01:00" is not a canonical IANA time zone name such as Europe/Amsterdam`,
		ID:      "invalid_time_zone",
		Errors:  []apierrors.FieldError{{Resource: "Request", Field: "Time-Zone", Code: apierrors.CodeInvalid}},
	}, got)
}

// recorder is an Observer that keeps what it saw.
type recorder struct {
	mu     sync.Mutex
	events []observe.Event
}

func (o *recorder) Observe(ev observe.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev)
}

func TestObserver(t *testing.T) {
	var strictSeen, lenientSeen recorder
	strict, err := timezone.New(timezone.Config{Observer: &strictSeen})
	require.NoError(t, err)
	lenient, err := timezone.New(timezone.Config{Observer: &lenientSeen, IgnoreInvalid: true})
	require.NoError(t, err)
	var refused []*http.Request
	for _, name := range []string{"", "Europe/Amsterdam", "Mars/Olympus_Mons", "+01:00", "Asia/Kolkata"} {
		r := httptest.NewRequest("GET", "/", nil)
		if name != "" {
			r.Header.Set("Time-Zone", name)
		}
		w := httptest.NewRecorder()
		strict.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
		if w.Code == http.StatusBadRequest {
			refused = append(refused, r)
		}
		lenient.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), r)
	}
	require.Len(t, refused, 2)
	assert.Equal(t, []observe.Event{
		{Middleware: "timezone", Decision: observe.Invalid, Detail: "time_zone", Request: refused[0]},
		{Middleware: "timezone", Decision: observe.Invalid, Detail: "time_zone", Request: refused[1]},
	}, strictSeen.events, "only the refusals")
	assert.Empty(t, lenientSeen.events, "an ignored zone is no refusal")
}

func TestLogger(t *testing.T) {
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}))
	resolver, err := timezone.New(timezone.Config{Logger: logger, UserZone: func(r *http.Request) (string, error) {
		if r.Header.Get("X-Test-User") == "broken" {
			return "", errors.New("database is down")
		}
		return "Mars/Olympus_Mons", nil
	}})
	require.NoError(t, err)
	for _, user := range []string{"broken", "carol"} {
		r := httptest.NewRequest("GET", "/posts?access_token=secret", nil)
		r.Header.Set("X-Test-User", user)
		zone, err := resolver.Resolve(r)
		require.NoError(t, err)
		assert.Equal(t, timezone.Default, zone.Rule, "UTC: the request goes on")
	}
	assert.Equal(t, `{"level":"WARN","msg":"timezone: user zone lookup failed","error":"database is down","method":"GET","path":"/posts"}`+"\n"+
		`{"level":"WARN","msg":"timezone: user zone is no IANA zone","zone":"Mars/Olympus_Mons","method":"GET","path":"/posts"}`+"\n",
		logged.String(), "never the query, which may hold secrets")
}

// counter is an Observer that allocates nothing itself.
type counter struct{ n int }

func (c *counter) Observe(observe.Event) { c.n++ }
