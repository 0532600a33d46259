package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/requestid"
	"github.com/myblog/apikit/timezone"
)

// validLogin: 1 to 39 letters, digits and single hyphens, not at either
// end (GitHub's rule for usernames).
func validLogin(s string) bool {
	if s == "" || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validEmail is a deliberately loose check: one @, something on each
// side, no spaces, at most 254 bytes. Ownership is what a real service
// would verify, by mail.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t\r\n<>") && !strings.Contains(domain, "@") && len(s) <= 254
}

type signUpBody struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

// signUp is POST /users: 201 with the new user and its Location; 422
// missing_field, invalid or already_exists.
func (a *api) signUp(w http.ResponseWriter, r *http.Request) {
	var in signUpBody
	if err := a.decoder.Decode(r, "User", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	v := apierrors.NewValidation("User")
	switch {
	case in.Username == nil || *in.Username == "":
		v.MissingField("username")
	case !validLogin(*in.Username):
		v.Add(apierrors.FieldError{Field: "username", Code: apierrors.CodeInvalid, Message: "username may only contain letters, digits and single hyphens, and cannot begin or end with a hyphen (at most 39 characters)"})
	}
	switch {
	case in.Email == nil || *in.Email == "":
		v.MissingField("email")
	case !validEmail(*in.Email):
		v.Add(apierrors.FieldError{Field: "email", Code: apierrors.CodeInvalid, Message: "email must be an address such as octocat@example.com"})
	}
	switch {
	case in.Password == nil || *in.Password == "":
		v.MissingField("password")
	case len(*in.Password) < 8 || len(*in.Password) > 72:
		v.Add(apierrors.FieldError{Field: "password", Code: apierrors.CodeInvalid, Message: "password must be 8 to 72 bytes"})
	}
	if err := v.Err(); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(*in.Password), a.bcryptCost)
	if err != nil {
		a.errors.Write(w, r, apierrors.Internal(err))
		return
	}
	now := time.Now()
	u := &user{ID: requestid.NewUUID(), Login: *in.Username, Email: *in.Email, PasswordHash: string(hash), CreatedAt: now, UpdatedAt: now}
	if zone, _ := timezone.FromContext(r.Context()); zone.Rule == timezone.Header {
		u.TimeZone.String, u.TimeZone.Valid = zone.Name, true
	}
	if err := a.store.createUser(r.Context(), u); err != nil {
		a.writeStoreError(w, r, "User", err)
		return
	}
	base := a.baseURL(r)
	a.render.Created(w, r, base+"/users/"+esc(u.Login), a.ownUserRepr(base, u))
}

// writeStoreError answers a store error: a taken unique field is 422
// already_exists, a missing row 404, anything else 500.
func (a *api) writeStoreError(w http.ResponseWriter, r *http.Request, resource string, err error) {
	var taken errTaken
	switch {
	case errors.As(err, &taken):
		field := taken.field
		if field == "login" {
			field = "username"
		}
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: resource, Field: field, Code: apierrors.CodeAlreadyExists}))
	case errors.Is(err, errNotFound):
		a.errors.Write(w, r, apierrors.NotFound())
	case unavailable(err):
		a.errors.Write(w, r, databaseUnavailable(err))
	default:
		a.errors.Write(w, r, apierrors.Internal(err))
	}
}

// current returns the authenticated user (Require runs first).
func (a *api) current(w http.ResponseWriter, r *http.Request) (*user, bool) {
	id, _ := auth.FromContext(r.Context())
	u, err := a.store.userByID(r.Context(), id.Subject)
	if err != nil {
		a.userLookupFailed(w, r, err)
		return nil, false
	}
	return u, true
}

// getUser is GET /user: the authenticated user's own detail.
func (a *api) getUser(w http.ResponseWriter, r *http.Request) {
	u, ok := a.current(w, r)
	if !ok {
		return
	}
	a.render.JSON(w, r, http.StatusOK, a.ownUserRepr(a.baseURL(r), u))
}

