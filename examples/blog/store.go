package main

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/myblog/apikit/auth"
)

// errNotFound is a row that does not exist.
var errNotFound = errors.New("not found")

// errTaken reports a unique field already held by another row.
type errTaken struct{ field string }

func (e errTaken) Error() string { return e.field + " is taken" }

// uniqueViolation maps a unique-constraint violation of users (SQLite's
// extended code SQLITE_CONSTRAINT_UNIQUE, whose message names the
// column: "UNIQUE constraint failed: users.login") to the field that is
// taken. Any other error is returned as it is.
func uniqueViolation(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) || e.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return err
	}
	msg := e.Error()
	for _, f := range []string{"login", "email"} {
		if strings.Contains(msg, "UNIQUE constraint failed: users."+f) {
			return errTaken{field: f}
		}
	}
	return err
}

type user struct {
	ID           string
	Login        string
	Email        string
	PasswordHash string
	TimeZone     sql.NullString
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

type post struct {
	ID            string
	AuthorID      string
	AuthorLogin   string
	Title         string
	Body          string
	Published     bool
	PublishedAt   *time.Time
	TimeZone      string
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CommentsCount int
	LikesCount    int
}

type comment struct {
	ID          string
	PostID      string
	AuthorID    string
	AuthorLogin string
	Body        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// job is a background job: an export. A succeeded export's document is
// stored in export_chunks; the job keeps its size and ETag.
type job struct {
	ID          string
	OwnerID     string
	Kind        string
	State       string
	CreatedAt   time.Time
	CompletedAt *time.Time
	ResultBytes sql.NullInt64
	ResultETag  sql.NullString
	Error       sql.NullString
	// Attempt is the attempts count of the claim that returned the job:
	// the worker's fencing token (see claimJob).
	Attempt int64
}

// store is the blog's data, in SQLite. Every write is one transaction;
// the reads every request makes are prepared once.
type store struct {
	db *sql.DB

	userByIDStmt           *sql.Stmt
	userByLoginOrEmailStmt *sql.Stmt
	postByIDStmt           *sql.Stmt
}

// newStore prepares the hot statements on db.
func newStore(ctx context.Context, db *sql.DB) (*store, error) {
	s := &store{db: db}
	for _, st := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.userByIDStmt, `SELECT ` + userColumns + ` FROM users WHERE id = ?`},
		{&s.userByLoginOrEmailStmt, `SELECT ` + userColumns + ` FROM users WHERE login = ? OR email = ? LIMIT 1`},
		{&s.postByIDStmt, `SELECT ` + postColumns + ` FROM posts JOIN users ON users.id = posts.author_id WHERE posts.id = ?`},
	} {
		stmt, err := db.PrepareContext(ctx, st.query)
		if err != nil {
			return nil, fmt.Errorf("preparing %q: %w", st.query, err)
		}
		*st.stmt = stmt
	}
	return s, nil
}

const userColumns = `id, login, email, password_hash, time_zone, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*user, error) {
	var u user
	var created, updated string
	if err := row.Scan(&u.ID, &u.Login, &u.Email, &u.PasswordHash, &u.TimeZone, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = parseDBTime(created), parseDBTime(updated)
	return &u, nil
}

func (s *store) createUser(ctx context.Context, u *user) error {
	return uniqueViolation(inTx(ctx, s.db, func(tx *sql.Tx) error {
		// A new account may take a login that once redirected.
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_renames WHERE old_login = ?`, u.Login); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Login, u.Email, u.PasswordHash, u.TimeZone, dbTime(u.CreatedAt), dbTime(u.UpdatedAt))
		return err
	}))
}

func (s *store) userByID(ctx context.Context, id string) (*user, error) {
	return scanUser(s.userByIDStmt.QueryRowContext(ctx, id))
}

