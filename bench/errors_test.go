package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/render"
)

// githubError is the struct a service would marshal by hand for GitHub's
// error shape.
type githubError struct {
	Message          string       `json:"message"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Errors           []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

// BenchmarkValidationError writes the same 422 body: apikit's Writer
// against json.Marshal of a struct plus the same headers, the way
// hand-written handlers do it.
func BenchmarkValidationError(b *testing.B) {
	const docURL = "https://developer.myblog.com/v3"
	r := httptest.NewRequest(http.MethodPost, "/posts", nil)

	b.Run("impl=apikit", func(b *testing.B) {
		errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: docURL})
		if err != nil {
			b.Fatal(err)
		}
		e := apierrors.ValidationFailed(
			apierrors.FieldError{Resource: "Post", Field: "title", Code: apierrors.CodeMissingField},
			apierrors.FieldError{Resource: "Post", Field: "published_at", Code: apierrors.CodeInvalid},
		)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := newDiscardWriter()
			for pb.Next() {
				clear(w.header)
				errs.Write(w, r, e)
			}
		})
	})

	b.Run("impl=encoding-json", func(b *testing.B) {
		e := githubError{
			Message:          "Validation Failed",
			DocumentationURL: docURL,
			Errors: []fieldError{
				{Resource: "Post", Field: "title", Code: "missing_field"},
				{Resource: "Post", Field: "published_at", Code: "invalid"},
			},
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := newDiscardWriter()
			for pb.Next() {
				clear(w.header)
				body, err := json.Marshal(e)
				if err != nil {
					b.Fatal(err)
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("X-Content-Type-Options", "nosniff")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = w.Write(body)
			}
		})
	})
}

type post struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	PublishedAt *string `json:"published_at"`
}

// BenchmarkSuccessBody writes the same 200 body: render.JSON against
// json.NewEncoder straight onto the ResponseWriter.
func BenchmarkSuccessBody(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/posts/0f8e", nil)
	value := post{ID: "0f8e", Title: "Hello"}

	b.Run("impl=apikit", func(b *testing.B) {
		rd := render.New(render.Config{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := newDiscardWriter()
			for pb.Next() {
				clear(w.header)
				rd.JSON(w, r, http.StatusOK, value)
			}
		})
	})

	b.Run("impl=encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := newDiscardWriter()
			for pb.Next() {
				clear(w.header)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				if err := json.NewEncoder(w).Encode(value); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// discardWriter keeps headers and drops the body, so the benchmarks
// measure the writing, not a recorder's buffer.
type discardWriter struct{ header http.Header }

func newDiscardWriter() *discardWriter { return &discardWriter{header: make(http.Header, 4)} }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
