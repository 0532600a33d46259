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
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/observe"
)

// exampleCheckPassword stands for a user table: look the user up and
// compare the password hash (bcrypt, argon2id); the subject is the
// user's stable id.
func exampleCheckPassword(ctx context.Context, login, password string) (string, error) {
	if login == "octocat" && password == "correct horse battery staple" {
		return "1f9b0d36-5c3a-4e0b-9a43-7d1c2b0e8f11", nil
	}
	return "", auth.ErrBadCredentials
}

// A service adds login, token refresh, logout and a protected route.
func Example() {
	errs, _ := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	// The one Resolver the service hands every middleware: here, the
	// load balancer at 10.0.0.0/8 is believed about the client.
	resolver, _ := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{
			Issuer: "https://api.myblog.com",
			Keys:   []auth.Key{{Secret: []byte("a secret of at least 32 bytes!!!")}},
		},
		CheckPassword: exampleCheckPassword,
		Resolver:      resolver,
		Errors:        errs,
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.Handle("POST /login", authn.Login())
	mux.Handle("PATCH /authorizations/refresh-tokens", authn.Refresh())
	mux.Handle("DELETE /authorizations/refresh-tokens", authn.Logout())
	mux.Handle("GET /user", authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
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
	var pair auth.Pair // the bare body: {"token":"...","refresh_token":"...","expires_in":7200}
	_ = json.Unmarshal(w.Body.Bytes(), &pair)
	fmt.Println("login:", w.Code, pair.ExpiresIn)

	w = do("GET", "/user", "", "Bearer "+pair.Token)
	fmt.Println("GET /user:", w.Code, w.Body.String())

	w = do("GET", "/user", "", "")
	fmt.Println("anonymous:", w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())

	w = do("PATCH", "/authorizations/refresh-tokens", "", "Bearer "+pair.RefreshToken)
	var next auth.Pair
	_ = json.Unmarshal(w.Body.Bytes(), &next)
	fmt.Println("refresh:", w.Code)

	w = do("DELETE", "/authorizations/refresh-tokens", "", "Bearer "+next.RefreshToken)
	fmt.Println("logout:", w.Code)

	w = do("PATCH", "/authorizations/refresh-tokens", "", "Bearer "+next.RefreshToken)
	fmt.Println("refresh after logout:", w.Code, w.Body.String())
	// Output:
	// login: 200 7200
	// GET /user: 200 {"id":"1f9b0d36-5c3a-4e0b-9a43-7d1c2b0e8f11"}
	// anonymous: 401 Bearer realm="API" {"message":"Requires authentication","documentation_url":"https://developer.myblog.com/v3"}
	// refresh: 200
	// logout: 204
	// refresh after logout: 401 {"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}
}

// OnError answers every refusal in the service's own shape. The
// middleware has set its headers (WWW-Authenticate here, Retry-After on
// a lockout) and written nothing yet.
func ExampleConfig_onError() {
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{
			Issuer: "https://api.myblog.com",
			Keys:   []auth.Key{{Secret: []byte("a secret of at least 32 bytes!!!")}},
		},
		OnError: func(w http.ResponseWriter, r *http.Request, e *apierrors.Error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(e.Status)
			fmt.Fprintln(w, "refused:", e.Message)
		},
	})
	if err != nil {
		panic(err)
	}
	h := authn.Require(http.NotFoundHandler())
	r := httptest.NewRequest("GET", "/user", nil)
	r.Header.Set("Authorization", "Bearer not-a-token")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Header().Get("WWW-Authenticate"))
	fmt.Print(w.Body.String())
	// Output:
	// 401 text/plain; charset=utf-8
	// Bearer realm="API", error="invalid_token"
	// refused: Bad credentials
}

// An Observer sees every decision, with a short reason for refusals: a
// metrics exporter counts them by Decision and Detail.
func ExampleConfig_observer() {
	authn, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{
			Issuer: "https://api.myblog.com",
			Keys:   []auth.Key{{Secret: []byte("a secret of at least 32 bytes!!!")}},
		},
		Observer: observe.Func(func(ev observe.Event) {
			fmt.Println(ev.Middleware, ev.Decision, ev.Detail)
		}),
	})
	if err != nil {
		panic(err)
	}
	access, _, _ := authn.Tokens().Sign(auth.Access, "u-alice", "", nil)
	refresh, _, _ := authn.Tokens().Sign(auth.Refresh, "u-alice", "", nil)
	h := authn.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, token := range []string{access, access, refresh, "not-a-token"} {
		r := httptest.NewRequest("GET", "/posts", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// auth token_accepted verified
	// auth token_accepted cached
	// auth token_refused wrong_type
	// auth token_refused malformed
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

// Tokens built on their own sign and verify without an Authenticator:
// tokens signed with an asymmetric key can be verified by other services
// that hold only the public key. TokenConfig.Now is their clock.
func ExampleNewTokens() {
	_, privateKey, _ := ed25519.GenerateKey(nil)
	issuer, _ := auth.NewTokens(auth.TokenConfig{
		Issuer: "https://api.myblog.com",
		Keys:   []auth.Key{{ID: "2026-11", PrivateKey: privateKey}},
	})
	verifier, _ := auth.NewTokens(auth.TokenConfig{
		Issuer: "https://api.myblog.com",
		Keys:   []auth.Key{{ID: "2026-11", PublicKey: privateKey.Public()}},
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
