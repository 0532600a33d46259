package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/auth/totp"
	apierrors "github.com/myblog/apikit/errors"
)

// A second factor: octocat has TOTP on. A service keeps the secret and
// the last accepted step in its user table, and records a step with a
// conditional UPDATE; a map under a mutex stands for it here.
func ExampleConfig_checkOTP() {
	otp, _ := totp.New(totp.Config{})
	secret := []byte("octocat's 20B secret")
	var mu sync.Mutex
	lastStep := map[string]int64{}
	checkOTP := func(_ context.Context, subject, code string) error {
		step, ok := otp.Verify(secret, code, time.Now())
		if !ok {
			return auth.ErrOTPRequired
		}
		mu.Lock()
		defer mu.Unlock()
		if step <= lastStep[subject] {
			return auth.ErrOTPRequired // used already
		}
		lastStep[subject] = step
		return nil
	}
	errs, _ := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	authn, err := auth.New(auth.Config{
		Tokens:        auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: []byte("a secret of at least 32 bytes!!!")}}},
		CheckPassword: exampleCheckPassword,
		CheckOTP:      checkOTP,
		OTPHeaders:    []string{"X-myblog-OTP", auth.HeaderGitHubOTP},
		Errors:        errs,
	})
	if err != nil {
		panic(err)
	}
	h := authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))

	get := func(code string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/user", nil)
		r.SetBasicAuth("octocat", "correct horse battery staple")
		if code != "" {
			r.Header.Set("X-myblog-OTP", code)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := get("")
	fmt.Println(w.Code, w.Header().Get("X-myblog-OTP"), w.Header().Get("X-GitHub-OTP"))
	fmt.Println(w.Body.String())
	code, _ := otp.Code(secret, time.Now())
	w = get(code)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 401 required; app required; app
	// {"message":"Must specify two-factor authentication OTP code.","documentation_url":"https://developer.myblog.com/v3"}
	// 200 hello
}
