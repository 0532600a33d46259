package main

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	apierrors "github.com/myblog/apikit/errors"
)

// Search (docs/blog-api.md, Search): GET /search/posts?q=, GitHub's
// result shape, its own rate-limit resource.
const (
	// maxSearchChars bounds q, GitHub's figure.
	maxSearchChars = 256
	// maxSearchTerms bounds the words of q: each is another lookup.
	maxSearchTerms = 16
)

// isSearch reports whether r counts against the search rate limit.
func isSearch(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/search/") }

// rateResource is the rate limiter's Resource: search, or core.
func rateResource(r *http.Request) string {
	if isSearch(r) {
		return "search"
	}
	return "core"
}

// searchQuery is a search as the store runs it.
type searchQuery struct {
	Terms  []string // the words looked for, all of them
	Author string   // author:login, or empty
	Sort   string   // "" (best match), "created", "updated" or "comments"
	Asc    bool     // order=asc
	Offset int
	Limit  int
}

// parseSearch reads q into terms and qualifiers (author:login), and sort
// and order; the problems are the 422's.
func parseSearch(r *http.Request) (searchQuery, []apierrors.FieldError) {
	query := r.URL.Query()
	var sq searchQuery
	var problems []apierrors.FieldError
	invalid := func(field, message string) {
		problems = append(problems, apierrors.FieldError{Resource: "Search", Field: field, Code: apierrors.CodeInvalid, Message: message})
	}
	q := query.Get("q")
	switch {
	case strings.TrimSpace(q) == "":
		problems = append(problems, apierrors.FieldError{Resource: "Search", Field: "q", Code: apierrors.CodeMissingField})
	case !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxSearchChars:
		invalid("q", "q is at most 256 characters of UTF-8")
	default:
		for _, field := range strings.Fields(q) {
			if login, ok := strings.CutPrefix(field, "author:"); ok {
				if !validLogin(login) || sq.Author != "" {
					invalid("q", "author: takes one username")
				}
				sq.Author = login
				continue
			}
			// A word is what has a letter or digit: punctuation alone
			// matches nothing.
			if strings.IndexFunc(field, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }) >= 0 {
				sq.Terms = append(sq.Terms, field)
			}
		}
		switch {
		case len(sq.Terms) == 0 && len(problems) == 0:
			invalid("q", "q needs a word to look for")
		case len(sq.Terms) > maxSearchTerms:
			invalid("q", "q has at most 16 words")
		}
	}
	switch sq.Sort = query.Get("sort"); sq.Sort {
	case "", "created", "updated", "comments":
	case "best-match":
		sq.Sort = ""
	default:
		invalid("sort", "sort is created, updated or comments (best match without it)")
	}
	switch query.Get("order") {
	case "", "desc":
	case "asc":
		sq.Asc = true
	default:
		invalid("order", "order is asc or desc")
	}
	return sq, problems
}

// searchPosts runs q over the published posts: the page of them, each
// one's score (higher is better), and how many match in all.
func (s *store) searchPosts(ctx context.Context, q searchQuery) ([]*post, []float64, int, error) {
	var match, score, from string
	var args []any
	if s.db.dialect == postgresDialect {
		// The vector is the index's expression (migration 008).
		vector := `(setweight(to_tsvector('simple', posts.title), 'A') || setweight(to_tsvector('simple', posts.body), 'B'))`
		args = append(args, strings.Join(q.Terms, " "))
		from = `posts JOIN users ON users.id = posts.author_id`
		match = `posts.published AND ` + vector + ` @@ plainto_tsquery('simple', $1)`
		score = `ts_rank(` + vector + `, plainto_tsquery('simple', $1))`
	} else {
		// Each word a quoted phrase: FTS5's syntax is not the user's.
		phrases := make([]string, len(q.Terms))
		for i, t := range q.Terms {
			phrases[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		}
		args = append(args, strings.Join(phrases, " "))
		from = `posts_fts JOIN posts ON posts.number = posts_fts.rowid JOIN users ON users.id = posts.author_id`
		match = `posts_fts MATCH $1 AND posts.published = TRUE`
		score = `-bm25(posts_fts, 10.0, 1.0)` // bm25 is lower for better matches; the title weighs ten times the body
	}
	if q.Author != "" {
		args = append(args, q.Author)
		match += ` AND users.login = $` + strconv.Itoa(len(args))
	}
	dir := " DESC"
	if q.Asc {
		dir = " ASC"
	}
	order := `score` + dir + `, posts.id`
	switch q.Sort {
	case "created":
		order = `posts.created_at` + dir + `, posts.id` + dir
	case "updated":
		order = `posts.updated_at` + dir + `, posts.id` + dir
	case "comments":
		order = `posts.comments_count` + dir + `, posts.id` + dir
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+from+` WHERE `+match, args...).Scan(&total); err != nil {
		return nil, nil, 0, err
	}
	if total == 0 || q.Offset >= total {
		return nil, nil, total, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+postSummaryColumns+`, `+score+` AS score FROM `+from+` WHERE `+match+
		` ORDER BY `+order+` LIMIT `+strconv.Itoa(q.Limit)+` OFFSET `+strconv.Itoa(q.Offset), args...)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rows.Close()
	var posts []*post
	var scores []float64
	for rows.Next() {
		var score float64
		p, err := scanPostSummary(rows, &score)
		if err != nil {
			return nil, nil, 0, err
		}
		posts = append(posts, p)
		scores = append(scores, score)
	}
	return posts, scores, total, rows.Err()
}

// searchResult is GitHub's shape of a search answer.
type searchResult struct {
	TotalCount        int          `json:"total_count"`
	IncompleteResults bool         `json:"incomplete_results"`
	Items             []searchItem `json:"items"`
}

// searchItem is a post of a search answer: its summary and how well it
// matched.
type searchItem struct {
	postSummary
	Score float64 `json:"score"`
}

// searchPosts is GET /search/posts?q=words [author:login]&sort=&order=:
// the published posts that have every word in their title or body, best
// first (the title weighs more), paginated by page (the first 1,000
// results, as GitHub's); 422 for a missing or bad q, sort or order.
func (a *api) searchPosts(w http.ResponseWriter, r *http.Request) {
	q, problems := parseSearch(r)
	if problems != nil {
		a.errors.Write(w, r, apierrors.ValidationFailed(problems...))
		return
	}
	page, ok := a.pages.Page(w, r)
	if !ok {
		return // answered: 422 for a bad page or per_page, or one past the first 1,000 results
	}
	q.Offset, q.Limit = page.Offset(), page.Limit()
	posts, scores, total, err := a.store.searchPosts(r.Context(), q)
	if err != nil {
		a.writeStoreError(w, r, "Search", err)
		return
	}
	base := a.baseURL(r)
	out := searchResult{TotalCount: total, Items: make([]searchItem, 0, len(posts))}
	for i, p := range posts {
		out.Items = append(out.Items, searchItem{postSummary: a.postSummary(base, p), Score: scores[i]})
	}
	// Links reach the first 1,000 results, as pages do.
	a.pages.SetLinks(w, r, page, min(total, cmp.Or(a.cfg.maxPageOffset, maxPageOffset)))
	a.render.JSON(w, r, http.StatusOK, out)
}
