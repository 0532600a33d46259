package render

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
)

type post struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	PublishedAt *string `json:"published_at"`
}

func TestJSON(t *testing.T) {
	draft := post{ID: "0f8e", Title: "Draft <1>"}
	tests := []struct {
		name     string
		envelope bool
		target   string
		status   int
		value    any
		wantCode int
		wantBody string
	}{
		{name: "bare, minified, nil fields are null", target: "/posts/0f8e", status: 200, value: draft, wantCode: 200,
			wantBody: `{"id":"0f8e","title":"Draft \u003c1\u003e","published_at":null}`},
		{name: "conventions: envelope with data", envelope: true, target: "/", status: 200, value: map[string]string{"name": "minhow", "age": "18"}, wantCode: 200,
			wantBody: `{"data":{"age":"18","name":"minhow"},"code":"200","msg":"SUCCESS"}`},
		{name: "envelope code is the status", envelope: true, target: "/posts", status: 201, value: draft, wantCode: 201,
			wantBody: `{"data":{"id":"0f8e","title":"Draft \u003c1\u003e","published_at":null},"code":"201","msg":"SUCCESS"}`},
		{name: "nil is null", target: "/", status: 200, value: nil, wantCode: 200, wantBody: `null`},
		{name: "nil in the envelope is null data", envelope: true, target: "/", status: 200, value: nil, wantCode: 200,
			wantBody: `{"data":null,"code":"200","msg":"SUCCESS"}`},
		{name: "empty list is []", target: "/posts", status: 200, value: []post{}, wantCode: 200, wantBody: `[]`},
		{name: "pretty=true indents", target: "/posts/0f8e?pretty=true", status: 200, value: draft, wantCode: 200,
			wantBody: "{\n  \"id\": \"0f8e\",\n  \"title\": \"Draft \\u003c1\\u003e\",\n  \"published_at\": null\n}\n"},
		{name: "pretty envelope", envelope: true, target: "/?pretty=true", status: 200, value: 1, wantCode: 200,
			wantBody: "{\n  \"data\": 1,\n  \"code\": \"200\",\n  \"msg\": \"SUCCESS\"\n}\n"},
		{name: "pretty=false stays minified", target: "/?pretty=false", status: 200, value: []int{1, 2}, wantCode: 200, wantBody: `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := New(Config{Envelope: tt.envelope})
			rec := httptest.NewRecorder()
			rd.JSON(rec, httptest.NewRequest(http.MethodGet, tt.target, nil), tt.status, tt.value)
			assert.Equal(t, tt.wantCode, rec.Code)
			assert.Equal(t, tt.wantBody, rec.Body.String())
			assert.Equal(t, http.Header{
				"Content-Type":           {"application/json; charset=utf-8"},
				"Content-Length":         {fmt.Sprint(len(tt.wantBody))},
				"X-Content-Type-Options": {"nosniff"},
			}, rec.Header())
		})
	}
}

func TestJSONUnencodableIsA500(t *testing.T) {
	tests := []struct {
		name  string
		value any
	}{
		{name: "channel", value: make(chan int)},
		{name: "NaN", value: math.NaN()},
		{name: "marshaler error", value: failingMarshaler{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			New(Config{Envelope: true}).JSON(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, tt.value)
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, `{"message":"Internal Server Error"}`, rec.Body.String())
		})
	}
}

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, fmt.Errorf("secret detail") }

func TestStatusesWithoutBody(t *testing.T) {
	tests := []struct {
		name     string
		envelope bool
		write    func(rd *Renderer, w http.ResponseWriter, r *http.Request)
		wantCode int
		wantBody string
	}{
		{name: "NoContent", write: func(rd *Renderer, w http.ResponseWriter, _ *http.Request) { rd.NoContent(w) }, wantCode: 204},
		{name: "RFC 9110 §6.4.1: JSON with 204 sends no body", write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.JSON(w, r, 204, post{}) }, wantCode: 204},
		{name: "RFC 9110 §6.4.1: JSON with 304 sends no body", write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.JSON(w, r, 304, post{}) }, wantCode: 304},
		{name: "Done without envelope is 204", write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Done(w, r) }, wantCode: 204},
		{name: "conventions: Done with envelope", envelope: true, write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Done(w, r) },
			wantCode: 200, wantBody: `{"code":"200","msg":"SUCCESS"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.write(New(Config{Envelope: tt.envelope}), rec, httptest.NewRequest(http.MethodPut, "/posts/1/like", nil))
			assert.Equal(t, tt.wantCode, rec.Code)
			assert.Equal(t, tt.wantBody, rec.Body.String())
			if tt.wantBody == "" {
				assert.Empty(t, rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestCreated(t *testing.T) {
	rec := httptest.NewRecorder()
	New(Config{}).Created(rec, httptest.NewRequest(http.MethodPost, "/posts", nil), "https://api.myblog.com/posts/0f8e", post{ID: "0f8e"})
	assert.Equal(t, http.StatusCreated, rec.Code)
	assert.Equal(t, "https://api.myblog.com/posts/0f8e", rec.Header().Get("Location"))
	assert.Equal(t, `{"id":"0f8e","title":"","published_at":null}`, rec.Body.String())
}

// The 500 of a value that cannot be encoded goes through the configured
// Writer, whose Logger records the cause the client never sees.
func TestJSONUnencodableIsLoggedByTheWriter(t *testing.T) {
	var logs bytes.Buffer
	errs, err := apierrors.NewWriter(apierrors.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	New(Config{Errors: errs}).JSON(rec, httptest.NewRequest(http.MethodGet, "/posts", nil), http.StatusOK, failingMarshaler{})
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "secret detail")
	assert.Contains(t, logs.String(), "secret detail")
	assert.Contains(t, logs.String(), "path=/posts")
}

func TestTaskAndBatchAnswers(t *testing.T) {
	tests := []struct {
		name       string
		write      func(rd *Renderer, w http.ResponseWriter, r *http.Request)
		status     int
		body       string
		wantHeader http.Header
	}{
		{
			name: "conventions: job accepted with the job's URL",
			write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) {
				rd.Accepted(w, r, "70a599e0-31e7-49b7-b260-868f441e862b", "/jobs/70a599e0-31e7-49b7-b260-868f441e862b")
			},
			status:     http.StatusAccepted,
			body:       `{"job_id":"70a599e0-31e7-49b7-b260-868f441e862b"}`,
			wantHeader: http.Header{"Location": {"/jobs/70a599e0-31e7-49b7-b260-868f441e862b"}},
		},
		{
			name:       "job accepted without a location",
			write:      func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Accepted(w, r, "j1", "") },
			status:     http.StatusAccepted,
			body:       `{"job_id":"j1"}`,
			wantHeader: http.Header{},
		},
		{
			name: "conventions: batch where everything succeeded",
			write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) {
				rd.Batch(w, r, &apierrors.Batch{Succeeded: []string{"616fb98f", "516fb98f"}})
			},
			status:     http.StatusOK,
			body:       `{"response":[{"id":"616fb98f"},{"id":"516fb98f"}]}`,
			wantHeader: http.Header{},
		},
		{
			name:       "empty batch is an empty list, not null",
			write:      func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Batch(w, r, &apierrors.Batch{}) },
			status:     http.StatusOK,
			body:       `{"response":[]}`,
			wantHeader: http.Header{},
		},
		{
			name:       "nil batch is a batch of nothing",
			write:      func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Batch(w, r, nil) },
			status:     http.StatusOK,
			body:       `{"response":[]}`,
			wantHeader: http.Header{},
		},
		{
			name: "conventions: batch with failures is the Writer's 422",
			write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) {
				var b apierrors.Batch
				b.Succeed("a")
				b.Fail("b", "Post.NotFound", "Post not found")
				rd.Batch(w, r, &b)
			},
			status: http.StatusUnprocessableEntity,
			body: `{"error":{"code":"422","message":"1 of 2 operations failed"},` +
				`"internalError":[{"id":"b","error_code":"Post.NotFound","error_message":"Post not found"}],"response":[{"id":"a"}]}`,
			wantHeader: http.Header{},
		},
	}
	for _, tt := range tests {
		for _, envelope := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/envelope=%t", tt.name, envelope), func(t *testing.T) {
				rec := httptest.NewRecorder()
				tt.write(New(Config{Envelope: envelope}), rec, httptest.NewRequest(http.MethodPost, "/", nil))
				assert.Equal(t, tt.status, rec.Code)
				assert.Equal(t, tt.body, rec.Body.String(), "never wrapped in the envelope")
				want := tt.wantHeader.Clone()
				want["Content-Type"] = []string{"application/json; charset=utf-8"}
				want["X-Content-Type-Options"] = []string{"nosniff"}
				want["Content-Length"] = []string{fmt.Sprint(len(tt.body))}
				assert.Equal(t, want, rec.Header())
			})
		}
	}
}

