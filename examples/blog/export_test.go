package main

// Exports as streams (issue 19): the chunked writer, the document it
// writes, the caps, retention, and GET /jobs/{job_id}/result through the
// whole stack. export_memory_test.go holds the attack itself against the
// built server.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportTestStore is a store over a fresh SQLite file.
func exportTestStore(t *testing.T) *store {
	t.Helper()
	ctx := context.Background()
	db, err := openDB(ctx, testDB(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	s, err := newStore(ctx, db)
	require.NoError(t, err)
	return s
}

// exportTestUser signs login up in s and returns its id.
func exportTestUser(t *testing.T, s *store, login string) string {
	t.Helper()
	now := time.Now()
	u := &user{ID: "user-" + login, Login: login, Email: login + "@example.com", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, s.createUser(context.Background(), u))
	return u.ID
}

// exportTestJob queues an export for owner and claims it, as the worker
// does.
func exportTestJob(t *testing.T, s *store, owner string, created time.Time) *job {
	t.Helper()
	ctx := context.Background()
	j := &job{ID: fmt.Sprintf("job-%s-%d", owner, created.UnixNano()), OwnerID: owner, Kind: "export", CreatedAt: created}
	require.NoError(t, s.createJob(ctx, j))
	claimed, err := s.claimJob(ctx, created)
	require.NoError(t, err)
	require.Equal(t, j.ID, claimed.ID)
	return claimed
}

// exportTestChunks reads back every chunk of job id.
func exportTestChunks(t *testing.T, s *store, id string) []string {
	t.Helper()
	var chunks []string
	for seq := 0; ; seq++ {
		data, err := s.exportChunk(context.Background(), id, seq, nil)
		if errors.Is(err, errNotFound) {
			return chunks
		}
		require.NoError(t, err)
		chunks = append(chunks, string(data))
	}
}

// exportTestETag is the ETag of a document: the first 128 bits of its
// SHA-256, in hex, quoted.
func exportTestETag(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func TestExportSink(t *testing.T) {
	tests := []struct {
		name       string
		chunkBytes int
		max        int64
		writes     []string
		wantChunks []string // nil: none stored
		wantErr    error
	}{
		{name: "a write smaller than a chunk is one short chunk", chunkBytes: 4, max: 100, writes: []string{"ab"}, wantChunks: []string{"ab"}},
		{name: "a write of exactly a chunk leaves no empty chunk", chunkBytes: 4, max: 100, writes: []string{"abcd"}, wantChunks: []string{"abcd"}},
		{name: "a write spanning three chunks is split", chunkBytes: 4, max: 100, writes: []string{"abcdefghij"}, wantChunks: []string{"abcd", "efgh", "ij"}},
		{name: "small writes are gathered", chunkBytes: 3, max: 100, writes: []string{"a", "b", "c", "d", "", "e"}, wantChunks: []string{"abc", "de"}},
		{name: "writes across chunk boundaries", chunkBytes: 4, max: 100, writes: []string{"abc", "defgh", "i"}, wantChunks: []string{"abcd", "efgh", "i"}},
		{name: "a document of exactly the cap is taken", chunkBytes: 4, max: 6, writes: []string{"abc", "def"}, wantChunks: []string{"abcd", "ef"}},
		{name: "a write past the cap is refused whole", chunkBytes: 4, max: 6, writes: []string{"abcde", "fg"}, wantChunks: []string{"abcd"}, wantErr: errExportTooLarge},
		{name: "a first write past the cap stores nothing", chunkBytes: 4, max: 3, writes: []string{"abcd"}, wantErr: errExportTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := exportTestStore(t)
			j := exportTestJob(t, s, exportTestUser(t, s, "ann"), time.Now())
			sink := newExportSink(context.Background(), s, j, tt.max, tt.chunkBytes)
			var err error
			for _, w := range tt.writes {
				var n int
				n, err = sink.Write([]byte(w))
				if err != nil {
					assert.Zero(t, n, "a refused write takes nothing")
					break
				}
				assert.Equal(t, len(w), n)
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, tt.wantChunks, exportTestChunks(t, s, j.ID), "what was stored before the refusal")
				return
			}
			require.NoError(t, err)
			res, err := sink.close()
			require.NoError(t, err)
			doc := strings.Join(tt.writes, "")
			assert.Equal(t, exportResult{Bytes: int64(len(doc)), ETag: exportTestETag(doc)}, res)
			assert.Equal(t, tt.wantChunks, exportTestChunks(t, s, j.ID))
		})
	}
}

// exportTestPosts creates n posts of author in s, one a second apart, the
// odd ones drafts, with bodies from body(i); it returns them in creation
// order.
func exportTestPosts(t *testing.T, s *store, author string, n int, body func(i int) string) []*post {
	t.Helper()
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	var posts []*post
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second)
		p := &post{ID: fmt.Sprintf("%s-post-%03d", author, i), AuthorID: author, Title: fmt.Sprintf("Post %d", i), Body: body(i),
			Published: i%2 == 0, TimeZone: "Europe/Paris", CreatedAt: at, UpdatedAt: at.Add(time.Minute)}
		if p.Published {
			p.PublishedAt = &at
		}
		require.NoError(t, s.createPost(context.Background(), p))
		posts = append(posts, p)
	}
	return posts
}

