package timezone

import (
	"time"

	apierrors "github.com/myblog/apikit/errors"
)

// Time is a time.Time for JSON bodies: it marshals as ISO 8601 in UTC
// ("2012-10-12T23:33:14Z", null when zero) and unmarshals any date-time
// Parse reads, remembering whether the client named an offset.
//
//	type post struct {
//		PublishedAt timezone.Time `json:"published_at"`
//	}
//
// A time the client sent without an offset is held as a UTC wall clock
// until the handler places it in the request's zone with In.
type Time struct {
	time.Time
	explicit bool
}

// NewTime returns t as a Time with an explicit offset.
func NewTime(t time.Time) Time { return Time{Time: t, explicit: true} }

// Explicit reports whether the client named the offset (Z or ±hh:mm).
func (t Time) Explicit() bool { return t.explicit }

// In returns the instant t stands for: t itself when its offset was
// explicit, else its wall clock read in zone (the request's zone, by the
// precedence in the package doc).
func (t Time) In(zone *Zone) time.Time {
	if t.explicit || t.IsZero() {
		return t.Time
	}
	return wallTime(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), zone.Location)
}

// MarshalJSON writes "2012-10-12T23:33:14Z", or null for the zero time
// (blank fields are null, never omitted).
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(Layout)+2)
	b = append(b, '"')
	b = AppendFormat(b, t.Time)
	return append(b, '"'), nil
}

// errNotISO8601 is a 422 "invalid" entry when a body holds a time that is
// not ISO 8601.
var errNotISO8601 = apierrors.FieldError{Code: apierrors.CodeInvalid, Message: "must be an ISO 8601 date-time such as 2014-02-27T15:05:06+01:00"}

// UnmarshalJSON reads null (the zero time) or a string Parse reads.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return errNotISO8601
	}
	parsed, explicit, err := Parse(string(b[1:len(b)-1]), time.UTC)
	if err != nil {
		return errNotISO8601
	}
	*t = Time{Time: parsed, explicit: explicit}
	return nil
}
