package timezone

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strconv"
	"sync/atomic"
	"time"
	_ "time/tzdata" // every listed zone loads, on machines without zoneinfo too (~400 KB)

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/observe"
)

// DefaultHeader is the request header naming the client's zone.
const DefaultHeader = "Time-Zone"

// Rule says which rule of the precedence decided a request's zone.
type Rule uint8

const (
	// Default: no rule applied; the zone is UTC.
	Default Rule = iota
	// Timestamp: a timestamp in the request named its offset.
	Timestamp
	// Header: the Time-Zone header.
	Header
	// User: the authenticated user's last known zone.
	User
)

func (r Rule) String() string {
	switch r {
	case Default:
		return "default"
	case Timestamp:
		return "timestamp"
	case Header:
		return "header"
	case User:
		return "user"
	}
	return "Rule(" + strconv.Itoa(int(r)) + ")"
}

// Zone is a resolved time zone and the rule that chose it.
type Zone struct {
	// Location is the zone. Never nil.
	Location *time.Location
	// Name is the IANA name ("Europe/Amsterdam"), "UTC", or for an offset
	// from a timestamp its ISO 8601 form ("+05:30").
	Name string
	// Rule is the rule that decided.
	Rule Rule
}

var utc = &Zone{Location: time.UTC, Name: "UTC", Rule: Default}

// Config configures a Resolver. The zero value reads the Time-Zone header
// and answers 400 to a zone it does not know.
type Config struct {
	// Header is the request header naming the zone. Default "Time-Zone".
	Header string
	// IgnoreInvalid makes an unknown zone fall through to the next rule
	// instead of answering 400.
	IgnoreInvalid bool
	// UserZone returns the authenticated user's last known zone, an IANA
	// name as Lookup accepts it ("" when none). An error or any other name
	// falls through to UTC (and is logged). Default: no user zones.
	UserZone func(r *http.Request) (string, error)
	// Remember, when set, is called with a valid zone from the header so
	// the caller can record it as the user's last known zone: the zone a
	// client last named is the one its later requests without a header
	// get. It runs before the handler, on the request's goroutine: keep it
	// cheap or hand the write to a queue.
	Remember func(r *http.Request, zone string)
	// OnError answers a request whose header names an unknown zone. It
	// gets the 400 *apierrors.Error (ID "invalid_time_zone", an "invalid"
	// entry for the header) before anything is written. Default:
	// Errors.WriteError.
	OnError apierrors.Hook
	// Errors writes the 400 when OnError is nil. Default: a nil
	// *apierrors.Writer, GitHub's shape.
	Errors *apierrors.Writer
	// Observer, when set, sees each refusal: observe.Invalid, Detail
	// "time_zone".
	Observer observe.Observer
	// Logger receives, at Warn, a UserZone that failed or returned a name
	// that is no zone: the request goes on in UTC.
	Logger *slog.Logger
}

// Resolver resolves each request's time zone. Build one with New; it is
// safe for concurrent use.
type Resolver struct {
	header        string
	ignoreInvalid bool
	userZone      func(*http.Request) (string, error)
	remember      func(*http.Request, string)
	onError       apierrors.Hook
	observer      observe.Observer
	logger        *slog.Logger
}

// New validates cfg and returns its Resolver.
func New(cfg Config) (*Resolver, error) {
	problems := configerr.New("timezone")
	z := &Resolver{
		header:        cfg.Header,
		ignoreInvalid: cfg.IgnoreInvalid,
		userZone:      cfg.UserZone,
		remember:      cfg.Remember,
		onError:       cfg.OnError,
		observer:      cfg.Observer,
		logger:        cfg.Logger,
	}
	if z.onError == nil {
		z.onError = cfg.Errors.WriteError
	}
	if z.header == "" {
		z.header = DefaultHeader
	}
	if !token.Valid(z.header) {
		problems.Addf("Header", "%q is not a field name", z.header)
	}
	z.header = textproto.CanonicalMIMEHeaderKey(z.header)
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return z, nil
}

