package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/requestid"
	"github.com/myblog/apikit/timezone"
)

const maxTitleBytes = 256

// maxPostsPerUser caps an account's posts (docs/blog-api.md, Exports):
// with the 256 KiB body cap, it bounds what one account stores.
const maxPostsPerUser = 1000

// errTooManyPosts: the author already has maxPostsPerUser posts.
var errTooManyPosts = errors.New("too many posts")

// postETag is a post's entity tag, from its id and version: strong, the
// same on every instance, and computable without rendering the post, so
// that PATCH and DELETE can check If-Match cheaply.
func postETag(p *post) string {
	return conditional.ETag([]byte(p.ID + "@" + strconv.FormatInt(p.Version, 10)))
}

func postState(p *post) conditional.State {
	return conditional.State{Exists: true, ETag: postETag(p), LastModified: p.UpdatedAt}
}

// visible reports whether the request may see p: published posts are
// public, drafts are their author's (with a token: one of posts:read or
// posts:write).
func visible(r *http.Request, p *post) bool {
	if p.Published {
		return true
	}
	id, ok := auth.FromContext(r.Context())
	// A personal access token sees its user's drafts with posts:read
	// (or posts:write, which writes them).
	return ok && id.Subject == p.AuthorID && auth.CheckScopes(r.Context(), "posts:read", "posts:write") == nil
}

// loadPost finds {id} for the request, answering 404 for a post that
// does not exist or is another user's draft: the two cannot be told
// apart.
func (a *api) loadPost(w http.ResponseWriter, r *http.Request) (*post, bool) {
	p, err := a.store.postByID(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeStoreError(w, r, "Post", err)
		return nil, false
	}
	if !visible(r, p) {
		a.errors.Write(w, r, apierrors.NotFound())
		return nil, false
	}
	return p, true
}

// loadOwnPost is loadPost for a change: 404 when not visible, 403 when
// visible but someone else's.
func (a *api) loadOwnPost(w http.ResponseWriter, r *http.Request) (*post, bool) {
	p, ok := a.loadPost(w, r)
	if !ok {
		return nil, false
	}
	id, _ := auth.FromContext(r.Context())
	if id.Subject != p.AuthorID {
		a.errors.Write(w, r, &apierrors.Error{Status: http.StatusForbidden, Message: "Must be the post's author", ID: "forbidden"})
		return nil, false
	}
	return p, true
}

// listPosts is GET /posts: published posts, newest first, paginated.
func (a *api) listPosts(w http.ResponseWriter, r *http.Request) { a.writePostList(w, r, "") }

func (a *api) writePostList(w http.ResponseWriter, r *http.Request, authorID string) {
	req, ok := a.readList(w, r)
	if !ok {
		return // answered: 422 for a bad page, per_page or cursor
	}
	posts, more, total, err := a.store.listPosts(r.Context(), authorID, req.query)
	if err != nil {
		a.writeStoreError(w, r, "Post", err)
		return
	}
	base := a.baseURL(r)
	out := make([]postSummary, 0, len(posts))
	for _, p := range posts {
		out = append(out, a.postSummary(base, p))
	}
	var first, last listKey
	if len(posts) > 0 {
		first, last = postKey(posts[0]), postKey(posts[len(posts)-1])
	}
	a.setListLinks(w, r, req, total, len(posts), more, first, last)
	a.render.JSON(w, r, http.StatusOK, out)
}

// getPost is GET /posts/{id}: the detail, with an ETag and Last-Modified
// for conditional requests (304 comes from the conditional middleware).
func (a *api) getPost(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadPost(w, r)
	if !ok {
		return
	}
	// A client that has this version gets its 304 before the post is
	// rendered.
	if !a.cond.Check(w, r, postState(p)) {
		return
	}
	h := w.Header()
	h.Set("ETag", postETag(p))
	h.Set("Last-Modified", p.UpdatedAt.UTC().Format(http.TimeFormat))
	a.render.JSON(w, r, http.StatusOK, a.postDetail(a.baseURL(r), p))
}

type postBody struct {
	Title       *string           `json:"title"`
	Body        *string           `json:"body"`
	Published   *bool             `json:"published"`
	PublishedAt *publishedAtField `json:"published_at"`
}

