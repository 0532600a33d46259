package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
)

// Limits on Login's fields: longer values are 422 "invalid" before any
// password hashing, so a megabyte password cannot cost a megabyte of hashing.
const (
	maxLoginBytes    = 256
	maxPasswordBytes = 1024
)

// Pair is a new access token and its refresh token, the body of Login and
// Refresh: {"token": "...", "refresh_token": "...", "expires_in": 7200}.
type Pair struct {
	// Token is the access token.
	Token string `json:"token"`
	// RefreshToken buys the next Pair, once.
	RefreshToken string `json:"refresh_token"`
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int64 `json:"expires_in"`
}

// Issue opens a new login session for subject and returns its first Pair:
// what Login answers once the password is right. Use it to log a user in
// right after sign-up. An error is the signer's or the TokenStore's.
func (a *Authenticator) Issue(ctx context.Context, subject string, scopes []string) (*Pair, error) {
	session := rand.Text()
	pair, refresh, err := a.sign(subject, session, scopes)
	if err != nil {
		return nil, err
	}
	if err := a.sessions.Start(ctx, session, refresh.ID, refresh.ExpiresAt.Time, a.now()); err != nil {
		return nil, &storeError{op: "start", err: err}
	}
	return pair, nil
}

// storeError is a TokenStore failure: Login, Refresh and Logout answer it
// 503, where a signing failure is a 500.
type storeError struct {
	op  string // "start", "rotate", "revoke": the StoreError Detail
	err error
}

func (e *storeError) Error() string { return "auth: token store: " + e.op + ": " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// failStore answers a TokenStore failure: 503 with Retry-After,
// observed and logged.
func (a *Authenticator) failStore(w http.ResponseWriter, r *http.Request, err *storeError) {
	a.storeFailed(r, err.op, err.err, true)
	a.fail(w, r, unavailable("sessions_unavailable", err))
}

// failInternal answers a failure of auth itself (signing) with a 500,
// logged at Error level.
func (a *Authenticator) failInternal(w http.ResponseWriter, r *http.Request, err error) {
	var se *storeError
	if errors.As(err, &se) {
		a.failStore(w, r, se)
		return
	}
	a.logError(r, slog.LevelError, "auth: issuing tokens failed", err)
	a.fail(w, r, apierrors.Internal(err))
}

// sign signs an access and a refresh token for one session.
func (a *Authenticator) sign(subject, session string, scopes []string) (*Pair, *Claims, error) {
	if a.tokens == nil {
		return nil, nil, ErrCannotSign
	}
	access, _, err := a.tokens.Sign(Access, subject, session, scopes)
	if err != nil {
		return nil, nil, err
	}
	refresh, refreshClaims, err := a.tokens.Sign(Refresh, subject, session, scopes)
	if err != nil {
		return nil, nil, err
	}
	pair := &Pair{Token: access, RefreshToken: refresh, ExpiresIn: int64(a.tokens.accessTTL.Seconds())}
	return pair, refreshClaims, nil
}

type loginBody struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Login answers POST {"username" or "email", "password"} with a new token
// Pair, by default GitHub's bare body (Config.Render):
//
//	{"token": "...", "refresh_token": "...", "expires_in": 7200}
//
// A bad body is 400 or 422; a wrong login or password 401 "Bad
// credentials"; a locked account or client 403 with Retry-After; a
// failing AttemptStore or TokenStore 503 with Retry-After. When
// both username and email are sent, username is the login checked. Mount
// it on POST only. It answers 404 when Config.CheckPassword is nil or the
// first key cannot sign (a service that only verifies tokens).
func (a *Authenticator) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.checkPassword == nil || !a.tokens.CanSign() {
			a.fail(w, r, apierrors.NotFound())
			return
		}
		var in loginBody
		if err := a.decoder.Decode(r, "Login", &in); err != nil {
			a.failInvalid(w, r, "login", err)
			return
		}
		login := in.Username
		field := "username"
		if login == "" {
			login, field = in.Email, "email"
		}
		v := apierrors.NewValidation("Login")
		switch {
		case login == "":
			v.Add(apierrors.FieldError{Field: "username", Code: apierrors.CodeMissingField, Message: "username or email is required"})
		case len(login) > maxLoginBytes:
			v.Add(apierrors.FieldError{Field: field, Code: apierrors.CodeInvalid, Message: fmt.Sprintf("%s is longer than %d bytes", field, maxLoginBytes)})
		}
		switch {
		case in.Password == "":
			v.MissingField("password")
		case len(in.Password) > maxPasswordBytes:
			v.Add(apierrors.FieldError{Field: "password", Code: apierrors.CodeInvalid, Message: fmt.Sprintf("password is longer than %d bytes", maxPasswordBytes)})
		}
		if err := v.Err(); err != nil {
			a.failInvalid(w, r, "login", err)
			return
		}
		code, codeErr := a.otpCode(r)
		subject, e := a.attemptPassword(r, login, in.Password, code, codeErr, "login")
		if e != nil {
			a.fail(w, r, e)
			return
		}
		pair, err := a.Issue(r.Context(), subject, nil)
		if err != nil {
			a.failInternal(w, r, err)
			return
		}
		a.writePair(w, r, pair)
	})
}

func (a *Authenticator) writePair(w http.ResponseWriter, r *http.Request, pair *Pair) {
	// RFC 6749 §5.1: responses carrying tokens must not be cached.
	w.Header().Set("Cache-Control", "no-store")
	a.render.JSON(w, r, http.StatusOK, pair)
}

