package requestid_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/requestid"
)

// uuidV4 is RFC 9562's version 4 in lower-case 8-4-4-4-12 form: version
// nibble 4, variant bits 10.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// defaultHeader is the header of the zero Config; vendorHeader the
// canonical key of X-acme-Request-Id, the header with Vendor "acme".
const (
	defaultHeader = "X-Request-Id"
	vendorHeader  = "X-Acme-Request-Id"
)

const (
	trustedPeer   = "10.0.0.5:41234"
	untrustedPeer = "203.0.113.9:5678"
)

// newResolver returns a Resolver that trusts proxies.
func newResolver(t testing.TB, proxies ...string) *forwarded.Resolver {
	t.Helper()
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
	require.NoError(t, err)
	return resolver
}

func newMiddleware(t testing.TB, cfg requestid.Config) *requestid.Middleware {
	t.Helper()
	m, err := requestid.New(cfg)
	require.NoError(t, err)
	return m
}

// recorded is what the next handler saw.
type recorded struct {
	contextID string
	inContext bool
	headerID  string // the response header as next found it
}

// recordingNext records the id in the context and the response header as
// they are when next runs.
func recordingNext(seen *recorded) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.contextID, seen.inContext = requestid.FromContext(r.Context())
		seen.headerID = w.Header().Get(defaultHeader)
		_, _ = io.WriteString(w, "next")
	})
}

// line is one request header field line.
type line struct{ key, value string }

func serve(h http.Handler, remoteAddr string, lines ...line) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/posts", nil)
	r.RemoteAddr = remoteAddr
	for _, l := range lines {
		// Straight into the map, canonical key, value unchecked: what a
		// transport could deliver.
		key := http.CanonicalHeaderKey(l.key)
		r.Header[key] = append(r.Header[key], l.value)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewUUID(t *testing.T) {
	const n = 10000
	seen := make(map[string]struct{}, n)
	for range n {
		id := requestid.NewUUID()
		require.Regexp(t, uuidV4, id)
		seen[id] = struct{}{}
	}
	assert.Len(t, seen, n, "every id distinct")
}

func TestNewUUIDConcurrent(t *testing.T) {
	const workers, each = 8, 1000
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for range each {
				ids[i] = append(ids[i], requestid.NewUUID())
			}
		})
	}
	wg.Wait()
	seen := map[string]struct{}{}
	for _, list := range ids {
		for _, id := range list {
			seen[id] = struct{}{}
		}
	}
	assert.Len(t, seen, workers*each)
}

// Every bit that is not the version or the variant is random: across many
// ids, each of them is seen both set and clear.
func TestNewUUIDRandomBits(t *testing.T) {
	var set, cleared [32]uint64 // per hex digit: the bits seen set and seen clear
	for range 1000 {
		hexDigits := strings.ReplaceAll(requestid.NewUUID(), "-", "")
		for i := range 32 {
			v, err := strconv.ParseUint(hexDigits[i:i+1], 16, 4)
			require.NoError(t, err)
			set[i] |= v
			cleared[i] |= ^v & 0xf
		}
	}
	for i := range 32 {
		switch i {
		case 12: // version: always 4
			assert.Equal(t, uint64(0x4), set[i])
			assert.Equal(t, uint64(0xb), cleared[i])
		case 16: // variant: 10xx
			assert.Equal(t, uint64(0xb), set[i])
			assert.Equal(t, uint64(0x7), cleared[i])
		default:
			assert.Equal(t, uint64(0xf), set[i], "digit %d", i)
			assert.Equal(t, uint64(0xf), cleared[i], "digit %d", i)
		}
	}
}

func TestHandlerGenerates(t *testing.T) {
	var seen recorded
	h := newMiddleware(t, requestid.Config{}).Handler(recordingNext(&seen))
	ids := map[string]struct{}{}
	for range 100 {
		w := serve(h, untrustedPeer)
		id := w.Header().Get(defaultHeader)
		require.Regexp(t, uuidV4, id)
		assert.Equal(t, []string{id}, w.Header()[defaultHeader], "one value, canonical key")
		assert.Equal(t, recorded{contextID: id, inContext: true, headerID: id}, seen)
		assert.Equal(t, "next", w.Body.String())
		ids[id] = struct{}{}
	}
	assert.Len(t, ids, 100)
}

