package mediatype_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/mediatype"
)

// A post offered in its default representation and as raw Markdown.
func Example() {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Params: []string{"raw"}})
	if err != nil {
		panic(err) // a misconfiguration fails at start-up
	}
	post := n.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := mediatype.FromContext(r.Context())
		if m.Param == "raw" {
			fmt.Fprint(w, `"# Hello"`)
			return
		}
		fmt.Fprint(w, `{"title":"Hello"}`)
	}))

	for _, accept := range []string{
		"",
		"application/vnd.github.v3+json",
		"application/vnd.acme.v3.raw+json",
		"application/vnd.acme.v9+json",
	} {
		r := httptest.NewRequest("GET", "/posts/1", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		post.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("X-acme-Media-Type"))
		fmt.Println(w.Body.String())
	}
	// Output:
	// 200 acme.v3; format=json
	// {"title":"Hello"}
	// 200 acme.v3; format=json
	// {"title":"Hello"}
	// 200 acme.v3; param=raw; format=json
	// "# Hello"
	// 406 acme.v3; format=json
	// {"message":"Unsupported 'Accept' header: \"application/vnd.acme.v9+json\". Must accept one of: application/vnd.acme.v3+json, application/json."}
}

// The precedence rules of RFC 9110 §12.5.1, on a service that serves v3
// and v4.
func ExampleNegotiator_Negotiate() {
	n, err := mediatype.New(mediatype.Config{Vendor: "acme", Versions: []string{"v3", "v4"}, Params: []string{"raw", "full"}})
	if err != nil {
		panic(err)
	}
	for _, accept := range []string{
		"application/vnd.acme.v4+json",                             // a version
		"application/vnd.acme.full+json",                           // a param, the default version
		"*/*, application/vnd.acme.v4.raw+json",                    // the more specific range
		"application/vnd.acme.v4.raw+json;q=0.5, application/json", // the higher weight
		"application/vnd.acme.v9+json, application/json;q=0.1",     // v9 is not served, json is acceptable
		"application/json;q=0",                                     // only an exclusion: the default
		"application/vnd.acme.v3.diff+json",                        // a param not offered: none
		"application/vnd.acme.v9+json",                             // nothing else acceptable: 406
	} {
		m, err := n.Negotiate([]string{accept})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(n.HeaderValue(m))
	}
	// Output:
	// acme.v4; format=json
	// acme.v3; param=full; format=json
	// acme.v4; param=raw; format=json
	// acme.v3; format=json
	// acme.v3; format=json
	// acme.v3; format=json
	// acme.v3; format=json
	// 406 Unsupported 'Accept' header: "application/vnd.acme.v9+json". Must accept one of: application/vnd.acme.v3+json, application/vnd.acme.v4+json, application/json.
}

// Testing a handler without the middleware.
func ExampleWithMediaType() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := mediatype.FromContext(r.Context())
		fmt.Fprintf(w, "%s %q %v", m.Version, m.Param, ok)
	})
	r := httptest.NewRequest("GET", "/posts/1", nil)
	ctx := mediatype.WithMediaType(context.Background(), mediatype.MediaType{Version: "v3", Param: "raw", Format: "json"})
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r.WithContext(ctx))
	fmt.Println(w.Body.String())
	// Output:
	// v3 "raw" true
}

// Every problem in a Config is reported at once.
func ExampleNew() {
	_, err := mediatype.New(mediatype.Config{Vendor: "Acme", Versions: []string{"3"}, Params: []string{"raw", "v2"}})
	fmt.Println(err)
	// Output:
	// mediatype: Vendor: "Acme" must be a lower-case token: a letter, then letters, digits and '-'
	// mediatype: Versions[0]: "3" must be "v" followed by digits, without a leading zero ("v3")
	// mediatype: Params[1]: "v2" is shaped like a version: application/vnd.<vendor>.v2+json would ask for version v2
}
