package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
)

// A service adds login, token refresh, logout and a protected route.
func Example() {
	errs, _ := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{
			Issuer: "https://api.myblog.com",
			Keys:   []auth.Key{{Secret: []byte("a secret of at least 32 bytes!!!")}},
		},
		// Look the user up and compare the password hash (bcrypt,
		// argon2id); the subject is the user's stable id.
		CheckPassword: func(ctx context.Context, login, password string) (string, error) {
			if login == "octocat" && password == "correct horse battery staple" {
				return "1f9b0d36-5c3a-4e0b-9a43-7d1c2b0e8f11", nil
			}
			return "", auth.ErrBadCredentials
		},
		Errors: errs,
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.Handle("POST /login", authn.Login())
	mux.Handle("PATCH /authorizations/refresh-tokens", authn.Refresh())
	mux.Handle("DELETE /authorizations/refresh-tokens", authn.Logout())
	mux.Handle("GET /user", authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.IdentityFrom(r.Context())
		fmt.Fprintf(w, `{"id":%q}`, id.Subject)
	})))
	handler := authn.Handler(mux) // optional mode for every route

	do := func(method, path, body, authorization string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}

	w := do("POST", "/login", `{"username":"octocat","password":"correct horse battery staple"}`, "")
	var login struct {
		Data auth.Pair `json:"data"`
		Code string    `json:"code"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &login)
	fmt.Println("login:", w.Code, login.Code, login.Data.ExpiresIn)

	w = do("GET", "/user", "", "Bearer "+login.Data.Token)
	fmt.Println("GET /user:", w.Code, w.Body.String())

	w = do("GET", "/user", "", "")
	fmt.Println("anonymous:", w.Code, w.Body.String())

	w = do("PATCH", "/authorizations/refresh-tokens", "", "Bearer "+login.Data.RefreshToken)
	fmt.Println("refresh:", w.Code)

	w = do("PATCH", "/authorizations/refresh-tokens", "", "Bearer "+login.Data.RefreshToken)
	fmt.Println("the same refresh token again:", w.Code, w.Body.String())
	// Output:
	// login: 200 200 7200
	// GET /user: 200 {"id":"1f9b0d36-5c3a-4e0b-9a43-7d1c2b0e8f11"}
	// anonymous: 401 {"message":"Requires authentication","documentation_url":"https://developer.myblog.com/v3"}
	// refresh: 200
	// the same refresh token again: 401 {"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}
}

// A private resource answers 404 to everyone but its owner, exactly like
// one that does not exist.
func ExampleCheckOwner() {
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	getDraft := func(w http.ResponseWriter, r *http.Request) {
		const author = "u-alice" // read from the database with the draft
		if err := auth.CheckOwner(r.Context(), author); err != nil {
			errs.Write(w, r, err)
			return
		}
		fmt.Fprint(w, `{"title":"Draft"}`)
	}
	for _, subject := range []string{"u-alice", "u-bob"} {
		r := httptest.NewRequest("GET", "/posts/42", nil)
		r = r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{Subject: subject, Method: auth.MethodToken}))
		w := httptest.NewRecorder()
		getDraft(w, r)
		fmt.Println(subject, w.Code, w.Body.String())
	}
	// Output:
	// u-alice 200 {"title":"Draft"}
	// u-bob 404 {"message":"Not Found"}
}

// Tokens signed with an asymmetric key can be verified by other services
// that hold only the public key.
func ExampleNewTokens() {
	issuer, _ := auth.NewTokens(auth.TokenConfig{
		Issuer: "https://api.myblog.com",
		Keys:   []auth.Key{{ID: "2026-11", PrivateKey: exampleEd25519Key}},
	})
	verifier, _ := auth.NewTokens(auth.TokenConfig{
		Issuer: "https://api.myblog.com",
		Keys:   []auth.Key{{ID: "2026-11", PublicKey: exampleEd25519Key.Public()}},
	})
	token, _, _ := issuer.Sign(auth.Access, "u-alice", "", []string{"read"})
	claims, err := verifier.Verify(token, auth.Access)
	fmt.Println(claims.Subject, claims.Scope, err)
	_, err = verifier.Verify(token, auth.Refresh)
	fmt.Println(err)
	// Output:
	// u-alice read <nil>
	// auth: wrong token type: got "access", want "refresh"
}

var exampleEd25519Key = ed25519.NewKeyFromSeed([]byte("an example seed of 32 bytes!!!!!"))
