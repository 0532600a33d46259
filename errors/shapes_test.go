package errors

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTaskShapes(t *testing.T) {
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter, r *http.Request)
		status     int
		body       string
		wantHeader http.Header
	}{
		{
			name: "seed: job accepted with the job's URL",
			write: func(w http.ResponseWriter, r *http.Request) {
				WriteJob(w, r, "70a599e0-31e7-49b7-b260-868f441e862b", "/jobs/70a599e0-31e7-49b7-b260-868f441e862b")
			},
			status:     http.StatusAccepted,
			body:       `{"job_id":"70a599e0-31e7-49b7-b260-868f441e862b"}`,
			wantHeader: http.Header{"Location": {"/jobs/70a599e0-31e7-49b7-b260-868f441e862b"}},
		},
		{
			name:       "job accepted without a location",
			write:      func(w http.ResponseWriter, r *http.Request) { WriteJob(w, r, "j1", "") },
			status:     http.StatusAccepted,
			body:       `{"job_id":"j1"}`,
			wantHeader: http.Header{},
		},
		{
			name: "seed: task error with its own code",
			write: func(w http.ResponseWriter, r *http.Request) {
				WriteJobError(w, r, &Error{Status: http.StatusServiceUnavailable, Message: "Export queue is full", Code: "Job.QueueFull", Header: http.Header{"Retry-After": {"30"}}})
			},
			status:     http.StatusServiceUnavailable,
			body:       `{"error":{"message":"Export queue is full","code":"Job.QueueFull"}}`,
			wantHeader: http.Header{"Retry-After": {"30"}},
		},
		{
			name:       "task error code defaults to the status",
			write:      func(w http.ResponseWriter, r *http.Request) { WriteJobError(w, r, &Error{Status: http.StatusConflict}) },
			status:     http.StatusConflict,
			body:       `{"error":{"message":"Conflict","code":"409"}}`,
			wantHeader: http.Header{},
		},
		{
			name: "seed: batch where everything succeeded",
			write: func(w http.ResponseWriter, r *http.Request) {
				WriteBatch(w, r, &Batch{Succeeded: []string{"616fb98f", "516fb98f"}})
			},
			status:     http.StatusOK,
			body:       `{"response":[{"id":"616fb98f"},{"id":"516fb98f"}]}`,
			wantHeader: http.Header{},
		},
		{
			name:       "empty batch is an empty list, not null",
			write:      func(w http.ResponseWriter, r *http.Request) { WriteBatch(w, r, &Batch{}) },
			status:     http.StatusOK,
			body:       `{"response":[]}`,
			wantHeader: http.Header{},
		},
		{
			name: "seed: batch with failures lists them and the ids that succeeded",
			write: func(w http.ResponseWriter, r *http.Request) {
				var b Batch
				b.Succeed("a")
				b.Fail("b", "Post.NotFound", "Post not found")
				b.Fail("c", "Post.Forbidden", "Not your post")
				WriteBatch(w, r, &b)
			},
			status: http.StatusUnprocessableEntity,
			body: `{"error":{"code":"422","message":"2 of 3 operations failed"},` +
				`"internalError":[{"id":"b","error_code":"Post.NotFound","error_message":"Post not found"},{"id":"c","error_code":"Post.Forbidden","error_message":"Not your post"}],` +
				`"response":[{"id":"a"}]}`,
			wantHeader: http.Header{},
		},
		{
			name: "batch failure with its own code and message, none succeeded",
			write: func(w http.ResponseWriter, r *http.Request) {
				b := Batch{Code: "Ecs.Batch", Message: "Nothing was deleted"}
				b.Fail("x", "E1", "boom")
				WriteBatch(w, r, &b)
			},
			status:     http.StatusUnprocessableEntity,
			body:       `{"error":{"code":"Ecs.Batch","message":"Nothing was deleted"},"internalError":[{"id":"x","error_code":"E1","error_message":"boom"}],"response":[]}`,
			wantHeader: http.Header{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.write(rec, httptest.NewRequest(http.MethodPost, "/", nil))
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, tt.body, rec.Body.String())
			want := tt.wantHeader.Clone()
			want["Content-Type"] = []string{"application/json; charset=utf-8"}
			want["X-Content-Type-Options"] = []string{"nosniff"}
			want["Content-Length"] = []string{fmt.Sprint(len(tt.body))}
			assert.Equal(t, want, rec.Header())
		})
	}
}

func TestTaskShapesPretty(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJob(rec, httptest.NewRequest(http.MethodPost, "/exports?pretty=1", nil), "j1", "")
	assert.Equal(t, "{\n  \"job_id\": \"j1\"\n}\n", rec.Body.String())
}
