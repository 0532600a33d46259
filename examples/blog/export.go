package main

// Exports as streams (issue 19). The worker reads a user's posts a page
// at a time and writes the document {"posts": [...]} post by post into
// chunks of exportChunkBytes in SQLite (export_chunks), hashing it as it
// goes; GET /jobs/{job_id}/result answers 304/412 from that stored ETag
// and then copies the chunks to the client one at a time. Memory per
// export or download is a few chunks and one post, whatever the export's
// size; the caps below bound the rest (docs/blog-api.md, Exports).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/timezone"
)

// The caps of exports, documented in docs/blog-api.md.
const (
	// maxExportBytes caps an export's document. A post is at most 256 KiB
	// of body and 256 bytes of title, and JSON escaping can make a byte
	// six ("&" is \u0026), so 42 posts of the worst kind fill it; a job
	// that would write more fails with msgExportTooLarge, having stored
	// no more than the cap.
	maxExportBytes = 64 << 20
	// exportChunkBytes is the size of the pieces an export is stored in:
	// what the worker buffers before a write, and what a download holds
	// in memory at once.
	exportChunkBytes = 256 << 10
	// exportPagePosts is how many posts the worker reads per query, and
	// so holds at once (8 × 256 KiB of body at most).
	exportPagePosts = 8
	// maxExportDownloads is how many downloads of exports one user may
	// have in flight on one server; one more is a 429.
	maxExportDownloads = 2
	// maxKeptExports is how many finished export jobs a user keeps: when
	// one finishes, older ones are deleted with their chunks.
	maxKeptExports = 3
	// exportRetention is how long a finished job is kept; then it is
	// deleted with its chunks and answers 404.
	exportRetention = 24 * time.Hour
	// exportSweepInterval is how often the worker deletes expired jobs.
	exportSweepInterval = time.Minute
	// minDownloadRate is the slowest a client may read an export: the
	// write deadline of a download is downloadBaseTime plus the export's
	// size at this rate (256 s for 64 MiB), so that a slow client can
	// fetch a large export, and a client that reads too slowly cannot
	// hold a download slot for ever.
	minDownloadRate = 256 << 10
	// downloadBaseTime is the server's write timeout (server.go), which
	// every download gets on top of its size's time.
	downloadBaseTime = 30 * time.Second
	// downloadRetryAfter is the Retry-After of the 429 for one download
	// too many, in seconds.
	downloadRetryAfter = "5"
	// exportStoreRetryAfter is the Retry-After of the 503 of a store
	// outage, in seconds: auth's, long enough not to hammer a database
	// that is coming back.
	exportStoreRetryAfter = "30"
)

// msgExportTooLarge is the error of a job whose export would pass
// maxExportBytes.
const msgExportTooLarge = "The export is larger than 64 MiB, the most an export may hold; delete or shorten posts and request a new one."

// errExportTooLarge stops a job whose export would pass its cap.
var errExportTooLarge = errors.New("export too large")

// exportedPost is one post in an export. Its times are timezone.Time, so
// they read as every other timestamp of the API: ISO 8601 in UTC to the
// second, null when blank.
type exportedPost struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Body        string        `json:"body"`
	Published   bool          `json:"published"`
	PublishedAt timezone.Time `json:"published_at"`
	TimeZone    string        `json:"time_zone"`
	CreatedAt   timezone.Time `json:"created_at"`
	UpdatedAt   timezone.Time `json:"updated_at"`
}

// writeExport writes j's export into its chunks and returns the size and
// ETag to record. It fails with errExportTooLarge as soon as the document
// would pass maxBytes.
func writeExport(ctx context.Context, s *store, j *job, maxBytes int64) (exportResult, error) {
	sink := newExportSink(ctx, s, j, maxBytes, exportChunkBytes)
	if err := encodeExport(ctx, s, j.OwnerID, sink); err != nil {
		return exportResult{}, err
	}
	return sink.close()
}

// encodeExport writes authorID's posts, drafts included, in creation
// order, to w as {"posts": [...]}: byte for byte what json.Marshal gives
// for the whole document, one post at a time.
func encodeExport(ctx context.Context, s *store, authorID string, w io.Writer) error {
	if _, err := io.WriteString(w, `{"posts":[`); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	var after exportCursor
	first := true
	for {
		posts, next, err := s.exportPage(ctx, authorID, after, exportPagePosts)
		if err != nil {
			return err
		}
		for _, p := range posts {
			buf.Reset()
			if !first {
				buf.WriteByte(',')
			}
			first = false
			if err := enc.Encode(exportedPost{
				ID: p.ID, Title: p.Title, Body: p.Body, Published: p.Published, TimeZone: p.TimeZone,
				PublishedAt: utcPtr(p.PublishedAt), CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt),
			}); err != nil {
				return err
			}
			// Encoder.Encode ends the value with a newline, which the
			// minified document has not.
			buf.Truncate(buf.Len() - 1)
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
		}
		if len(posts) < exportPagePosts {
			break
		}
		after = next
	}
	_, err := io.WriteString(w, "]}")
	return err
}

