package pagination

import (
	"net/http"
	"strconv"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
)

// Range is a Heroku-style range request (the Heroku HTTP API design
// guide's "paginate with ranges"): the items whose Field lies between
// Start and End, at most Max of them, in Order.
//
//	Range: id ]5c1f..; max=10, order=desc
type Range struct {
	// Field is the field the range is over ("id").
	Field string
	// Start is the first value, or empty for the start of the list.
	Start string
	// Exclusive excludes Start itself (written "]start..").
	Exclusive bool
	// End is the last value, or empty for the end of the list.
	End string
	// Max is the most items wanted.
	Max int
	// Descending is order=desc.
	Descending bool
}

// String writes r as a Range or Next-Range value.
func (r Range) String() string {
	var b strings.Builder
	b.WriteString(r.Field)
	b.WriteByte(' ')
	if r.Exclusive {
		b.WriteByte(']')
	}
	b.WriteString(r.Start)
	b.WriteString("..")
	b.WriteString(r.End)
	b.WriteString("; max=")
	b.WriteString(strconv.Itoa(r.Max))
	if r.Descending {
		b.WriteString(", order=desc")
	}
	return b.String()
}

// Next returns the range of the page after the one whose last item has
// value last: the same range, starting just after it.
func (r Range) Next(last string) Range {
	r.Start, r.Exclusive = last, true
	return r
}

// Range reads r's Range header: nil when there is none. Max defaults to
// Config.PerPage and is at most Config.MaxPerPage. A malformed one, or one
// over a field not in Config.RangeFields, is a refusal: Range hands the
// 400 to Config.OnError and reports false, and the handler returns:
//
//	rg, ok := pages.Range(w, r)
//	if !ok {
//		return // 400 answered
//	}
//	if rg == nil {
//		// no Range: the first page
//	}
func (p *Paginator) Range(w http.ResponseWriter, r *http.Request) (*Range, bool) {
	values := r.Header["Range"]
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		return nil, true
	}
	rg, problem := p.parseRange(values[0])
	if problem != "" || len(values) > 1 {
		if problem == "" {
			problem = "one Range header at most"
		}
		p.refuse(w, r, "range", &apierrors.Error{
			Status:  http.StatusBadRequest,
			Message: "Invalid Range header: " + problem,
			ID:      "invalid_range",
		})
		return nil, false
	}
	return &rg, true
}

func (p *Paginator) parseRange(s string) (Range, string) {
	s = strings.TrimSpace(s)
	field, rest, ok := strings.Cut(s, " ")
	if !ok || !contains(p.rangeFields, field) {
		return Range{}, "the range must be over one of: " + strings.Join(p.rangeFields, ", ")
	}
	spec, params, _ := strings.Cut(strings.TrimLeft(rest, " "), ";")
	spec = strings.TrimSpace(spec)
	start, end, ok := strings.Cut(spec, "..")
	if !ok {
		return Range{}, `the range must be "start..end"`
	}
	rg := Range{Field: field, Start: start, End: end, Max: p.perPage}
	if strings.HasPrefix(start, "]") {
		rg.Start, rg.Exclusive = start[1:], true
	}
	if strings.ContainsAny(rg.Start+rg.End, " \t,;") {
		return Range{}, "start and end must not contain spaces, commas or semicolons"
	}
	for param := range strings.FieldsFuncSeq(params, func(r rune) bool { return r == ',' || r == ';' }) {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "max":
			n, ok := parseCount(strings.TrimSpace(value))
			if !ok || n < 1 || n > p.maxPerPage {
				return Range{}, "max must be a whole number from 1 to " + strconv.Itoa(p.maxPerPage)
			}
			rg.Max = n
		case "order":
			switch strings.ToLower(strings.TrimSpace(value)) {
			case "asc":
			case "desc":
				rg.Descending = true
			default:
				return Range{}, `order must be "asc" or "desc"`
			}
		case "":
		default:
			return Range{}, "unknown parameter " + strconv.Quote(strings.TrimSpace(name))
		}
	}
	return rg, ""
}

// SetRangeHeaders sets Accept-Ranges (the fields a Range may name) and,
// when more items follow, Next-Range: next. It returns the status to
// answer with: 206 Partial Content when more items follow, else 200.
func (p *Paginator) SetRangeHeaders(w http.ResponseWriter, next *Range) int {
	h := w.Header()
	h.Set("Accept-Ranges", strings.Join(p.rangeFields, ", "))
	if next == nil {
		return http.StatusOK
	}
	h.Set("Next-Range", next.String())
	return http.StatusPartialContent
}
