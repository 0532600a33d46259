package main

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/myblog/apikit/auth"
)

// errNotFound is a row that does not exist.
var errNotFound = errors.New("not found")

// errTaken reports a unique field already held by another row.
type errTaken struct{ field string }

func (e errTaken) Error() string { return e.field + " is taken" }

// sqlstateUniqueViolation is PostgreSQL's unique_violation.
const sqlstateUniqueViolation = "23505"

// uniqueViolation maps a unique-constraint violation of users to the
// field that is taken: on PostgreSQL SQLSTATE 23505 (unique_violation)
// on the constraint users_login_key or users_email_key; on SQLite the
// extended code SQLITE_CONSTRAINT_UNIQUE, whose message names the column
// ("UNIQUE constraint failed: users.login"). Any other error is returned
// as it is.
func uniqueViolation(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		if pg.Code == sqlstateUniqueViolation {
			switch pg.ConstraintName {
			case "users_login_key":
				return errTaken{field: "login"}
			case "users_email_key":
				return errTaken{field: "email"}
			}
		}
		return err
	}
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
	Number       int64 // the numeric id of GitHub's shape
	Login        string
	Email        string
	PasswordHash string
	TimeZone     sql.NullString
	CreatedAt    time.Time
	UpdatedAt    time.Time
	TwoFactor    bool // two-factor authentication is on (read, never written with the row)
}

type post struct {
	ID            string
	Number        int64
	AuthorID      string
	AuthorNumber  int64
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
	ID           string
	Number       int64
	PostID       string
	AuthorID     string
	AuthorNumber int64
	AuthorLogin  string
	Body         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// job is a background job: an export. A succeeded export's document is
// stored in export_chunks; the job keeps its size and ETag.
type job struct {
	ID          string
	Number      int64
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

// store is the blog's data, in SQLite or PostgreSQL. Every write is one
// transaction; the reads every request makes are prepared once.
//
// Correct with many writers, not only SQLite's one: a check and the write
// it guards are one conditional statement (updatePost, Rotate, the job
// lease), or the transaction first locks the row that orders its writers
// (lockUser: a no-op on SQLite, whose immediate transactions already
// take turns; SELECT ... FOR UPDATE on PostgreSQL, whose READ COMMITTED
// would let two counts see the same rows).
type store struct {
	db *database
	// lease is how long a claimed job stays its worker's without a
	// renewal: jobLease unless -job-lease says otherwise.
	lease time.Duration

	userByIDStmt           *sql.Stmt
	userByLoginOrEmailStmt *sql.Stmt
	postByIDStmt           *sql.Stmt
}

// newStore prepares the hot statements on db.
func newStore(ctx context.Context, db *database) (*store, error) {
	s := &store{db: db, lease: jobLease}
	for _, st := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.userByIDStmt, `SELECT ` + userSelect + ` FROM users WHERE id = $1`},
		{&s.userByLoginOrEmailStmt, `SELECT ` + userSelect + ` FROM users WHERE login = $1 OR email = $2 LIMIT 1`},
		{&s.postByIDStmt, `SELECT ` + postColumns + ` FROM posts JOIN users ON users.id = posts.author_id WHERE posts.id = $1`},
	} {
		stmt, err := db.PrepareContext(ctx, st.query)
		if err != nil {
			return nil, fmt.Errorf("preparing %q: %w", st.query, err)
		}
		*st.stmt = stmt
	}
	return s, nil
}

// forUpdate is the locking clause of a read whose row the transaction
// then writes: FOR UPDATE on PostgreSQL; nothing on SQLite, where the
// transaction already holds the database's write lock.
// nextNumber is the next numeric id of table's rows, within tx: its
// identity sequence on PostgreSQL, its id_sequences row on SQLite (raised
// under the transaction's write lock). Numbers are never reused, gaps
// left by rolled-back transactions included.
func (s *store) nextNumber(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var n int64
	var err error
	if s.db.dialect == postgresDialect {
		err = tx.QueryRowContext(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'number'))`, table).Scan(&n)
	} else {
		err = tx.QueryRowContext(ctx, `UPDATE id_sequences SET last = last + 1 WHERE name = $1 RETURNING last`, table).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("numbering a row of %s: %w", table, err)
	}
	return n, nil
}

func (s *store) forUpdate() string {
	if s.db.dialect == postgresDialect {
		return ` FOR UPDATE`
	}
	return ``
}

// lockUser locks user id's row for the rest of tx, so that the
// transactions that count and then add a user's rows (posts, jobs) take
// turns; errNotFound when there is no such user.
func (s *store) lockUser(ctx context.Context, tx *sql.Tx, id string) error {
	var got string
	err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1`+s.forUpdate(), id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return err
}