// userByLogin finds a user by login; for a login the user gave up, it
// returns errNotFound and the login they go by now.
func (s *store) userByLogin(ctx context.Context, login string) (*user, string, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE login = ?`, login))
	if !errors.Is(err, errNotFound) {
		return u, "", err
	}
	var current string
	err = s.db.QueryRowContext(ctx, `SELECT users.login FROM user_renames JOIN users ON users.id = user_renames.user_id WHERE user_renames.old_login = ?`, login).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", errNotFound
	}
	if err != nil {
		return nil, "", err
	}
	return nil, current, errNotFound
}

// userByLoginOrEmail finds the account a login form names.
func (s *store) userByLoginOrEmail(ctx context.Context, login string) (*user, error) {
	return scanUser(s.userByLoginOrEmailStmt.QueryRowContext(ctx, login, login))
}

// userChange is a PATCH /user: nil fields stay as they are.
type userChange struct {
	Login    *string
	Email    *string
	TimeZone *string
}

func (s *store) updateUser(ctx context.Context, id string, c userChange, now time.Time) (*user, error) {
	var out *user
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if c.Login != nil && !strings.EqualFold(*c.Login, u.Login) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM user_renames WHERE old_login = ?`, *c.Login); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_renames (old_login, user_id, renamed_at) VALUES (?, ?, ?)
				ON CONFLICT (old_login) DO UPDATE SET user_id = excluded.user_id, renamed_at = excluded.renamed_at`, u.Login, id, dbTime(now)); err != nil {
				return err
			}
		}
		if c.Login != nil {
			u.Login = *c.Login
		}
		if c.Email != nil {
			u.Email = *c.Email
		}
		if c.TimeZone != nil {
			u.TimeZone = sql.NullString{String: *c.TimeZone, Valid: *c.TimeZone != ""}
		}
		u.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE users SET login = ?, email = ?, time_zone = ?, updated_at = ? WHERE id = ?`,
			u.Login, u.Email, u.TimeZone, dbTime(u.UpdatedAt), id); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, uniqueViolation(err)
}

// setTimeZone records a user's last known zone when it changed.
func (s *store) setTimeZone(ctx context.Context, id, zone string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET time_zone = ? WHERE id = ? AND (time_zone IS NULL OR time_zone <> ?)`, zone, id, zone)
	return err
}

const postColumns = `posts.id, posts.author_id, users.login, posts.title, posts.body, posts.published, posts.published_at,
	posts.time_zone, posts.version, posts.created_at, posts.updated_at,
	(SELECT count(*) FROM comments WHERE comments.post_id = posts.id),
	(SELECT count(*) FROM likes WHERE likes.post_id = posts.id)`

func scanPost(row interface{ Scan(...any) error }) (*post, error) {
	var p post
	var publishedAt sql.NullString
	var created, updated string
	err := row.Scan(&p.ID, &p.AuthorID, &p.AuthorLogin, &p.Title, &p.Body, &p.Published, &publishedAt,
		&p.TimeZone, &p.Version, &created, &updated, &p.CommentsCount, &p.LikesCount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	p.PublishedAt = nullTime(publishedAt)
	p.CreatedAt, p.UpdatedAt = parseDBTime(created), parseDBTime(updated)
	return &p, nil
}

func (s *store) createPost(ctx context.Context, p *post) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		// Counted in the write transaction, so concurrent creations
		// cannot pass maxPostsPerUser.
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE author_id = ?`, p.AuthorID).Scan(&count); err != nil {
			return err
		}
		if count >= maxPostsPerUser {
			return errTooManyPosts
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO posts (id, author_id, title, body, published, published_at, time_zone, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			p.ID, p.AuthorID, p.Title, p.Body, p.Published, optionalTime(p.PublishedAt), p.TimeZone, dbTime(p.CreatedAt), dbTime(p.UpdatedAt))
		return err
	})
}

func optionalTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dbTime(*t)
}

func (s *store) postByID(ctx context.Context, id string) (*post, error) {
	return scanPost(s.postByIDStmt.QueryRowContext(ctx, id))
}

// listPosts returns one page of published posts, newest first, of one
// author or of all, and how many there are.
func (s *store) listPosts(ctx context.Context, authorID string, offset, limit int) ([]*post, int, error) {
	where := `posts.published = 1`
	args := []any{}
	if authorID != "" {
		where += ` AND posts.author_id = ?`
		args = append(args, authorID)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+postColumns+` FROM posts JOIN users ON users.id = posts.author_id
		WHERE `+where+` ORDER BY posts.published_at DESC, posts.id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	posts := []*post{}
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, 0, err
		}
		posts = append(posts, p)
	}
	return posts, total, rows.Err()
}

// postChange is a PATCH /posts/{id}: nil fields stay as they are.
type postChange struct {
	Title       *string
	Body        *string
	Published   *bool
	PublishedAt *time.Time
	TimeZone    string
}

// updatePost applies c to the post if it is still at version (the one
// the handler checked If-Match against), in one transaction.
func (s *store) updatePost(ctx context.Context, id string, version int64, c postChange, now time.Time) (*post, error) {
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		p, err := scanPost(tx.QueryRowContext(ctx, `SELECT `+postColumns+` FROM posts JOIN users ON users.id = posts.author_id WHERE posts.id = ?`, id))
		if err != nil {
			return err
		}
		if p.Version != version {
			return errConflict
		}
		if c.Title != nil {
			p.Title = *c.Title
		}
		if c.Body != nil {
			p.Body = *c.Body
		}
		if c.Published != nil {
			switch {
			case *c.Published && !p.Published:
				p.Published = true
				if c.PublishedAt != nil {
					p.PublishedAt, p.TimeZone = c.PublishedAt, c.TimeZone
				} else {
					p.PublishedAt = &now
				}
			case !*c.Published:
				p.Published, p.PublishedAt = false, nil
			}
		} else if c.PublishedAt != nil && p.Published {
			p.PublishedAt, p.TimeZone = c.PublishedAt, c.TimeZone
		}
		res, err := tx.ExecContext(ctx, `UPDATE posts SET title = ?, body = ?, published = ?, published_at = ?, time_zone = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
			p.Title, p.Body, p.Published, optionalTime(p.PublishedAt), p.TimeZone, dbTime(now), id, version)
		if err != nil {
			return err
		}
		// The version in the WHERE makes the check and the write one
		// statement: a database that let another writer in between the
		// SELECT and here (READ COMMITTED) updates nothing, and the
		// request is a 412, never a silent lost update.
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errConflict
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.postByID(ctx, id)
}

