package requestid_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/myblog/apikit/requestid"
)

// wellFormed is the rule of the package doc, written again here so that
// the fuzzer checks the package against the doc rather than against
// itself: 1 to 128 bytes of [A-Za-z0-9._~:/+=-].
func wellFormed(id string) bool {
	if len(id) < 1 || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/' || c == '+' || c == '=' || c == '-') {
			return false
		}
	}
	return true
}

// FuzzIncomingID: whatever a request brings in any of the three headers,
// from a trusted peer or not, the id in the response header and in the
// context is that exact value when it is well-formed and the peer
// trusted, and otherwise a new UUID v4; it never holds a byte outside the
// allowed set.
func FuzzIncomingID(f *testing.F) {
	for _, incoming := range []string{
		"f058ebd6-02f7-4d3f-942e-904344e8cde5", "01HZX3K7Q9", "a", "", " ", "abc def",
		"abc\r\nSet-Cookie: a=b", "abc\nlevel=error", "café", "\xff", "a,b", `a"b`, "AZaz09._~:/+=-",
		string(make([]byte, 128)), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	} {
		f.Add(incoming, uint8(0), true)
		f.Add(incoming, uint8(1), false)
	}
	f.Add(string(make([]byte, 129)), uint8(2), true)
	m := newMiddleware(f, requestid.Config{Vendor: "acme", Resolver: newResolver(f, "10.0.0.0/8")})
	keys := []string{"X-Acme-Request-Id", "X-Request-Id", "Request-Id"}
	f.Fuzz(func(t *testing.T, incoming string, which uint8, trusted bool) {
		var contextID string
		var inContext bool
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			contextID, inContext = requestid.FromContext(r.Context())
		}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "203.0.113.9:5678"
		if trusted {
			r.RemoteAddr = "10.0.0.5:41234"
		}
		r.Header[keys[int(which)%len(keys)]] = []string{incoming}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		got := w.Header()[vendorHeader]
		if len(got) != 1 {
			t.Fatalf("header %q, want one value", got)
		}
		id := got[0]
		if !inContext || contextID != id {
			t.Fatalf("context %q %v, header %q", contextID, inContext, id)
		}
		if trusted && wellFormed(incoming) {
			if id != incoming {
				t.Fatalf("trusted well-formed %q became %q", incoming, id)
			}
			return
		}
		if !uuidV4.MatchString(id) {
			t.Fatalf("incoming %q (trusted %v): id %q is not a UUID v4", incoming, trusted, id)
		}
		if !wellFormed(id) {
			t.Fatalf("id %q holds a byte outside the allowed set", id)
		}
	})
}
