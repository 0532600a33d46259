package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/requestid"
)

// Personal access tokens (docs/blog-api.md, Personal access tokens).
const (
	// tokenPrefix starts every personal access token, so that the auth
	// middleware tells them from JWTs and passwords.
	tokenPrefix = "myblog_pat_"
	// tokenRandomChars is how many random characters follow the prefix:
	// 40 of 62, 238 bits.
	tokenRandomChars = 40
	// maxTokensPerUser bounds what one account stores.
	maxTokensPerUser = 100
	// maxNoteChars bounds a token's note.
	maxNoteChars = 100
	// tokenUseInterval is how stale a token's last_used_at may be before
	// a use writes it again: one write a minute, not one a request.
	tokenUseInterval = time.Minute
)

// The scopes of the example's tokens (auth.Config.Scopes): what each
// lets a personal access token do beyond reading what is public.
var blogScopes = []string{
	"posts:read",  // see the user's drafts
	"posts:write", // write posts, comments and likes
	"user",        // change the account (PATCH /user)
	"exports",     // request exports and download them
}

// personalToken is a row of personal_tokens.
type personalToken struct {
	ID         string
	Number     int64
	UserID     string
	Hash       string
	LastEight  string
	Scopes     []string
	Note       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// hashToken is what personal_tokens keeps of a token: its SHA-256, hex.
// A token has 238 random bits, so a fast hash is enough: no guessing
// reaches it, and the database never holds a usable token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newPersonalToken makes a token: the prefix and tokenRandomChars
// characters of [0-9A-Za-z].
func newPersonalToken() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, tokenRandomChars)
	for i := range b {
		b[i] = alphabet[randIndex(len(alphabet))]
	}
	return tokenPrefix + string(b)
}

// randIndex is a uniform random index below n (n ≤ 256).
func randIndex(n int) int {
	limit := 256 - 256%n // reject the bias above the last whole multiple
	var one [1]byte
	for {
		_, _ = rand.Read(one[:])
		if int(one[0]) < limit {
			return int(one[0]) % n
		}
	}
}

const personalTokenColumns = `id, number, user_id, token_hash, last_eight, scopes, note, created_at, last_used_at`

func scanPersonalToken(row interface{ Scan(...any) error }) (*personalToken, error) {
	var t personalToken
	var scopes, created string
	var used sql.NullString
	if err := row.Scan(&t.ID, &t.Number, &t.UserID, &t.Hash, &t.LastEight, &scopes, &t.Note, &created, &used); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt, t.LastUsedAt = parseDBTime(created), nullTime(used)
	return &t, nil
}

// errTooManyTokens: the user already has maxTokensPerUser tokens.
var errTooManyTokens = errors.New("too many personal access tokens")

// createPersonalToken stores t, counted under the user's lock against
// maxTokensPerUser.
func (s *store) createPersonalToken(ctx context.Context, t *personalToken) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.lockUser(ctx, tx, t.UserID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM personal_tokens WHERE user_id = $1`, t.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= maxTokensPerUser {
			return errTooManyTokens
		}
		number, err := s.nextNumber(ctx, tx, "personal_tokens")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO personal_tokens (`+personalTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`,
			t.ID, number, t.UserID, t.Hash, t.LastEight, strings.Join(t.Scopes, " "), t.Note, dbTime(t.CreatedAt)); err != nil {
			return err
		}
		t.Number = number
		return nil
	})
}

func (s *store) personalTokenByHash(ctx context.Context, hash string) (*personalToken, error) {
	return scanPersonalToken(s.db.QueryRowContext(ctx, `SELECT `+personalTokenColumns+` FROM personal_tokens WHERE token_hash = $1`, hash))
}

func (s *store) personalTokens(ctx context.Context, userID string) ([]*personalToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+personalTokenColumns+` FROM personal_tokens WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*personalToken{}
	for rows.Next() {
		t, err := scanPersonalToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// deletePersonalToken deletes the user's token id, errNotFound when the
// user has no such token.
func (s *store) deletePersonalToken(ctx context.Context, userID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM personal_tokens WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errNotFound
	}
	return nil
}

// touchPersonalToken records a use, unless the one recorded is younger
// than tokenUseInterval: the condition is in the statement, so servers
// sharing the database write it once a minute at most between them.
func (s *store) touchPersonalToken(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE personal_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
		dbTime(now), id, dbTime(now.Add(-tokenUseInterval)))
	return err
}

// checkToken is auth's CheckToken: a personal access token against the
// hashes of personal_tokens.
func (a *api) checkToken(ctx context.Context, token string) (auth.TokenGrant, error) {
	t, err := a.store.personalTokenByHash(ctx, hashToken(token))
	switch {
	case errors.Is(err, errNotFound):
		return auth.TokenGrant{}, auth.ErrBadCredentials
	case err != nil:
		return auth.TokenGrant{}, err
	}
	now := time.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenUseInterval {
		if err := a.store.touchPersonalToken(ctx, t.ID, now); err != nil {
			a.logger.Warn("blog: recording a token's use", "token", t.ID, "error", err)
		}
	}
	return auth.TokenGrant{Subject: t.UserID, ID: t.ID, Scopes: t.Scopes}, nil
}