// errConflict: the post changed between the precondition check and the
// write; the client must fetch it again.
var errConflict = errors.New("the post changed")

// deletePosts deletes, in one transaction, those of ids that authorID
// wrote, and reports for each whether it was deleted.
func (s *store) deletePosts(ctx context.Context, authorID string, ids []string) ([]bool, error) {
	deleted := make([]bool, len(ids))
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		for i, id := range ids {
			res, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE id = ? AND author_id = ?`, id, authorID)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted[i] = n == 1
		}
		return nil
	})
	return deleted, err
}

func (s *store) setLike(ctx context.Context, postID, userID string, like bool, now time.Time) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if like {
			_, err = tx.ExecContext(ctx, `INSERT INTO likes (post_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, postID, userID, dbTime(now))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM likes WHERE post_id = ? AND user_id = ?`, postID, userID)
		}
		return err
	})
}

const commentColumns = `comments.id, comments.post_id, comments.author_id, users.login, comments.body, comments.created_at, comments.updated_at`

func scanComment(row interface{ Scan(...any) error }) (*comment, error) {
	var c comment
	var created, updated string
	if err := row.Scan(&c.ID, &c.PostID, &c.AuthorID, &c.AuthorLogin, &c.Body, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = parseDBTime(created), parseDBTime(updated)
	return &c, nil
}

func (s *store) createComment(ctx context.Context, c *comment) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO comments (id, post_id, author_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.ID, c.PostID, c.AuthorID, c.Body, dbTime(c.CreatedAt), dbTime(c.UpdatedAt))
		return err
	})
}

func (s *store) listComments(ctx context.Context, postID string, offset, limit int) ([]*comment, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM comments WHERE post_id = ?`, postID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+commentColumns+` FROM comments JOIN users ON users.id = comments.author_id
		WHERE comments.post_id = ? ORDER BY comments.created_at, comments.id LIMIT ? OFFSET ?`, postID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	comments := []*comment{}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, 0, err
		}
		comments = append(comments, c)
	}
	return comments, total, rows.Err()
}

const jobColumns = `id, owner_id, kind, state, created_at, completed_at, result_bytes, result_etag, error`

func scanJob(row interface{ Scan(...any) error }) (*job, error) {
	var j job
	var created string
	var completed sql.NullString
	if err := row.Scan(&j.ID, &j.OwnerID, &j.Kind, &j.State, &created, &completed, &j.ResultBytes, &j.ResultETag, &j.Error); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, err
	}
	j.CreatedAt, j.CompletedAt = parseDBTime(created), nullTime(completed)
	return &j, nil
}

// createJob queues j, unless its owner already has a job of its kind
// queued: then j becomes that one (its id and creation time), since a job
// that has not started will see everything a new one would. So one user
// has at most one job waiting, however often they ask.
func (s *store) createJob(ctx context.Context, j *job) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		var id, created string
		err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM jobs WHERE owner_id = ? AND kind = ? AND state = 'queued' ORDER BY created_at, id LIMIT 1`,
			j.OwnerID, j.Kind).Scan(&id, &created)
		switch {
		case err == nil:
			j.ID, j.CreatedAt, j.State = id, parseDBTime(created), "queued"
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO jobs (id, owner_id, kind, state, created_at) VALUES (?, ?, ?, 'queued', ?)`,
			j.ID, j.OwnerID, j.Kind, dbTime(j.CreatedAt))
		j.State = "queued"
		return err
	})
}

