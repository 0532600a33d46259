// Package mediatype versions the API through the Accept header, the way
// GitHub's v3 API does: a client asks for a version, and optionally an
// alternative representation, with a vendor media type,
//
//	Accept: application/vnd.acme.v3+json
//	Accept: application/vnd.acme.v3.raw+json
//
// and every response says what it is:
//
//	X-acme-Media-Type: acme.v3; format=json
//	X-acme-Media-Type: acme.v3; param=raw; format=json
//
// A Negotiator is built once from a Config (the vendor, which is
// required, the versions served, the params handlers offer) and its
// Handler wraps the API:
//
//	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Params: []string{"raw", "full"}, Errors: errs})
//	...
//	api := n.Handler(mux)
//
// Handlers read the result with FromContext and, when they offer
// alternative representations, switch on its Param; a handler test puts
// one in the context with WithMediaType. See the examples.
//
// # What a request gets
//
// No Accept, application/json, application/*, */* and the vendor type
// without a version (application/vnd.acme+json) get the default: the
// first of Config.Versions, no param. So does every type the service does
// not serve, another vendor's included: GitHub's own clients send
// application/vnd.github.v3+json, and a browser sends text/html before
// */*. RFC 9110 §12.5.1 lets a server disregard an Accept it cannot honour
// instead of answering 406, and this convention does.
//
// The one 406 is for a client that names this service's vendor type with
// a version it does not serve (application/vnd.acme.v9+json) and
// accepts nothing else the service serves: answering v3 to a client that
// asked for v9 would break it quietly. The body, written through
// Config.Errors, says what to send instead:
//
//	{"message":"Unsupported 'Accept' header: \"application/vnd.acme.v9+json\". Must accept one of: application/vnd.acme.v3+json, application/json."}
//
// Config.OnError may answer it instead: the hook gets the
// *apierrors.Error (ID "not_acceptable") after X-<Vendor>-Media-Type and
// Vary are set and before anything is written, so its own status, headers
// and body reach the client whole. Config.Observer sees each 406 as
// observe.NotAcceptable, Detail "version".
//
// A vendor type is application/vnd.<vendor>[.<version>][.<param>][+json],
// as GitHub's. Without a version it is the default version; the suffix
// may be left out (application/vnd.acme.v3.raw), and a type with another
// suffix (+xml) is a type the service does not serve. A param the service
// does not list (application/vnd.acme.v3.diff+json) is no param: the
// default representation of that version, not a 406.
//
// # Precedence
//
// Accept is a list of media ranges with optional weights (RFC 9110
// §12.5.1 and §12.4.2), over any number of field lines (§5.3). The range
// that decides is the one with the highest weight; among equal weights
// the more specific (type/subtype over type/* over */*); among equal
// specificity the first in the header. Ranges that select nothing the
// service serves are passed over, so
// "application/vnd.acme.v9+json, application/json;q=0.5" is answered
// with application/json, not 406.
//
//   - q=0 means "not acceptable": such a range is never chosen. When every
//     range is excluded or not served ("application/json;q=0" alone), the
//     default is served: the field only excluded things, and the service
//     disregards it rather than answering 406 (RFC 9110 §12.5.1).
//   - Type and subtype compare case-insensitively, in ASCII only (§8.3.1).
//   - Media-type parameters other than q (charset=utf-8) do not change what
//     a range selects or how specific it is: the service has one JSON, in
//     UTF-8. Parameters after q (RFC 7231's accept-ext) are ignored.
//   - A range that does not parse is ignored, as if it were not there: a
//     weight that is not a qvalue (q=2, q=abc, q=0.1234, q="0.5"), a
//     parameter without a value, whitespace around "=" or "/", "*/json".
//     Quoted-strings are read as such, so a comma inside one does not
//     split the list.
//   - At most 32 media ranges are read, over all field lines together;
//     the rest of the field is ignored. Empty list elements do not count.
//
// # Responses
//
// Handler sets X-<Vendor>-Media-Type before the handler runs, so errors,
// redirects and 304s written further in carry it; the 406 carries the
// default's, the representation its body is in. It also merges Accept
// into Vary (RFC 9110 §12.5.5), since the representation depends on it.
// ExposedHeaders names the header for a CORS expose list
// (cors.Config.Expose), so that scripts on other origins may read it.
//
// # Cost
//
// Header values are built in New, one per version and param, and shared
// by every response (each slice has len == cap, so an Add elsewhere
// appends to a fresh array). Negotiate does not allocate unless it
// answers 406, and the common fields (none, application/json, */*,
// GitHub's type, the vendor's own types) are matched whole, without
// parsing. Handler allocates twice per request, for context.WithValue and
// r.WithContext; the MediaType it stores is a pointer to a value made in
// New.
//
// # Where it sits
//
// Sixth in the stack (the stack order in the module doc, go doc
// github.com/myblog/apikit): after request ids, the access log, recovery, the User-Agent check
// and CORS (a preflight never reaches it), before authentication and the
// rate limiter, so a 406 costs neither a credential check nor quota, and
// the 401s and 429s they answer carry X-<Vendor>-Media-Type.
//
// It deliberately does not set Content-Type (the handler or package
// render does), negotiate Accept-Charset, Accept-Encoding or
// Accept-Language, convert between representations (handlers do, from
// Param), version through the URL, a query parameter or GitHub's newer
// X-GitHub-Api-Version date header, or serve formats other than JSON.
package mediatype
