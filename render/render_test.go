package render

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
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
		{name: "seed: envelope with data", envelope: true, target: "/", status: 200, value: map[string]string{"name": "minhow", "age": "18"}, wantCode: 200,
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
		{name: "seed: Done with envelope", envelope: true, write: func(rd *Renderer, w http.ResponseWriter, r *http.Request) { rd.Done(w, r) },
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