func (s *store) jobByID(ctx context.Context, id string) (*job, error) {
	return scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
}

// jobLease is how long a claimed job is its worker's without a renewal;
// the worker renews it every jobLease/3 while it runs.
const jobLease = 30 * time.Second

// errLeaseLost: the job's lease passed and another claim took it; the
// worker that held it stops and writes nothing more.
var errLeaseLost = errors.New("the job's lease was lost to another worker")

// claimJob takes the oldest job that is queued, or running with its lease
// passed (its worker died), marks it running, leased until now+jobLease,
// and returns it; errNotFound when there is none. The claim is one
// conditional update on the attempts count it read, so two servers on one
// database never claim one job both: the one whose update finds the count
// changed takes the next job. The pieces an interrupted run wrote are
// deleted: the job starts over.
func (s *store) claimJob(ctx context.Context, now time.Time) (*job, error) {
	for {
		var claimed *job
		err := inTx(ctx, s.db, func(tx *sql.Tx) error {
			var id string
			var attempts int64
			if err := tx.QueryRowContext(ctx, `SELECT id, attempts FROM jobs
				WHERE state = 'queued' OR (state = 'running' AND (lease_until IS NULL OR lease_until <= ?))
				ORDER BY created_at, id LIMIT 1`, dbTime(now)).Scan(&id, &attempts); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return errNotFound
				}
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'running', started_at = ?, lease_until = ?, attempts = attempts + 1
				WHERE id = ? AND attempts = ?`, dbTime(now), dbTime(now.Add(jobLease)), id, attempts)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // taken meanwhile: nil, and the loop looks again
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE job_id = ?`, id); err != nil {
				return err
			}
			j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
			if err != nil {
				return err
			}
			j.Attempt = attempts + 1
			claimed = j
			return nil
		})
		if err != nil || claimed != nil {
			return claimed, err
		}
	}
}

// renewJob extends j's lease to until, or reports errLeaseLost when j is
// no longer this claim's.
func (s *store) renewJob(ctx context.Context, j *job, until time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ? AND attempts = ? AND state = 'running'`, dbTime(until), j.ID, j.Attempt)
	return leaseHeld(res, err)
}

// releaseJob puts j back in the queue at once (its server is stopping),
// if it is still this claim's.
func (s *store) releaseJob(ctx context.Context, j *job) error {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = 'queued', started_at = NULL, lease_until = NULL WHERE id = ? AND attempts = ? AND state = 'running'`, j.ID, j.Attempt)
	return leaseHeld(res, err)
}

// leaseHeld turns a fenced statement's outcome into errLeaseLost when it
// changed no row.
func leaseHeld(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errLeaseLost
	}
	return nil
}

// exportResult is what a finished export job records: the size and
// ETag of the document its chunks hold, or the failure a user reads.
type exportResult struct {
	Bytes   int64
	ETag    string
	Failure string
}

// finishJob records j's outcome. A failed job's chunks are deleted; then
// the owner's finished jobs beyond the newest maxKeptExports are deleted
// with theirs, so that one user's stored exports stay bounded however
// many they request.
func (s *store) finishJob(ctx context.Context, j *job, res exportResult, now time.Time) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		var done sql.Result
		var err error
		if res.Failure != "" {
			done, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'failed', completed_at = ?, lease_until = NULL, result_bytes = NULL, result_etag = NULL, error = ?
				WHERE id = ? AND attempts = ? AND state = 'running'`, dbTime(now), res.Failure, j.ID, j.Attempt)
			if err = leaseHeld(done, err); err == nil {
				_, err = tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE job_id = ?`, j.ID)
			}
		} else {
			done, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'succeeded', completed_at = ?, lease_until = NULL, result_bytes = ?, result_etag = ?, error = NULL
				WHERE id = ? AND attempts = ? AND state = 'running'`, dbTime(now), res.Bytes, res.ETag, j.ID, j.Attempt)
			err = leaseHeld(done, err)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM jobs WHERE owner_id = ? AND state IN ('succeeded', 'failed') AND id NOT IN (
			SELECT id FROM jobs WHERE owner_id = ? AND state IN ('succeeded', 'failed') ORDER BY completed_at DESC, id DESC LIMIT ?)`,
			j.OwnerID, j.OwnerID, maxKeptExports)
		return err
	})
}

