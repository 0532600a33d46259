package timezone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // zone data in the binary: works on machines without zoneinfo

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/token"
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
	// name ("" when none). An error or an unknown name falls through to
	// UTC (and is logged). Default: no user zones.
	UserZone func(r *http.Request) (string, error)
	// Remember, when set, is called with a valid zone from the header so
	// the caller can record it as the user's last known zone (the seed's
	// rule). It runs before the handler, on the request's goroutine:
	// keep it cheap or hand the write to a queue.
	Remember func(r *http.Request, zone string)
	// Errors writes the 400 for an unknown zone. Default: a nil
	// *apierrors.Writer.
	Errors *apierrors.Writer
	// Logger receives UserZone failures.
	Logger *slog.Logger
}

// ConfigError is one problem with a Config; New returns all of them at
// once, joined with errors.Join.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "timezone: Config." + e.Field + ": " + e.Reason }

// Resolver resolves each request's time zone. Build one with New; it is
// safe for concurrent use.
type Resolver struct {
	header        string
	ignoreInvalid bool
	userZone      func(*http.Request) (string, error)
	remember      func(*http.Request, string)
	errors        *apierrors.Writer
	logger        *slog.Logger
}

// New validates cfg and returns its Resolver.
func New(cfg Config) (*Resolver, error) {
	var errs []error
	z := &Resolver{
		header:        cfg.Header,
		ignoreInvalid: cfg.IgnoreInvalid,
		userZone:      cfg.UserZone,
		remember:      cfg.Remember,
		errors:        cfg.Errors,
		logger:        cfg.Logger,
	}
	if z.header == "" {
		z.header = DefaultHeader
	}
	if !token.Valid(z.header) {
		errs = append(errs, &ConfigError{Field: "Header", Reason: fmt.Sprintf("%q is not a field name", z.header)})
	}
	z.header = textproto.CanonicalMIMEHeaderKey(z.header)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return z, nil
}

// Resolve finds r's zone by the header and user rules, in that order,
// else UTC. A header naming an unknown zone is an *apierrors.Error 400
// unless Config.IgnoreInvalid. The timestamp rule, which wins over both,
// applies where a handler reads a timestamp: see Zone.Parse.
func (z *Resolver) Resolve(r *http.Request) (*Zone, error) {
	if values := r.Header[z.header]; len(values) > 0 && values[0] != "" {
		name := values[0]
		if zone, ok := lookup(name); ok {
			if z.remember != nil {
				z.remember(r, zone.Name)
			}
			return zone.header, nil
		}
		if !z.ignoreInvalid {
			return nil, &apierrors.Error{
				Status:  http.StatusBadRequest,
				Message: fmt.Sprintf("Invalid %s header: %s is not an IANA time zone name such as Europe/Amsterdam", z.header, strconv.Quote(truncate(name, 64))),
				ID:      "invalid_time_zone",
				Errors:  []apierrors.FieldError{{Resource: "Request", Field: z.header, Code: apierrors.CodeInvalid}},
			}
		}
	}
	if z.userZone != nil {
		name, err := z.userZone(r)
		switch {
		case err != nil:
			if z.logger != nil {
				z.logger.LogAttrs(r.Context(), slog.LevelWarn, "timezone: UserZone failed", slog.Any("error", err))
			}
		case name != "":
			if zone, ok := lookup(name); ok {
				return zone.user, nil
			}
			if z.logger != nil {
				z.logger.LogAttrs(r.Context(), slog.LevelWarn, "timezone: unknown user zone", slog.String("zone", truncate(name, 64)))
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
// in the context (FromContext), or answers 400 for an unknown Time-Zone.
// A request that names no zone and has no user zone goes on untouched,
// with UTC.
//
// It belongs last before the router: after authentication, whose identity
// the UserZone lookup reads.
func (z *Resolver) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zone, err := z.Resolve(r)
		if err != nil {
			z.errors.Write(w, r, err)
			return
		}
		if zone != utc {
			r = r.WithContext(context.WithValue(r.Context(), zoneKey{}, zone))
		}
		next.ServeHTTP(w, r)
	})
}

// FromContext returns the zone the middleware resolved: UTC (by the
// Default rule) when it found none or did not run.
func FromContext(ctx context.Context) *Zone {
	if zone, ok := ctx.Value(zoneKey{}).(*Zone); ok {
		return zone
	}
	return utc
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

// zones caches the zones looked up, one entry per valid IANA name (about
// six hundred at most: invalid names are never stored), so that a request
// naming a zone costs a map read, not a parse of the zone data.
var zones sync.Map // string -> *cachedZone

type cachedZone struct {
	Name   string
	header *Zone
	user   *Zone
}

// maxZoneName bounds the names looked up: the longest IANA name is 32
// bytes.
const maxZoneName = 64

// Lookup returns the location of an IANA zone name, and whether it is
// one. "Local" is not a zone a client may name.
func Lookup(name string) (*time.Location, bool) {
	zone, ok := lookup(name)
	if !ok {
		return nil, false
	}
	return zone.header.Location, true
}

func lookup(name string) (*cachedZone, bool) {
	if cached, ok := zones.Load(name); ok {
		return cached.(*cachedZone), true
	}
	if !validZoneName(name) {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zone := &cachedZone{
		Name:   loc.String(),
		header: &Zone{Location: loc, Name: loc.String(), Rule: Header},
		user:   &Zone{Location: loc, Name: loc.String(), Rule: User},
	}
	actual, _ := zones.LoadOrStore(name, zone)
	return actual.(*cachedZone), true
}

// validZoneName accepts the characters of IANA names ("America/Argentina/
// Buenos_Aires", "Etc/GMT+5") and nothing that could reach the file
// system as a path.
func validZoneName(name string) bool {
	if name == "" || len(name) > maxZoneName || name == "Local" || name[0] == '/' || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '_', c == '-', c == '+':
		case c == '.' && i > 0 && name[i-1] != '.' && name[i-1] != '/':
		default:
			return false
		}
	}
	return true
}
