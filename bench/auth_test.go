package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/jwtauth/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/myblog/apikit/auth"
)

// BenchmarkBearer authenticates the same request carrying the same HS256
// token (signed by apikit) three ways, each as middleware in front of a
// handler that reads the subject:
//
//   - impl=apikit: auth's middleware (signature, iss, aud, exp, nbf, iat,
//     token type, identity in the context);
//   - impl=jwt-parse-mapclaims: golang-jwt's jwt.Parse with MapClaims called
//     directly, the baseline a hand-written middleware starts from;
//   - impl=jwtauth: go-chi/jwtauth's Verifier and Authenticator.
func BenchmarkBearer(b *testing.B) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	const issuer = "https://api.myblog.com"
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{Issuer: issuer, Keys: []auth.Key{{Secret: secret}}},
		// The peers verify every time: so does apikit here (its cache of
		// verified tokens would otherwise answer every request but the first).
		TokenCacheSize: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := authn.Tokens().Sign(auth.Access, "u-alice", "session", nil)
	if err != nil {
		b.Fatal(err)
	}

	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := httptest.NewRequest(http.MethodGet, "/user", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			for pb.Next() {
				h.ServeHTTP(w, r)
			}
			if w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
			}
		})
	}

	b.Run("impl=apikit", func(b *testing.B) {
		run(b, authn.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id, ok := auth.FromContext(r.Context()); !ok || id.Subject != "u-alice" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		})))
	})

	b.Run("impl=jwt-parse-mapclaims", func(b *testing.B) {
		keyFunc := func(*jwt.Token) (any, error) { return secret, nil }
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw := r.Header.Get("Authorization")
			if len(raw) < 7 {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			tok, err := jwt.Parse(raw[7:], keyFunc, jwt.WithValidMethods([]string{"HS256"}),
				jwt.WithIssuer(issuer), jwt.WithAudience(issuer))
			if err != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if sub, _ := tok.Claims.GetSubject(); sub != "u-alice" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}))
	})

	b.Run("impl=jwtauth", func(b *testing.B) {
		ja := jwtauth.New("HS256", secret, nil)
		h := jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, claims, err := jwtauth.FromContext(r.Context())
			if err != nil || claims["sub"] != "u-alice" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		})))
		run(b, h)
	})
}