const userColumns = `id, number, login, email, password_hash, time_zone, created_at, updated_at`

// userSelect is what scanUser reads: the columns and whether two-factor
// authentication is on.
const userSelect = userColumns + `, EXISTS (SELECT 1 FROM two_factor WHERE two_factor.user_id = users.id AND two_factor.confirmed_at IS NOT NULL)`

func scanUser(row interface{ Scan(...any) error }) (*user, error) {
	var u user
	var created, updated string
	if err := row.Scan(&u.ID, &u.Number, &u.Login, &u.Email, &u.PasswordHash, &u.TimeZone, &created, &updated, &u.TwoFactor); err != nil {
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_renames WHERE old_login = $1`, u.Login); err != nil {
			return err
		}
		number, err := s.nextNumber(ctx, tx, "users")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.ID, number, u.Login, u.Email, u.PasswordHash, u.TimeZone, dbTime(u.CreatedAt), dbTime(u.UpdatedAt)); err != nil {
			return err
		}
		u.Number = number
		return nil
	}))
}

func (s *store) userByID(ctx context.Context, id string) (*user, error) {
	return scanUser(s.userByIDStmt.QueryRowContext(ctx, id))
}

// userByLogin finds a user by login; for a login the user gave up, it
// returns errNotFound and the login they go by now.
func (s *store) userByLogin(ctx context.Context, login string) (*user, string, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userSelect+` FROM users WHERE login = $1`, login))
	if !errors.Is(err, errNotFound) {
		return u, "", err
	}
	var current string
	err = s.db.QueryRowContext(ctx, `SELECT users.login FROM user_renames JOIN users ON users.id = user_renames.user_id WHERE user_renames.old_login = $1`, login).Scan(&current)
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
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userSelect+` FROM users WHERE id = $1`+s.forUpdate(), id))
		if err != nil {
			return err
		}
		if c.Login != nil && !strings.EqualFold(*c.Login, u.Login) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM user_renames WHERE old_login = $1`, *c.Login); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_renames (old_login, user_id, renamed_at) VALUES ($1, $2, $3)
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
		if _, err := tx.ExecContext(ctx, `UPDATE users SET login = $1, email = $2, time_zone = $3, updated_at = $4 WHERE id = $5`,
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
	_, err := s.db.ExecContext(ctx, `UPDATE users SET time_zone = $1 WHERE id = $2 AND (time_zone IS NULL OR time_zone <> $3)`, zone, id, zone)
	return err
}

const postColumns = `posts.id, posts.number, posts.author_id, users.number, users.login, posts.title, posts.body, posts.published, posts.published_at,
	posts.time_zone, posts.version, posts.created_at, posts.updated_at, posts.comments_count, posts.likes_count`

func scanPost(row interface{ Scan(...any) error }) (*post, error) {
	var p post
	var publishedAt sql.NullString
	var created, updated string
	err := row.Scan(&p.ID, &p.Number, &p.AuthorID, &p.AuthorNumber, &p.AuthorLogin, &p.Title, &p.Body, &p.Published, &publishedAt,
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
		// Counted under the author's lock, so concurrent creations
		// cannot pass maxPostsPerUser.
		if err := s.lockUser(ctx, tx, p.AuthorID); err != nil {
			return err
		}
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE author_id = $1`, p.AuthorID).Scan(&count); err != nil {
			return err
		}
		if count >= maxPostsPerUser {
			return errTooManyPosts
		}
		number, err := s.nextNumber(ctx, tx, "posts")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO posts (id, number, author_id, title, body, published, published_at, time_zone, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)`,
			p.ID, number, p.AuthorID, p.Title, p.Body, p.Published, optionalTime(p.PublishedAt), p.TimeZone, dbTime(p.CreatedAt), dbTime(p.UpdatedAt)); err != nil {
			return err
		}
		p.Number = number
		return nil
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

// listKey is the position of a row in a list's order, for keyset
// queries: its sort column as stored (a post's published_at, a
// comment's created_at) and its id, which breaks ties.
type listKey struct {
	At string `json:"t"`
	ID string `json:"i"`
}

// listQuery is which page of a list to read: Limit rows from Offset, or,
// when After or Before is set, the Limit rows that follow or precede that
// key in the list's order. A page is read with one row more than it
// holds, to learn whether more follow (more).
type listQuery struct {
	Offset int
	Limit  int
	After  *listKey
	Before *listKey
}

// postSummaryColumns are what a list shows of each post.
const postSummaryColumns = `posts.id, posts.number, posts.author_id, users.number, users.login, posts.title, posts.published, posts.published_at,
	posts.time_zone, posts.created_at, posts.updated_at`

// scanPostSummary reads postSummaryColumns, and into extra the column
// the query selects after them.
func scanPostSummary(row interface{ Scan(...any) error }, extra any) (*post, error) {
	var p post
	var publishedAt sql.NullString
	var created, updated string
	if err := row.Scan(&p.ID, &p.Number, &p.AuthorID, &p.AuthorNumber, &p.AuthorLogin, &p.Title, &p.Published, &publishedAt,
		&p.TimeZone, &created, &updated, extra); err != nil {
		return nil, err
	}
	p.PublishedAt = nullTime(publishedAt)
	p.CreatedAt, p.UpdatedAt = parseDBTime(created), parseDBTime(updated)
	return &p, nil
}

// listPosts returns one page of published posts, newest first
// (published_at, then id, descending), of one author or of all, whether
// more follow it (for q.Before: whether more precede it), and how many
// published posts the list holds in all, as the triggers keep the count.
// Every form is a walk of an index (posts_published, posts_author) that
// reads the page's rows and no others, except Offset, which steps over
// that many index entries first: the paginator bounds it
// (maxPageOffset). It is one statement, the count read with the rows.
//
// LIMIT and OFFSET are written into the statement as numbers (the
// paginator checked them): bound as parameters, they would keep
// PostgreSQL from planning the statement once, since a plan made
// without knowing the limit can be a full scan and sort, and planning it
// again costs more than running it.
func (s *store) listPosts(ctx context.Context, authorID string, q listQuery) ([]*post, bool, int, error) {
	// published = TRUE, not a bare published: SQLite takes a bare column
	// for a truth test, which cannot use the indexes' leading column.
	where, args := `published = TRUE`, []any{}
	total := `(SELECT published FROM post_totals WHERE id = 1)`
	if authorID != "" {
		args = append(args, authorID)
		where += ` AND author_id = $1`
		total = `users.published_posts` // the author's, as every row's
	}
	order, reverse, offset := `published_at DESC, id DESC`, false, ``
	switch {
	case q.After != nil:
		args = append(args, q.After.At, q.After.ID)
		where += fmt.Sprintf(` AND (published_at, id) < ($%d, $%d)`, len(args)-1, len(args))
	case q.Before != nil:
		args = append(args, q.Before.At, q.Before.ID)
		where += fmt.Sprintf(` AND (published_at, id) > ($%d, $%d)`, len(args)-1, len(args))
		order, reverse = `published_at, id`, true
	case q.Offset > 0:
		offset = ` OFFSET ` + strconv.Itoa(q.Offset)
	}
	// The page's ids come from the index alone; only they are joined
	// with their rows and authors.
	rows, err := s.db.QueryContext(ctx, `SELECT `+postSummaryColumns+`, `+total+`
		FROM (SELECT id FROM posts WHERE `+where+` ORDER BY `+order+` LIMIT `+strconv.Itoa(q.Limit+1)+offset+`) page
		JOIN posts ON posts.id = page.id JOIN users ON users.id = posts.author_id
		ORDER BY posts.published_at DESC, posts.id DESC`, args...)
	if err != nil {
		return nil, false, 0, err
	}
	defer rows.Close()
	posts := make([]*post, 0, q.Limit+1)
	count := -1
	for rows.Next() {
		p, err := scanPostSummary(rows, &count)
		if err != nil {
			return nil, false, 0, err
		}
		posts = append(posts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, false, 0, err
	}
	if count < 0 {
		// No row to read it with: a page past the end, or an empty list.
		if count, err = s.publishedCount(ctx, authorID); err != nil {
			return nil, false, 0, err
		}
	}
	posts, more := trimPage(posts, q.Limit, reverse)
	return posts, more, count, nil
}

// trimPage drops the extra row a page was read with, if it came: the one
// furthest from the key, the last in list order, or the first when the
// page was read backwards (reverse). more reports whether it came.
func trimPage[T any](rows []T, limit int, reverse bool) ([]T, bool) {
	switch {
	case len(rows) <= limit:
		return rows, false
	case reverse:
		return rows[1:], true
	default:
		return rows[:limit], true
	}
}

// postKey is p's position in the lists of posts.
func postKey(p *post) listKey {
	return listKey{At: optionalTimeString(p.PublishedAt), ID: p.ID}
}

func optionalTimeString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return dbTime(*t)
}

// publishedCount is how many published posts one author (or, for "",
// every author) has, as the triggers of migration 004 keep it.
func (s *store) publishedCount(ctx context.Context, authorID string) (int, error) {
	var n int
	var err error
	if authorID == "" {
		err = s.db.QueryRowContext(ctx, `SELECT published FROM post_totals WHERE id = 1`).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT published_posts FROM users WHERE id = $1`, authorID).Scan(&n)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
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
		p, err := scanPost(tx.QueryRowContext(ctx, `SELECT `+postColumns+` FROM posts JOIN users ON users.id = posts.author_id WHERE posts.id = $1`, id))
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
		res, err := tx.ExecContext(ctx, `UPDATE posts SET title = $1, body = $2, published = $3, published_at = $4, time_zone = $5,
			version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8`,
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
			res, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE id = $1 AND author_id = $2`, id, authorID)
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
			_, err = tx.ExecContext(ctx, `INSERT INTO likes (post_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, postID, userID, dbTime(now))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM likes WHERE post_id = $1 AND user_id = $2`, postID, userID)
		}
		return err
	})
}

