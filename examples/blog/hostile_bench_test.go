package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/myblog/apikit/auth"
)

// BenchmarkRefusedLogin is checkPassword refusing a login, by what was
// wrong, at bcrypt's default cost: every kind costs one comparison, so
// the times agree within noise and do not tell whether the login exists
// (TestRefusedLoginsCostOneBcrypt checks the count itself). Compare the
// rows: benchstat -col /kind.
func BenchmarkRefusedLogin(b *testing.B) {
	a := hostileApp(b, bcrypt.DefaultCost).api
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	if err := a.store.createUser(ctx, &user{ID: "5b0c2b5e-1d2f-4b8a-9a57-3f1f0c6f8d21", Login: "octocat", Email: "octocat@example.com",
		PasswordHash: string(hash), CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ kind, login, password string }{
		{"wrong-password", "octocat", "wrong horse battery"},
		{"unknown-login", "nobody", "wrong horse battery"},
		{"known-login-100-bytes", "octocat", strings.Repeat("x", 100)},
		{"unknown-login-100-bytes", "nobody", strings.Repeat("x", 100)},
	} {
		b.Run("kind="+bc.kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.checkPassword(ctx, bc.login, bc.password); err != auth.ErrBadCredentials {
					b.Fatal(err)
				}
			}
		})
	}
}