// exportTestWholeDocument is the export as the worker wrote it before
// issue 19, all at once with json.Marshal: the shape the stream keeps.
func exportTestWholeDocument(t *testing.T, posts []*post) string {
	t.Helper()
	out := make([]exportedPost, 0, len(posts))
	for _, p := range posts {
		out = append(out, exportedPost{
			ID: p.ID, Title: p.Title, Body: p.Body, Published: p.Published, TimeZone: p.TimeZone,
			PublishedAt: utcPtr(p.PublishedAt), CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt),
		})
	}
	doc, err := json.Marshal(map[string]any{"posts": out})
	require.NoError(t, err)
	return string(doc)
}

func TestEncodeExportIsTheWholeDocument(t *testing.T) {
	plain := func(i int) string { return fmt.Sprintf("Body of post %d.", i) }
	tests := []struct {
		name  string
		posts int
		body  func(i int) string
	}{
		{name: "no posts", posts: 0, body: plain},
		{name: "one post", posts: 1, body: plain},
		{name: "exactly a page", posts: exportPagePosts, body: plain},
		{name: "a page and one", posts: exportPagePosts + 1, body: plain},
		{name: "two pages and one", posts: 2*exportPagePosts + 1, body: plain},
		{name: "bodies JSON escapes: HTML, quotes, controls, U+2028, invalid UTF-8", posts: 3, body: func(i int) string {
			return strings.Repeat("<a href=\"x\">&</a>\\\n\t\x01\u2028\xff", i+1)
		}},
		{name: "empty bodies", posts: 2, body: func(int) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := exportTestStore(t)
			author := exportTestUser(t, s, "ann")
			posts := exportTestPosts(t, s, author, tt.posts, tt.body)
			exportTestPosts(t, s, exportTestUser(t, s, "bob"), 2, plain) // not ann's

			var doc bytes.Buffer
			require.NoError(t, encodeExport(context.Background(), s, author, &doc))
			assert.Equal(t, exportTestWholeDocument(t, posts), doc.String())
		})
	}
}

func TestWriteExport(t *testing.T) {
	s := exportTestStore(t)
	author := exportTestUser(t, s, "ann")
	// Each body escapes to six times its size: a document of several
	// chunks.
	posts := exportTestPosts(t, s, author, 5, func(int) string { return strings.Repeat("&", 100<<10) })
	want := exportTestWholeDocument(t, posts)
	require.Greater(t, len(want), 2*exportChunkBytes)

	tests := []struct {
		name     string
		maxBytes int64
		wantErr  error
	}{
		{name: "under the cap: stored in chunks, with its size and ETag", maxBytes: int64(len(want)) + 1},
		{name: "exactly the cap", maxBytes: int64(len(want))},
		{name: "one byte past the cap: refused", maxBytes: int64(len(want)) - 1, wantErr: errExportTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := exportTestJob(t, s, author, time.Now())
			res, err := writeExport(context.Background(), s, j, tt.maxBytes)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, exportResult{Bytes: int64(len(want)), ETag: exportTestETag(want)}, res)
			chunks := exportTestChunks(t, s, j.ID)
			for _, c := range chunks[:len(chunks)-1] {
				assert.Len(t, c, exportChunkBytes)
			}
			assert.Equal(t, want, strings.Join(chunks, ""))
		})
	}
}