// deleteExpiredJobs deletes the jobs that finished before cutoff, and
// with them their chunks.
func (s *store) deleteExpiredJobs(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND completed_at < ?`, dbTime(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// putExportChunk stores piece seq of job jobID's document, in a
// transaction of its own: the job is not succeeded until finishJob says
// so, and no other writer waits for a whole export.
//
// It is fenced by the claim: once j's lease went to another worker, the
// insert writes nothing and says errLeaseLost.
func (s *store) putExportChunk(ctx context.Context, j *job, seq int, data []byte) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO export_chunks (job_id, seq, data)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ? AND attempts = ? AND state = 'running')`, j.ID, seq, data, j.ID, j.Attempt)
	return leaseHeld(res, err)
}

// exportChunk appends piece seq of job jobID's document to buf[:0], or
// returns errNotFound past the last one. The piece is read as
// sql.RawBytes, so a download reuses one buffer rather than allocating a
// copy a piece; and each piece is a query of its own, so a slow download
// holds neither a connection nor a read transaction between pieces.
func (s *store) exportChunk(ctx context.Context, jobID string, seq int, buf []byte) ([]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM export_chunks WHERE job_id = ? AND seq = ?`, jobID, seq)
	if err != nil {
		return buf[:0], err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return buf[:0], err
		}
		return buf[:0], errNotFound
	}
	var data sql.RawBytes
	if err := rows.Scan(&data); err != nil {
		return buf[:0], err
	}
	buf = append(buf[:0], data...)
	return buf, rows.Close()
}

// exportCursor is where a page of an export's posts starts: after the
// post created at createdAt with id, in (created_at, id) order.
type exportCursor struct {
	createdAt string
	id        string
}

// exportPage returns up to limit posts of an author, drafts included,
// after the cursor in creation order, and the cursor after them. The
// rows are read and closed before it returns: the worker writes between
// pages, and a ":memory:" database has a single connection.
func (s *store) exportPage(ctx context.Context, authorID string, after exportCursor, limit int) ([]*post, exportCursor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, body, published, published_at, time_zone, created_at, updated_at
		FROM posts WHERE author_id = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`,
		authorID, after.createdAt, after.id, limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var posts []*post
	next := after
	for rows.Next() {
		var p post
		var publishedAt sql.NullString
		var created, updated string
		if err := rows.Scan(&p.ID, &p.Title, &p.Body, &p.Published, &publishedAt, &p.TimeZone, &created, &updated); err != nil {
			return nil, after, err
		}
		p.AuthorID = authorID
		p.PublishedAt = nullTime(publishedAt)
		p.CreatedAt, p.UpdatedAt = parseDBTime(created), parseDBTime(updated)
		posts = append(posts, &p)
		next = exportCursor{createdAt: created, id: p.ID}
	}
	return posts, next, rows.Err()
}

// sessions is auth.TokenStore in SQLite, so refresh tokens survive a
// restart. Each method is one transaction.
type sessions struct{ db *sql.DB }

var _ auth.TokenStore = sessions{}

func (s sessions) Start(ctx context.Context, session, tokenID string, expires, now time.Time) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		// Expired sessions are dropped as new ones start: the table holds
		// only live logins.
		if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE expires_at <= ?`, dbTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_sessions (id, current, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET current = excluded.current, expires_at = excluded.expires_at`, session, tokenID, dbTime(expires))
		return err
	})
}

func (s sessions) Rotate(ctx context.Context, session, tokenID, next string, expires, now time.Time) (auth.RotateResult, error) {
	result := auth.Unknown
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var current, expiresAt string
		err := tx.QueryRowContext(ctx, `SELECT current, expires_at FROM refresh_sessions WHERE id = ?`, session).Scan(&current, &expiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case !now.Before(parseDBTime(expiresAt)):
			_, err = tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = ?`, session)
		case subtle.ConstantTimeCompare([]byte(current), []byte(tokenID)) != 1:
			result = auth.Reused
			_, err = tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = ?`, session)
		default:
			// Conditional on the token read: a concurrent rotation that got
			// in first (possible where reads do not lock, READ COMMITTED)
			// leaves no row to update, and this presentation is a reuse.
			var res sql.Result
			res, err = tx.ExecContext(ctx, `UPDATE refresh_sessions SET current = ?, expires_at = ? WHERE id = ? AND current = ?`, next, dbTime(expires), session, tokenID)
			if err != nil {
				return err
			}
			if n, rerr := res.RowsAffected(); rerr != nil {
				return rerr
			} else if n == 1 {
				result = auth.Rotated
				return nil
			}
			result = auth.Reused
			_, err = tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = ?`, session)
		}
		return err
	})
	if err != nil {
		return auth.Unknown, err
	}
	return result, nil
}

func (s sessions) Revoke(ctx context.Context, session string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = ?`, session)
	return err
}
