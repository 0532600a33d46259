package timezone

import (
	"errors"
	"time"
)

// ErrSyntax is what Parse returns for a string that is not an ISO 8601
// date-time it reads.
var ErrSyntax = errors.New("timezone: not an ISO 8601 date-time")

// Layout is the layout of Format: ISO 8601 in UTC, whole seconds,
// GitHub's "2012-10-12T23:33:14Z".
const Layout = "2006-01-02T15:04:05Z"

// Format returns t in UTC as "2012-10-12T23:33:14Z".
func Format(t time.Time) string {
	var buf [len(Layout)]byte
	return string(AppendFormat(buf[:0], t))
}

// AppendFormat appends t, as Format writes it, to dst.
func AppendFormat(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, Layout)
}

// Parse reads an ISO 8601 date-time:
//
//	2014-02-27T15:05:06Z             2014-02-27T15:05:06.123456789+01:00
//	2014-02-27T15:05:06+01:00        2014-02-27T15:05:06,5-0330
//	2014-02-27T15:05:06+0100         2014-02-27 15:05:06+01
//	2014-02-27T15:05:06              2014-02-27T15:05
//	20140227T150506Z                 2014-02-27
//
// explicit reports whether s names its offset (Z or ±hh[:mm]). A
// date-time without one is read as a wall-clock time in loc, which must
// not be nil: the zone the request resolved, since the client did not say
// (RFC 3339 §4.4 calls such a time "local"). A date alone is midnight in
// loc. Fractions of a second may have up to nine digits, with '.' or ','.
func Parse(s string, loc *time.Location) (t time.Time, explicit bool, err error) {
	p := iso{s: s}
	year, ok := p.digits(4)
	if !ok {
		return time.Time{}, false, ErrSyntax
	}
	basic := !p.accept('-')
	month, ok1 := p.digits(2)
	if !basic && !p.accept('-') {
		return time.Time{}, false, ErrSyntax
	}
	day, ok2 := p.digits(2)
	if !ok1 || !ok2 {
		return time.Time{}, false, ErrSyntax
	}
	var hour, minute, second, nanos int
	if !p.done() {
		if !p.accept('T') && !p.accept('t') && !p.accept(' ') {
			return time.Time{}, false, ErrSyntax
		}
		var okH, okM bool
		hour, okH = p.digits(2)
		if !basic && !p.accept(':') {
			return time.Time{}, false, ErrSyntax
		}
		minute, okM = p.digits(2)
		if !okH || !okM {
			return time.Time{}, false, ErrSyntax
		}
		if !p.done() && (basic && isDigit(p.peek()) || !basic && p.peek() == ':') {
			if !basic {
				p.accept(':')
			}
			var okS bool
			if second, okS = p.digits(2); !okS {
				return time.Time{}, false, ErrSyntax
			}
			if p.accept('.') || p.accept(',') {
				digits := 0
				for !p.done() && isDigit(p.peek()) {
					if digits < 9 {
						nanos = nanos*10 + int(p.next()-'0')
					} else {
						p.next()
					}
					digits++
				}
				if digits == 0 {
					return time.Time{}, false, ErrSyntax
				}
				for ; digits < 9; digits++ {
					nanos *= 10
				}
			}
		}
	}
	zone := loc
	if !p.done() {
		offset, ok := p.offset()
		if !ok || !p.done() {
			return time.Time{}, false, ErrSyntax
		}
		explicit = true
		zone = fixedZone(offset)
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 24 || minute > 59 || second > 60 ||
		hour == 24 && (minute != 0 || second != 0 || nanos != 0) {
		return time.Time{}, false, ErrSyntax
	}
	if second == 60 {
		second = 59 // a leap second: Go's time has none; keep the second before
	}
	if explicit {
		return time.Date(year, time.Month(month), day, hour, minute, second, nanos, zone), true, nil
	}
	return wallTime(year, time.Month(month), day, hour, minute, second, nanos, zone), false, nil
}

// wallTime is the instant a wall clock shows in loc, the same in every
// zone whatever its transitions: a wall time that a daylight-saving gap
// skips (02:30 on the March night New York springs forward) is moved
// forward by the gap (to 03:30 daylight time), and one that a fall-back
// overlap repeats is the first of the two, as JavaScript's Temporal does
// by default. (time.Date leaves both unspecified.)
func wallTime(year int, month time.Month, day, hour, minute, second, nanos int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, hour, minute, second, nanos, loc)
	_, before := t.Add(-12 * time.Hour).Zone()
	_, after := t.Add(12 * time.Hour).Zone()
	if before == after {
		return t
	}
	wall := time.Date(year, month, day, hour, minute, second, nanos, time.UTC)
	early := wall.Add(-time.Duration(before) * time.Second).In(loc)
	late := wall.Add(-time.Duration(after) * time.Second).In(loc)
	shows := func(c time.Time) bool {
		return c.Day() == wall.Day() && c.Hour() == wall.Hour() && c.Minute() == wall.Minute()
	}
	switch okEarly, okLate := shows(early), shows(late); {
	case okEarly && okLate:
		if late.Before(early) {
			return late
		}
		return early
	case okLate:
		return late
	default:
		// early, or in a gap: the offset before it carries the wall
		// clock past the gap.
		return early
	}
}

// iso is a cursor over the string Parse reads.
type iso struct {
	s string
	i int
}

func (p *iso) done() bool { return p.i >= len(p.s) }
func (p *iso) peek() byte { return p.s[p.i] }
func (p *iso) next() byte { c := p.s[p.i]; p.i++; return c }

func (p *iso) accept(c byte) bool {
	if !p.done() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *iso) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for k := 0; k < n; k++ {
		c := p.s[p.i+k]
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

// offset reads Z, ±hh, ±hhmm or ±hh:mm, in seconds east of UTC.
func (p *iso) offset() (int, bool) {
	if p.accept('Z') || p.accept('z') {
		return 0, true
	}
	sign := 1
	switch {
	case p.accept('+'):
	case p.accept('-'):
		sign = -1
	default:
		return 0, false
	}
	hours, ok := p.digits(2)
	if !ok || hours > 23 {
		return 0, false
	}
	minutes := 0
	if !p.done() {
		p.accept(':')
		if minutes, ok = p.digits(2); !ok || minutes > 59 {
			return 0, false
		}
	}
	return sign * (hours*3600 + minutes*60), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// fixedZone returns UTC for a zero offset, so that times read with "Z" or
// "+00:00" compare and format as UTC.
func fixedZone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	return time.FixedZone("", offset)
}