const commentColumns = `comments.id, comments.number, comments.post_id, comments.author_id, users.number, users.login, comments.body, comments.created_at, comments.updated_at`

func scanComment(row interface{ Scan(...any) error }) (*comment, error) {
	var c comment
	var created, updated string
	if err := row.Scan(&c.ID, &c.Number, &c.PostID, &c.AuthorID, &c.AuthorNumber, &c.AuthorLogin, &c.Body, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = parseDBTime(created), parseDBTime(updated)
	return &c, nil
}

func (s *store) createComment(ctx context.Context, c *comment) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		number, err := s.nextNumber(ctx, tx, "comments")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO comments (id, number, post_id, author_id, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, number, c.PostID, c.AuthorID, c.Body, dbTime(c.CreatedAt), dbTime(c.UpdatedAt)); err != nil {
			return err
		}
		c.Number = number
		return nil
	})
}

// listComments returns one page of a post's comments, oldest first
// (created_at, then id), and whether more follow it (for q.Before:
// whether more precede it), by a walk of the index comments_post, with
// LIMIT and OFFSET written as numbers, as listPosts does.
func (s *store) listComments(ctx context.Context, postID string, q listQuery) ([]*comment, bool, error) {
	where, args := `post_id = $1`, []any{postID}
	order, reverse, offset := `created_at, id`, false, ``
	switch {
	case q.After != nil:
		args = append(args, q.After.At, q.After.ID)
		where += ` AND (created_at, id) > ($2, $3)`
	case q.Before != nil:
		args = append(args, q.Before.At, q.Before.ID)
		where += ` AND (created_at, id) < ($2, $3)`
		order, reverse = `created_at DESC, id DESC`, true
	case q.Offset > 0:
		offset = ` OFFSET ` + strconv.Itoa(q.Offset)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+commentColumns+` FROM (SELECT id FROM comments WHERE `+where+` ORDER BY `+order+` LIMIT `+strconv.Itoa(q.Limit+1)+offset+`) page
		JOIN comments ON comments.id = page.id JOIN users ON users.id = comments.author_id
		ORDER BY comments.created_at, comments.id`, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	comments := make([]*comment, 0, q.Limit+1)
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, false, err
		}
		comments = append(comments, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	comments, more := trimPage(comments, q.Limit, reverse)
	return comments, more, nil
}

// commentKey is c's position in its post's list of comments.
func commentKey(c *comment) listKey { return listKey{At: dbTime(c.CreatedAt), ID: c.ID} }

const jobColumns = `id, number, owner_id, kind, state, created_at, completed_at, result_bytes, result_etag, error`

func scanJob(row interface{ Scan(...any) error }) (*job, error) {
	var j job
	var created string
	var completed sql.NullString
	if err := row.Scan(&j.ID, &j.Number, &j.OwnerID, &j.Kind, &j.State, &created, &completed, &j.ResultBytes, &j.ResultETag, &j.Error); err != nil {
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
		// Under the owner's lock, so that two requests at once queue one
		// job.
		if err := s.lockUser(ctx, tx, j.OwnerID); err != nil {
			return err
		}
		var id, created string
		var queued int64
		err := tx.QueryRowContext(ctx, `SELECT id, number, created_at FROM jobs WHERE owner_id = $1 AND kind = $2 AND state = 'queued' ORDER BY created_at, id LIMIT 1`,
			j.OwnerID, j.Kind).Scan(&id, &queued, &created)
		switch {
		case err == nil:
			j.ID, j.Number, j.CreatedAt, j.State = id, queued, parseDBTime(created), "queued"
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		number, err := s.nextNumber(ctx, tx, "jobs")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, number, owner_id, kind, state, created_at) VALUES ($1, $2, $3, $4, 'queued', $5)`,
			j.ID, number, j.OwnerID, j.Kind, dbTime(j.CreatedAt)); err != nil {
			return err
		}
		j.Number, j.State = number, "queued"
		return nil
	})
}

func (s *store) jobByID(ctx context.Context, id string) (*job, error) {
	return scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
}

// jobLease is how long a claimed job is its worker's without a renewal
// (-job-lease, store.lease); the worker renews it every third of that
// while it runs.
const jobLease = 30 * time.Second

// errLeaseLost: the job's lease passed and another claim took it; the
// worker that held it stops and writes nothing more.
var errLeaseLost = errors.New("the job's lease was lost to another worker")

// claimJob takes the oldest job that is queued, or running with its lease
// passed (its worker died), marks it running, leased until now+s.lease,
// and returns it; errNotFound when there is none. The claim is one
// statement: an UPDATE of the row its subquery picks. On PostgreSQL the
// subquery locks the row it picks and skips rows another claim holds
// (FOR UPDATE SKIP LOCKED), so that workers on several servers each take
// a different job at once rather than queue behind one; on SQLite the
// immediate transaction makes claims take turns. The pieces an
// interrupted run wrote are deleted: the job starts over.
func (s *store) claimJob(ctx context.Context, now time.Time) (*job, error) {
	lock := ``
	if s.db.dialect == postgresDialect {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	var claimed *job
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var id string
		var attempts int64
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET state = 'running', started_at = $1, lease_until = $2, attempts = attempts + 1
			WHERE id = (SELECT id FROM jobs
				WHERE state = 'queued' OR (state = 'running' AND (lease_until IS NULL OR lease_until <= $1))
				ORDER BY created_at, id LIMIT 1`+lock+`)
			RETURNING id, attempts`, dbTime(now), dbTime(now.Add(s.lease))).Scan(&id, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE job_id = $1`, id); err != nil {
			return err
		}
		j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
		if err != nil {
			return err
		}
		j.Attempt = attempts
		claimed = j
		return nil
	})
	return claimed, err
}

// renewJob extends j's lease to until, or reports errLeaseLost when j is
// no longer this claim's.
func (s *store) renewJob(ctx context.Context, j *job, until time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND attempts = $3 AND state = 'running'`, dbTime(until), j.ID, j.Attempt)
	return leaseHeld(res, err)
}

// releaseJob puts j back in the queue at once (its server is stopping),
// if it is still this claim's.
func (s *store) releaseJob(ctx context.Context, j *job) error {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = 'queued', started_at = NULL, lease_until = NULL WHERE id = $1 AND attempts = $2 AND state = 'running'`, j.ID, j.Attempt)
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
			done, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'failed', completed_at = $1, lease_until = NULL, result_bytes = NULL, result_etag = NULL, error = $2
				WHERE id = $3 AND attempts = $4 AND state = 'running'`, dbTime(now), res.Failure, j.ID, j.Attempt)
			if err = leaseHeld(done, err); err == nil {
				_, err = tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE job_id = $1`, j.ID)
			}
		} else {
			done, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'succeeded', completed_at = $1, lease_until = NULL, result_bytes = $2, result_etag = $3, error = NULL
				WHERE id = $4 AND attempts = $5 AND state = 'running'`, dbTime(now), res.Bytes, res.ETag, j.ID, j.Attempt)
			err = leaseHeld(done, err)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM jobs WHERE owner_id = $1 AND state IN ('succeeded', 'failed') AND id NOT IN (
			SELECT id FROM jobs WHERE owner_id = $2 AND state IN ('succeeded', 'failed') ORDER BY completed_at DESC, id DESC LIMIT $3)`,
			j.OwnerID, j.OwnerID, maxKeptExports)
		return err
	})
}

// deleteExpiredJobs deletes the jobs that finished before cutoff, and
// with them their chunks.
func (s *store) deleteExpiredJobs(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND completed_at < $1`, dbTime(cutoff))
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
		SELECT id, $2, $3 FROM jobs WHERE id = $1 AND attempts = $4 AND state = 'running'`, j.ID, seq, data, j.Attempt)
	return leaseHeld(res, err)
}

// exportChunk appends piece seq of job jobID's document to buf[:0], or
// returns errNotFound past the last one. The piece is read as
// sql.RawBytes, so a download reuses one buffer rather than allocating a
// copy a piece; and each piece is a query of its own, so a slow download
// holds neither a connection nor a read transaction between pieces.
func (s *store) exportChunk(ctx context.Context, jobID string, seq int, buf []byte) ([]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM export_chunks WHERE job_id = $1 AND seq = $2`, jobID, seq)
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
		FROM posts WHERE author_id = $1 AND (created_at, id) > ($2, $3) ORDER BY created_at, id LIMIT $4`,
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
type sessions struct{ db *database }

var _ auth.TokenStore = sessions{}

func (s sessions) Start(ctx context.Context, session, tokenID string, expires, now time.Time) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		// Expired sessions are dropped as new ones start: the table holds
		// only live logins.
		if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE expires_at <= $1`, dbTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_sessions (id, current, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET current = excluded.current, expires_at = excluded.expires_at`, session, tokenID, dbTime(expires))
		return err
	})
}

func (s sessions) Rotate(ctx context.Context, session, tokenID, next string, expires, now time.Time) (auth.RotateResult, error) {
	result := auth.Unknown
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var current, expiresAt string
		err := tx.QueryRowContext(ctx, `SELECT current, expires_at FROM refresh_sessions WHERE id = $1`, session).Scan(&current, &expiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case !now.Before(parseDBTime(expiresAt)):
			_, err = tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = $1`, session)
		case subtle.ConstantTimeCompare([]byte(current), []byte(tokenID)) != 1:
			result = auth.Reused
			_, err = tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = $1`, session)
		default:
			// Conditional on the token read: a concurrent rotation that got
			// in first (possible where reads do not lock, READ COMMITTED)
			// leaves no row to update, and this presentation is a reuse.
			var res sql.Result
			res, err = tx.ExecContext(ctx, `UPDATE refresh_sessions SET current = $1, expires_at = $2 WHERE id = $3 AND current = $4`, next, dbTime(expires), session, tokenID)
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
			_, err = tx.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = $1`, session)
		}
		return err
	})
	if err != nil {
		return auth.Unknown, err
	}
	return result, nil
}

func (s sessions) Revoke(ctx context.Context, session string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM refresh_sessions WHERE id = $1`, session)
	return err
}