func TestRecordExport(t *testing.T) {
	tests := []struct {
		name      string
		res       exportResult
		err       error
		wantState string
		wantError *string
	}{
		{name: "written: succeeded with its size and ETag", res: exportResult{Bytes: 5, ETag: `"abc"`}, wantState: "succeeded"},
		{name: "past the cap: failed with the documented error", err: errExportTooLarge, wantState: "failed", wantError: new(msgExportTooLarge)},
		{name: "any other failure: failed, ask again", err: errors.New("disk I/O error"), wantState: "failed", wantError: new("The export failed; request a new one.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := exportTestStore(t)
			a := &api{store: s, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			j := exportTestJob(t, s, exportTestUser(t, s, "ann"), time.Now())
			require.NoError(t, s.putExportChunk(context.Background(), j, 0, []byte("piece")))
			now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

			a.recordExport(context.Background(), j, tt.res, tt.err, now)

			got, err := s.jobByID(context.Background(), j.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantState, got.State)
			assert.Equal(t, &now, got.CompletedAt)
			if tt.wantError == nil {
				assert.False(t, got.Error.Valid)
				assert.Equal(t, sql.NullString{String: tt.res.ETag, Valid: true}, got.ResultETag)
				assert.Equal(t, sql.NullInt64{Int64: tt.res.Bytes, Valid: true}, got.ResultBytes)
				assert.Equal(t, []string{"piece"}, exportTestChunks(t, s, j.ID))
				return
			}
			assert.Equal(t, sql.NullString{String: *tt.wantError, Valid: true}, got.Error)
			assert.False(t, got.ResultETag.Valid)
			assert.Empty(t, exportTestChunks(t, s, j.ID), "a failed export's chunks are deleted")
		})
	}
}

func TestExportRetention(t *testing.T) {
	t.Run("a user keeps their newest finished exports", func(t *testing.T) {
		for finished := 1; finished <= maxKeptExports+2; finished++ {
			t.Run(strconv.Itoa(finished), func(t *testing.T) {
				s := exportTestStore(t)
				ann, bob := exportTestUser(t, s, "ann"), exportTestUser(t, s, "bob")
				start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
				bobs := exportTestJob(t, s, bob, start)
				require.NoError(t, s.finishJob(context.Background(), bobs, exportResult{Bytes: 1, ETag: `"b"`}, start))
				var jobs []*job
				for i := range finished {
					at := start.Add(time.Duration(i+1) * time.Minute)
					j := exportTestJob(t, s, ann, at)
					require.NoError(t, s.putExportChunk(context.Background(), j, 0, []byte("x")))
					res := exportResult{Bytes: 1, ETag: `"x"`}
					if i%2 == 1 {
						res = exportResult{Failure: "failed"}
					}
					require.NoError(t, s.finishJob(context.Background(), j, res, at))
					jobs = append(jobs, j)
				}
				for i, j := range jobs {
					_, err := s.jobByID(context.Background(), j.ID)
					if kept := i >= finished-maxKeptExports; kept {
						assert.NoError(t, err, "job %d of %d", i, finished)
					} else {
						assert.ErrorIs(t, err, errNotFound, "job %d of %d", i, finished)
						assert.Empty(t, exportTestChunks(t, s, j.ID), "deleted with its chunks")
					}
				}
				_, err := s.jobByID(context.Background(), bobs.ID)
				assert.NoError(t, err, "another user's exports are theirs")
			})
		}
	})

	t.Run("finished jobs expire after exportRetention", func(t *testing.T) {
		now := time.Date(2024, 3, 2, 12, 0, 0, 0, time.UTC)
		tests := []struct {
			name        string
			completedAt time.Time // zero: still queued
			running     bool
			wantDeleted bool
		}{
			{name: "finished a second too long ago", completedAt: now.Add(-exportRetention - time.Second), wantDeleted: true},
			{name: "finished exactly exportRetention ago", completedAt: now.Add(-exportRetention)},
			{name: "finished an hour ago", completedAt: now.Add(-time.Hour)},
			{name: "queued long ago, never finished"},
			{name: "running, never finished", running: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := exportTestStore(t)
				owner := exportTestUser(t, s, "ann")
				old := now.Add(-30 * 24 * time.Hour)
				j := &job{ID: "job", OwnerID: owner, Kind: "export", CreatedAt: old}
				require.NoError(t, s.createJob(context.Background(), j))
				switch {
				case !tt.completedAt.IsZero():
					claimed := exportTestClaim(t, s, old)
					require.NoError(t, s.putExportChunk(context.Background(), claimed, 0, []byte("x")))
					require.NoError(t, s.finishJob(context.Background(), claimed, exportResult{Bytes: 1, ETag: `"x"`}, tt.completedAt))
				case tt.running:
					exportTestClaim(t, s, old)
				}

				_, err := s.deleteExpiredJobs(context.Background(), now.Add(-exportRetention))
				require.NoError(t, err)

				_, err = s.jobByID(context.Background(), j.ID)
				if tt.wantDeleted {
					assert.ErrorIs(t, err, errNotFound)
					assert.Empty(t, exportTestChunks(t, s, j.ID))
				} else {
					assert.NoError(t, err)
				}
			})
		}
	})
}