// publishedAtField is a timezone.Time that names its field in the 422
// entry of a malformed value: encoding/json does not tell the decoder
// which field an UnmarshalJSON error came from, and an entry without
// "field" does not tell the client what to fix.
type publishedAtField struct{ timezone.Time }

func (p *publishedAtField) UnmarshalJSON(b []byte) error {
	err := p.Time.UnmarshalJSON(b)
	var field apierrors.FieldError
	if errors.As(err, &field) {
		field.Field = "published_at"
		return field
	}
	return err
}

// time returns the value, or nil when the body had none.
func (p *publishedAtField) time() *timezone.Time {
	if p == nil {
		return nil
	}
	return &p.Time
}

func validatePost(v *apierrors.Validation, in postBody, creating bool) {
	switch {
	case in.Title == nil && creating, in.Title != nil && *in.Title == "":
		v.MissingField("title")
	case in.Title != nil && len(*in.Title) > maxTitleBytes:
		v.Add(apierrors.FieldError{Field: "title", Code: apierrors.CodeInvalid, Message: "title must be at most 256 bytes"})
	}
	if in.Body != nil && len(*in.Body) > 256<<10 {
		v.Add(apierrors.FieldError{Field: "body", Code: apierrors.CodeInvalid, Message: "body must be at most 256 KiB"})
	}
}

// publishedAt reads published_at by the precedence of the conventions: an explicit
// offset is kept; a wall clock time is read in the request's zone. It
// returns the instant and the zone name the post records.
func publishedAt(r *http.Request, at *timezone.Time) (*time.Time, string) {
	zone, _ := timezone.FromContext(r.Context())
	if at == nil || at.IsZero() {
		return nil, zone.Name
	}
	t := at.In(zone)
	if at.Explicit() {
		_, offset := at.Time.Zone()
		return &t, offsetName(offset)
	}
	return &t, zone.Name
}

func offsetName(offset int) string {
	if offset == 0 {
		return "UTC"
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	two := func(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
	return sign + two(offset/3600) + ":" + two(offset%3600/60)
}

// createPost is POST /posts: 201 with the detail and its Location. A post
// is published unless "published": false; published_at defaults to now.
func (a *api) createPost(w http.ResponseWriter, r *http.Request) {
	var in postBody
	if err := a.decoder.Decode(r, "Post", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	v := apierrors.NewValidation("Post")
	validatePost(v, in, true)
	if err := v.Err(); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	id, _ := auth.FromContext(r.Context())
	now := time.Now()
	p := &post{ID: requestid.NewUUID(), AuthorID: id.Subject, Title: *in.Title, Published: true, CreatedAt: now, UpdatedAt: now}
	if in.Body != nil {
		p.Body = *in.Body
	}
	if in.Published != nil {
		p.Published = *in.Published
	}
	p.PublishedAt, p.TimeZone = publishedAt(r, in.PublishedAt.time())
	switch {
	case !p.Published:
		p.PublishedAt = nil
	case p.PublishedAt == nil:
		p.PublishedAt = &now
	}
	if err := a.store.createPost(r.Context(), p); err != nil {
		if errors.Is(err, errTooManyPosts) {
			a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "Post", Code: apierrors.CodeCustom,
				Message: "an account holds at most 1000 posts; delete some to write more"}))
			return
		}
		a.writeStoreError(w, r, "Post", err)
		return
	}
	created, err := a.store.postByID(r.Context(), p.ID)
	if err != nil {
		a.writeStoreError(w, r, "Post", err)
		return
	}
	base := a.baseURL(r)
	w.Header().Set("ETag", postETag(created))
	a.render.Created(w, r, base+"/posts/"+p.ID, a.postDetail(base, created))
}

