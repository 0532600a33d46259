package jsonp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/myblog/apikit/jsonp"
)

// FuzzWrap: whatever callback a client sends and whatever body and Link a
// handler writes, the answer is the handler's own (an empty callback), a
// 400, or exactly "/**/" + callback + "(" +
// valid JSON + ")" with no raw U+2028 or U+2029: nothing can inject
// script.
func FuzzWrap(f *testing.F) {
	f.Add("foo", "application/json", `{"a":1}`, `<u>; rel="next"`)
	f.Add("a.b", "text/html", "</script>\u2028", `<u;>; rel="x"; t="\""`)
	f.Add("x);alert(1);//", "application/json", `1});alert(1);//`, "")
	m, err := jsonp.New(jsonp.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, callback, contentType, body, linkHeader string) {
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Link", linkHeader)
			_, _ = w.Write([]byte(body))
		}))
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = "callback=" + url.QueryEscape(callback)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if callback == "" {
			// An empty ?callback= names no callback: not JSON-P, the
			// handler's answer as it is.
			if w.Body.String() != body {
				t.Fatalf("an empty callback changed the body to %q", w.Body.String())
			}
			return
		}
		if w.Code == http.StatusBadRequest {
			if jsonp.ValidCallback(callback) {
				t.Fatalf("valid callback %q refused", callback)
			}
			return
		}
		out := w.Body.Bytes()
		prefix := []byte("/**/" + callback + "(")
		if !bytes.HasPrefix(out, prefix) || !bytes.HasSuffix(out, []byte(")")) {
			t.Fatalf("output %q is not a call of %q", out, callback)
		}
		inner := out[len(prefix) : len(out)-1]
		if !json.Valid(inner) {
			t.Fatalf("argument %q is not JSON", inner)
		}
		if bytes.Contains(out, []byte("\u2028")) || bytes.Contains(out, []byte("\u2029")) {
			t.Fatalf("raw line separator in %q", out)
		}
	})
}