func exportTestClaim(t *testing.T, s *store, now time.Time) *job {
	t.Helper()
	j, err := s.claimJob(context.Background(), now)
	require.NoError(t, err)
	return j
}

func TestCreateJobOneQueuedPerUser(t *testing.T) {
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		existing string // the state of ann's job before she asks again; "" for bob's queued job
		wantSame bool
	}{
		{name: "a queued export is the one she gets again", existing: "queued", wantSame: true},
		{name: "a running export may miss new posts: a new job", existing: "running"},
		{name: "a finished export: a new job", existing: "succeeded"},
		{name: "another user's queued export is not hers", existing: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := exportTestStore(t)
			ctx := context.Background()
			ann, bob := exportTestUser(t, s, "ann"), exportTestUser(t, s, "bob")
			owner := ann
			if tt.existing == "" {
				owner = bob
			}
			first := &job{ID: "first", OwnerID: owner, Kind: "export", CreatedAt: at}
			require.NoError(t, s.createJob(ctx, first))
			if tt.existing == "running" || tt.existing == "succeeded" {
				claimed := exportTestClaim(t, s, at)
				if tt.existing == "succeeded" {
					require.NoError(t, s.finishJob(ctx, claimed, exportResult{Bytes: 1, ETag: `"x"`}, at))
				}
			}

			again := &job{ID: "again", OwnerID: ann, Kind: "export", CreatedAt: at.Add(time.Minute)}
			require.NoError(t, s.createJob(ctx, again))
			if tt.wantSame {
				assert.Equal(t, "first", again.ID)
				assert.Equal(t, at, again.CreatedAt)
			} else {
				assert.Equal(t, "again", again.ID)
			}
			got, err := s.jobByID(ctx, again.ID)
			require.NoError(t, err)
			assert.Equal(t, "queued", got.State)
		})
	}
}

func TestDownloadSlots(t *testing.T) {
	type step struct {
		release bool
		user    string
		want    bool // for an acquire
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "two at once, the third refused", steps: []step{{user: "ann", want: true}, {user: "ann", want: true}, {user: "ann", want: false}}},
		{name: "a slot given back is taken again", steps: []step{{user: "ann", want: true}, {user: "ann", want: true}, {release: true, user: "ann"}, {user: "ann", want: true}, {user: "ann", want: false}}},
		{name: "users do not share slots", steps: []step{{user: "ann", want: true}, {user: "ann", want: true}, {user: "bob", want: true}, {user: "bob", want: true}, {user: "bob", want: false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &downloadSlots{max: maxExportDownloads}
			for i, st := range tt.steps {
				if st.release {
					d.release(st.user)
					continue
				}
				assert.Equal(t, st.want, d.acquire(st.user), "step %d", i)
			}
		})
	}
	t.Run("no entry outlives its downloads", func(t *testing.T) {
		d := &downloadSlots{max: 2}
		require.True(t, d.acquire("ann"))
		require.True(t, d.acquire("ann"))
		d.release("ann")
		d.release("ann")
		assert.Empty(t, d.active)
	})
}

