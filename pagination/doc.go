// Package pagination pages lists the way GitHub's API does: page and
// per_page in, a Link header out.
//
// # Pages
//
// Paginator.Page reads page (from 1, default 1) and per_page (default 30,
// at most 100) from the query; a value that is not a whole number in
// range is a 422 "Validation Failed" with an "invalid" entry per field, or,
// with Config.Clamp, the nearest valid value. Page.Offset and Page.Limit
// go straight into SQL:
//
//	page, ok := pages.Page(w, r)
//	if !ok {
//		return // the 422 is answered
//	}
//	// SELECT ... LIMIT page.Limit() OFFSET page.Offset()
//	pages.SetLinks(w, r, page, total)
//
// Paginator.SetLinks then writes, from the total:
//
//	Link: <https://api.myblog.com/posts?page=3&per_page=10>; rel="next", <https://api.myblog.com/posts?page=10&per_page=10>; rel="last", <https://api.myblog.com/posts?page=1&per_page=10>; rel="first", <https://api.myblog.com/posts?page=1&per_page=10>; rel="prev"
//
// on one field line, rel first and quoted, URLs absolute (Config.BaseURL,
// else the request's scheme and host as Config.Resolver gives them: a
// proxy's only with forwarded.Config.TrustProto / TrustHost, the host
// from forwarded.Config.Hosts; a nil Resolver believes none), every
// other query
// parameter kept where the client put it, per_page kept only when the
// client gave it, commas percent-encoded. The first page has no first or
// prev, the last no next or last; a page past the end has first and prev
// (the last page); a list that fits on one page has no header at all.
// When counting is too expensive, SetLinksMore takes "are there more?"
// instead of the total and leaves out last. go-github's Response.NextPage,
// LastPage, PrevPage and FirstPage and Octokit's rel="next" pattern read
// these links.
//
// # Cursors
//
// For lists where skipping rows is expensive, Paginator.Cursor reads one
// of since (an id or timestamp, as GitHub's /users?since=), after or
// before (opaque cursors made with EncodeCursor), and SetCursorLinks
// writes rel="next" (and rel="prev" when the handler has it cheaply).
//
// # Lists of any size
//
// A database serves page N by stepping over (N-1)×per_page rows: page
// 30,000 of a million rows costs hundreds of times page 1, and counting
// the rows for last costs as much as reading them all. The rule for lists
// that may grow large, as GitHub follows it:
//
//   - Config.MaxOffset bounds how deep page numbers reach (the example
//     server: 1,000 items). A page starting past it is a 422 on page,
//     whose message points at the Link header.
//
//   - The total for last comes from a count the database keeps as rows
//     change (a counter row, a trigger), never from COUNT(*). DeepLinks
//     takes it, and leaves last out when the list goes past MaxOffset
//     (page numbers cannot reach its end).
//
//   - The deepest page in reach links rel="next" to a cursor (After, with
//     the key of its last item, EncodeCursor); from there the handler
//     reads by keyset, WHERE (sort, id) < (cursor's) ORDER BY sort, id
//     LIMIT per_page+1 on an index, and CursorLinks goes on with next
//     and prev. Every page then costs the same, at any depth, and a
//     client that follows next (go-github, Octokit, PyGithub) walks the
//     whole list without knowing where page numbers end.
//
// In a handler:
//
//	page, ok := pages.Page(w, r) // 422 past MaxOffset
//	// SELECT ... LIMIT page.Limit()+1 OFFSET page.Offset()
//	next := pagination.Cursor{Param: pagination.After, Value: cursorOf(last)}
//	pages.SetDeepLinks(w, r, page, total, next)
//
// examples/blog (lists.go) is a whole implementation, with its figures on
// a million rows in BENCHMARKS.md.
//
// # Ranges
//
// The Heroku design guide's alternative is there too: Paginator.Range
// reads "Range: id ]5c1f..; max=10, order=desc", and SetRangeHeaders sets
// Next-Range and says whether to answer 206 Partial Content.
//
// # Refusals and decisions
//
// Page, Cursor, DecodeCursor and Range answer a bad request themselves
// and report false: the 422 (page, per_page, since/after/before, a cursor
// this API did not give out) or 400 (Range) goes to Config.OnError (the
// one apierrors.Hook shape of every apikit middleware) before any status
// is written, and a nil OnError is Config.Errors.WriteError.
// Config.Observer, when set, hears of each refusal (observe.Invalid,
// Detail "page", "per_page", "cursor" or "range").
//
// # Where it sits
//
// pagination is a helper for handlers, not a middleware: it has no place
// in the stack. The Link headers it sets are read by the JSON-P middleware
// into its meta object. It builds and parses them with package link.
//
// It deliberately does not query anything or count rows. Page numbers are
// bounded by Config.MaxOffset when it is set, else only by what fits an
// int32.
package pagination