// exportSink is the io.Writer an export is written to: it stores the
// document in pieces of chunkBytes as it grows, hashes it for its ETag,
// and refuses to let it pass its cap.
type exportSink struct {
	ctx   context.Context
	store *store
	job   *job
	max   int64
	chunk []byte // the piece being filled; its capacity is the piece size
	seq   int
	size  int64
	hash  hash.Hash
}

func newExportSink(ctx context.Context, s *store, j *job, maxBytes int64, chunkBytes int) *exportSink {
	return &exportSink{ctx: ctx, store: s, job: j, max: maxBytes, chunk: make([]byte, 0, chunkBytes), hash: sha256.New()}
}

// Write takes p whole or, when it would pass the cap, not at all
// (errExportTooLarge).
func (e *exportSink) Write(p []byte) (int, error) {
	if e.size+int64(len(p)) > e.max {
		return 0, errExportTooLarge
	}
	e.size += int64(len(p))
	e.hash.Write(p)
	n := len(p)
	for len(p) > 0 {
		copied := copy(e.chunk[len(e.chunk):cap(e.chunk)], p)
		e.chunk, p = e.chunk[:len(e.chunk)+copied], p[copied:]
		if len(e.chunk) == cap(e.chunk) {
			if err := e.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (e *exportSink) flush() error {
	if len(e.chunk) == 0 {
		return nil
	}
	if err := e.store.putExportChunk(e.ctx, e.job, e.seq, e.chunk); err != nil {
		return err
	}
	e.seq++
	e.chunk = e.chunk[:0]
	return nil
}

// close stores the last piece and returns the document's size and its
// strong ETag: the first 128 bits of its SHA-256, computed once, as it
// was written.
func (e *exportSink) close() (exportResult, error) {
	if err := e.flush(); err != nil {
		return exportResult{}, err
	}
	sum := e.hash.Sum(nil)
	return exportResult{Bytes: e.size, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}, nil
}

// serveExport answers a GET or HEAD of j's result once its preconditions
// passed: the stored document, in the envelope when the server has one,
// with its stored ETag, Last-Modified and exact Content-Length (indented
// with ?pretty=true, then chunked). It flushes before the body, so the
// conditional middleware decides with these validators and buffers
// nothing; the chunks are then read and written one at a time. A failure
// before the status line is a 503; after it, the connection is cut
// (http.ErrAbortHandler), so a client never takes a truncated export for
// a whole one.
func (a *api) serveExport(w http.ResponseWriter, r *http.Request, j *job) {
	ctx := r.Context()
	chunk, err := a.store.exportChunk(ctx, j.ID, 0, make([]byte, 0, exportChunkBytes))
	switch {
	case errors.Is(err, errNotFound):
		a.errors.Write(w, r, apierrors.NotFound()) // deleted since loadJob
		return
	case err != nil:
		a.errors.Write(w, r, exportStoreUnavailable(err))
		return
	}
	head, tail := exportFraming(a.cfg.envelope)
	total := int64(len(head)) + j.ResultBytes.Int64 + int64(len(tail))
	pretty, _ := strconv.ParseBool(r.URL.Query().Get("pretty"))
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Etag"] = []string{j.ResultETag.String}
	h["Last-Modified"] = []string{j.CompletedAt.UTC().Format(http.TimeFormat)}
	if !pretty {
		h["Content-Length"] = []string{strconv.FormatInt(total, 10)}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	// Not supported by every ResponseWriter (a test's recorder); the
	// server's own timeout then stands.
	_ = rc.SetWriteDeadline(time.Now().Add(downloadBaseTime + time.Duration(total/minDownloadRate)*time.Second))
	if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return // the client is gone
	}

	out := io.Writer(w)
	var indented *prettyWriter
	if pretty {
		indented = &prettyWriter{w: w}
		out = indented
	}
	abort := func(msg string, args ...any) {
		a.logger.Error(msg, append([]any{"job", j.ID}, args...)...)
		panic(http.ErrAbortHandler)
	}
	if _, err := io.WriteString(out, head); err != nil {
		return
	}
	var sent int64
	for seq := 0; ; seq++ {
		if seq > 0 {
			chunk, err = a.store.exportChunk(ctx, j.ID, seq, chunk)
			if errors.Is(err, errNotFound) {
				break
			}
			if err != nil {
				if ctx.Err() != nil {
					return // the client is gone
				}
				abort("blog: reading an export", "error", err)
			}
		}
		if sent += int64(len(chunk)); sent > j.ResultBytes.Int64 {
			abort("blog: an export is longer than recorded", "bytes", j.ResultBytes.Int64)
		}
		if _, err := out.Write(chunk); err != nil {
			return
		}
	}
	if sent != j.ResultBytes.Int64 {
		abort("blog: an export is shorter than recorded", "bytes", j.ResultBytes.Int64, "sent", sent)
	}
	if _, err := io.WriteString(out, tail); err != nil {
		return
	}
	if indented != nil {
		_ = indented.close()
	}
}

// exportFraming is what goes before and after the stored document: the
// render package's envelope, {"data": ..., "code": "200", "msg":
// "SUCCESS"}, when the server has one.
func exportFraming(envelope bool) (head, tail string) {
	if !envelope {
		return "", ""
	}
	return `{"data":`, `,"code":"200","msg":"SUCCESS"}`
}

// prettyWriter indents a minified JSON document as it streams through,
// byte for byte as ?pretty=true indents every other body (json.Indent
// with two spaces, then a newline: see close). It holds no more than the
// indented form of one Write. Its input is the server's own valid JSON.
type prettyWriter struct {
	w        io.Writer
	out      []byte
	depth    int
	inString bool
	escaped  bool
	// opened: the last token began an object or array, whose newline
	// waits for its first member, so that an empty one stays {} or [].
	opened bool
}

func (p *prettyWriter) Write(b []byte) (int, error) {
	out := p.out[:0]
	for i := 0; i < len(b); {
		if p.inString {
			if p.escaped {
				p.escaped = false
				out = append(out, b[i])
				i++
				continue
			}
			end := bytes.IndexAny(b[i:], `"\`)
			if end < 0 {
				out = append(out, b[i:]...)
				break
			}
			out = append(out, b[i:i+end+1]...)
			p.inString = b[i+end] != '"'
			p.escaped = p.inString
			i += end + 1
			continue
		}
		c := b[i]
		i++
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if p.opened && c != '}' && c != ']' {
			p.opened = false
			p.depth++
			out = p.newline(out)
		}
		switch c {
		case '"':
			p.inString = true
			out = append(out, c)
		case '{', '[':
			p.opened = true
			out = append(out, c)
		case ',':
			out = p.newline(append(out, c))
		case ':':
			out = append(out, ':', ' ')
		case '}', ']':
			if p.opened {
				p.opened = false
			} else {
				p.depth--
				out = p.newline(out)
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	p.out = out
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p *prettyWriter) newline(out []byte) []byte {
	out = append(out, '\n')
	for range p.depth {
		out = append(out, ' ', ' ')
	}
	return out
}

// close ends the document with the newline of ?pretty=true, so that a
// terminal prompt starts on its own line.
func (p *prettyWriter) close() error {
	_, err := p.w.Write([]byte{'\n'})
	return err
}

// downloadSlots counts each user's downloads of exports in flight, to
// cap them at max. There is one per process (exportDownloads), as there
// is one server; users are keyed by id, so the servers of tests, which
// share a process, never share a user. An entry lives while a download
// does.
type downloadSlots struct {
	mu     sync.Mutex
	max    int
	active map[string]int
}

var exportDownloads = &downloadSlots{max: maxExportDownloads}

// acquire takes one of user's slots, or reports that all are taken.
func (d *downloadSlots) acquire(user string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.active[user] >= d.max {
		return false
	}
	if d.active == nil {
		d.active = map[string]int{}
	}
	d.active[user]++
	return true
}

// release gives back a slot acquire took.
func (d *downloadSlots) release(user string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.active[user] <= 1 {
		delete(d.active, user)
		return
	}
	d.active[user]--
}

// tooManyDownloads is the 429 of a download past maxExportDownloads.
func tooManyDownloads() *apierrors.Error {
	return &apierrors.Error{
		Status:  http.StatusTooManyRequests,
		Message: "Too many downloads of exports at once: at most 2 per user. Retry when one has finished.",
		ID:      "too_many_downloads",
		Header:  http.Header{"Retry-After": {downloadRetryAfter}},
	}
}

// exportStoreUnavailable is the 503 of a store outage on the export and
// job routes, with the Retry-After of RFC 9110 §15.6.4: any error of the
// database there is taken for one, since nothing a client sent can cause
// it.
func exportStoreUnavailable(err error) *apierrors.Error { return databaseUnavailable(err) }

// databaseUnavailable is the 503 of a database that did not answer, with
// Retry-After (RFC 9110 §15.6.4).
func databaseUnavailable(err error) *apierrors.Error {
	return &apierrors.Error{
		Status:  http.StatusServiceUnavailable,
		Message: "Service Unavailable: the database did not answer; retry later.",
		Header:  http.Header{"Retry-After": {exportStoreRetryAfter}},
		Err:     err,
	}
}
