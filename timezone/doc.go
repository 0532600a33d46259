// Package timezone decides the time zone of timestamps a request creates,
// by GitHub's precedence for commits:
//
//  1. an ISO 8601 timestamp in the request that names its offset
//     ("2014-02-27T15:05:06+01:00") is taken as it is;
//  2. otherwise the Time-Zone header, an IANA name ("Europe/Amsterdam");
//  3. otherwise the authenticated user's last known zone
//     (Config.UserZone; a failing lookup falls through);
//  4. otherwise UTC.
//
// The middleware applies rules 2 to 4 and puts the result in the context;
// a handler reading a timestamp from the body applies rule 1 with
// Zone.Parse:
//
//	zone, _ := timezone.FromContext(r.Context()) // UTC when nothing was resolved
//	publishedAt, decided, err := zone.Parse(in.PublishedAt) // decided.Rule says which rule won
//
// An unknown Time-Zone (anything but an IANA name, an offset such as
// "+01:00" included) is a 400 with an "invalid" entry, or ignored with
// Config.IgnoreInvalid. The 400 goes through Config.OnError (by default
// Config.Errors), which gets the *apierrors.Error before anything is
// written; Config.Observer sees it as observe.Invalid, Detail
// "time_zone". A UserZone that fails is logged at Warn on Config.Logger
// and the request goes on in UTC. Zone data is embedded (time/tzdata), so names
// resolve on machines without zoneinfo; looked-up zones are cached. A
// wall-clock time that a daylight-saving change skips is moved forward
// past the gap, and one it repeats is the first of the two, the same in
// every zone. Config.Remember records a header's zone as the user's new
// last known zone.
//
// Output timestamps are ISO 8601 in UTC, "2012-10-12T23:33:14Z": Format,
// AppendFormat, and Time, a time.Time for JSON bodies that marshals so
// (null when zero) and unmarshals any ISO 8601 date-time, remembering
// whether it named an offset.
//
// # Where it sits
//
// Last before the router, after authentication (the user's zone needs
// the identity): the stack order in the module doc (go doc
// github.com/myblog/apikit).
//
// It deliberately does not convert times for display or localise them:
// the API speaks UTC, and the zone only decides what a wall-clock time
// from the client means.
package timezone
