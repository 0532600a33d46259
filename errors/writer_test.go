package errors

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const docURL = "https://developer.myblog.com/v3"

func mustWriter(t testing.TB, cfg Config) *Writer {
	t.Helper()
	wr, err := NewWriter(cfg)
	require.NoError(t, err)
	return wr
}

func TestWriterFormats(t *testing.T) {
	validation := ValidationFailed(FieldError{Resource: "Issue", Field: "title", Code: CodeMissingField})
	rateLimited := &Error{
		Status:           http.StatusForbidden,
		Message:          "API rate limit exceeded for 203.0.113.9.",
		ID:               "rate_limit",
		Code:             "1001",
		DocumentationURL: "#rate-limiting",
	}
	tests := []struct {
		name        string
		cfg         Config
		err         error
		status      int
		contentType string
		body        string
	}{
		{
			name:        "GitHub: 400 Problems parsing JSON without a documentation URL",
			err:         &Error{Status: http.StatusBadRequest, Message: MsgProblemsParsingJSON},
			status:      400,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Problems parsing JSON"}`,
		},
		{
			name:        "GitHub: 400 Body should be a JSON object",
			err:         &Error{Status: http.StatusBadRequest, Message: MsgBodyNotObject},
			status:      400,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Body should be a JSON object"}`,
		},
		{
			name:        "GitHub: 422 Validation Failed with one missing_field entry",
			err:         validation,
			status:      422,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}]}`,
		},
		{
			name:        "GitHub: 401 Bad credentials with the documentation URL",
			cfg:         Config{DocumentationURL: docURL},
			err:         New(http.StatusUnauthorized, "Bad credentials"),
			status:      401,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}`,
		},
		{
			name:        "GitHub: rate limit documentation_url joins #rate-limiting with one slash",
			cfg:         Config{DocumentationURL: docURL},
			err:         rateLimited,
			status:      403,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"API rate limit exceeded for 203.0.113.9.","documentation_url":"https://developer.myblog.com/v3/#rate-limiting"}`,
		},
		{
			name:        "RFC 3986 4.4: a fragment is kept as a same-document reference when the writer has no base",
			err:         rateLimited,
			status:      403,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"API rate limit exceeded for 203.0.113.9.","documentation_url":"#rate-limiting"}`,
		},
		{
			name:        "a relative path is dropped when the writer has no base",
			err:         &Error{Status: 404, Message: "Not Found", DocumentationURL: "rest/posts#get"},
			status:      404,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Not Found"}`,
		},
		{
			name:        "absolute documentation URL on the error wins",
			cfg:         Config{DocumentationURL: docURL},
			err:         &Error{Status: 404, Message: "Not Found", DocumentationURL: "https://docs.example.com/posts#get"},
			status:      404,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Not Found","documentation_url":"https://docs.example.com/posts#get"}`,
		},
		{
			name:        "custom code carries its message",
			err:         ValidationFailed(FieldError{Resource: "Post", Field: "published_at", Code: CodeCustom, Message: "must be in the past"}),
			status:      422,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Validation Failed","errors":[{"resource":"Post","field":"published_at","code":"custom","message":"must be in the past"}]}`,
		},
		{
			name:        "err_code format: err_code and err_msg",
			cfg:         Config{Format: FormatErrCode},
			err:         rateLimited,
			status:      403,
			contentType: "application/json; charset=utf-8",
			body:        `{"err_code":"1001","err_msg":"API rate limit exceeded for 203.0.113.9."}`,
		},
		{
			name:        "err_code format: err_code defaults to the status",
			cfg:         Config{Format: FormatErrCode, DocumentationURL: docURL},
			err:         New(http.StatusUnauthorized, "Bad credentials"),
			status:      401,
			contentType: "application/json; charset=utf-8",
			body:        `{"err_code":"401","err_msg":"Bad credentials"}`,
		},
		{
			name:        "err_code format keeps the field problems",
			cfg:         Config{Format: FormatErrCode},
			err:         validation,
			status:      422,
			contentType: "application/json; charset=utf-8",
			body:        `{"err_code":"422","err_msg":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}]}`,
		},
		{
			name:        "heroku format: id, message, url",
			cfg:         Config{Format: FormatHeroku, DocumentationURL: "https://docs.service.com"},
			err:         &Error{Status: http.StatusTooManyRequests, Message: "Account reached its API rate limit.", ID: "rate_limit", DocumentationURL: "rate-limits"},
			status:      429,
			contentType: "application/json; charset=utf-8",
			body:        `{"id":"rate_limit","message":"Account reached its API rate limit.","url":"https://docs.service.com/rate-limits"}`,
		},
		{
			name:        "heroku format: id derived from the status",
			cfg:         Config{Format: FormatHeroku},
			err:         New(http.StatusRequestEntityTooLarge, "too big"),
			status:      413,
			contentType: "application/json; charset=utf-8",
			body:        `{"id":"request_entity_too_large","message":"too big"}`,
		},
		{
			name:        "RFC 9457 §4.2.1: about:blank with the status phrase as title",
			cfg:         Config{Format: FormatProblem},
			err:         validation,
			status:      422,
			contentType: "application/problem+json",
			body:        `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}]}`,
		},
		{
			name:        "RFC 9457 §3.1.1: the documentation URL is the problem type",
			cfg:         Config{Format: FormatProblem, DocumentationURL: docURL},
			err:         rateLimited,
			status:      403,
			contentType: "application/problem+json",
			body:        `{"type":"https://developer.myblog.com/v3/#rate-limiting","title":"Forbidden","status":403,"detail":"API rate limit exceeded for 203.0.113.9."}`,
		},
		{
			name:        "a plain error is a 500 that hides its text",
			err:         fmt.Errorf("dial tcp 10.0.0.5:5432: connection refused"),
			status:      500,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Internal Server Error"}`,
		},
		{
			name:        "a nil error is a 500",
			err:         nil,
			status:      500,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Internal Server Error"}`,
		},
		{
			name:        "a wrapped *Error is found",
			err:         fmt.Errorf("creating post: %w", New(http.StatusConflict, "Conflict")),
			status:      409,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Conflict"}`,
		},
		{
			name:        "a bare FieldError is a 422",
			err:         FieldError{Resource: "User", Field: "email", Code: CodeAlreadyExists},
			status:      422,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Validation Failed","errors":[{"resource":"User","field":"email","code":"already_exists"}]}`,
		},
		{
			name:        "an http.MaxBytesError is a 413",
			err:         &http.MaxBytesError{Limit: 10},
			status:      413,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Request body is too large"}`,
		},
		{
			name:        "a non-error status on an *Error is written as 500",
			err:         New(http.StatusOK, "oops"),
			status:      500,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"oops"}`,
		},
		{
			name:        "an empty message is the status phrase",
			err:         &Error{Status: http.StatusNotFound},
			status:      404,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"Not Found"}`,
		},
		{
			name:        "messages are escaped as encoding/json does",
			err:         New(http.StatusBadRequest, "<script>\"a\"\u2028</script>"),
			status:      400,
			contentType: "application/json; charset=utf-8",
			body:        `{"message":"\u003cscript\u003e\"a\"\u2028\u003c/script\u003e"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wr := mustWriter(t, tt.cfg)
			rec := httptest.NewRecorder()
			wr.Write(rec, httptest.NewRequest(http.MethodGet, "/x", nil), tt.err)

			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, http.Header{
				"Content-Type":           {tt.contentType},
				"Content-Length":         {fmt.Sprint(len(tt.body))},
				"X-Content-Type-Options": {"nosniff"},
			}, rec.Header())
			assert.Equal(t, tt.body, rec.Body.String())
		})
	}
}

func TestNilWriterIsZeroConfig(t *testing.T) {
	var wr *Writer
	rec := httptest.NewRecorder()
	wr.Write(rec, nil, NotFound())
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Equal(t, `{"message":"Not Found"}`, rec.Body.String())
	assert.Equal(t, `{"message":"Not Found"}`, string(wr.AppendBody(nil, NotFound())))
}

func TestWriterHeaders(t *testing.T) {
	tests := []struct {
		name   string
		before http.Header
		err    *Error
		want   http.Header
	}{
		{
			name:   "headers set outside are kept",
			before: http.Header{"X-Ratelimit-Remaining": {"0"}, "Access-Control-Allow-Origin": {"*"}},
			err:    New(http.StatusForbidden, "Forbidden"),
			want: http.Header{
				"X-Ratelimit-Remaining":       {"0"},
				"Access-Control-Allow-Origin": {"*"},
			},
		},
		{
			name:   "headers describing a replaced representation are removed",
			before: http.Header{"Content-Encoding": {"gzip"}, "Etag": {`"abc"`}, "Last-Modified": {"Thu, 05 Jul 2012 15:31:30 GMT"}},
			err:    Internal(stderrors.New("render failed")),
			want:   http.Header{},
		},
		{
			name: "the error's own headers are set, canonicalised",
			err:  &Error{Status: http.StatusUnauthorized, Message: "Bad credentials", Header: http.Header{"www-authenticate": {`Bearer realm="myblog"`}}},
			want: http.Header{"Www-Authenticate": {`Bearer realm="myblog"`}},
		},
		{
			name: "RFC 9110 §15.5.6: 405 lists the allowed methods",
			err:  MethodNotAllowed(http.MethodGet, http.MethodHead),
			want: http.Header{"Allow": {"GET, HEAD"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			for k, v := range tt.before {
				rec.Header()[k] = v
			}
			(*Writer)(nil).Write(rec, nil, tt.err)
			got := rec.Header().Clone()
			for _, k := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options"} {
				assert.NotEmpty(t, got.Get(k), k)
				delete(got, k)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestWriterErrorHeadersAreCopied(t *testing.T) {
	// One *Error used as a handler for every request must not share its
	// header slices with the responses.
	shared := MethodNotAllowed(http.MethodGet)
	h := (*Writer)(nil).Handler(shared)

	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest(http.MethodPost, "/", nil))
	first.Header()["Allow"][0] = "MUTATED"
	first.Header().Add("Allow", "ADDED")

	second := httptest.NewRecorder()
	h.ServeHTTP(second, httptest.NewRequest(http.MethodPost, "/", nil))
	assert.Equal(t, []string{"GET"}, second.Header()["Allow"])
	assert.Equal(t, []string{"GET"}, shared.Header["Allow"])
}

func TestWriterPretty(t *testing.T) {
	rec := httptest.NewRecorder()
	(*Writer)(nil).Write(rec, httptest.NewRequest(http.MethodGet, "/posts?pretty=true", nil),
		ValidationFailed(FieldError{Resource: "Issue", Field: "title", Code: CodeMissingField}))
	want := `{
  "message": "Validation Failed",
  "errors": [
    {
      "resource": "Issue",
      "field": "title",
      "code": "missing_field"
    }
  ]
}
`
	assert.Equal(t, want, rec.Body.String())
	assert.Equal(t, fmt.Sprint(len(want)), rec.Header().Get("Content-Length"))
}

func TestWriterLogsServerErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		logged  bool
		request *http.Request
	}{
		{name: "5xx cause logged with method and path, not query", err: Internal(stderrors.New("db down")), logged: true,
			request: httptest.NewRequest(http.MethodGet, "/posts?client_secret=s3cret", nil)},
		{name: "5xx without a request", err: stderrors.New("db down"), logged: true},
		{name: "4xx not logged", err: NotFound(), logged: false, request: httptest.NewRequest(http.MethodGet, "/", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			wr := mustWriter(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			wr.Write(httptest.NewRecorder(), tt.request, tt.err)
			if !tt.logged {
				assert.Empty(t, logs.String())
				return
			}
			assert.Contains(t, logs.String(), "db down")
			assert.Contains(t, logs.String(), "status=500")
			assert.NotContains(t, logs.String(), "s3cret")
			if tt.request != nil {
				assert.Contains(t, logs.String(), "path=/posts")
			}
		})
	}
}

func TestNewWriterValidates(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		fields []string
	}{
		{name: "zero config is valid", cfg: Config{}},
		{name: "all formats valid", cfg: Config{Format: FormatProblem, DocumentationURL: docURL}},
		{name: "unknown format", cfg: Config{Format: Format(9)}, fields: []string{"Format"}},
		{name: "relative documentation URL", cfg: Config{DocumentationURL: "/docs"}, fields: []string{"DocumentationURL"}},
		{name: "non-http scheme", cfg: Config{DocumentationURL: "ftp://docs.example.com"}, fields: []string{"DocumentationURL"}},
		{name: "unparsable URL", cfg: Config{DocumentationURL: "http://[::1"}, fields: []string{"DocumentationURL"}},
		{name: "fragment in the base", cfg: Config{DocumentationURL: docURL + "#top"}, fields: []string{"DocumentationURL"}},
		{name: "every problem at once", cfg: Config{Format: -1, DocumentationURL: "docs"}, fields: []string{"Format", "DocumentationURL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wr, err := NewWriter(tt.cfg)
			if len(tt.fields) == 0 {
				require.NoError(t, err)
				assert.NotNil(t, wr)
				return
			}
			require.Error(t, err)
			assert.Nil(t, wr)
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *ConfigError
				require.ErrorAs(t, e, &ce)
				got = append(got, ce.Field)
				assert.Contains(t, e.Error(), "errors: "+ce.Field+": ")
			}
			assert.Equal(t, tt.fields, got)
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "plain", err: New(404, "Not Found"), want: "404 Not Found"},
		{name: "with entries", err: ValidationFailed(
			FieldError{Resource: "Post", Field: "title", Code: CodeMissingField},
			FieldError{Field: "body", Code: CodeCustom, Message: "too long"},
		), want: "422 Validation Failed (Post.title: missing_field; body: custom: too long)"},
		{name: "with cause", err: Internal(context.DeadlineExceeded), want: "500 Internal Server Error: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
	assert.ErrorIs(t, Internal(context.DeadlineExceeded), context.DeadlineExceeded)
}

func TestFormatString(t *testing.T) {
	for format, want := range map[Format]string{FormatGitHub: "github", FormatErrCode: "err_code", FormatHeroku: "heroku", FormatProblem: "problem", 7: "Format(7)"} {
		assert.Equal(t, want, format.String())
	}
}

func BenchmarkWrite422(b *testing.B) {
	wr := mustWriter(b, Config{DocumentationURL: docURL})
	err := ValidationFailed(
		FieldError{Resource: "Post", Field: "title", Code: CodeMissingField},
		FieldError{Resource: "Post", Field: "published_at", Code: CodeInvalid},
	)
	r := httptest.NewRequest(http.MethodPost, "/posts", nil)
	w := &discardWriter{header: make(http.Header, 4)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		wr.Write(w, r, err)
	}
}

// discardWriter is a ResponseWriter that keeps headers and drops the body,
// so a benchmark measures the writer, not a recorder's buffer.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
