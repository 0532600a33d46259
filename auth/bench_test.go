package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/observe"
)

// BenchmarkHandlerBearer is the middleware's hot path: an API request
// with a valid HS256 access token seen before (its claims cached),
// through to the handler.
func BenchmarkHandlerBearer(b *testing.B) { benchmarkHandlerBearer(b, 0, nil) }

// BenchmarkHandlerBearerUncached verifies the token on every request.
func BenchmarkHandlerBearerUncached(b *testing.B) { benchmarkHandlerBearer(b, -1, nil) }

// BenchmarkHandlerBearerObserved and BenchmarkHandlerBearerUncachedObserved
// report each request's TokenAccepted to an Observer: no allocation more
// than without one.
func BenchmarkHandlerBearerObserved(b *testing.B) { benchmarkHandlerBearer(b, 0, countAccepted()) }

func BenchmarkHandlerBearerUncachedObserved(b *testing.B) {
	benchmarkHandlerBearer(b, -1, countAccepted())
}

// countAccepted is an Observer that counts TokenAccepted events, as a
// metrics exporter would.
func countAccepted() observe.Observer {
	var n atomic.Int64
	return observe.Func(func(ev observe.Event) {
		if ev.Decision == observe.TokenAccepted {
			n.Add(1)
		}
	})
}

func benchmarkHandlerBearer(b *testing.B, cacheSize int, observer observe.Observer) {
	authn, err := auth.New(auth.Config{
		Tokens:         auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}},
		TokenCacheSize: cacheSize,
		Observer:       observer,
	})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := authn.Tokens().Sign(auth.Access, "u-alice", "session", nil)
	if err != nil {
		b.Fatal(err)
	}
	h := authn.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); !ok {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/posts", nil)
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

// BenchmarkHandlerAnonymous is the cost of the middleware on a request
// without credentials.
func BenchmarkHandlerAnonymous(b *testing.B) {
	authn, err := auth.New(auth.Config{Tokens: auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}}})
	if err != nil {
		b.Fatal(err)
	}
	h := authn.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/posts", nil)
		w := httptest.NewRecorder()
		for pb.Next() {
			h.ServeHTTP(w, r)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	tokens := newTokens(b, auth.TokenConfig{})
	token, _, err := tokens.Sign(auth.Access, "u-alice", "session", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(token, auth.Access); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerBasic is a request with HTTP Basic credentials through
// the middleware, against a password check as slow as a real one
// (PBKDF2-SHA256 with 100,000 iterations, about bcrypt at its default
// cost). cache=on repeats one correct credential, as a script does: its
// check ran once, and a request costs the keyed hash of the credential
// and a map lookup. cache=off pays for the password hash every time.
func BenchmarkHandlerBasic(b *testing.B) {
	salt := []byte("apikit-bench-salt")
	stored, err := pbkdf2.Key(sha256.New, password, salt, 100_000, 32)
	if err != nil {
		b.Fatal(err)
	}
	slowCheck := func(_ context.Context, login, pw string) (string, error) {
		got, err := pbkdf2.Key(sha256.New, pw, salt, 100_000, 32)
		if err != nil || login != "alice" || !hmac.Equal(got, stored) {
			return "", auth.ErrBadCredentials
		}
		return "u-alice", nil
	}
	// With a second factor, the cached credential is the login, password
	// and code together (go-github's BasicAuthTransport repeats its OTP).
	secondFactor := func(_ context.Context, _, code string) error {
		if code != "123456" {
			return auth.ErrOTPRequired
		}
		return nil
	}
	for _, bc := range []struct {
		name string
		ttl  time.Duration
		otp  func(context.Context, string, string) error
	}{{"cache=on", 0, nil}, {"cache=on/otp", 0, secondFactor}, {"cache=off", -1, nil}} {
		b.Run(bc.name, func(b *testing.B) {
			a, err := auth.New(auth.Config{
				Tokens:        auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: secret}}},
				CheckPassword: slowCheck,
				CheckOTP:      bc.otp,
				BasicCacheTTL: bc.ttl,
			})
			if err != nil {
				b.Fatal(err)
			}
			h := a.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest("GET", "/user", nil)
			r.Header.Set("Authorization", basic("alice", password))
			r.Header.Set(auth.HeaderGitHubOTP, "123456")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}
