package errors

import (
	stderrors "errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type postInput struct {
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Count       int8       `json:"count"`
	Published   *bool      `json:"published"`
	PublishedAt *time.Time `json:"published_at"`
	Tags        []string   `json:"tags"`
	Author      struct {
		Login string `json:"login"`
	} `json:"author"`
	Slug slug `json:"slug"`
}

// slug rejects upper case through its own UnmarshalJSON with a FieldError.
type slug string

func (s *slug) UnmarshalJSON(b []byte) error {
	if strings.ToLower(string(b)) != string(b) {
		return FieldError{Field: "slug", Code: CodeInvalid, Message: "slug must be lower case"}
	}
	*s = slug(strings.Trim(string(b), `"`))
	return nil
}

func TestDecode(t *testing.T) {
	long := `{"title":"` + strings.Repeat("a", 100) + `"}`
	tests := []struct {
		name        string
		cfg         DecoderConfig
		body        string
		header      http.Header
		contentLen  int64 // -1: unknown, as with chunked encoding
		wantStatus  int   // 0: success
		wantMessage string
		wantErrors  []FieldError
		wantHeader  http.Header
	}{
		{name: "object", body: `{"title":"Hello","tags":["a"],"published":true}`},
		{name: "object with surrounding whitespace", body: " \r\n\t{\"title\":\"Hello\"}\n"},
		{name: "application/json; charset=utf-8", body: `{}`, header: http.Header{"Content-Type": {"application/json; charset=UTF-8"}}},
		{name: "RFC 6839 §3.1: a +json type is JSON", body: `{}`, header: http.Header{"Content-Type": {"application/merge-patch+json"}}},
		{name: "no Content-Type with AllowAnyContentType", cfg: DecoderConfig{AllowAnyContentType: true}, body: `{}`, header: http.Header{}},
		{name: "Content-Encoding identity", body: `{}`, header: http.Header{"Content-Encoding": {"identity"}, "Content-Type": {"application/json"}}},
		{name: "unknown field ignored by default", body: `{"title":"x","colour":"red"}`},
		{name: "AllowAnyContentType reads a curl -d body", cfg: DecoderConfig{AllowAnyContentType: true}, body: `{"title":"x"}`,
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
		{name: "exactly MaxBytes", cfg: DecoderConfig{MaxBytes: int64(len(long))}, body: long},

		{name: "GitHub: invalid JSON is 400 Problems parsing JSON", body: `{"title":`, wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "empty body", body: ``, wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "whitespace only", body: " \n", wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "two objects", body: `{"title":"a"}{"title":"b"}`, wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "trailing garbage", body: `{"title":"a"} x`, wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "byte order mark", body: "\ufeff{}", wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "nesting deeper than encoding/json allows", body: strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
			cfg: DecoderConfig{MaxBytes: 1 << 16}, wantStatus: 400, wantMessage: MsgProblemsParsingJSON},
		{name: "GitHub: an array is not an object", body: `[{"title":"a"}]`, wantStatus: 400, wantMessage: MsgBodyNotObject},
		{name: "string is not an object", body: `"hello"`, wantStatus: 400, wantMessage: MsgBodyNotObject},
		{name: "number is not an object", body: `42`, wantStatus: 400, wantMessage: MsgBodyNotObject},
		{name: "null is not an object", body: `null`, wantStatus: 400, wantMessage: MsgBodyNotObject},

		{name: "one byte over MaxBytes, length unknown", cfg: DecoderConfig{MaxBytes: int64(len(long)) - 1}, body: long, contentLen: -1,
			wantStatus: 413, wantMessage: "Request body is too large: the limit is " + fmt.Sprint(len(long)-1) + " bytes"},
		{name: "Content-Length over MaxBytes refused before reading", cfg: DecoderConfig{MaxBytes: 10}, body: long,
			wantStatus: 413, wantMessage: "Request body is too large: the limit is 10 bytes"},

		{name: "no Content-Type: a browser sends it cross-origin without a preflight", body: `{}`, header: http.Header{},
			wantStatus: 415, wantMessage: MsgUnsupportedMediaType, wantHeader: http.Header{"Accept": {"application/json"}}},
		{name: "empty Content-Type", body: `{}`, header: http.Header{"Content-Type": {""}},
			wantStatus: 415, wantMessage: MsgUnsupportedMediaType, wantHeader: http.Header{"Accept": {"application/json"}}},
		{name: "text/plain: a simple request's type", body: `{}`, header: http.Header{"Content-Type": {"text/plain"}},
			wantStatus: 415, wantMessage: MsgUnsupportedMediaType, wantHeader: http.Header{"Accept": {"application/json"}}},
		{name: "form body", body: `title=x`, header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			wantStatus: 415, wantMessage: MsgUnsupportedMediaType, wantHeader: http.Header{"Accept": {"application/json"}}},
		{name: "RFC 8259 §8.1: a charset other than UTF-8", body: `{}`, header: http.Header{"Content-Type": {"application/json; charset=iso-8859-1"}},
			wantStatus: 415, wantMessage: MsgUnsupportedMediaType, wantHeader: http.Header{"Accept": {"application/json"}}},
		{name: "malformed Content-Type", body: `{}`, header: http.Header{"Content-Type": {"application/json; ="}},
			wantStatus: 415, wantMessage: MsgUnsupportedMediaType, wantHeader: http.Header{"Accept": {"application/json"}}},
		{name: "RFC 9110 §12.5.3: gzip body", body: `{}`, header: http.Header{"Content-Encoding": {"gzip"}},
			wantStatus: 415, wantMessage: MsgUnsupportedEncoding, wantHeader: http.Header{"Accept-Encoding": {"identity"}}},

		{name: "wrong type for a string field", body: `{"title":5}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "title", Code: CodeInvalid, Message: "title must be a string"}}},
		{name: "wrong type for a bool pointer", body: `{"published":"yes"}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "published", Code: CodeInvalid, Message: "published must be a boolean"}}},
		{name: "wrong type for an array", body: `{"tags":"a,b"}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "tags", Code: CodeInvalid, Message: "tags must be an array"}}},
		{name: "wrong type in a nested object names the path", body: `{"author":{"login":7}}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "author.login", Code: CodeInvalid, Message: "author.login must be a string"}}},
		{name: "wrong type for an object", body: `{"author":[]}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "author", Code: CodeInvalid, Message: "author must be an object"}}},
		{name: "fraction into an integer", body: `{"count":1.5}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "count", Code: CodeInvalid, Message: "count must be an integer"}}},
		{name: "exponent into an integer", body: `{"count":1e2}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "count", Code: CodeInvalid, Message: "count must be an integer"}}},
		{name: "number out of range", body: `{"count":300}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "count", Code: CodeInvalid, Message: "count is out of range"}}},
		{name: "a field's UnmarshalJSON returns a FieldError", body: `{"slug":"Hello"}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "slug", Code: CodeInvalid, Message: "slug must be lower case"}}},
		{name: "a field's UnmarshalJSON returns a plain error", body: `{"published_at":"yesterday"}`, wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Code: CodeInvalid, Message: `parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`}}},
		{name: "unknown field when disallowed", cfg: DecoderConfig{DisallowUnknownFields: true}, body: `{"title":"x","colour":"red"}`,
			wantStatus: 422, wantMessage: MsgValidationFailed,
			wantErrors: []FieldError{{Resource: "Post", Field: "colour", Code: CodeUnprocessable, Message: "colour is not a known field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(tt.cfg)
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(tt.body))
			if tt.header == nil {
				// The usual JSON client; a case with a header map of its
				// own (even an empty one) sends exactly that.
				r.Header.Set("Content-Type", "application/json")
			}
			for k, v := range tt.header {
				r.Header[k] = v
			}
			if tt.contentLen != 0 {
				r.ContentLength = tt.contentLen
			}
			var in postInput
			err = d.Decode(r, "Post", &in)
			if tt.wantStatus == 0 {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantStatus, e.Status)
			assert.Equal(t, tt.wantMessage, e.Message)
			assert.Equal(t, tt.wantErrors, e.Errors)
			assert.Equal(t, tt.wantHeader, e.Header)
		})
	}
}

func TestDecodeFillsTarget(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(
		`{"title":"Hello \u003cworld\u003e","published":false,"published_at":"2014-02-27T15:05:06+01:00","tags":["go"],"author":{"login":"ailsa"}}`))
	r.Header.Set("Content-Type", "application/vnd.myblog.v3+json")
	var in postInput
	require.NoError(t, Decode(r, "Post", &in))
	assert.Equal(t, "Hello <world>", in.Title)
	require.NotNil(t, in.Published)
	assert.False(t, *in.Published)
	require.NotNil(t, in.PublishedAt)
	assert.True(t, in.PublishedAt.Equal(time.Date(2014, 2, 27, 14, 5, 6, 0, time.UTC)))
	assert.Equal(t, []string{"go"}, in.Tags)
	assert.Equal(t, "ailsa", in.Author.Login)
}

// countingReader counts the bytes read from it and never ends.
type countingReader struct{ read int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	c.read += int64(len(p))
	return len(p), nil
}

func TestDecodeReadsAtMostMaxBytesPlusOne(t *testing.T) {
	// An endless body with no Content-Length (chunked) must be cut off by
	// the limit while reading, not buffered whole.
	body := &countingReader{}
	d, err := NewDecoder(DecoderConfig{MaxBytes: 4096})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/posts", io.NopCloser(body))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = -1
	var in postInput
	err = d.Decode(r, "Post", &in)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.Status)
	assert.Equal(t, int64(4097), body.read)
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestDecodeReadErrors(t *testing.T) {
	tests := []struct {
		name       string
		readErr    error
		wantStatus int
	}{
		{name: "client went away mid-body", readErr: io.ErrUnexpectedEOF, wantStatus: http.StatusBadRequest},
		{name: "an outer http.MaxBytesReader tripped", readErr: &http.MaxBytesError{Limit: 10}, wantStatus: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/posts", failingReader{tt.readErr})
			r.Header.Set("Content-Type", "application/json")
			r.ContentLength = -1
			var in postInput
			err := Decode(r, "Post", &in)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantStatus, e.Status)
			assert.ErrorIs(t, err, tt.readErr)
		})
	}
}

func TestDecodeNilBody(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/posts", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Body = nil
	var in postInput
	err := Decode(r, "Post", &in)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadRequest, e.Status)
	assert.Equal(t, MsgProblemsParsingJSON, e.Message)
}

func TestDecodeBadTargetIsAProgrammingError(t *testing.T) {
	for name, target := range map[string]any{"non-pointer": postInput{}, "nil pointer": (*postInput)(nil), "nil": nil} {
		t.Run(name, func(t *testing.T) {
			err := Decode(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`)), "Post", target)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusInternalServerError, e.Status)
			assert.Contains(t, e.Err.Error(), "non-nil pointer")
		})
	}
}

func TestNewDecoderValidates(t *testing.T) {
	_, err := NewDecoder(DecoderConfig{MaxBytes: -1})
	var ce *ConfigError
	require.True(t, stderrors.As(err, &ce))
	assert.Equal(t, "DecoderConfig.MaxBytes", ce.Field)
	assert.Equal(t, "errors: DecoderConfig.MaxBytes: must not be negative (0 means the default, 1 MiB)", err.Error())
}

func BenchmarkDecode(b *testing.B) {
	body := `{"title":"Hello","body":"A post about the decoder.","published":true,"tags":["go","http"]}`
	r := httptest.NewRequest(http.MethodPost, "/posts", nil)
	r.Header.Set("Content-Type", "application/json")
	reader := strings.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		reader.Reset(body)
		r.Body = io.NopCloser(reader)
		var in postInput
		if err := Decode(r, "Post", &in); err != nil {
			b.Fatal(err)
		}
	}
}