type userPatch struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	TimeZone *string `json:"time_zone"`
}

// updateUser is PATCH (or POST) /user: email, username (the old name then
// answers 301) and time_zone.
func (a *api) updateUser(w http.ResponseWriter, r *http.Request) {
	u, ok := a.current(w, r)
	if !ok {
		return
	}
	var in userPatch
	if err := a.decoder.Decode(r, "User", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	v := apierrors.NewValidation("User")
	if in.Username != nil && !validLogin(*in.Username) {
		v.Add(apierrors.FieldError{Field: "username", Code: apierrors.CodeInvalid, Message: "username may only contain letters, digits and single hyphens, and cannot begin or end with a hyphen (at most 39 characters)"})
	}
	if in.Email != nil && !validEmail(*in.Email) {
		v.Add(apierrors.FieldError{Field: "email", Code: apierrors.CodeInvalid, Message: "email must be an address such as octocat@example.com"})
	}
	if in.TimeZone != nil && *in.TimeZone != "" {
		if _, ok := timezone.Lookup(*in.TimeZone); !ok {
			v.Add(apierrors.FieldError{Field: "time_zone", Code: apierrors.CodeInvalid, Message: "time_zone must be an IANA time zone name such as Europe/Amsterdam"})
		}
	}
	if err := v.Err(); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	updated, err := a.store.updateUser(r.Context(), u.ID, userChange{Login: in.Username, Email: in.Email, TimeZone: in.TimeZone}, time.Now())
	if err != nil {
		a.writeStoreError(w, r, "User", err)
		return
	}
	if in.TimeZone != nil {
		a.zones.Store(u.ID, cachedZone{zone: *in.TimeZone, at: time.Now()})
	}
	if in.Username != nil || in.Email != nil {
		// The old login no longer names the account: Basic credentials
		// with it, remembered by auth, stop working here at once.
		a.authn.ForgetCredentials(u.ID)
	}
	a.render.JSON(w, r, http.StatusOK, a.ownUserRepr(a.baseURL(r), updated))
}

// lookupUser finds {username}, answering 301 for a name given up and 404
// for one never used.
func (a *api) lookupUser(w http.ResponseWriter, r *http.Request, suffix string) (*user, bool) {
	login := r.PathValue("username")
	u, current, err := a.store.userByLogin(r.Context(), login)
	switch {
	case err == nil:
		return u, true
	case errors.Is(err, errNotFound) && current != "":
		target := a.baseURL(r) + "/users/" + esc(current) + suffix
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		// 301: the user moved for good (GitHub answers renamed users so).
		a.redirect(w, r, target, http.StatusMovedPermanently)
		return nil, false
	default:
		a.writeStoreError(w, r, "User", err)
		return nil, false
	}
}

// getUserByLogin is GET /users/{username}.
func (a *api) getUserByLogin(w http.ResponseWriter, r *http.Request) {
	u, ok := a.lookupUser(w, r, "")
	if !ok {
		return
	}
	a.render.JSON(w, r, http.StatusOK, a.userRepr(a.baseURL(r), u))
}

// listUserPosts is GET /users/{username}/posts: that user's published
// posts, newest first, paginated.
func (a *api) listUserPosts(w http.ResponseWriter, r *http.Request) {
	u, ok := a.lookupUser(w, r, "/posts")
	if !ok {
		return
	}
	a.writePostList(w, r, u.ID)
}

// redirect answers status (301, 302, 307) with Location and GitHub's JSON
// body {"message", "url", "documentation_url"}, never an HTML page.
func (a *api) redirect(w http.ResponseWriter, r *http.Request, target string, status int) {
	body, err := json.Marshal(struct {
		Message          string `json:"message"`
		URL              string `json:"url"`
		DocumentationURL string `json:"documentation_url"`
	}{http.StatusText(status), target, documentationURL})
	if err != nil {
		a.errors.Write(w, r, apierrors.Internal(err))
		return
	}
	h := w.Header()
	h.Set("Location", target)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