func TestIncomingID(t *testing.T) {
	h := newMiddleware(t, requestid.Config{Vendor: "acme", Resolver: newResolver(t, "10.0.0.0/8", "2001:db8::/32")}).Handler(http.NotFoundHandler())
	long := strings.Repeat("a", 128)
	tests := []struct {
		name   string
		remote string
		lines  []line
		want   string // "" means a new UUID
	}{
		{name: "trusted X-Request-Id", remote: trustedPeer, lines: []line{{"X-Request-Id", "f058ebd6-02f7-4d3f-942e-904344e8cde5"}}, want: "f058ebd6-02f7-4d3f-942e-904344e8cde5"},
		{name: "trusted Request-Id (Heroku)", remote: trustedPeer, lines: []line{{"Request-Id", "01HZX3K7Q9"}}, want: "01HZX3K7Q9"},
		{name: "trusted configured header", remote: trustedPeer, lines: []line{{"X-acme-Request-Id", "upstream-7"}}, want: "upstream-7"},
		{name: "trusted IPv6 peer", remote: "[2001:db8::7]:443", lines: []line{{"X-Request-Id", "abc"}}, want: "abc"},
		{name: "trusted peer without port", remote: "10.1.2.3", lines: []line{{"X-Request-Id", "abc"}}, want: "abc"},
		{name: "every allowed character", remote: trustedPeer, lines: []line{{"X-Request-Id", "AZaz09._~:/+=-"}}, want: "AZaz09._~:/+=-"},
		{name: "a W3C traceparent-like value", remote: trustedPeer, lines: []line{{"X-Request-Id", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}, want: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{name: "128 bytes: the longest", remote: trustedPeer, lines: []line{{"X-Request-Id", long}}, want: long},
		{name: "one byte: the shortest", remote: trustedPeer, lines: []line{{"X-Request-Id", "7"}}, want: "7"},

		{name: "configured header before X-Request-Id", remote: trustedPeer, lines: []line{{"X-Request-Id", "b"}, {"X-Acme-Request-Id", "a"}}, want: "a"},
		{name: "X-Request-Id before Request-Id", remote: trustedPeer, lines: []line{{"Request-Id", "b"}, {"X-Request-Id", "a"}}, want: "a"},
		{name: "a malformed header gives way to the next", remote: trustedPeer, lines: []line{{"X-Acme-Request-Id", "bad id"}, {"X-Request-Id", "good"}}, want: "good"},
		{name: "a header on two lines is skipped", remote: trustedPeer, lines: []line{{"X-Request-Id", "a"}, {"X-Request-Id", "b"}}},
		{name: "a header on two lines gives way to the next", remote: trustedPeer, lines: []line{{"X-Request-Id", "a"}, {"X-Request-Id", "b"}, {"Request-Id", "c"}}, want: "c"},

		{name: "spoofed X-Request-Id from an untrusted peer", remote: untrustedPeer, lines: []line{{"X-Request-Id", "f058ebd6-02f7-4d3f-942e-904344e8cde5"}}},
		{name: "spoofed Request-Id from an untrusted peer", remote: untrustedPeer, lines: []line{{"Request-Id", "chosen"}}},
		{name: "spoofed configured header from an untrusted peer", remote: untrustedPeer, lines: []line{{"X-Acme-Request-Id", "chosen"}}},
		{name: "X-Forwarded-For does not make a peer trusted", remote: untrustedPeer, lines: []line{{"X-Forwarded-For", "10.0.0.5"}, {"X-Request-Id", "chosen"}}},
		{name: "a peer that is not an IP", remote: "pipe", lines: []line{{"X-Request-Id", "chosen"}}},

		{name: "malformed: empty", remote: trustedPeer, lines: []line{{"X-Request-Id", ""}}},
		{name: "malformed: 129 bytes", remote: trustedPeer, lines: []line{{"X-Request-Id", long + "a"}}},
		{name: "malformed: a space", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc def"}}},
		{name: "malformed: surrounding spaces", remote: trustedPeer, lines: []line{{"X-Request-Id", " abc "}}},
		{name: "malformed: a tab", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc\tdef"}}},
		{name: "malformed: CR LF header injection", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc\r\nSet-Cookie: session=stolen"}}},
		{name: "malformed: LF log injection", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc\nlevel=error msg=forged"}}},
		{name: "malformed: NUL", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc\x00"}}},
		{name: "malformed: non-ASCII", remote: trustedPeer, lines: []line{{"X-Request-Id", "café"}}},
		{name: "malformed: invalid UTF-8", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc\xff"}}},
		{name: "malformed: a quote", remote: trustedPeer, lines: []line{{"X-Request-Id", `abc"def`}}},
		{name: "malformed: a comma", remote: trustedPeer, lines: []line{{"X-Request-Id", "a,b"}}},
		{name: "malformed: a semicolon", remote: trustedPeer, lines: []line{{"X-Request-Id", "a;b"}}},
		{name: "malformed: a backslash", remote: trustedPeer, lines: []line{{"X-Request-Id", `a\b`}}},
		{name: "malformed: markup", remote: trustedPeer, lines: []line{{"X-Request-Id", "<script>"}}},
		{name: "malformed: DEL", remote: trustedPeer, lines: []line{{"X-Request-Id", "abc\x7f"}}},

		{name: "no incoming id", remote: trustedPeer},
		{name: "another header is not read", remote: trustedPeer, lines: []line{{"X-Correlation-Id", "abc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.remote, tt.lines...)
			got := w.Header()[vendorHeader]
			require.Len(t, got, 1)
			if tt.want != "" {
				assert.Equal(t, tt.want, got[0])
				return
			}
			assert.Regexp(t, uuidV4, got[0], "a new id")
		})
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		name     string
		generate string
		want     string // "" means a UUID instead
	}{
		{name: "a well-formed id is used", generate: "req-000042", want: "req-000042"},
		{name: "a ULID", generate: "01ARZ3NDEKTSV4RRFFQ69G5FAV", want: "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
		{name: "empty: replaced by a UUID", generate: ""},
		{name: "a space: replaced by a UUID", generate: "req 42"},
		{name: "a line break: replaced by a UUID", generate: "req\n42"},
		{name: "too long: replaced by a UUID", generate: strings.Repeat("x", 129)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen recorded
			h := newMiddleware(t, requestid.Config{Generate: func() string { return tt.generate }}).Handler(recordingNext(&seen))
			id := serve(h, untrustedPeer).Header().Get(defaultHeader)
			if tt.want != "" {
				assert.Equal(t, tt.want, id)
			} else {
				assert.Regexp(t, uuidV4, id)
			}
			assert.Equal(t, recorded{contextID: id, inContext: true, headerID: id}, seen)
		})
	}
}

func TestGenerateNotCalledForBelievedID(t *testing.T) {
	calls := 0
	h := newMiddleware(t, requestid.Config{
		Resolver: newResolver(t, "10.0.0.0/8"),
		Generate: func() string { calls++; return "generated" },
	}).Handler(http.NotFoundHandler())
	assert.Equal(t, "incoming", serve(h, trustedPeer, line{"X-Request-Id", "incoming"}).Header().Get(defaultHeader))
	assert.Zero(t, calls)
	assert.Equal(t, "generated", serve(h, untrustedPeer, line{"X-Request-Id", "incoming"}).Header().Get(defaultHeader))
	assert.Equal(t, 1, calls)
}

func TestHeaderName(t *testing.T) {
	tests := []struct {
		name    string
		cfg     requestid.Config
		key     string // canonical, as set in the map
		exposed string // the name ExposedHeaders gives
		readsIt string // a request header read as incoming
	}{
		{name: "default: no vendor", cfg: requestid.Config{}, key: "X-Request-Id", exposed: "X-Request-Id", readsIt: "x-request-id"},
		{name: "a Vendor", cfg: requestid.Config{Vendor: "acme"}, key: "X-Acme-Request-Id", exposed: "X-acme-Request-Id", readsIt: "x-acme-request-id"},
		{name: "GitHub's", cfg: requestid.Config{Header: "X-GitHub-Request-Id"}, key: "X-Github-Request-Id", exposed: "X-GitHub-Request-Id", readsIt: "X-GitHub-Request-Id"},
		{name: "Header wins over Vendor", cfg: requestid.Config{Vendor: "acme", Header: "Request-Id"}, key: "Request-Id", exposed: "Request-Id", readsIt: "Request-Id"},
		{name: "lower case is canonicalised", cfg: requestid.Config{Header: "x-trace-id"}, key: "X-Trace-Id", exposed: "x-trace-id", readsIt: "X-Trace-Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Resolver = newResolver(t, "10.0.0.0/8")
			m := newMiddleware(t, tt.cfg)
			assert.Equal(t, []string{tt.exposed}, m.ExposedHeaders())
			h := m.Handler(http.NotFoundHandler())
			w := serve(h, trustedPeer)
			require.Len(t, w.Header()[tt.key], 1, "set under its canonical key")
			assert.Regexp(t, uuidV4, w.Header()[tt.key][0])
			assert.Len(t, w.Header(), 3, "only the id, besides NotFound's two")

			w = serve(h, trustedPeer, line{tt.readsIt, "from-upstream"})
			assert.Equal(t, []string{"from-upstream"}, w.Header()[tt.key])
		})
	}

	m := newMiddleware(t, requestid.Config{})
	m.ExposedHeaders()[0] = "changed"
	assert.Equal(t, []string{"X-Request-Id"}, m.ExposedHeaders(), "a fresh slice each call")
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		cfg    requestid.Config
		want   string
		fields []string
	}{
		{
			name:   "Vendor not a token",
			cfg:    requestid.Config{Vendor: "my blog"},
			want:   `requestid: Vendor: "my blog" must be a token`,
			fields: []string{"Vendor"},
		},
		{
			name:   "Header not a token",
			cfg:    requestid.Config{Header: "X-Request-Id:"},
			want:   `requestid: Header: "X-Request-Id:" must be a token`,
			fields: []string{"Header"},
		},
		{
			name:   "Header with a line break",
			cfg:    requestid.Config{Header: "X-Id\r\nSet-Cookie"},
			want:   `requestid: Header: "X-Id\r\nSet-Cookie" must be a token`,
			fields: []string{"Header"},
		},
		{
			name: "every problem at once",
			cfg:  requestid.Config{Vendor: "a/b", Header: "bad header"},
			want: `requestid: Vendor: "a/b" must be a token` + "\n" +
				`requestid: Header: "bad header" must be a token`,
			fields: []string{"Vendor", "Header"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := requestid.New(tt.cfg)
			assert.Nil(t, m)
			require.EqualError(t, err, tt.want)
			joined, ok := err.(interface{ Unwrap() []error })
			require.True(t, ok, "errors.Join")
			var fields []string
			for _, e := range joined.Unwrap() {
				var configErr *apierrors.ConfigError
				require.True(t, errors.As(e, &configErr), "%v is an *apierrors.ConfigError", e)
				assert.Equal(t, "requestid", configErr.Package)
				fields = append(fields, configErr.Field)
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
}

func TestContext(t *testing.T) {
	id, ok := requestid.FromContext(context.Background())
	assert.False(t, ok, "no id in a bare context")
	assert.Empty(t, id)

	ctx := requestid.WithID(context.Background(), "test-id")
	id, ok = requestid.FromContext(ctx)
	assert.True(t, ok)
	assert.Equal(t, "test-id", id)

	// Still found under other values, cancellation and deadlines, and
	// those still work through it.
	type otherKey struct{}
	ctx = context.WithValue(ctx, otherKey{}, "other")
	ctx, cancel := context.WithCancel(ctx)
	id, ok = requestid.FromContext(ctx)
	assert.True(t, ok)
	assert.Equal(t, "test-id", id)
	assert.Equal(t, "other", ctx.Value(otherKey{}))
	cancel()
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)

	// The parent's values and cancellation pass through it.
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "parent"))
	child := requestid.WithID(parent, "child")
	assert.Equal(t, "parent", child.Value(otherKey{}))
	cancelParent()
	<-child.Done()
	assert.ErrorIs(t, child.Err(), context.Canceled)

	// The innermost id wins.
	id, _ = requestid.FromContext(requestid.WithID(requestid.WithID(context.Background(), "outer"), "inner"))
	assert.Equal(t, "inner", id)

	assert.Equal(t, "context.Background.WithValue(requestid, test-id)", fmt.Sprint(requestid.WithID(context.Background(), "test-id")))
}

// recoverer answers every panic below it with a 500, the way a recover
// middleware outside the request id does.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// The id is on the response header before next runs, so a response that
// next or anything around it writes carries it.
func TestHeaderSetBeforeNext(t *testing.T) {
	m := newMiddleware(t, requestid.Config{})
	tests := []struct {
		name    string
		handler http.Handler // wrapped by recoverer(m.Handler(...))
		code    int
	}{
		{name: "next panics", code: http.StatusInternalServerError, handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("boom")
		})},
		{name: "next writes an error", code: http.StatusBadRequest, handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad", http.StatusBadRequest)
		})},
		{name: "next redirects", code: http.StatusFound, handler: http.RedirectHandler("/new", http.StatusFound)},
		{name: "next writes nothing", code: http.StatusOK, handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})},
		{name: "next flushes before writing", code: http.StatusOK, handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, http.NewResponseController(w).Flush())
			_, _ = io.WriteString(w, "late")
		})},
		{name: "next writes twice", code: http.StatusOK, handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "one")
			_, _ = io.WriteString(w, "two")
		})},
		{name: "a middleware inside refuses", code: http.StatusForbidden, handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(recoverer(m.Handler(tt.handler)), untrustedPeer)
			assert.Equal(t, tt.code, w.Code)
			assert.Regexp(t, uuidV4, w.Header().Get(defaultHeader))
		})
	}
}