// Resolve finds r's zone by the header and user rules, in that order,
// else UTC. A header naming an unknown zone is an *apierrors.Error 400
// unless Config.IgnoreInvalid. The timestamp rule, which wins over both,
// applies where a handler reads a timestamp: see Zone.Parse.
func (z *Resolver) Resolve(r *http.Request) (*Zone, error) {
	zone, refusal := z.resolve(r)
	if refusal != nil {
		return nil, refusal
	}
	return zone, nil
}

// resolve is Resolve with the refusal as the *apierrors.Error the
// Handler hands to its hook.
func (z *Resolver) resolve(r *http.Request) (*Zone, *apierrors.Error) {
	if values := r.Header[z.header]; len(values) > 0 && values[0] != "" {
		name := values[0]
		if zone, ok := lookup(name); ok {
			if z.remember != nil {
				z.remember(r, zone.header.Name)
			}
			return zone.header, nil
		}
		if !z.ignoreInvalid {
			return nil, &apierrors.Error{
				Status:  http.StatusBadRequest,
				Message: fmt.Sprintf("Invalid %s header: %s is not a canonical IANA time zone name such as Europe/Amsterdam", z.header, strconv.Quote(truncate(name, 64))),
				ID:      "invalid_time_zone",
				Errors:  []apierrors.FieldError{{Resource: "Request", Field: z.header, Code: apierrors.CodeInvalid}},
			}
		}
	}
	if z.userZone != nil {
		name, err := z.userZone(r)
		switch {
		case err != nil:
			// The lookup failed (a store outage): the request goes on in
			// UTC, so a Warn.
			if z.logger != nil {
				z.logger.LogAttrs(r.Context(), slog.LevelWarn, "timezone: user zone lookup failed",
					slog.Any("error", err), slog.String("method", r.Method), slog.String("path", r.URL.Path))
			}
		case name != "":
			if zone, ok := lookup(name); ok {
				return zone.user, nil
			}
			if z.logger != nil {
				z.logger.LogAttrs(r.Context(), slog.LevelWarn, "timezone: user zone is no IANA zone",
					slog.String("zone", truncate(name, 64)), slog.String("method", r.Method), slog.String("path", r.URL.Path))
			}
		}
	}
	return utc, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

type zoneKey struct{}

// Handler is the middleware: it resolves the request's zone and puts it
// in the context (FromContext), or answers 400 for an unknown Time-Zone
// through Config.OnError. A request that names no zone and has no user
// zone goes on untouched, with UTC.
//
// It belongs last before the router: after authentication, whose identity
// the UserZone lookup reads.
func (z *Resolver) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zone, refusal := z.resolve(r)
		if refusal != nil {
			if z.observer != nil {
				z.observer.Observe(observe.Event{Middleware: "timezone", Decision: observe.Invalid, Detail: "time_zone", Request: r})
			}
			z.onError(w, r, refusal)
			return
		}
		if zone != utc {
			r = r.WithContext(context.WithValue(r.Context(), zoneKey{}, zone))
		}
		next.ServeHTTP(w, r)
	})
}

// FromContext returns the zone the middleware (or WithZone) put in ctx,
// and true. Without one it returns UTC by the Default rule, never nil,
// and false: the middleware leaves the context of a request it resolved
// to UTC by default alone, so that such a request costs nothing, and a
// handler may use the zone either way:
//
//	zone, _ := timezone.FromContext(r.Context())
func FromContext(ctx context.Context) (*Zone, bool) {
	if zone, ok := ctx.Value(zoneKey{}).(*Zone); ok && zone != nil {
		return zone, true
	}
	return utc, false
}

// WithZone returns a copy of ctx carrying zone, as the middleware does,
// for tests of handlers.
func WithZone(ctx context.Context, zone *Zone) context.Context {
	return context.WithValue(ctx, zoneKey{}, zone)
}

