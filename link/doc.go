// Package link reads and writes Link header fields (RFC 8288): the
// pagination links of a GitHub-style API and any other typed links.
//
// Parse reads every link of one or more field values, with the details
// real headers have: several links per field and several fields, commas
// and semicolons inside <...> and inside quoted strings, escaped quotes,
// token and quoted-string values, case-insensitive parameter names, and a
// rel of several space-separated relation types. Append and Format write
// links the way GitHub does, so that every client reads them:
//
//	<https://api.myblog.com/posts?page=2>; rel="next", <https://api.myblog.com/posts?page=5>; rel="last"
//
// Parse(Format(links)) gives back the links (with their URLs escaped as
// EscapeURL does).
//
// # Where it sits
//
// link is a leaf: it imports nothing of apikit's but an internal helper
// for header tokens, and takes no configuration, hooks or observer: it
// parses and formats, and never answers a request. Package pagination
// builds its Link headers with it, and package jsonp parses them into the
// [url, {params}] tuples of its meta object.
//
// It deliberately does not resolve relative references against a base
// URI, decode RFC 8187 extended values (title*), or validate relation
// types against the IANA registry: it hands them over as written.
package link
