package bench

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/conditional"
)

// sha1ETag is the ETag middleware users write or import when they don't
// use apikit: buffer the body, hash it with SHA-1, answer 304 on an exact
// If-None-Match. It follows github.com/go-http-utils/etag (tag
// "<length>-<sha1 hex>", buffered in a bytes.Buffer per request), which
// the module proxy does not serve, so it is reproduced here.
func sha1ETag(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &sha1Writer{ResponseWriter: w, buf: bytes.NewBuffer(nil), status: http.StatusOK}
		next.ServeHTTP(hw, r)
		if hw.status != http.StatusOK || hw.buf.Len() == 0 {
			w.WriteHeader(hw.status)
			_, _ = w.Write(hw.buf.Bytes())
			return
		}
		sum := sha1.Sum(hw.buf.Bytes())
		etag := `"` + strconv.Itoa(hw.buf.Len()) + "-" + hex.EncodeToString(sum[:]) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(hw.status)
		_, _ = w.Write(hw.buf.Bytes())
	})
}

type sha1Writer struct {
	http.ResponseWriter
	buf    *bytes.Buffer
	status int
}

func (w *sha1Writer) WriteHeader(code int)        { w.status = code }
func (w *sha1Writer) Write(b []byte) (int, error) { return w.buf.Write(b) }

// discardWriter keeps headers and drops the body.
type discardResponse struct {
	header http.Header
	code   int
}

func (d *discardResponse) Header() http.Header         { return d.header }
func (d *discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardResponse) WriteHeader(code int)        { d.code = code }

type benchPost struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// postsHandler renders n posts as JSON on every request.
func postsHandler(n int) http.Handler {
	posts := make([]benchPost, n)
	for i := range posts {
		posts[i] = benchPost{ID: i, Title: "Post number " + strings.Repeat("x", 10), Body: strings.Repeat("lorem ipsum ", 4)}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(posts)
	})
}

// TestETagMiddlewaresAgree checks that both middlewares tag the body and
// answer 304 to their own tag, so the benchmark compares equal work.
func TestETagMiddlewaresAgree(t *testing.T) {
	cond, err := conditional.New(conditional.Config{})
	require.NoError(t, err)
	for name, h := range map[string]http.Handler{"apikit": cond.Handler(postsHandler(10)), "sha1": sha1ETag(postsHandler(10))} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/posts", nil))
		require.Equal(t, 200, w.Code, name)
		etag := w.Header().Get("ETag")
		require.NotEmpty(t, etag, name)
		r := httptest.NewRequest("GET", "/posts", nil)
		r.Header.Set("If-None-Match", etag)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, 304, w.Code, name)
	}
}

// BenchmarkETag renders a JSON list of 1 KiB and of just under 1 MiB
// through apikit's conditional middleware, through a SHA-1 ETag
// middleware, and bare (the handler alone).
func BenchmarkETag(b *testing.B) {
	cond, err := conditional.New(conditional.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []struct {
		name  string
		posts int
	}{{"1KiB", 10}, {"1MiB", 10_100}} {
		handler := postsHandler(size.posts)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest("GET", "/posts", nil))
		for _, impl := range []struct {
			name string
			h    http.Handler
		}{{"apikit", cond.Handler(handler)}, {"sha1", sha1ETag(handler)}, {"bare", handler}} {
			b.Run("size="+size.name+"/impl="+impl.name, func(b *testing.B) {
				r := httptest.NewRequest("GET", "/posts", nil)
				w := &discardResponse{header: http.Header{}}
				b.SetBytes(int64(rec.Body.Len()))
				b.ReportAllocs()
				for b.Loop() {
					clear(w.header)
					impl.h.ServeHTTP(w, r)
				}
				if w.code != http.StatusOK && w.code != 0 {
					b.Errorf("status %d", w.code)
				}
			})
		}
	}
}
