package main

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/timezone"
)

// Activity (docs/blog-api.md, Events): what happened, newest first, for
// clients that poll.
const (
	// maxEvents is how far back the lists reach, GitHub's figure: 300
	// events, whatever per_page.
	maxEvents = 300
	// busyRequests is how many requests in flight on this instance make
	// it busy: X-Poll-Interval doubles, and again at four times as many.
	busyRequests = 64
)

// event is a row of events with what its lists show of its post,
// comment and actor.
type event struct {
	Number      int64
	Type        string
	CreatedAt   time.Time
	ActorID     string
	ActorNumber int64
	ActorLogin  string
	PostID      string
	PostNumber  int64
	PostTitle   string
	CommentID   sql.NullString
	CommentNum  sql.NullInt64
}

// listEvents returns one page of the events of posts published now
// (those of actorID, or everyone's), newest first, and how many the
// list holds within maxEvents.
func (s *store) listEvents(ctx context.Context, actorID string, offset, limit int) ([]*event, int, error) {
	where, args := `posts.published = TRUE`, []any{}
	if actorID != "" {
		where, args = where+` AND events.actor_id = $1`, append(args, actorID)
	}
	from := `events JOIN posts ON posts.id = events.post_id`
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+from+` WHERE `+where+` LIMIT `+strconv.Itoa(maxEvents)+`) recent`, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT events.number, events.type, events.created_at, users.id, users.number, users.login,
			posts.id, posts.number, posts.title, comments.id, comments.number
		FROM `+from+` JOIN users ON users.id = events.actor_id LEFT JOIN comments ON comments.id = events.comment_id
		WHERE `+where+` ORDER BY events.number DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var events []*event
	for rows.Next() {
		var e event
		var created string
		if err := rows.Scan(&e.Number, &e.Type, &created, &e.ActorID, &e.ActorNumber, &e.ActorLogin,
			&e.PostID, &e.PostNumber, &e.PostTitle, &e.CommentID, &e.CommentNum); err != nil {
			return nil, 0, err
		}
		e.CreatedAt = parseDBTime(created)
		events = append(events, &e)
	}
	return events, total, rows.Err()
}

// eventRepr is an event, GitHub's shape: its id a string of digits.
type eventRepr struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	Actor     userRef       `json:"actor"`
	Payload   eventPayload  `json:"payload"`
	Public    bool          `json:"public"`
	CreatedAt timezone.Time `json:"created_at"`
}

type eventPayload struct {
	Action  string      `json:"action"` // published, created, liked
	Post    postRef     `json:"post"`
	Comment *commentRef `json:"comment"` // null but for a CommentEvent
}

type postRef struct {
	ID     reprID `json:"id"`
	NodeID string `json:"node_id,omitempty"`
	URL    string `json:"url"`
	Title  string `json:"title"`
}

type commentRef struct {
	ID     reprID `json:"id"`
	NodeID string `json:"node_id,omitempty"`
	URL    string `json:"url"`
}

// eventActions are each type's payload action.
var eventActions = map[string]string{"PostEvent": "published", "CommentEvent": "created", "LikeEvent": "liked"}

func (a *api) eventRepr(base string, e *event) eventRepr {
	out := eventRepr{
		ID:        strconv.FormatInt(e.Number, 10),
		Type:      e.Type,
		Actor:     a.userRef(base, e.ActorID, e.ActorNumber, e.ActorLogin),
		Public:    true,
		CreatedAt: utc(e.CreatedAt),
	}
	out.Payload.Action = eventActions[e.Type]
	out.Payload.Post = postRef{URL: base + "/posts/" + e.PostID, Title: e.PostTitle}
	out.Payload.Post.ID, out.Payload.Post.NodeID = a.ids(e.PostID, e.PostNumber)
	if e.CommentID.Valid {
		c := &commentRef{URL: base + "/posts/" + e.PostID + "/comments/" + e.CommentID.String}
		c.ID, c.NodeID = a.ids(e.CommentID.String, e.CommentNum.Int64)
		out.Payload.Comment = c
	}
	return out
}

// pollInterval is X-Poll-Interval, in seconds: -poll-interval, doubled
// while this instance is busy (busyRequests in flight) and doubled again
// at four times as many, so polling clients slow down when it matters.
func (a *api) pollInterval() string {
	seconds := int64(a.cfg.pollInterval / time.Second)
	if seconds < 1 {
		seconds = int64(defaultPollInterval / time.Second)
	}
	switch n := a.inFlight.Load(); {
	case n >= 4*busyRequests:
		seconds *= 4
	case n >= busyRequests:
		seconds *= 2
	}
	return strconv.FormatInt(seconds, 10)
}

// defaultPollInterval is -poll-interval's default, GitHub's.
const defaultPollInterval = 60 * time.Second

// listEvents is GET /events: everyone's activity.
func (a *api) listEvents(w http.ResponseWriter, r *http.Request) { a.writeEvents(w, r, "") }

// listUserEvents is GET /users/{username}/events: one user's.
func (a *api) listUserEvents(w http.ResponseWriter, r *http.Request) {
	u, ok := a.lookupUser(w, r, "/events")
	if !ok {
		return
	}
	a.writeEvents(w, r, u.ID)
}

// writeEvents answers a list of events, newest first, by page within the
// latest maxEvents, with X-Poll-Interval; its ETag (the conditional
// middleware's, of the body) makes an unchanged poll a 304, which the
// rate limit does not count.
func (a *api) writeEvents(w http.ResponseWriter, r *http.Request, actorID string) {
	page, ok := a.pages.Page(w, r)
	if !ok {
		return
	}
	if page.Offset() >= maxEvents {
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "Query", Field: "page", Code: apierrors.CodeInvalid,
			Message: "In order to keep the API fast for everyone, pagination is limited for this resource: the latest 300 events"}))
		return
	}
	events, total, err := a.store.listEvents(r.Context(), actorID, page.Offset(), min(page.Limit(), maxEvents-page.Offset()))
	if err != nil {
		a.writeStoreError(w, r, "Event", err)
		return
	}
	base := a.baseURL(r)
	out := make([]eventRepr, 0, len(events))
	for _, e := range events {
		out = append(out, a.eventRepr(base, e))
	}
	w.Header().Set("X-Poll-Interval", a.pollInterval())
	a.pages.SetLinks(w, r, page, total)
	a.render.JSON(w, r, http.StatusOK, out)
}