// A batch with failures is written by the Renderer's Errors, exactly as
// that Writer's WriteBatch writes it.
func TestBatchFailuresGoThroughTheWriter(t *testing.T) {
	errs, err := apierrors.NewWriter(apierrors.Config{Format: apierrors.FormatProblem})
	require.NoError(t, err)
	var b apierrors.Batch
	b.Fail("x", "E1", "boom")

	viaRenderer := httptest.NewRecorder()
	New(Config{Errors: errs}).Batch(viaRenderer, httptest.NewRequest(http.MethodDelete, "/posts?pretty=true", nil), &b)
	direct := httptest.NewRecorder()
	errs.WriteBatch(direct, httptest.NewRequest(http.MethodDelete, "/posts?pretty=true", nil), &b)

	assert.Equal(t, direct.Code, viaRenderer.Code)
	assert.Equal(t, direct.Header(), viaRenderer.Header())
	assert.Equal(t, direct.Body.String(), viaRenderer.Body.String())
	assert.Equal(t, http.StatusUnprocessableEntity, viaRenderer.Code)
}

func TestTaskAndBatchPretty(t *testing.T) {
	rd := New(Config{})
	rec := httptest.NewRecorder()
	rd.Accepted(rec, httptest.NewRequest(http.MethodPost, "/exports?pretty=1", nil), "j1", "")
	assert.Equal(t, "{\n  \"job_id\": \"j1\"\n}\n", rec.Body.String())

	rec = httptest.NewRecorder()
	rd.Batch(rec, httptest.NewRequest(http.MethodDelete, "/posts?pretty=1", nil), &apierrors.Batch{Succeeded: []string{"a"}})
	assert.Equal(t, "{\n  \"response\": [\n    {\n      \"id\": \"a\"\n    }\n  ]\n}\n", rec.Body.String())
}

