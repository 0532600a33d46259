package pagination

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/link"
)

// Cursor parameters: since takes the id or timestamp of the last item
// seen (GitHub's /users?since=), after and before take opaque cursors.
const (
	Since  = "since"
	After  = "after"
	Before = "before"
)

// Cursor is a position in a list paged by cursor rather than by number,
// for lists where counting or skipping rows is expensive: the handler
// reads the rows after (or before) the position with a keyset query.
type Cursor struct {
	// Param is Since, After or Before; empty for the start of the list.
	Param string
	// Value is the parameter's value, unescaped.
	Value string
	// PerPage is the page size.
	PerPage int
	// perPageGiven records that the client named per_page.
	perPageGiven bool
}

// Cursor reads per_page (as Page does) and at most one of since, after
// and before from r's query. More than one, or a value that is not a valid
// query value, is a refusal, as a bad per_page is: Cursor hands one 422
// "Validation Failed" with every "invalid" entry to Config.OnError and
// reports false, and the handler returns.
func (p *Paginator) Cursor(w http.ResponseWriter, r *http.Request) (Cursor, bool) {
	page, problems := p.parsePage(r.URL.RawQuery, nil)
	c := Cursor{PerPage: page.PerPage, perPageGiven: page.perPageGiven}
	for _, name := range []string{Since, After, Before} {
		raw, ok := queryValue(r.URL.RawQuery, name)
		if !ok || raw == "" {
			continue
		}
		if c.Param != "" {
			problems = append(problems, apierrors.FieldError{Resource: p.resource, Field: name, Code: apierrors.CodeInvalid, Message: "only one of since, after and before may be given"})
			continue
		}
		value, err := url.QueryUnescape(raw)
		if err != nil {
			problems = append(problems, apierrors.FieldError{Resource: p.resource, Field: name, Code: apierrors.CodeInvalid, Message: name + " is not a valid query value"})
			continue
		}
		c.Param, c.Value = name, value
	}
	if problems != nil {
		p.refuseQuery(w, r, problems)
		return Cursor{}, false
	}
	return c, true
}

// CursorLinks returns the links of a cursor-paged list: rel="next" with
// next (the cursor parameter and value for the page that follows, such
// as {Param: Since, Value: "135"}), and rel="prev" with prev when the
// handler knows it cheaply. A zero next or prev has no link. The other
// cursor parameters and page are removed from the links; per_page is kept
// when the client gave it.
func (p *Paginator) CursorLinks(r *http.Request, current, next, prev Cursor) []link.Link {
	var links []link.Link
	for _, c := range []struct {
		cursor Cursor
		rel    string
	}{{next, "next"}, {prev, "prev"}} {
		if c.cursor.Param == "" || c.cursor.Value == "" {
			continue
		}
		drop := []string{Since, After, Before, "page"}
		if !current.perPageGiven {
			drop = append(drop, "per_page")
		}
		links = append(links, link.Link{
			URL: p.buildURL(r, c.cursor.Param, url.QueryEscape(c.cursor.Value), drop...),
			Rel: c.rel,
		})
	}
	return links
}

// SetCursorLinks sets the Link header of a cursor-paged list (see
// CursorLinks).
func (p *Paginator) SetCursorLinks(w http.ResponseWriter, r *http.Request, current, next, prev Cursor) {
	setLinks(w.Header(), p.CursorLinks(r, current, next, prev))
}

// EncodeCursor returns v (the keyset of the last item on a page, such as
// its created_at and id) as an opaque cursor for After or Before:
// base64url of its JSON. Clients must not read into it; the handler that
// gets it back decodes it with DecodeCursor.
func EncodeCursor(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeCursor decodes c, a cursor made by EncodeCursor, into v, and
// reports whether it could. A cursor that is not one is a refusal:
// DecodeCursor hands a 422 "invalid" on c's parameter to Config.OnError
// and reports false, and the handler returns.
func (p *Paginator) DecodeCursor(w http.ResponseWriter, r *http.Request, c Cursor, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		e := apierrors.ValidationFailed(apierrors.FieldError{
			Resource: p.resource, Field: c.Param, Code: apierrors.CodeInvalid,
			Message: c.Param + " is not a cursor this API gave out",
		})
		e.Err = err
		p.refuse(w, r, "cursor", e)
		return false
	}
	return true
}

// SinceID returns a Cursor for the page after the item whose id is id, for
// CursorLinks: {Param: Since, Value: "135"}.
func SinceID(id int64) Cursor {
	return Cursor{Param: Since, Value: strconv.FormatInt(id, 10)}
}
