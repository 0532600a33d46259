package main

import (
	"encoding/json"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/myblog/apikit/timezone"
)

// The JSON representations. Blank fields are null, never omitted; times
// are ISO 8601 in UTC; relations are nested objects; *_url fields that
// take parameters are RFC 6570 templates.

// reprID is a resource's "id": its UUID in the seed's shape (the
// envelope), its number in GitHub's (-envelope=false), whose typed
// clients decode ids as integers; the UUID is then "node_id", GitHub's
// opaque global id, which URLs keep using.
type reprID struct {
	uuid    string
	number  int64
	numeric bool
}

func (id reprID) MarshalJSON() ([]byte, error) {
	if id.numeric {
		return strconv.AppendInt(nil, id.number, 10), nil
	}
	return json.Marshal(id.uuid)
}

// ids is a resource's "id" and "node_id" (empty, so left out, in the
// seed's shape, which has none).
func (a *api) ids(uuid string, number int64) (reprID, string) {
	if a.cfg.envelope {
		return reprID{uuid: uuid}, ""
	}
	return reprID{uuid: uuid, number: number, numeric: true}, uuid
}

type userRef struct {
	ID     reprID `json:"id"`
	NodeID string `json:"node_id,omitempty"`
	Login  string `json:"login"`
	URL    string `json:"url"`
}

type userRepr struct {
	ID        reprID        `json:"id"`
	NodeID    string        `json:"node_id,omitempty"`
	Login     string        `json:"login"`
	URL       string        `json:"url"`
	HTMLURL   string        `json:"html_url"`
	PostsURL  string        `json:"posts_url"`
	CreatedAt timezone.Time `json:"created_at"`
}

// ownUserRepr is GET /user: the authenticated user's own detail.
type ownUserRepr struct {
	userRepr
	Email    string  `json:"email"`
	TimeZone *string `json:"time_zone"`
	// TwoFactorAuthentication is GitHub's field of the authenticated
	// user.
	TwoFactorAuthentication bool `json:"two_factor_authentication"`
}

type postSummary struct {
	ID          reprID        `json:"id"`
	NodeID      string        `json:"node_id,omitempty"`
	URL         string        `json:"url"`
	HTMLURL     string        `json:"html_url"`
	Title       string        `json:"title"`
	Published   bool          `json:"published"`
	PublishedAt timezone.Time `json:"published_at"`
	CreatedAt   timezone.Time `json:"created_at"`
	UpdatedAt   timezone.Time `json:"updated_at"`
	TimeZone    string        `json:"time_zone"`
	Author      userRef       `json:"author"`
	CommentsURL string        `json:"comments_url"`
}

type postDetail struct {
	postSummary
	Body          *string `json:"body"`      // null when blank
	BodyHTML      *string `json:"body_html"` // null when blank
	CommentsCount int     `json:"comments_count"`
	LikesCount    int     `json:"likes_count"`
}

type commentRepr struct {
	ID        reprID        `json:"id"`
	NodeID    string        `json:"node_id,omitempty"`
	URL       string        `json:"url"`
	PostURL   string        `json:"post_url"`
	Body      string        `json:"body"`
	Author    userRef       `json:"author"`
	CreatedAt timezone.Time `json:"created_at"`
	UpdatedAt timezone.Time `json:"updated_at"`
}

type jobRepr struct {
	ID          reprID        `json:"id"`
	NodeID      string        `json:"node_id,omitempty"`
	URL         string        `json:"url"`
	State       string        `json:"state"`
	CreatedAt   timezone.Time `json:"created_at"`
	CompletedAt timezone.Time `json:"completed_at"`
	ResultURL   *string       `json:"result_url"`
	Error       *string       `json:"error"`
}

func utc(t time.Time) timezone.Time { return timezone.NewTime(t) }

func utcPtr(t *time.Time) timezone.Time {
	if t == nil {
		return timezone.Time{}
	}
	return timezone.NewTime(*t)
}

func esc(s string) string { return url.PathEscape(s) }

func (a *api) userRef(base, id string, number int64, login string) userRef {
	out := userRef{Login: login, URL: base + "/users/" + esc(login)}
	out.ID, out.NodeID = a.ids(id, number)
	return out
}

func (a *api) userRepr(base string, u *user) userRepr {
	id, node := a.ids(u.ID, u.Number)
	return userRepr{
		ID:        id,
		NodeID:    node,
		Login:     u.Login,
		URL:       base + "/users/" + esc(u.Login),
		HTMLURL:   base + "/users/" + esc(u.Login),
		PostsURL:  base + "/users/" + esc(u.Login) + "/posts{?page,per_page}",
		CreatedAt: utc(u.CreatedAt),
	}
}

func (a *api) ownUserRepr(base string, u *user) ownUserRepr {
	out := ownUserRepr{userRepr: a.userRepr(base, u), Email: u.Email, TwoFactorAuthentication: u.TwoFactor}
	if u.TimeZone.Valid {
		out.TimeZone = &u.TimeZone.String
	}
	return out
}

func (a *api) postSummary(base string, p *post) postSummary {
	id, node := a.ids(p.ID, p.Number)
	return postSummary{
		ID:          id,
		NodeID:      node,
		URL:         base + "/posts/" + p.ID,
		HTMLURL:     base + "/posts/" + p.ID,
		Title:       p.Title,
		Published:   p.Published,
		PublishedAt: utcPtr(p.PublishedAt),
		CreatedAt:   utc(p.CreatedAt),
		UpdatedAt:   utc(p.UpdatedAt),
		TimeZone:    p.TimeZone,
		Author:      a.userRef(base, p.AuthorID, p.AuthorNumber, p.AuthorLogin),
		CommentsURL: base + "/posts/" + p.ID + "/comments{?page,per_page}",
	}
}

func (a *api) postDetail(base string, p *post) postDetail {
	out := postDetail{
		postSummary:   a.postSummary(base, p),
		CommentsCount: p.CommentsCount,
		LikesCount:    p.LikesCount,
	}
	if p.Body != "" {
		html := bodyHTML(p.Body)
		out.Body, out.BodyHTML = &p.Body, &html
	}
	return out
}

func (a *api) commentRepr(base string, c *comment) commentRepr {
	id, node := a.ids(c.ID, c.Number)
	return commentRepr{
		ID:        id,
		NodeID:    node,
		URL:       base + "/posts/" + c.PostID + "/comments/" + c.ID,
		PostURL:   base + "/posts/" + c.PostID,
		Body:      c.Body,
		Author:    a.userRef(base, c.AuthorID, c.AuthorNumber, c.AuthorLogin),
		CreatedAt: utc(c.CreatedAt),
		UpdatedAt: utc(c.UpdatedAt),
	}
}

func (a *api) jobRepr(base string, j *job) jobRepr {
	id, node := a.ids(j.ID, j.Number)
	out := jobRepr{
		ID:          id,
		NodeID:      node,
		URL:         base + "/jobs/" + j.ID,
		State:       j.State,
		CreatedAt:   utc(j.CreatedAt),
		CompletedAt: utcPtr(j.CompletedAt),
	}
	if j.State == "succeeded" {
		u := base + "/jobs/" + j.ID + "/result"
		out.ResultURL = &u
	}
	if j.Error.Valid {
		out.Error = &j.Error.String
	}
	return out
}

// bodyHTML renders a post's plain-text body as HTML: escaped, paragraphs
// at blank lines, line breaks kept.
func bodyHTML(body string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
		b.WriteString("</p>\n")
	}
	return b.String()
}