// prettyTestDocuments are minified documents of every shape the indenter
// must handle, and of the export's.
var prettyTestDocuments = []string{
	`{}`, `[]`, `null`, `"a string"`, `12.5e-3`, `true`,
	`{"posts":[]}`,
	`{"a":{},"b":[],"c":[{}],"d":[[]]}`,
	`{"posts":[{"id":"1","body":"a \"quoted\" {brace} [bracket], colon: \\ back\\\\slash","n":-1,"ok":false,"at":null}]}`,
	`{"data":{"posts":[{"id":"1"},{"id":"2"}]},"code":"200","msg":"SUCCESS"}`,
	`[1,[2,[3,{"k":[4]}]],"\u0026\u003c\u2028"]`,
}

func TestPrettyWriterIsJSONIndent(t *testing.T) {
	for _, doc := range prettyTestDocuments {
		var want bytes.Buffer
		require.NoError(t, json.Indent(&want, []byte(doc), "", "  "))
		want.WriteByte('\n')
		// Every split of the document in two writes, and byte by byte:
		// a chunk ends anywhere, in a string or an escape.
		for split := 0; split <= len(doc); split++ {
			t.Run(fmt.Sprintf("%s/split at %d", doc, split), func(t *testing.T) {
				var got bytes.Buffer
				p := &prettyWriter{w: &got}
				for _, part := range []string{doc[:split], doc[split:]} {
					n, err := p.Write([]byte(part))
					require.NoError(t, err)
					assert.Equal(t, len(part), n)
				}
				require.NoError(t, p.close())
				assert.Equal(t, want.String(), got.String())
			})
		}
		t.Run(doc+"/byte by byte", func(t *testing.T) {
			var got bytes.Buffer
			p := &prettyWriter{w: &got}
			for i := range len(doc) {
				_, err := p.Write([]byte{doc[i]})
				require.NoError(t, err)
			}
			require.NoError(t, p.close())
			assert.Equal(t, want.String(), got.String())
		})
	}
}

func FuzzPrettyWriter(f *testing.F) {
	for _, doc := range prettyTestDocuments {
		f.Add([]byte(doc), uint(len(doc)/2))
	}
	f.Fuzz(func(t *testing.T, doc []byte, split uint) {
		var compact bytes.Buffer
		if json.Compact(&compact, doc) != nil {
			return // the writer's input is the server's own valid JSON
		}
		src := compact.Bytes()
		var want bytes.Buffer
		if err := json.Indent(&want, src, "", "  "); err != nil {
			t.Fatal(err)
		}
		want.WriteByte('\n')
		cut := int(split % uint(len(src)+1))
		var got bytes.Buffer
		p := &prettyWriter{w: &got}
		_, _ = p.Write(src[:cut])
		_, _ = p.Write(src[cut:])
		_ = p.close()
		if got.String() != want.String() {
			t.Fatalf("indenting %s split at %d:\n%s\njson.Indent says:\n%s", src, cut, got.Bytes(), want.Bytes())
		}
	})
}

// exportTestFinished posts an export as u and polls its job until it
// succeeded; it returns the job's path.
func exportTestFinished(t *testing.T, b *e2eBlog, u *e2eUser) string {
	t.Helper()
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/exports", token: u.token})
	require.Equal(t, http.StatusAccepted, resp.status, "%s", resp)
	jobPath := strings.TrimPrefix(resp.header.Get("Location"), b.url)
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "the export did not finish")
		state := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: jobPath, token: u.token}), http.StatusOK)["state"]
		if state == "succeeded" {
			return jobPath
		}
		require.Contains(t, []any{"queued", "running"}, state)
		time.Sleep(10 * time.Millisecond)
	}
}

// exportTestRawPost creates a post whose JSON body is sent as written,
// so that a body of '&' is 256 KiB on the wire (json.Marshal would send
// six times that).
func exportTestRawPost(t *testing.T, b *e2eBlog, u *e2eUser, title, body string) {
	t.Helper()
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts", token: u.token, body: `{"title":"` + title + `","body":"` + body + `"}`})
	require.Equal(t, http.StatusCreated, resp.status, "%s", resp)
}

