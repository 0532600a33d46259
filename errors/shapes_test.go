package errors

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTaskAndBatchErrorShapes(t *testing.T) {
	tests := []struct {
		name       string
		write      func(wr *Writer, w http.ResponseWriter, r *http.Request)
		status     int
		body       string
		wantHeader http.Header
	}{
		{
			name: "conventions: task error with its own code",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteJobError(w, r, &Error{Status: http.StatusServiceUnavailable, Message: "Export queue is full", Code: "Job.QueueFull", Header: http.Header{"Retry-After": {"30"}}})
			},
			status:     http.StatusServiceUnavailable,
			body:       `{"error":{"message":"Export queue is full","code":"Job.QueueFull"}}`,
			wantHeader: http.Header{"Retry-After": {"30"}},
		},
		{
			name: "task error code defaults to the status",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteJobError(w, r, &Error{Status: http.StatusConflict})
			},
			status:     http.StatusConflict,
			body:       `{"error":{"message":"Conflict","code":"409"}}`,
			wantHeader: http.Header{},
		},
		{
			name:       "a nil task error is a 500",
			write:      func(wr *Writer, w http.ResponseWriter, r *http.Request) { wr.WriteJobError(w, r, nil) },
			status:     http.StatusInternalServerError,
			body:       `{"error":{"message":"Internal Server Error","code":"500"}}`,
			wantHeader: http.Header{},
		},
		{
			name: "conventions: batch with failures lists them and the ids that succeeded",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				var b Batch
				b.Succeed("a")
				b.Fail("b", "Post.NotFound", "Post not found")
				b.Fail("c", "Post.Forbidden", "Not your post")
				wr.WriteBatch(w, r, &b)
			},
			status: http.StatusUnprocessableEntity,
			body: `{"error":{"code":"422","message":"2 of 3 operations failed"},` +
				`"internalError":[{"id":"b","error_code":"Post.NotFound","error_message":"Post not found"},{"id":"c","error_code":"Post.Forbidden","error_message":"Not your post"}],` +
				`"response":[{"id":"a"}]}`,
			wantHeader: http.Header{},
		},
		{
			name: "batch failure with its own code and message, none succeeded",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				b := Batch{Code: "Ecs.Batch", Message: "Nothing was deleted"}
				b.Fail("x", "E1", "boom")
				wr.WriteBatch(w, r, &b)
			},
			status:     http.StatusUnprocessableEntity,
			body:       `{"error":{"code":"Ecs.Batch","message":"Nothing was deleted"},"internalError":[{"id":"x","error_code":"E1","error_message":"boom"}],"response":[]}`,
			wantHeader: http.Header{},
		},
		{
			name: "a batch that fully succeeded is render's to write: a 500 here",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteBatch(w, r, &Batch{Succeeded: []string{"a"}})
			},
			status:     http.StatusInternalServerError,
			body:       `{"message":"Internal Server Error"}`,
			wantHeader: http.Header{},
		},
		{
			name:       "a nil batch is a 500",
			write:      func(wr *Writer, w http.ResponseWriter, r *http.Request) { wr.WriteBatch(w, r, nil) },
			status:     http.StatusInternalServerError,
			body:       `{"message":"Internal Server Error"}`,
			wantHeader: http.Header{},
		},
	}
	for _, tt := range tests {
		for _, wr := range []*Writer{nil, mustWriter(t, Config{Format: FormatHeroku})} {
			t.Run(fmt.Sprintf("%s/nil writer=%t", tt.name, wr == nil), func(t *testing.T) {
				body := tt.body
				if wr != nil && body == `{"message":"Internal Server Error"}` {
					// The misuse 500 is a plain error, in the Writer's format.
					body = `{"id":"internal_server_error","message":"Internal Server Error"}`
				}
				rec := httptest.NewRecorder()
				// The validators of the representation the error replaces go.
				rec.Header().Set("ETag", `"v1"`)
				rec.Header().Set("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")
				rec.Header().Set("Content-Encoding", "gzip")
				tt.write(wr, rec, httptest.NewRequest(http.MethodPost, "/", nil))
				assert.Equal(t, tt.status, rec.Code)
				assert.Equal(t, body, rec.Body.String())
				want := tt.wantHeader.Clone()
				want["Content-Type"] = []string{"application/json; charset=utf-8"}
				want["X-Content-Type-Options"] = []string{"nosniff"}
				want["Content-Length"] = []string{fmt.Sprint(len(body))}
				assert.Equal(t, want, rec.Header())
			})
		}
	}
}

// The Writer's Logger sees every 5xx it writes, in a task or batch shape
// too: a failed export's 500 is logged with its cause.
func TestTaskAndBatchErrorsLogServerErrors(t *testing.T) {
	tests := []struct {
		name      string
		write     func(wr *Writer, w http.ResponseWriter, r *http.Request)
		wantLog   []string
		wantNoLog bool
	}{
		{
			name: "task 500 logged with its cause, method and path, not the query",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteJobError(w, r, Internal(fmt.Errorf("export: disk full")))
			},
			wantLog: []string{"level=ERROR", "status=500", `error="500 Internal Server Error: export: disk full"`, "method=POST", "path=/exports"},
		},
		{
			name: "task 4xx not logged",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteJobError(w, r, New(http.StatusConflict, "Export already running"))
			},
			wantNoLog: true,
		},
		{
			name: "batch 422 not logged",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				var b Batch
				b.Fail("x", "E1", "boom")
				wr.WriteBatch(w, r, &b)
			},
			wantNoLog: true,
		},
		{
			name: "batch without failures logged as the misuse it is",
			write: func(wr *Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteBatch(w, r, &Batch{Succeeded: []string{"a"}})
			},
			wantLog: []string{"level=ERROR", "status=500", "render.Renderer.Batch"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			wr := mustWriter(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			tt.write(wr, httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/exports?token=s3cret", nil))
			if tt.wantNoLog {
				assert.Empty(t, logs.String())
				return
			}
			for _, want := range tt.wantLog {
				assert.Contains(t, logs.String(), want)
			}
			assert.NotContains(t, logs.String(), "s3cret")
		})
	}
}

// WriteJobError has a Hook's shape, so it can be any middleware's OnError.
func TestWriteJobErrorIsAHook(t *testing.T) {
	var hook Hook = (*Writer)(nil).WriteJobError
	rec := httptest.NewRecorder()
	hook(rec, httptest.NewRequest(http.MethodPost, "/exports", nil), New(http.StatusTooManyRequests, "Slow down"))
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, `{"error":{"message":"Slow down","code":"429"}}`, rec.Body.String())
}

func TestTaskAndBatchErrorsPretty(t *testing.T) {
	rec := httptest.NewRecorder()
	(*Writer)(nil).WriteJobError(rec, httptest.NewRequest(http.MethodPost, "/exports?pretty=1", nil), New(http.StatusConflict, "Busy"))
	assert.Equal(t, "{\n  \"error\": {\n    \"message\": \"Busy\",\n    \"code\": \"409\"\n  }\n}\n", rec.Body.String())
}
