package mediatype_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/mediatype"
)

// FuzzAccept: Negotiate never panics; what it chooses is always a served
// version with a listed param (or none) in JSON; it fails only with a 406,
// and only when the field mentions the vendor's type; a field that does
// not mention it always gets the default; and two field lines are the
// same list as one line holding both.
func FuzzAccept(f *testing.F) {
	for _, accept := range [][2]string{
		{"", ""},
		{"application/json", ""},
		{"*/*", "application/*"},
		{"application/vnd.github.v3+json", ""},
		{"application/vnd.acme.v3+json", ""},
		{"application/vnd.acme.v9+json", "application/json;q=0.5"},
		{"application/vnd.acme.v4.raw+json; charset=utf-8; q=0.8", "*/*;q=0.1"},
		{"Application/VND.Acme.V03.FULL+JSON;Q=1.000", ""},
		{`text/html;a="x, application/vnd.acme.v9+json", application/vnd.acme.raw`, ""},
		{"application/vnd.acme.v9+json;q=0, application/json;q=0", "text/html;q=abc"},
		{strings.Repeat("text/html, ", 31) + "application/vnd.acme.v9+json", "application/vnd.acme.v9+json"},
		{"application/vnd.acme.v3.raw+json;;q=1;", " , ,\t"},
		{"application/vnd.acme", "application/vnd.acme+xml"},
	} {
		f.Add(accept[0], accept[1])
	}
	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Versions: []string{"v3", "v4"}, Params: []string{"raw", "full"}})
	if err != nil {
		f.Fatal(err)
	}
	defaultType := mediatype.MediaType{Version: "v3", Format: "json"}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		accept := []string{line1, line2}
		got, err := n.Negotiate(accept)
		mentioned := strings.Contains(strings.ToLower(line1+"\n"+line2), "vnd.acme")
		if err != nil {
			var e *apierrors.Error
			if !errors.As(err, &e) || e.Status != http.StatusNotAcceptable || e.ID != "not_acceptable" {
				t.Fatalf("%q: error %v is not a 406", accept, err)
			}
			if !mentioned {
				t.Fatalf("%q: 406 without the vendor type", accept)
			}
			if got != (mediatype.MediaType{}) {
				t.Fatalf("%q: %+v with a 406", accept, got)
			}
		} else {
			if got.Version != "v3" && got.Version != "v4" || got.Param != "" && got.Param != "raw" && got.Param != "full" || got.Format != "json" {
				t.Fatalf("%q: chose %+v", accept, got)
			}
			if !mentioned && got != defaultType {
				t.Fatalf("%q: chose %+v without the vendor type", accept, got)
			}
		}

		// Several field lines are one list (RFC 9110 §5.3), unless a quote
		// left open on the first line would swallow the second.
		if strings.ContainsRune(line1, '"') {
			return
		}
		joined, joinedErr := n.Negotiate([]string{line1 + ", " + line2})
		if joined != got || (joinedErr == nil) != (err == nil) {
			t.Fatalf("%q gives %+v, %v; joined %+v, %v", accept, got, err, joined, joinedErr)
		}
	})
}
