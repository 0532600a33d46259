// Package configerr is the one way apikit's constructors report what is
// wrong with a Config: every problem at once, each naming its package and
// its field path exactly once ("ratelimit: Resources[0].Limit: must be at
// least 1").
//
// Its Error type is exported as apierrors.ConfigError, so callers match it
// with errors.As whichever package refused to start.
package configerr

import (
	"errors"
	"fmt"
	"strconv"
)

// Error is one problem with a Config.
type Error struct {
	// Package is the package whose constructor refused: "ratelimit".
	Package string
	// Field is the path of the field inside that package's Config, with
	// indexes and nested fields: "Resources[0].Limit". Empty when the
	// problem is the config as a whole.
	Field string
	// Reason says what is wrong with it.
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Package + ": " + e.Reason
	}
	return e.Package + ": " + e.Field + ": " + e.Reason
}

// List collects the problems of one constructor. The zero value is not
// usable; build one with New.
type List struct {
	pkg      string
	problems []error
}

// New returns an empty List for package pkg.
func New(pkg string) *List { return &List{pkg: pkg} }

// Add records that field is wrong for reason.
func (l *List) Add(field, reason string) {
	l.problems = append(l.problems, &Error{Package: l.pkg, Field: field, Reason: reason})
}

// Addf records that field is wrong, with a formatted reason.
func (l *List) Addf(field, format string, args ...any) {
	l.Add(field, fmt.Sprintf(format, args...))
}

// Nested records the problems err holds (as returned by another
// constructor, or another List's Err) under field: a problem of
// "Tokens.Keys[0]" found by a nested config becomes this package's
// "Tokens.Keys[0]" problem, named once, not "auth: Tokens: auth: Keys[0]".
// An error that is not an *Error is recorded under field as it is.
func (l *List) Nested(field string, err error) {
	if err == nil {
		return
	}
	for _, e := range flatten(err) {
		var ce *Error
		if errors.As(e, &ce) {
			l.Add(join(field, ce.Field), ce.Reason)
			continue
		}
		l.Add(field, e.Error())
	}
}

// Len is the number of problems recorded.
func (l *List) Len() int { return len(l.problems) }

// Err returns every problem joined with errors.Join, or nil.
func (l *List) Err() error {
	if len(l.problems) == 0 {
		return nil
	}
	return errors.Join(l.problems...)
}

// Index returns field[i]: "Resources[0]".
func Index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// join joins a field path and a nested one: "Tokens" and "Keys[0]" give
// "Tokens.Keys[0]".
func join(outer, inner string) string {
	switch {
	case outer == "":
		return inner
	case inner == "":
		return outer
	}
	return outer + "." + inner
}

// flatten lists the errors an errors.Join holds, recursively.
func flatten(err error) []error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}