// updatePost is PATCH (or POST) /posts/{id}: a partial update by the
// author, refused with 412 when If-Match names a version that is not the
// current one (lost-update protection).
func (a *api) updatePost(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadOwnPost(w, r)
	if !ok {
		return
	}
	if !a.cond.Check(w, r, postState(p)) {
		return
	}
	var in postBody
	if err := a.decoder.Decode(r, "Post", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	v := apierrors.NewValidation("Post")
	validatePost(v, in, false)
	if err := v.Err(); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	change := postChange{Title: in.Title, Body: in.Body, Published: in.Published}
	change.PublishedAt, change.TimeZone = publishedAt(r, in.PublishedAt.time())
	updated, err := a.store.updatePost(r.Context(), p.ID, p.Version, change, time.Now())
	switch {
	case errors.Is(err, errConflict):
		// Changed between the check and the write: as stale as a wrong
		// If-Match.
		a.errors.Write(w, r, &apierrors.Error{Status: http.StatusPreconditionFailed, Message: "Precondition Failed"})
		return
	case err != nil:
		a.writeStoreError(w, r, "Post", err)
		return
	}
	w.Header().Set("ETag", postETag(updated))
	w.Header().Set("Last-Modified", updated.UpdatedAt.UTC().Format(http.TimeFormat))
	a.render.JSON(w, r, http.StatusOK, a.postDetail(a.baseURL(r), updated))
}

// deletePost is DELETE /posts/{id}: 204, by the author, If-Match honoured.
func (a *api) deletePost(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadOwnPost(w, r)
	if !ok {
		return
	}
	if !a.cond.Check(w, r, postState(p)) {
		return
	}
	id, _ := auth.FromContext(r.Context())
	if _, err := a.store.deletePosts(r.Context(), id.Subject, []string{p.ID}); err != nil {
		a.writeStoreError(w, r, "Post", err)
		return
	}
	a.render.NoContent(w)
}

const maxBatch = 100

// deletePosts is DELETE /posts {"ids": [...]}: every one of the caller's
// posts among ids is deleted, in one transaction, and the answer is the
// batch body: 200 {"response": [...]} when all were, 422 with
// "error" and "internalError" naming those that were not.
func (a *api) deletePosts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IDs []string `json:"ids"`
	}
	if err := a.decoder.Decode(r, "Post", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	v := apierrors.NewValidation("Post")
	switch {
	case len(in.IDs) == 0:
		v.MissingField("ids")
	case len(in.IDs) > maxBatch:
		v.Add(apierrors.FieldError{Field: "ids", Code: apierrors.CodeInvalid, Message: "at most 100 ids at once"})
	}
	if err := v.Err(); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	id, _ := auth.FromContext(r.Context())
	deleted, err := a.store.deletePosts(r.Context(), id.Subject, in.IDs)
	if err != nil {
		a.writeStoreError(w, r, "Post", err)
		return
	}
	var batch apierrors.Batch
	for i, postID := range in.IDs {
		if deleted[i] {
			batch.Succeed(postID)
		} else {
			batch.Fail(postID, "not_found", "No post of yours has this id")
		}
	}
	a.render.Batch(w, r, &batch)
}

// like is PUT /posts/{id}/like: no body, Content-Length: 0, 204.
func (a *api) like(w http.ResponseWriter, r *http.Request) { a.setLike(w, r, true) }

// unlike is DELETE /posts/{id}/like: 204.
func (a *api) unlike(w http.ResponseWriter, r *http.Request) { a.setLike(w, r, false) }

func (a *api) setLike(w http.ResponseWriter, r *http.Request, like bool) {
	if like {
		// A PUT without a body must still say so (GitHub answers 411).
		if len(r.Header["Content-Length"]) == 0 && len(r.TransferEncoding) == 0 {
			a.errors.Write(w, r, &apierrors.Error{Status: http.StatusLengthRequired, Message: "Length Required: send Content-Length: 0", ID: "length_required"})
			return
		}
		if r.ContentLength > 0 || len(r.TransferEncoding) > 0 {
			a.errors.Write(w, r, &apierrors.Error{Status: http.StatusBadRequest, Message: "This endpoint takes no body", ID: "unexpected_body"})
			return
		}
	}
	p, ok := a.loadPost(w, r)
	if !ok {
		return
	}
	id, _ := auth.FromContext(r.Context())
	if err := a.store.setLike(r.Context(), p.ID, id.Subject, like, time.Now()); err != nil {
		a.writeStoreError(w, r, "Post", err)
		return
	}
	a.render.NoContent(w)
}