func TestE2EExportResult(t *testing.T) {
	t.Parallel()
	for _, envelope := range []bool{true, false} {
		t.Run(fmt.Sprintf("envelope=%t", envelope), func(t *testing.T) {
			b := e2eStart(t, func(c *config) { c.envelope = envelope })
			ann := b.signUp(t, "ann")
			b.createPost(t, ann.token, map[string]any{"title": "Hello", "body": "<b>bold</b> & co"}, nil)
			b.createPost(t, ann.token, map[string]any{"title": "Draft", "published": false}, nil)
			jobPath := exportTestFinished(t, b, ann)
			resultPath := jobPath + "/result"

			whole := b.do(t, e2eReq{method: http.MethodGet, path: resultPath, token: ann.token})
			doc := b.data(t, whole, http.StatusOK)
			var export struct {
				Posts []map[string]any `json:"posts"`
			}
			require.NoError(t, json.Unmarshal(doc, &export))
			require.Len(t, export.Posts, 2)
			assert.Equal(t, "<b>bold</b> & co", export.Posts[0]["body"])
			etag := whole.header.Get("ETag")
			assert.Equal(t, exportTestETag(string(doc)), etag, "the stored document's, computed as it was written")
			assert.Equal(t, strconv.Itoa(len(whole.body)), whole.header.Get("Content-Length"))
			assert.Equal(t, "private, max-age=60, s-maxage=60", whole.header.Get("Cache-Control"))
			lastModified := whole.header.Get("Last-Modified")
			_, err := http.ParseTime(lastModified)
			require.NoError(t, err)

			var indented bytes.Buffer
			require.NoError(t, json.Indent(&indented, whole.body, "", "  "))
			indented.WriteByte('\n')

			tests := []struct {
				name       string
				method     string
				query      string
				header     http.Header
				wantStatus int
				wantBody   string
				wantHeader map[string]string // "" : absent
			}{
				{name: "GET again: the same bytes and ETag", method: http.MethodGet, wantStatus: http.StatusOK, wantBody: string(whole.body),
					wantHeader: map[string]string{"ETag": etag, "Last-Modified": lastModified, "Content-Length": strconv.Itoa(len(whole.body))}},
				{name: "RFC 9110 13.1.2: If-None-Match naming the ETag is 304", method: http.MethodGet, header: http.Header{"If-None-Match": {etag}},
					wantStatus: http.StatusNotModified, wantHeader: map[string]string{"ETag": etag, "Last-Modified": lastModified, "Content-Length": ""}},
				{name: "RFC 9110 13.1.2: If-None-Match naming another tag is 200", method: http.MethodGet, header: http.Header{"If-None-Match": {`"other"`}},
					wantStatus: http.StatusOK, wantBody: string(whole.body)},
				{name: "RFC 9110 13.1.3: If-Modified-Since at Last-Modified is 304", method: http.MethodGet, header: http.Header{"If-Modified-Since": {lastModified}},
					wantStatus: http.StatusNotModified},
				{name: "RFC 9110 13.1.1: If-Match naming another tag is 412", method: http.MethodGet, header: http.Header{"If-Match": {`"other"`}},
					wantStatus: http.StatusPreconditionFailed, wantBody: e2eError("Precondition Failed")},
				{name: "HEAD: the GET's headers, no body", method: http.MethodHead, wantStatus: http.StatusOK,
					wantHeader: map[string]string{"ETag": etag, "Content-Length": strconv.Itoa(len(whole.body))}},
				{name: "?pretty=true: indented as every body, streamed without Content-Length", method: http.MethodGet, query: "?pretty=true",
					wantStatus: http.StatusOK, wantBody: indented.String(), wantHeader: map[string]string{"ETag": etag, "Content-Length": ""}},
				{name: "?callback=: a script tag is anonymous, so it never carries an export", method: http.MethodGet, query: "?callback=show", header: http.Header{"If-None-Match": {etag}},
					wantStatus: http.StatusOK, wantHeader: map[string]string{"ETag": "", "Last-Modified": ""}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp := b.do(t, e2eReq{method: tt.method, path: resultPath + tt.query, token: ann.token, header: tt.header})
					assert.Equal(t, tt.wantStatus, resp.status, "%s", resp)
					if tt.query == "?callback=show" {
						exportTestAssertNoScript(t, resp)
					} else {
						assert.Equal(t, tt.wantBody, string(resp.body))
					}
					for name, want := range tt.wantHeader {
						assert.Equal(t, want, resp.header.Get(name), name)
					}
				})
			}

			t.Run("someone else's export is a 404", func(t *testing.T) {
				bob := b.signUp(t, "bob")
				e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: resultPath, token: bob.token}), http.StatusNotFound, e2eError("Not Found"))
			})
		})
	}
}

