package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"

	rscors "github.com/rs/cors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/cors"
)

// corsConfig is the policy both implementations get: an allow-list with
// a wildcard pattern and credentials, the default methods and headers.
var (
	corsOrigins = []string{"https://blog.example.com", "https://*.myblog.dev"}
	corsMethods = []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	corsHeaders = []string{"Authorization", "Content-Type", "If-Match", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since", "X-myblog-OTP", "X-Requested-With"}
	corsExposed = []string{"ETag", "Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
)

func corsImplementations(tb testing.TB, next http.Handler) map[string]http.Handler {
	ours, err := cors.New(cors.Config{Origins: corsOrigins, Credentials: true, Methods: corsMethods, Headers: corsHeaders, ExposedHeaders: corsExposed})
	require.NoError(tb, err)
	theirs := rscors.New(rscors.Options{
		AllowedOrigins: corsOrigins, AllowCredentials: true, AllowedMethods: corsMethods,
		AllowedHeaders: corsHeaders, ExposedHeaders: corsExposed, MaxAge: 86400,
	})
	return map[string]http.Handler{"bare": next, "apikit": ours.Handler(next), "rs-cors": theirs.Handler(next)}
}

func corsRequest(method string, header ...string) *http.Request {
	r := httptest.NewRequest(method, "/posts", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

var (
	actualHeader    = []string{"Origin", "https://app.myblog.dev"}
	preflightHeader = []string{"Origin", "https://app.myblog.dev", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,content-type,if-match"} // sorted, as browsers send it
)

// TestCORSImplementationsAgree: both allow the same actual request and
// preflight, so the benchmark compares equal work.
func TestCORSImplementationsAgree(t *testing.T) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for name, h := range corsImplementations(t, next) {
		if name == "bare" {
			continue
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, corsRequest("GET", actualHeader...))
		assert.Equal(t, "https://app.myblog.dev", w.Header().Get("Access-Control-Allow-Origin"), name)
		assert.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"), name)

		w = httptest.NewRecorder()
		h.ServeHTTP(w, corsRequest("OPTIONS", preflightHeader...))
		assert.Equal(t, 204, w.Code, name)
		assert.Equal(t, "https://app.myblog.dev", w.Header().Get("Access-Control-Allow-Origin"), name)
		assert.NotEmpty(t, w.Header().Get("Access-Control-Allow-Methods"), name)
	}
}

// BenchmarkCORS: an actual GET and a preflight from an allowed origin,
// over a handler that does nothing; impl=bare is that handler alone.
func BenchmarkCORS(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	impls := corsImplementations(b, next)
	for _, kind := range []struct {
		name string
		req  *http.Request
	}{{"actual", corsRequest("GET", actualHeader...)}, {"preflight", corsRequest("OPTIONS", preflightHeader...)}} {
		for _, name := range []string{"apikit", "rs-cors", "bare"} {
			h := impls[name]
			b.Run("kind="+kind.name+"/impl="+name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					w := &discardResponse{header: http.Header{}}
					r := kind.req.Clone(kind.req.Context())
					for pb.Next() {
						clear(w.header)
						h.ServeHTTP(w, r)
					}
				})
			})
		}
	}
}
