package pagination

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/token"
	"github.com/myblog/apikit/link"
	"github.com/myblog/apikit/observe"
)

// Defaults of Config: GitHub's figures (30 items a page, at most 100).
const (
	DefaultPerPage    = 30
	DefaultMaxPerPage = 100
	DefaultResource   = "Query"
)

// maxPage bounds page so that an offset computed from it cannot
// overflow, whatever the page size.
const maxPage = math.MaxInt32

// Config configures a Paginator. The zero value gives 30 items a page, at
// most 100, and 422 for a bad page or per_page.
type Config struct {
	// PerPage is the page size when the request names none. Default 30.
	PerPage int
	// MaxPerPage is the largest per_page a client may ask for. Default 100.
	MaxPerPage int
	// Clamp makes an out-of-range or malformed page or per_page take the
	// nearest valid value (or the default) instead of answering 422
	// "invalid".
	Clamp bool
	// BaseURL is the scheme and host (and path prefix, if the API lives
	// under one) of link URLs: "https://api.myblog.com". Default: the
	// request's own scheme and host, as Resolver gives them.
	BaseURL string
	// PathPrefix is the path the API is served under when the Paginator
	// sees requests without it (http.StripPrefix, or a proxy that strips
	// it): "/api/v3", put back between the host and the request's path
	// of link URLs. Only without BaseURL, which names its own prefix.
	PathPrefix string
	// Resolver gives the scheme and host of link URLs when BaseURL is
	// empty: a trusted proxy's only where it is told to believe them
	// (forwarded.Config.TrustProto, TrustHost), the host checked against
	// its allow-list (forwarded.Config.Hosts). Nil: the request's TLS
	// state and Host.
	Resolver *forwarded.Resolver
	// Resource names the resource of 422 entries. Default "Query".
	Resource string
	// RangeFields are the fields a Heroku-style Range header may name.
	// Default: "id".
	RangeFields []string
	// OnError answers a refused request: the 422 of a bad page, per_page
	// or cursor, the 400 of a bad Range header. It gets the
	// *apierrors.Error the Paginator would write, before any status is
	// written. Nil: Errors.WriteError.
	OnError apierrors.Hook
	// Errors writes refusals when OnError is nil. Default: a nil
	// *apierrors.Writer (the zero apierrors.Config).
	Errors *apierrors.Writer
	// MaxOffset, when above 0, bounds how deep page numbers reach: a
	// page whose first item lies MaxOffset or more items into the list is
	// refused with a 422 on page that points at the Link header (with
	// Clamp, it is the deepest page in reach). A list longer than that is
	// walked past it by cursor: DeepLinks makes rel="next" of the deepest
	// page a cursor link, so that a client that follows next reaches the
	// end. Skipping rows costs a database time in proportion to the
	// offset; MaxOffset bounds that cost. 0: no bound.
	MaxOffset int
	// Observer, when set, is told of every refusal (observe.Invalid),
	// with Detail naming what was refused: "page", "per_page", "cursor"
	// (since, after, before, or a cursor DecodeCursor cannot read) or
	// "range". Nil costs nothing.
	Observer observe.Observer
}

// Paginator reads page requests and writes Link headers. Build one with
// New; it is safe for concurrent use.
type Paginator struct {
	perPage     int
	maxPerPage  int
	clamp       bool
	baseURL     string
	pathPrefix  string // "/api/v3", or empty
	resolver    *forwarded.Resolver
	resource    string
	rangeFields []string
	maxOffset   int
	onError     apierrors.Hook
	observer    observe.Observer
}