// failInvalid answers a body the Decoder or the validation refused (400,
// 415, 422...), observed as Invalid with detail ("login", "refresh").
func (a *Authenticator) failInvalid(w http.ResponseWriter, r *http.Request, detail string, err error) {
	var e *apierrors.Error
	if !errors.As(err, &e) {
		e = apierrors.Internal(err)
	}
	a.emit(r, observe.Invalid, detail, err)
	a.fail(w, r, e)
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshToken finds the refresh token of a Refresh or Logout request: in
// Authorization ("Bearer <t>" or "token <t>") or, without one, in a JSON
// body {"refresh_token": "..."}. When there is none it answers the
// request and returns false.
func (a *Authenticator) refreshToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	values := r.Header["Authorization"]
	switch {
	case len(values) > 1:
		a.refuseToken(w, r, a.invalidChallenge, "duplicate", nil)
		return "", false
	case len(values) == 1 && strings.Trim(values[0], " \t") != "":
		creds, err := parseAuthorization(values[0], a.maxHeaderBytes)
		switch {
		case err != nil:
			a.refuseToken(w, r, a.invalidChallenge, headerRefusal(err), err)
			return "", false
		case creds.scheme != schemeToken:
			a.refuseToken(w, r, a.invalidChallenge, "scheme", nil)
			return "", false
		}
		return creds.token, true
	}
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		a.emit(r, observe.TokenRefused, "missing", nil)
		a.fail(w, r, a.unauthorized(MsgRequiresAuthentication, a.bearerChallenge))
		return "", false
	}
	var in refreshBody
	if err := a.decoder.Decode(r, "RefreshToken", &in); err != nil {
		a.failInvalid(w, r, "refresh", err)
		return "", false
	}
	switch {
	case in.RefreshToken == "":
		v := apierrors.NewValidation("RefreshToken")
		v.MissingField("refresh_token")
		a.failInvalid(w, r, "refresh", v.Err())
		return "", false
	case len(in.RefreshToken) > a.maxHeaderBytes:
		a.refuseToken(w, r, a.invalidChallenge, "too_large", nil)
		return "", false
	}
	return in.RefreshToken, true
}

// verifiedRefresh verifies the refresh token of a Refresh or Logout
// request, or answers the request and returns nil.
func (a *Authenticator) verifiedRefresh(w http.ResponseWriter, r *http.Request) *Claims {
	if a.tokens == nil {
		a.fail(w, r, apierrors.NotFound()) // no tokens of its own: nothing to refresh
		return nil
	}
	token, ok := a.refreshToken(w, r)
	if !ok {
		return nil
	}
	claims, err := a.tokens.Verify(token, Refresh)
	switch {
	case err != nil:
		a.refuseToken(w, r, a.invalidChallenge, tokenRefusal(err), err)
		return nil
	case claims.Session == "":
		a.refuseToken(w, r, a.invalidChallenge, "no_session", nil)
		return nil
	}
	return claims
}

// Refresh answers PATCH (or POST) with a refresh token with a new Pair in
// the same session, in Login's body. Each refresh token works once: the
// one presented is replaced by the new one, and presenting it again
// revokes the whole session (someone holds a stolen copy) and is 401, as
// is an expired, revoked or access token. A failing TokenStore is 503
// with Retry-After.
//
// The refresh token comes as "Authorization: Bearer <t>" or as the body
// {"refresh_token": "..."}. Mount it at Config.RefreshPath, where the
// middleware lets a refresh token through.
func (a *Authenticator) Refresh() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.tokens.CanSign() {
			a.fail(w, r, apierrors.NotFound())
			return
		}
		claims := a.verifiedRefresh(w, r)
		if claims == nil {
			return
		}
		pair, next, err := a.sign(claims.Subject, claims.Session, strings.Fields(claims.Scope))
		if err != nil {
			a.failInternal(w, r, err)
			return
		}
		result, err := a.sessions.Rotate(r.Context(), claims.Session, claims.ID, next.ID, next.ExpiresAt.Time, a.now())
		if err != nil {
			a.failStore(w, r, &storeError{op: "rotate", err: err})
			return
		}
		switch result {
		case Rotated:
			a.emit(r, observe.Refreshed, "", nil)
			a.writePair(w, r, pair)
		case Reused:
			a.emit(r, observe.RefreshReused, "", nil)
			// Not an ordinary refusal: one of the token's two holders is a
			// thief, and the operator wants to know.
			if a.logger != nil {
				a.logger.LogAttrs(r.Context(), slog.LevelWarn, "auth: refresh token reused; session revoked",
					slog.String("subject", claims.Subject), slog.String("session", claims.Session),
					slog.String("client_ip", a.resolver.ClientIP(r)),
					slog.String("method", r.Method), slog.String("path", r.URL.Path))
			}
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
		default:
			a.refuseToken(w, r, a.invalidChallenge, "unknown_session", nil)
		}
	})
}

// Logout answers DELETE with a refresh token (as Refresh takes it) by
// revoking its session: neither it nor any token of its family can be
// refreshed again. Access tokens already issued stay valid until they
// expire (at most Tokens.AccessTTL). The answer is the renderer's Done:
// 204 No Content by default, 200 {"code": "200", "msg": "SUCCESS"} with
// the envelope.
func (a *Authenticator) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := a.verifiedRefresh(w, r)
		if claims == nil {
			return
		}
		if err := a.sessions.Revoke(r.Context(), claims.Session); err != nil {
			a.failStore(w, r, &storeError{op: "revoke", err: err})
			return
		}
		a.render.Done(w, r)
	})
}
