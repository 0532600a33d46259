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
// The Time-Zone header must be a name of Go's embedded tz database
// spelt exactly as there: "Europe/Amsterdam", "UTC", "Etc/GMT+5", and
// the database's links such as "US/Eastern" or "Asia/Calcutta", which
// clients still send (Lookup; ExampleLookup). Anything else is a 400
// with an "invalid" entry, or ignored with Config.IgnoreInvalid: another
// spelling the OS zoneinfo reader would take ("Europe//Amsterdam",
// "posix/Europe/Amsterdam", "localtime"), another case, "Local", an
// offset such as "+01:00". The 400 goes through Config.OnError (by
// default Config.Errors), which gets the *apierrors.Error before
// anything is written; Config.Observer sees it as observe.Invalid,
// Detail "time_zone". A UserZone that fails, or names no listed zone, is
// logged at Warn on Config.Logger and the request goes on in UTC. A
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
// # Zone names and data
//
// The list of names, zonenames.go, is generated (go generate) from the
// Go toolchain's $GOROOT/lib/time/zoneinfo.zip, the data time/tzdata
// embeds, and a test fails when it no longer matches the toolchain in
// use; the machine's /usr/share/zoneinfo never decides which names
// exist. A name not in the list is refused by one map read, with no file
// system access and no allocation, and so is a name longer than the
// longest listed one before it is hashed. The package imports
// time/tzdata (about 400 KB in a binary), so that every listed name
// loads on any machine; as with time.LoadLocation, a zone's rules come
// from $ZONEINFO or the OS database when it has the zone, else from the
// embedded copy. Each listed zone is loaded once and cached in a fixed
// table of one entry per listed name (about six hundred), whatever
// clients send. A zone that only a newer OS or Go knows is refused until
// the list is regenerated; a listed zone that an older Go's data lacks
// is refused too.
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