// New validates cfg and returns its Paginator. Every problem is an
// *apierrors.ConfigError, all of them joined with errors.Join.
func New(cfg Config) (*Paginator, error) {
	problems := configerr.New("pagination")
	p := &Paginator{
		perPage:     cfg.PerPage,
		maxPerPage:  cfg.MaxPerPage,
		clamp:       cfg.Clamp,
		resolver:    cfg.Resolver,
		resource:    cfg.Resource,
		rangeFields: cfg.RangeFields,
		maxOffset:   cfg.MaxOffset,
		onError:     cfg.OnError,
		observer:    cfg.Observer,
	}
	if p.onError == nil {
		p.onError = cfg.Errors.WriteError
	}
	if p.maxPerPage == 0 {
		p.maxPerPage = DefaultMaxPerPage
	}
	if p.maxPerPage < 1 {
		problems.Add("MaxPerPage", "must be at least 1")
	}
	if p.perPage == 0 {
		p.perPage = min(DefaultPerPage, max(p.maxPerPage, 1))
	}
	if p.perPage < 1 || p.perPage > max(p.maxPerPage, 1) {
		problems.Addf("PerPage", "must be between 1 and MaxPerPage (%d)", p.maxPerPage)
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		switch {
		case err != nil:
			problems.Add("BaseURL", err.Error())
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			problems.Addf("BaseURL", "%q is not an absolute http(s) URL", cfg.BaseURL)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			problems.Addf("BaseURL", "%q must have no query, fragment or user", cfg.BaseURL)
		default:
			p.baseURL = strings.TrimRight(cfg.BaseURL, "/")
		}
	}
	switch prefix := strings.TrimRight(cfg.PathPrefix, "/"); {
	case prefix == "":
	case cfg.BaseURL != "":
		problems.Add("PathPrefix", "must be empty with BaseURL, which names the prefix itself")
	case prefix[0] != '/' || strings.ContainsAny(prefix, "?#") || (&url.URL{Path: prefix}).EscapedPath() != prefix:
		problems.Addf("PathPrefix", "%q is not an absolute path of plain segments (\"/api/v3\")", cfg.PathPrefix)
	default:
		p.pathPrefix = prefix
	}
	if p.maxOffset < 0 {
		problems.Add("MaxOffset", "must be 0 (no bound) or more")
	}
	if p.resource == "" {
		p.resource = DefaultResource
	}
	if len(p.rangeFields) == 0 {
		p.rangeFields = []string{"id"}
	}
	for i, f := range p.rangeFields {
		if !token.Valid(f) {
			problems.Addf(configerr.Index("RangeFields", i), "%q is not a token", f)
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Page is one page of a list.
type Page struct {
	// Number is the page, from 1.
	Number int
	// PerPage is the page size.
	PerPage int
	// perPageGiven records that the client named per_page, so that links
	// keep it.
	perPageGiven bool
}

// Offset is the number of items before the page: SQL's OFFSET.
func (p Page) Offset() int { return (p.Number - 1) * p.PerPage }

// Limit is the page size: SQL's LIMIT.
func (p Page) Limit() int { return p.PerPage }

// Page reads page (from 1, default 1) and per_page (default
// Config.PerPage, at most Config.MaxPerPage) from r's query. An empty
// value is the default. A value that is not a whole number in range is,
// with Config.Clamp, the nearest valid value; without, a refusal: Page
// hands the 422 "Validation Failed", with an "invalid" entry per field,
// to Config.OnError and reports false, and the handler returns:
//
//	page, ok := pages.Page(w, r)
//	if !ok {
//		return // 422 answered
//	}
func (p *Paginator) Page(w http.ResponseWriter, r *http.Request) (Page, bool) {
	page, problems := p.parsePage(r.URL.RawQuery, nil)
	if problems != nil {
		p.refuseQuery(w, r, problems)
		return Page{}, false
	}
	return page, true
}

// parsePage reads page and per_page from a raw query, appending what is
// wrong with them to problems.
func (p *Paginator) parsePage(query string, problems []apierrors.FieldError) (Page, []apierrors.FieldError) {
	page := Page{Number: 1, PerPage: p.perPage}
	if raw, ok := queryValue(query, "page"); ok && raw != "" {
		n, ok := parseCount(raw)
		switch {
		case ok && n >= 1 && n <= maxPage:
			page.Number = n
		case p.clamp:
			if ok && n > maxPage {
				page.Number = maxPage
			}
		default:
			problems = append(problems, apierrors.FieldError{Resource: p.resource, Field: "page", Code: apierrors.CodeInvalid, Message: "page must be a whole number from 1"})
		}
	}
	if raw, ok := queryValue(query, "per_page"); ok && raw != "" {
		page.perPageGiven = true
		n, ok := parseCount(raw)
		switch {
		case ok && n >= 1 && n <= p.maxPerPage:
			page.PerPage = n
		case p.clamp:
			if ok && n > p.maxPerPage {
				page.PerPage = p.maxPerPage
			}
		default:
			problems = append(problems, apierrors.FieldError{Resource: p.resource, Field: "per_page", Code: apierrors.CodeInvalid, Message: "per_page must be a whole number from 1 to " + strconv.Itoa(p.maxPerPage)})
		}
	}
	if deepest := p.deepest(page.PerPage); page.Number > deepest {
		if p.clamp {
			page.Number = deepest
		} else {
			problems = append(problems, apierrors.FieldError{Resource: p.resource, Field: "page", Code: apierrors.CodeInvalid,
				Message: "page numbers reach the first " + strconv.Itoa(p.maxOffset) + " items: follow the Link header's rel=\"next\", which goes on by cursor"})
		}
	}
	return page, problems
}

// deepest is the deepest page number in reach at perPage items a page:
// the last page whose first item lies within MaxOffset.
func (p *Paginator) deepest(perPage int) int {
	if p.maxOffset == 0 {
		return maxPage
	}
	return (p.maxOffset-1)/perPage + 1
}

// refuse reports a refusal to the Observer, with detail naming what was
// refused, and hands it to the OnError hook.
func (p *Paginator) refuse(w http.ResponseWriter, r *http.Request, detail string, e *apierrors.Error) {
	if p.observer != nil {
		p.observer.Observe(observe.Event{Middleware: "pagination", Decision: observe.Invalid, Detail: detail, Request: r})
	}
	p.onError(w, r, e)
}

// refuseQuery refuses a 422 of query parameters; the Observer's Detail is
// its first field: "page", "per_page", or "cursor" for since, after and
// before.
func (p *Paginator) refuseQuery(w http.ResponseWriter, r *http.Request, problems []apierrors.FieldError) {
	detail := problems[0].Field
	switch detail {
	case Since, After, Before:
		detail = "cursor"
	}
	p.refuse(w, r, detail, apierrors.ValidationFailed(problems...))
}

// parseCount parses a non-negative decimal of digits only, reporting
// false for anything else ("+1", " 1", "1e3", "0x10"); values too large
// for an int saturate.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 32 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt-9)/10 {
			n = math.MaxInt
			continue
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Links returns the pagination links of page for a list of total items,
// in GitHub's order: next, last, first, prev. The first page has no first
// or prev, the last no next or last, a page past the end has first and
// prev (the last page) only, and a list that fits on one page has none.
func (p *Paginator) Links(r *http.Request, page Page, total int) []link.Link {
	last := 1
	if total > 0 {
		last = (total-1)/page.PerPage + 1
	}
	switch {
	case page.Number > last:
		return []link.Link{
			{URL: p.pageURL(r, page, 1), Rel: "first"},
			{URL: p.pageURL(r, page, last), Rel: "prev"},
		}
	case last == 1:
		return nil
	}
	links := make([]link.Link, 0, 4)
	if page.Number < last {
		links = append(links,
			link.Link{URL: p.pageURL(r, page, page.Number+1), Rel: "next"},
			link.Link{URL: p.pageURL(r, page, last), Rel: "last"})
	}
	if page.Number > 1 {
		links = append(links,
			link.Link{URL: p.pageURL(r, page, 1), Rel: "first"},
			link.Link{URL: p.pageURL(r, page, page.Number-1), Rel: "prev"})
	}
	return links
}

// LinksMore is Links for a list whose total is unknown (counting it would
// cost too much): more reports whether items follow page, which a handler
// learns by asking for one item more than the page holds. There is no
// last link.
func (p *Paginator) LinksMore(r *http.Request, page Page, more bool) []link.Link {
	var links []link.Link
	if more {
		links = append(links, link.Link{URL: p.pageURL(r, page, page.Number+1), Rel: "next"})
	}
	if page.Number > 1 {
		links = append(links,
			link.Link{URL: p.pageURL(r, page, 1), Rel: "first"},
			link.Link{URL: p.pageURL(r, page, page.Number-1), Rel: "prev"})
	}
	return links
}

// DeepLinks is Links for a Paginator with Config.MaxOffset, for a list
// of total items that may reach past it; next is the cursor of the page
// that follows this one (After with the key of page's last item), for
// when page numbers cannot reach it. While the whole list is in reach of
// page numbers, the links are those of Links. Past that, there is no
// last link (page numbers cannot reach the end), and the deepest page in
// reach has next as its rel="next": a client that follows next walks the
// whole list, by page numbers and then by cursor (CursorLinks goes on
// from there).
func (p *Paginator) DeepLinks(r *http.Request, page Page, total int, next Cursor) []link.Link {
	if total <= 0 || (total-1)/page.PerPage+1 <= p.deepest(page.PerPage) {
		return p.Links(r, page, total)
	}
	links := make([]link.Link, 0, 3)
	switch {
	case page.Number < p.deepest(page.PerPage):
		links = append(links, link.Link{URL: p.pageURL(r, page, page.Number+1), Rel: "next"})
	case page.Number*page.PerPage < total && next.Param != "" && next.Value != "":
		drop := []string{Since, After, Before, "page"}
		if !page.perPageGiven {
			drop = append(drop, "per_page")
		}
		links = append(links, link.Link{URL: p.buildURL(r, next.Param, url.QueryEscape(next.Value), drop...), Rel: "next"})
	}
	if page.Number > 1 {
		links = append(links,
			link.Link{URL: p.pageURL(r, page, 1), Rel: "first"},
			link.Link{URL: p.pageURL(r, page, page.Number-1), Rel: "prev"})
	}
	return links
}

// SetDeepLinks sets the Link header of page for a list of total items
// that may reach past Config.MaxOffset (see DeepLinks).
func (p *Paginator) SetDeepLinks(w http.ResponseWriter, r *http.Request, page Page, total int, next Cursor) {
	setLinks(w.Header(), p.DeepLinks(r, page, total, next))
}

// SetLinks sets the Link header of page for a list of total items (see
// Links), on one field line after any links already set.
func (p *Paginator) SetLinks(w http.ResponseWriter, r *http.Request, page Page, total int) {
	setLinks(w.Header(), p.Links(r, page, total))
}

// SetLinksMore sets the Link header of page for a list whose total is
// unknown (see LinksMore).
func (p *Paginator) SetLinksMore(w http.ResponseWriter, r *http.Request, page Page, more bool) {
	setLinks(w.Header(), p.LinksMore(r, page, more))
}

// setLinks writes links as one Link field line, joined to any Link the
// handler set before.
func setLinks(h http.Header, links []link.Link) {
	if len(links) == 0 {
		return
	}
	var buf [1024]byte
	b := buf[:0]
	for _, existing := range h["Link"] {
		if existing != "" {
			b = append(b, existing...)
			b = append(b, ", "...)
		}
	}
	b = link.Append(b, links...)
	h["Link"] = []string{string(b)}
}

// pageURL is the request's URL with page set to number, every other
// query parameter kept in its place, and per_page kept only when the
// client gave it.
func (p *Paginator) pageURL(r *http.Request, page Page, number int) string {
	value := strconv.Itoa(number)
	drop := ""
	if !page.perPageGiven {
		drop = "per_page"
	}
	return p.buildURL(r, "page", value, drop, "")
}

// buildURL is the absolute URL of r with the query parameter set to value
// (in place of its first occurrence, else at the end), every occurrence
// of the dropped names and of later set ones removed, and every other
// parameter kept as the client wrote it, in order.
func (p *Paginator) buildURL(r *http.Request, set, value string, drop ...string) string {
	var b strings.Builder
	if p.baseURL != "" {
		b.WriteString(p.baseURL)
	} else {
		b.WriteString(p.resolver.Scheme(r))
		b.WriteString("://")
		b.WriteString(p.resolver.Host(r))
		b.WriteString(p.pathPrefix)
	}
	b.WriteString(r.URL.EscapedPath())
	b.WriteByte('?')
	start := b.Len()
	written := false
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		key, _, _ := strings.Cut(pair, "=")
		switch {
		case key == set:
			if written {
				continue
			}
			pair, written = set+"="+value, true
		case contains(drop, key):
			continue
		}
		if b.Len() > start {
			b.WriteByte('&')
		}
		// A '#' can reach RawQuery from a raw request line; in a link it
		// would start a fragment and cut the query short.
		b.WriteString(strings.ReplaceAll(pair, "#", "%23"))
	}
	if !written {
		if b.Len() > start {
			b.WriteByte('&')
		}
		b.WriteString(set)
		b.WriteByte('=')
		b.WriteString(value)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v != "" && v == s {
			return true
		}
	}
	return false
}

// queryValue returns the first value of name in a raw query, as written
// (not unescaped), and whether name is there.
func queryValue(rawQuery, name string) (string, bool) {
	for pair := range strings.SplitSeq(rawQuery, "&") {
		key, value, _ := strings.Cut(pair, "=")
		if key == name {
			return value, true
		}
	}
	return "", false
}
