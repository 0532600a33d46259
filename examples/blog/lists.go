package main

import (
	"encoding/json"
	"errors"
	"net/http"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/pagination"
)

// maxPageOffset is how deep page numbers reach into a list
// (docs/blog-api.md, Pagination): the first 1,000 items, GitHub's figure
// for search results. A database serves an offset by stepping over that
// many index entries, so a page-numbered answer costs more the deeper it
// is; at this bound the deepest costs under 3 times a single post
// (BENCHMARKS.md). Past it, the Link header's rel="next" goes on by
// cursor (after=...), which costs the same at any depth.
const maxPageOffset = 1000

// listRequest is a list request as the paginator read it: a page number,
// or a cursor (after or before) and the key it holds.
type listRequest struct {
	page   pagination.Page
	cursor pagination.Cursor
	query  listQuery
}

// readList reads page and per_page, or after, before and per_page, from
// the request. A bad value is answered with the 422 of the pagination
// package and reported false; so is since, which these lists do not
// take: their keys are times and ids, handed out in the Link header.
func (a *api) readList(w http.ResponseWriter, r *http.Request) (listRequest, bool) {
	c, ok := a.pages.Cursor(w, r)
	if !ok {
		return listRequest{}, false
	}
	var req listRequest
	switch c.Param {
	case "":
		page, ok := a.pages.Page(w, r)
		if !ok {
			return listRequest{}, false
		}
		req.page = page
		req.query = listQuery{Offset: page.Offset(), Limit: page.Limit()}
	case pagination.Since:
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{
			Resource: "Query", Field: pagination.Since, Code: apierrors.CodeInvalid,
			Message: "this list is paged by page, or by the after and before cursors of its Link header",
		}))
		return listRequest{}, false
	default:
		var key listKey
		if !a.pages.DecodeCursor(w, r, c, &key) {
			return listRequest{}, false
		}
		req.cursor = c
		req.query = listQuery{Limit: c.PerPage}
		if c.Param == pagination.After {
			req.query.After = &key
		} else {
			req.query.Before = &key
		}
	}
	return req, true
}

// UnmarshalJSON reads a cursor's key, refusing one this server could not
// have given out: a time not in the stored layout, an empty or oversized
// id.
func (k *listKey) UnmarshalJSON(b []byte) error {
	type plain listKey
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v.At) != len(timeLayout) || parseDBTime(v.At).IsZero() || v.ID == "" || len(v.ID) > 64 {
		return errors.New("not a key of this list")
	}
	*k = listKey(v)
	return nil
}

// setListLinks sets the Link header of a page of n items, whose first and
// last items are at first and last, for a list of total items; more is
// what the store reported (rows follow the page, or for before, precede
// it).
func (a *api) setListLinks(w http.ResponseWriter, r *http.Request, req listRequest, total, n int, more bool, first, last listKey) {
	cursor := func(param string, k listKey) pagination.Cursor {
		value, err := pagination.EncodeCursor(k)
		if err != nil {
			return pagination.Cursor{}
		}
		return pagination.Cursor{Param: param, Value: value}
	}
	if req.cursor.Param == "" {
		var next pagination.Cursor
		if n > 0 {
			next = cursor(pagination.After, last)
		}
		a.pages.SetDeepLinks(w, r, req.page, total, next)
		return
	}
	var next, prev pagination.Cursor
	if n > 0 {
		if req.cursor.Param == pagination.After {
			if more {
				next = cursor(pagination.After, last)
			}
			prev = cursor(pagination.Before, first)
		} else {
			if more {
				prev = cursor(pagination.Before, first)
			}
			next = cursor(pagination.After, last)
		}
	}
	a.pages.SetCursorLinks(w, r, req.cursor, next, prev)
}