// rewritingWriter is an outer middleware's writer that adds to and edits
// the id header as the response goes out.
type rewritingWriter struct{ http.ResponseWriter }

func (w rewritingWriter) WriteHeader(code int) {
	w.Header().Add(defaultHeader, "outer")
	w.ResponseWriter.WriteHeader(code)
}

func (w rewritingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The header value is the request's own: an Add outside gets a fresh
// array (len == cap), and the id in the context does not change with it.
func TestHeaderValueIsNotShared(t *testing.T) {
	var seen recorded
	m := newMiddleware(t, requestid.Config{Generate: func() string { return "fixed" }})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()[defaultHeader][0] = "edited by next"
		seen.contextID, seen.inContext = requestid.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	first := httptest.NewRecorder()
	h.ServeHTTP(rewritingWriter{first}, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, []string{"edited by next", "outer"}, first.Header()[defaultHeader])
	assert.Equal(t, recorded{contextID: "fixed", inContext: true}, seen, "the context keeps the id")

	second := httptest.NewRecorder()
	m.Handler(http.NotFoundHandler()).ServeHTTP(second, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, []string{"fixed"}, second.Header()[defaultHeader])
}

// In a real stack over a real connection: a panic in the handler still
// answers with the id, and the access log inside reads the same id.
func TestServer(t *testing.T) {
	m := newMiddleware(t, requestid.Config{Vendor: "acme", Resolver: newResolver(t, "127.0.0.1")})
	var mu sync.Mutex
	var logged []string
	accessLog := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := requestid.FromContext(r.Context())
			mu.Lock()
			logged = append(logged, r.URL.Path+" "+id)
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		_, _ = io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(recoverer(m.Handler(accessLog(app))))
	t.Cleanup(srv.Close)

	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		return resp
	}

	ok := get("/posts")
	panicked := get("/panic")
	// The test client is on 127.0.0.1, a trusted proxy here.
	incoming := get("/posts", "X-Request-Id", "from-the-edge")

	assert.Equal(t, http.StatusOK, ok.StatusCode)
	assert.Equal(t, http.StatusInternalServerError, panicked.StatusCode)
	okID, panicID := ok.Header.Get("X-acme-Request-Id"), panicked.Header.Get("X-acme-Request-Id")
	assert.Regexp(t, uuidV4, okID)
	assert.Regexp(t, uuidV4, panicID)
	assert.Equal(t, "from-the-edge", incoming.Header.Get("X-acme-Request-Id"))
	assert.Equal(t, []string{"/posts " + okID, "/panic " + panicID, "/posts from-the-edge"}, logged)
}

func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	m := newMiddleware(t, requestid.Config{Resolver: newResolver(t, "10.0.0.0/8")})
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := httptest.NewRecorder()
	tests := []struct {
		name   string
		remote string
		header string
		allocs float64
	}{
		{name: "a new id: the UUID, the context, the request copy", remote: untrustedPeer, allocs: 3},
		{name: "a believed id: the context, the request copy", remote: trustedPeer, header: "abc-123", allocs: 2},
		{name: "an id from an untrusted peer", remote: untrustedPeer, header: "abc-123", allocs: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			if tt.header != "" {
				r.Header.Set("X-Request-Id", tt.header)
			}
			assert.Equal(t, tt.allocs, testing.AllocsPerRun(100, func() {
				clear(w.Header())
				h.ServeHTTP(w, r)
			}))
		})
	}
}
