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
// right after sign-up.
func (a *Authenticator) Issue(ctx context.Context, subject string, scopes []string) (*Pair, error) {
	session := rand.Text()
	pair, refresh, err := a.sign(subject, session, scopes)
	if err != nil {
		return nil, err
	}
	if err := a.sessions.Start(ctx, session, refresh.ID, refresh.ExpiresAt.Time, a.now()); err != nil {
		return nil, fmt.Errorf("auth: starting a session: %w", err)
	}
	return pair, nil
}

// sign signs an access and a refresh token for one session.
func (a *Authenticator) sign(subject, session string, scopes []string) (*Pair, *Claims, error) {
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
// Pair, in the seed's body by default:
//
//	{"data": {"token": "...", "refresh_token": "...", "expires_in": 7200},
//	 "code": "200", "msg": "SUCCESS"}
//
// A bad body is 400 or 422; a wrong login or password 401 "Bad
// credentials"; a locked account or client IP 403 with Retry-After. When
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
			a.failWith(w, r, err)
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
			a.failWith(w, r, err)
			return
		}
		subject, e := a.attemptPassword(r, login, in.Password, false)
		if e != nil {
			a.fail(w, r, e)
			return
		}
		pair, err := a.Issue(r.Context(), subject, nil)
		if err != nil {
			a.fail(w, r, apierrors.Internal(err))
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

func (a *Authenticator) failWith(w http.ResponseWriter, r *http.Request, err error) {
	var e *apierrors.Error
	if errors.As(err, &e) {
		a.fail(w, r, e)
		return
	}
	a.fail(w, r, apierrors.Internal(err))
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshToken finds the refresh token of a Refresh or Logout request: in
// Authorization ("Bearer <t>" or "token <t>") or, without one, in a JSON
// body {"refresh_token": "..."}.
func (a *Authenticator) refreshToken(r *http.Request) (string, *apierrors.Error) {
	values := r.Header["Authorization"]
	switch {
	case len(values) > 1:
		return "", a.unauthorized(MsgBadCredentials, a.invalidChallenge)
	case len(values) == 1 && strings.Trim(values[0], " \t") != "":
		creds, err := parseAuthorization(values[0], a.maxHeaderBytes)
		if err != nil || creds.scheme != schemeToken {
			return "", a.unauthorized(MsgBadCredentials, a.invalidChallenge)
		}
		return creds.token, nil
	}
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return "", a.unauthorized(MsgRequiresAuthentication, a.bearerChallenge)
	}
	var in refreshBody
	if err := a.decoder.Decode(r, "RefreshToken", &in); err != nil {
		var e *apierrors.Error
		if errors.As(err, &e) {
			return "", e
		}
		return "", apierrors.Internal(err)
	}
	switch {
	case in.RefreshToken == "":
		v := apierrors.NewValidation("RefreshToken")
		v.MissingField("refresh_token")
		var e *apierrors.Error
		errors.As(v.Err(), &e)
		return "", e
	case len(in.RefreshToken) > a.maxHeaderBytes:
		return "", a.unauthorized(MsgBadCredentials, a.invalidChallenge)
	}
	return in.RefreshToken, nil
}

// Refresh answers PATCH (or POST) with a refresh token with a new Pair in
// the same session, in Login's body. Each refresh token works once: the
// one presented is replaced by the new one, and presenting it again
// revokes the whole session (someone holds a stolen copy) and is 401, as
// is an expired, revoked or access token.
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
		token, e := a.refreshToken(r)
		if e != nil {
			a.fail(w, r, e)
			return
		}
		claims, err := a.tokens.Verify(token, Refresh)
		if err != nil || claims.Session == "" {
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
			return
		}
		pair, next, err := a.sign(claims.Subject, claims.Session, strings.Fields(claims.Scope))
		if err != nil {
			a.fail(w, r, apierrors.Internal(err))
			return
		}
		ctx := r.Context()
		result, err := a.sessions.Rotate(ctx, claims.Session, claims.ID, next.ID, next.ExpiresAt.Time, a.now())
		if err != nil {
			a.fail(w, r, apierrors.Internal(fmt.Errorf("auth: rotating a refresh token: %w", err)))
			return
		}
		switch result {
		case Rotated:
			a.writePair(w, r, pair)
		case Reused:
			if a.logger != nil {
				a.logger.LogAttrs(ctx, slog.LevelWarn, "auth: refresh token reused; session revoked",
					slog.String("subject", claims.Subject), slog.String("session", claims.Session),
					slog.String("client_ip", a.clientIP(r)))
			}
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
		default:
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
		}
	})
}

// Logout answers DELETE with a refresh token (as Refresh takes it) by
// revoking its session: neither it nor any token of its family can be
// refreshed again. Access tokens already issued stay valid until they
// expire (at most Tokens.AccessTTL). The answer is the renderer's Done:
// 204, or 200 {"code": "200", "msg": "SUCCESS"} in the seed's envelope.
func (a *Authenticator) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, e := a.refreshToken(r)
		if e != nil {
			a.fail(w, r, e)
			return
		}
		claims, err := a.tokens.Verify(token, Refresh)
		if err != nil || claims.Session == "" {
			a.fail(w, r, a.unauthorized(MsgBadCredentials, a.invalidChallenge))
			return
		}
		if err := a.sessions.Revoke(r.Context(), claims.Session); err != nil {
			a.fail(w, r, apierrors.Internal(fmt.Errorf("auth: revoking a session: %w", err)))
			return
		}
		a.render.Done(w, r)
	})
}
