package errors

import (
	"bytes"
	"encoding/json"
	stderrors "errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type fuzzPost struct {
	Title     string         `json:"title"`
	Count     int            `json:"count"`
	Tags      []string       `json:"tags"`
	Published *bool          `json:"published"`
	Meta      map[string]any `json:"meta"`
}

var documentedCodes = map[string]bool{
	"missing": true, "missing_field": true, "invalid": true,
	"already_exists": true, "unprocessable": true, "custom": true,
}

func addDecodeCorpus(f *testing.F) {
	bodies := []string{
		`{"title":"Hello","count":1,"tags":["a"],"published":true,"meta":{"k":[1,2]}}`,
		`{"title":`, `["a"]`, `"s"`, `42`, `null`, ``, " \n\t", `{"title":5}`, `{"count":1.5}`,
		`{"count":1e400}`, `{"count":99999999999999999999}`, `{"a":1}{"b":2}`, `{"colour":"red"}`,
		strings.Repeat(`{"meta":`, 200) + `1` + strings.Repeat(`}`, 200),
		`{"title":"` + strings.Repeat("x", 5000) + `"}`, "{\"title\":\"\xff\"}", "\ufeff{}",
	}
	contentTypes := []string{"", "application/json", "application/json; charset=utf-8",
		"application/json; charset=latin1", "text/plain", "application/vnd.api+json", "garbage;;"}
	for i, body := range bodies {
		f.Add([]byte(body), contentTypes[i%len(contentTypes)])
	}
	for _, ct := range contentTypes {
		f.Add([]byte(`{}`), ct)
	}
}

// fuzzDecode checks the decoder's contract on any body and Content-Type:
// no panic, never a 500, and an error body in the documented shape.
func fuzzDecode(t *testing.T, cfg DecoderConfig, body []byte, contentType string) {
	d, err := NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/posts", bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	var in fuzzPost
	err = d.Decode(r, "Post", &in)
	if err == nil {
		if int64(len(body)) > cfg.MaxBytes || !json.Valid(body) || body[firstNonSpace(body)] != '{' {
			t.Fatalf("accepted a body that is too large, invalid or not an object: %q", body)
		}
		if contentType != "" && !isJSONMediaType(contentType) {
			t.Fatalf("accepted a body sent as %q", contentType)
		}
		return
	}
	var e *Error
	if !stderrors.As(err, &e) {
		t.Fatalf("Decode returned %T, not *Error: %v", err, err)
	}
	switch e.Status {
	case 400, 413, 415, 422:
	default:
		t.Fatalf("status %d for body %q, content type %q: %v", e.Status, body, contentType, err)
	}

	rec := httptest.NewRecorder()
	(*Writer)(nil).Write(rec, r, err)
	if rec.Code != e.Status {
		t.Fatalf("wrote %d for a %d", rec.Code, e.Status)
	}
	var written struct {
		Message *string `json:"message"`
		Errors  []map[string]any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &written); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, rec.Body.Bytes())
	}
	if written.Message == nil || *written.Message == "" {
		t.Fatalf("error body has no message: %q", rec.Body.Bytes())
	}
	if e.Status == 422 && len(written.Errors) == 0 {
		t.Fatalf("422 without entries: %q", rec.Body.Bytes())
	}
	for _, entry := range written.Errors {
		for _, key := range []string{"resource", "field", "code"} {
			if _, ok := entry[key].(string); !ok {
				t.Fatalf("entry without string %q: %q", key, rec.Body.Bytes())
			}
		}
		if !documentedCodes[entry["code"].(string)] {
			t.Fatalf("undocumented code %q", entry["code"])
		}
	}
}

func FuzzDecode(f *testing.F) {
	addDecodeCorpus(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		fuzzDecode(t, DecoderConfig{MaxBytes: 4096}, body, contentType)
	})
}

func FuzzDecodeDisallowUnknown(f *testing.F) {
	addDecodeCorpus(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		fuzzDecode(t, DecoderConfig{MaxBytes: 4096, DisallowUnknownFields: true}, body, contentType)
	})
}