func BenchmarkJSON(b *testing.B) {
	for _, envelope := range []bool{false, true} {
		b.Run(fmt.Sprintf("envelope=%t", envelope), func(b *testing.B) {
			rd := New(Config{Envelope: envelope})
			r := httptest.NewRequest(http.MethodGet, "/posts/0f8e", nil)
			value := post{ID: "0f8e", Title: "Hello"}
			w := &discardWriter{header: make(http.Header, 4)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				rd.JSON(w, r, http.StatusOK, value)
			}
		})
	}
}

type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// A request marked Bare is answered without the envelope, whatever the
// Config says (package jsonp marks the requests it serves).
func TestBare(t *testing.T) {
	p := post{ID: "0f8e", Title: "Hello"}
	tests := []struct {
		name     string
		envelope bool
		bare     bool
		answer   func(rd *Renderer, w http.ResponseWriter, r *http.Request)
		status   int
		body     string
	}{
		{"JSON, enveloped", true, false, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.JSON(w, r, 200, p) }, 200, `{"data":{"id":"0f8e","title":"Hello","published_at":null},"code":"200","msg":"SUCCESS"}`},
		{"JSON, marked bare", true, true, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.JSON(w, r, 200, p) }, 200, `{"id":"0f8e","title":"Hello","published_at":null}`},
		{"a list, marked bare", true, true, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.JSON(w, r, 200, []post{p}) }, 200, `[{"id":"0f8e","title":"Hello","published_at":null}]`},
		{"Created, marked bare", true, true, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Created(w, r, "/posts/0f8e", p) }, 201, `{"id":"0f8e","title":"Hello","published_at":null}`},
		{"Done, marked bare: 204", true, true, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Done(w, r) }, 204, ``},
		{"Done, enveloped", true, false, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Done(w, r) }, 200, `{"code":"200","msg":"SUCCESS"}`},
		{"bare already, marked bare", false, true, func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.JSON(w, r, 200, p) }, 200, `{"id":"0f8e","title":"Hello","published_at":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/posts", nil)
			if tt.bare {
				r = r.WithContext(Bare(r.Context()))
			}
			assert.Equal(t, tt.bare, IsBare(r.Context()))
			w := httptest.NewRecorder()
			tt.answer(New(Config{Envelope: tt.envelope}), w, r)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body, w.Body.String())
		})
	}
}