// Parse reads a timestamp from a request body with the full precedence:
// an explicit offset in s wins (Rule Timestamp); otherwise s is a wall
// clock time in z, the zone the request resolved. It returns the time and
// the zone that decided.
func (z *Zone) Parse(s string) (time.Time, *Zone, error) {
	t, explicit, err := Parse(s, z.Location)
	if err != nil {
		return time.Time{}, nil, err
	}
	if !explicit {
		return t, z, nil
	}
	_, offset := t.Zone()
	return t, &Zone{Location: t.Location(), Name: offsetName(offset), Rule: Timestamp}, nil
}

// Now returns the current time in the zone, for timestamps the server
// generates on the client's behalf.
func (z *Zone) Now() time.Time { return time.Now().In(z.Location) }

func offsetName(offset int) string {
	if offset == 0 {
		return "UTC"
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b := []byte{sign}
	b = appendTwo(b, offset/3600)
	b = append(b, ':')
	b = appendTwo(b, offset%3600/60)
	return string(b)
}

func appendTwo(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

// The names a client may send are exactly those of Go's embedded tz
// database, spelt as it spells them (zonenames.go, generated from the
// toolchain's lib/time/zoneinfo.zip and checked against it by
// TestZoneNamesUpToDate). The OS zoneinfo reader accepts far more:
// "Europe//Amsterdam", "./Europe/Amsterdam", and any case on a
// case-insensitive file system, each a new spelling of one zone; a list
// bounds both what we accept and what we cache, and refuses the rest
// without touching the file system.
//
//go:generate go run ./internal/gen

// zoneIndex maps each listed name to its position in zoneNames.
var zoneIndex = func() map[string]uint16 {
	index := make(map[string]uint16, len(zoneNames))
	for i, name := range zoneNames {
		index[name] = uint16(i)
	}
	return index
}()

// zoneCache holds the zone loaded for zoneNames[i] at i: at most one entry
// per listed name, whatever clients send, so that a request naming a zone
// costs a map read, not a parse of the zone data.
var zoneCache [len(zoneNames)]atomic.Pointer[cachedZone]

// unloadable marks, in zoneCache, a listed name whose zone data failed to
// load: a binary built with an older Go, whose embedded database lacks a
// zone added since. It stays refused without a new attempt per request.
var unloadable = new(cachedZone)

// loadLocation loads a listed name's zone; tests replace it.
var loadLocation = time.LoadLocation

type cachedZone struct {
	header *Zone
	user   *Zone
}

// Lookup returns the location of an IANA zone name, and whether it is
// one: a name of Go's embedded tz database spelt exactly as there
// ("Europe/Amsterdam", "UTC", links such as "US/Eastern" included).
// "Local", "", other spellings ("Europe//Amsterdam", "europe/amsterdam")
// and offsets ("+01:00") are not.
func Lookup(name string) (*time.Location, bool) {
	zone, ok := lookup(name)
	if !ok {
		return nil, false
	}
	return zone.header.Location, true
}

func lookup(name string) (*cachedZone, bool) {
	if len(name) > maxZoneName {
		return nil, false
	}
	i, listed := zoneIndex[name]
	if !listed {
		return nil, false
	}
	zone := zoneCache[i].Load()
	if zone == nil {
		zone = load(i)
	}
	return zone, zone != unloadable
}

// load loads zoneNames[i] into its cache slot; of concurrent loads the
// first stored wins.
func load(i uint16) *cachedZone {
	// The listed string, not the client's: the cache keeps no request
	// memory alive. time.LoadLocation reads $ZONEINFO or the OS database
	// first and falls back to the embedded copy (time/tzdata), so every
	// listed name loads, with the OS's rules when it has the zone.
	name := zoneNames[i]
	zone := unloadable
	if loc, err := loadLocation(name); err == nil {
		zone = &cachedZone{
			header: &Zone{Location: loc, Name: name, Rule: Header},
			user:   &Zone{Location: loc, Name: name, Rule: User},
		}
	}
	if !zoneCache[i].CompareAndSwap(nil, zone) {
		return zoneCache[i].Load()
	}
	return zone
}