func TestE2EExportDownloadCap(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	ann := b.signUp(t, "ann")
	b.createPost(t, ann.token, map[string]any{"title": "Hello"}, nil)
	resultPath := exportTestFinished(t, b, ann) + "/result"

	for range maxExportDownloads {
		require.True(t, exportDownloads.acquire(ann.id), "downloads in flight")
	}
	resp := b.do(t, e2eReq{method: http.MethodGet, path: resultPath, token: ann.token})
	e2eAssertError(t, resp, http.StatusTooManyRequests, e2eError("Too many downloads of exports at once: at most 2 per user. Retry when one has finished."))
	assert.Equal(t, downloadRetryAfter, resp.header.Get("Retry-After"))

	notModified := b.do(t, e2eReq{method: http.MethodHead, path: resultPath, token: ann.token, header: http.Header{"If-None-Match": {"*"}}})
	assert.Equal(t, http.StatusNotModified, notModified.status, "a 304 is answered before a slot is needed")

	bob := b.signUp(t, "bob")
	b.createPost(t, bob.token, map[string]any{"title": "Hi"}, nil)
	assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: exportTestFinished(t, b, bob) + "/result", token: bob.token}).status,
		"another user's slots are theirs")

	exportDownloads.release(ann.id)
	assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: resultPath, token: ann.token}).status, "a slot given back")
	exportDownloads.release(ann.id)
}

// exportTestAssertNoScript checks the JSON-P answer to a request for an
// export: a script tag is anonymous (package jsonp drops Authorization
// and Cookie), so the script carries the 401, never the export.
func exportTestAssertNoScript(t *testing.T, resp *e2eResp) {
	t.Helper()
	body := string(resp.body)
	assert.True(t, strings.HasPrefix(body, `/**/show({"meta":{"status":401,`), "%.300s", body)
	assert.True(t, strings.HasSuffix(body, `"data":{"message":"Requires authentication","documentation_url":"`+documentationURL+`"}})`), "%.300s", body)
	assert.NotContains(t, body, "posts")
}

func TestE2EExportLarge(t *testing.T) {
	t.Parallel()
	path := testDB(t)
	b := e2eStart(t, func(c *config) { c.db = path })
	db := testDirect(t, path)
	ann := b.signUp(t, "ann")
	// Three bodies of 256 KiB of '&', six times that escaped: an export
	// past the conditional middleware's 1 MiB buffer and JSON-P's 4 MiB.
	for i := range 3 {
		exportTestRawPost(t, b, ann, fmt.Sprintf("Post %d", i), strings.Repeat("&", 256<<10))
	}
	resultPath := exportTestFinished(t, b, ann) + "/result"

	whole := b.do(t, e2eReq{method: http.MethodGet, path: resultPath, token: ann.token})
	require.Equal(t, http.StatusOK, whole.status)
	require.Greater(t, len(whole.body), 4<<20)
	assert.Equal(t, strconv.Itoa(len(whole.body)), whole.header.Get("Content-Length"))
	doc := b.data(t, whole, http.StatusOK)
	etag := whole.header.Get("ETag")
	assert.Equal(t, exportTestETag(string(doc)), etag)
	var export struct {
		Posts []struct {
			Body string `json:"body"`
		} `json:"posts"`
	}
	require.NoError(t, json.Unmarshal(doc, &export))
	require.Len(t, export.Posts, 3)
	for _, p := range export.Posts {
		assert.True(t, p.Body == strings.Repeat("&", 256<<10), "a body, whole")
	}

	notModified := b.do(t, e2eReq{method: http.MethodGet, path: resultPath, token: ann.token, header: http.Header{"If-None-Match": {etag}}})
	assert.Equal(t, http.StatusNotModified, notModified.status)
	assert.Empty(t, notModified.body)

	exportTestAssertNoScript(t, b.do(t, e2eReq{method: http.MethodGet, path: resultPath + "?callback=show", token: ann.token}))

	t.Run("a chunk lost once the body started: the connection is cut", func(t *testing.T) {
		_, err := db.Exec(`DELETE FROM export_chunks WHERE seq = 2`)
		require.NoError(t, err)
		for _, query := range []string{"", "?pretty=true"} {
			req, err := http.NewRequest(http.MethodGet, b.url+resultPath+query, nil)
			require.NoError(t, err)
			req.Header.Set("User-Agent", "apikit-e2e/1.0")
			req.Header.Set("Authorization", "Bearer "+ann.token)
			resp, err := b.client.Do(req)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "the status line went first")
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Error(t, err, "%q: never a whole-looking body", query)
			assert.Less(t, len(body), len(whole.body))
		}
	})
}

