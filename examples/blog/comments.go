package main

import (
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/requestid"
)

// listComments is GET /posts/{id}/comments: oldest first, paginated.
func (a *api) listComments(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadPost(w, r)
	if !ok {
		return
	}
	req, ok := a.readList(w, r)
	if !ok {
		return // answered: 422 for a bad page, per_page or cursor
	}
	comments, more, err := a.store.listComments(r.Context(), p.ID, req.query)
	if err != nil {
		a.writeStoreError(w, r, "Comment", err)
		return
	}
	base := a.baseURL(r)
	out := make([]commentRepr, 0, len(comments))
	for _, c := range comments {
		out = append(out, a.commentRepr(base, c))
	}
	var first, last listKey
	if len(comments) > 0 {
		first, last = commentKey(comments[0]), commentKey(comments[len(comments)-1])
	}
	// The post's comments_count is kept by the database's triggers: the
	// total costs nothing.
	a.setListLinks(w, r, req, p.CommentsCount, len(comments), more, first, last)
	a.render.JSON(w, r, http.StatusOK, out)
}

// getComment is GET /posts/{id}/comments/{comment_id}.
func (a *api) getComment(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadPost(w, r)
	if !ok {
		return
	}
	c, err := scanComment(a.store.db.QueryRowContext(r.Context(), `SELECT `+commentColumns+` FROM comments JOIN users ON users.id = comments.author_id
		WHERE comments.id = $1 AND comments.post_id = $2`, r.PathValue("comment_id"), p.ID))
	if errors.Is(err, sql.ErrNoRows) {
		a.errors.Write(w, r, apierrors.NotFound())
		return
	}
	if err != nil {
		a.writeStoreError(w, r, "Comment", err)
		return
	}
	a.render.JSON(w, r, http.StatusOK, a.commentRepr(a.baseURL(r), c))
}

// createComment is POST /posts/{id}/comments {"body"}: 201.
func (a *api) createComment(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadPost(w, r)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if err := a.decoder.Decode(r, "Comment", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	v := apierrors.NewValidation("Comment")
	switch {
	case in.Body == nil || *in.Body == "":
		v.MissingField("body")
	case len(*in.Body) > 64<<10:
		v.Add(apierrors.FieldError{Field: "body", Code: apierrors.CodeInvalid, Message: "body must be at most 64 KiB"})
	}
	if err := v.Err(); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	id, _ := auth.FromContext(r.Context())
	now := time.Now()
	c := &comment{ID: requestid.NewUUID(), PostID: p.ID, AuthorID: id.Subject, Body: *in.Body, CreatedAt: now, UpdatedAt: now}
	if err := a.store.createComment(r.Context(), c); err != nil {
		a.writeStoreError(w, r, "Comment", err)
		return
	}
	u, err := a.store.userByID(r.Context(), id.Subject)
	if err != nil {
		a.writeStoreError(w, r, "Comment", err)
		return
	}
	c.AuthorLogin, c.AuthorNumber = u.Login, u.Number
	base := a.baseURL(r)
	a.render.Created(w, r, base+"/posts/"+p.ID+"/comments/"+c.ID, a.commentRepr(base, c))
}