// authorizationRepr is a personal access token as GET /authorizations
// shows it, in the shape of GitHub's authorizations: the token itself
// only in the answer to its creation.
type authorizationRepr struct {
	ID             reprID     `json:"id"`
	NodeID         string     `json:"node_id,omitempty"`
	URL            string     `json:"url"`
	Token          *string    `json:"token"`
	TokenLastEight string     `json:"token_last_eight"`
	Scopes         []string   `json:"scopes"`
	Note           string     `json:"note"`
	CreatedAt      string     `json:"created_at"`
	UpdatedAt      string     `json:"updated_at"`
	LastUsedAt     *time.Time `json:"-"`
	LastUsed       *string    `json:"last_used_at"`
}

func (a *api) authorizationRepr(base string, t *personalToken, token *string) authorizationRepr {
	created := t.CreatedAt.UTC().Format(time.RFC3339)
	r := authorizationRepr{
		URL: base + "/authorizations/" + t.ID, Token: token, TokenLastEight: t.LastEight,
		Scopes: t.Scopes, Note: t.Note, CreatedAt: created, UpdatedAt: created,
	}
	r.ID, r.NodeID = a.ids(t.ID, t.Number)
	if t.LastUsedAt != nil {
		used := t.LastUsedAt.UTC().Format(time.RFC3339)
		r.LastUsed = &used
	}
	return r
}

// ownCredentials answers 403 unless the request authenticated with the
// account's own credentials (its password, or a token of Login): a token
// of limited scope must not mint or list others.
// what names what the route manages ("Personal access tokens are").
func (a *api) ownCredentials(w http.ResponseWriter, r *http.Request, what string) (auth.Identity, bool) {
	id, _ := auth.FromContext(r.Context())
	if !id.Unrestricted() {
		a.errors.Write(w, r, &apierrors.Error{Status: http.StatusForbidden, ID: "forbidden",
			Message: what + " managed with your password (HTTP Basic) or a login token, not with a token of limited scope"})
		return id, false
	}
	return id, true
}

type authorizationBody struct {
	Scopes []string `json:"scopes"`
	Note   *string  `json:"note"`
}

// createAuthorization is POST /authorizations {"scopes", "note"}: 201, a
// new personal access token, shown this once.
func (a *api) createAuthorization(w http.ResponseWriter, r *http.Request) {
	id, ok := a.ownCredentials(w, r, "Personal access tokens are")
	if !ok {
		return
	}
	var in authorizationBody
	if err := a.decoder.Decode(r, "OauthAccess", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	var problems []apierrors.FieldError
	switch {
	case in.Note == nil || strings.TrimSpace(*in.Note) == "":
		problems = append(problems, apierrors.FieldError{Resource: "OauthAccess", Field: "note", Code: apierrors.CodeMissingField})
	case len([]rune(*in.Note)) > maxNoteChars:
		problems = append(problems, apierrors.FieldError{Resource: "OauthAccess", Field: "note", Code: apierrors.CodeInvalid, Message: "note is at most 100 characters"})
	}
	for _, s := range in.Scopes {
		if !slices.Contains(blogScopes, s) {
			problems = append(problems, apierrors.FieldError{Resource: "OauthAccess", Field: "scopes", Code: apierrors.CodeInvalid,
				Message: "unknown scope " + strconv.Quote(s) + ": the scopes are " + strings.Join(blogScopes, ", ")})
			break
		}
	}
	if problems != nil {
		a.errors.Write(w, r, apierrors.ValidationFailed(problems...))
		return
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(in.Scopes)))
	if scopes == nil {
		scopes = []string{}
	}
	token := newPersonalToken()
	t := &personalToken{ID: requestid.NewUUID(), UserID: id.Subject, Hash: hashToken(token), LastEight: token[len(token)-8:],
		Scopes: scopes, Note: *in.Note, CreatedAt: time.Now()}
	switch err := a.store.createPersonalToken(r.Context(), t); {
	case errors.Is(err, errTooManyTokens):
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "OauthAccess", Code: apierrors.CodeCustom,
			Message: "an account holds at most 100 personal access tokens; delete some to make more"}))
		return
	case err != nil:
		a.writeStoreError(w, r, "OauthAccess", err)
		return
	}
	base := a.baseURL(r)
	w.Header().Set("Location", base+"/authorizations/"+t.ID)
	a.render.JSON(w, r, http.StatusCreated, a.authorizationRepr(base, t, &token))
}

// listAuthorizations is GET /authorizations: the user's personal access
// tokens, oldest first, without the tokens themselves.
func (a *api) listAuthorizations(w http.ResponseWriter, r *http.Request) {
	id, ok := a.ownCredentials(w, r, "Personal access tokens are")
	if !ok {
		return
	}
	tokens, err := a.store.personalTokens(r.Context(), id.Subject)
	if err != nil {
		a.writeStoreError(w, r, "OauthAccess", err)
		return
	}
	base := a.baseURL(r)
	out := make([]authorizationRepr, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, a.authorizationRepr(base, t, nil))
	}
	a.render.JSON(w, r, http.StatusOK, out)
}

// deleteAuthorization is DELETE /authorizations/{id}: 204; the token
// stops working at once (auth checks tokens on every request).
func (a *api) deleteAuthorization(w http.ResponseWriter, r *http.Request) {
	id, ok := a.ownCredentials(w, r, "Personal access tokens are")
	if !ok {
		return
	}
	if err := a.store.deletePersonalToken(r.Context(), id.Subject, r.PathValue("id")); err != nil {
		a.writeStoreError(w, r, "OauthAccess", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