func TestE2EExportStoreOutage(t *testing.T) {
	t.Parallel()
	path := testDB(t)
	b := e2eStart(t, func(c *config) { c.db = path })
	ann := b.signUp(t, "ann")
	b.createPost(t, ann.token, map[string]any{"title": "Hello"}, nil)
	jobPath := exportTestFinished(t, b, ann)

	// The outage: a second connection takes the tables away.
	db := testDirect(t, path)
	unavailable := e2eError("Service Unavailable: the database did not answer; retry later.")

	_, err := db.Exec(`DROP TABLE export_chunks`)
	require.NoError(t, err)
	resp := b.do(t, e2eReq{method: http.MethodGet, path: jobPath + "/result", token: ann.token})
	e2eAssertError(t, resp, http.StatusServiceUnavailable, unavailable)
	assert.Equal(t, exportStoreRetryAfter, resp.header.Get("Retry-After"))
	assert.Empty(t, resp.header.Get("ETag"), "the error replaces the export")

	dropJobs := `PRAGMA foreign_keys = OFF; DROP TABLE jobs`
	if isPostgresURL(path) {
		dropJobs = `DROP TABLE jobs CASCADE`
	}
	_, err = db.Exec(dropJobs)
	require.NoError(t, err)
	resp = b.do(t, e2eReq{method: http.MethodGet, path: jobPath, token: ann.token})
	e2eAssertError(t, resp, http.StatusServiceUnavailable, unavailable)
	assert.Equal(t, exportStoreRetryAfter, resp.header.Get("Retry-After"))

	resp = b.do(t, e2eReq{method: http.MethodPost, path: "/exports", token: ann.token})
	assert.Equal(t, http.StatusServiceUnavailable, resp.status)
	assert.Equal(t, `{"error":{"message":"Service Unavailable: the database did not answer; retry later.","code":"503"}}`, string(resp.body), "the task error shape")
	assert.Equal(t, exportStoreRetryAfter, resp.header.Get("Retry-After"))
}

func TestMigrationExpiresWholeDocumentExports(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "blog.db")
	// A database as the first schema left it, with an export written
	// whole into jobs.result.
	old, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	script, err := migrations.ReadFile("migrations/sqlite/001_init.sql")
	require.NoError(t, err)
	_, err = old.Exec(string(script) + `;
		CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
		INSERT INTO schema_migrations VALUES (1, '2024-01-01T00:00:00.000000000Z');
		INSERT INTO users (id, login, email, password_hash, created_at, updated_at) VALUES ('u', 'ann', 'ann@example.com', 'x', '2024-01-01T00:00:00.000000000Z', '2024-01-01T00:00:00.000000000Z');
		INSERT INTO jobs (id, owner_id, kind, state, created_at, completed_at, result) VALUES
			('done', 'u', 'export', 'succeeded', '2024-01-01T00:00:00.000000000Z', '2024-01-01T00:00:01.000000000Z', '{"posts":[]}'),
			('waiting', 'u', 'export', 'queued', '2024-01-01T00:00:00.000000000Z', NULL, NULL)`)
	require.NoError(t, err)
	require.NoError(t, old.Close())

	db, err := openDB(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	s, err := newStore(ctx, db)
	require.NoError(t, err)

	done, err := s.jobByID(ctx, "done")
	require.NoError(t, err)
	assert.Equal(t, "failed", done.State)
	assert.Equal(t, sql.NullString{String: "The export expired; request a new one.", Valid: true}, done.Error)
	waiting, err := s.jobByID(ctx, "waiting")
	require.NoError(t, err)
	assert.Equal(t, "queued", waiting.State, "a queued job is never lost")
	var columns int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'result'`).Scan(&columns))
	assert.Zero(t, columns, "the whole-document column is gone")
}
