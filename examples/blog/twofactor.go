package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/auth/totp"
	apierrors "github.com/myblog/apikit/errors"
)

// Two-factor authentication (docs/blog-api.md, Two-factor
// authentication): TOTP codes, six digits every 30 seconds.
const (
	// otpIssuer is the name authenticator apps show for the account.
	otpIssuer = "myblog"
	// maxConfirmFailures is how many wrong codes a setup takes before its
	// secret is dropped and the user starts again.
	maxConfirmFailures = 10
)

// otpHeaders are the headers a code is read from and a 401 asks for one
// in: the vendor's, as the conventions name it, and GitHub's, which
// go-github and Octokit read (go-github's BasicAuthTransport sends its
// OTP there and reports a 401 carrying it as TwoFactorAuthError).
var otpHeaders = []string{"X-myblog-OTP", auth.HeaderGitHubOTP}

// errNotPending: no two-factor setup waits for its first code.
var errNotPending = errors.New("no two-factor setup waits for a code")

// errAlreadyOn: the account has two-factor authentication on already.
var errAlreadyOn = errors.New("two-factor authentication is already on")

// otpNow is the clock of two-factor codes.
func (a *api) otpNow() time.Time {
	if a.cfg.otpNow != nil {
		return a.cfg.otpNow()
	}
	return time.Now()
}

// startTwoFactor stores a new secret for user id, waiting for its first
// code; errAlreadyOn when a confirmed one exists (a setup in progress is
// replaced).
func (s *store) startTwoFactor(ctx context.Context, id, secret string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO two_factor (user_id, secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, failures = 0, last_step = 0
		WHERE two_factor.confirmed_at IS NULL`, id, secret, dbTime(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmp.Or(err, errAlreadyOn)
	}
	return nil
}

// confirmTwoFactor turns user id's pending secret on when check accepts
// the code (returning the step it matched), counting wrong codes: the
// maxConfirmFailures-th drops the secret. It reports whether the code
// was right; errNotPending when nothing waits for one.
func (s *store) confirmTwoFactor(ctx context.Context, id string, check func(secret []byte) (int64, bool), now time.Time) (bool, error) {
	ok := false
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var encoded string
		var confirmed sql.NullString
		var failures int
		err := tx.QueryRowContext(ctx, `SELECT secret, confirmed_at, failures FROM two_factor WHERE user_id = $1`+s.forUpdate(), id).Scan(&encoded, &confirmed, &failures)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return errNotPending
		case err != nil:
			return err
		case confirmed.Valid:
			return errAlreadyOn
		}
		secret, err := totp.DecodeSecret(encoded)
		if err != nil {
			return err
		}
		step, right := check(secret)
		switch {
		case right:
			ok = true
			// The confirming code is used: it cannot log in too.
			_, err = tx.ExecContext(ctx, `UPDATE two_factor SET confirmed_at = $1, last_step = $2, failures = 0 WHERE user_id = $3`, dbTime(now), step, id)
		case failures+1 >= maxConfirmFailures:
			_, err = tx.ExecContext(ctx, `DELETE FROM two_factor WHERE user_id = $1`, id)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE two_factor SET failures = failures + 1 WHERE user_id = $1`, id)
		}
		return err
	})
	return ok, err
}

// twoFactorSecret is user id's confirmed secret; nil when two-factor
// authentication is off.
func (s *store) twoFactorSecret(ctx context.Context, id string) ([]byte, error) {
	var encoded string
	err := s.db.QueryRowContext(ctx, `SELECT secret FROM two_factor WHERE user_id = $1 AND confirmed_at IS NOT NULL`, id).Scan(&encoded)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return totp.DecodeSecret(encoded)
}

// useOTPStep records step as user id's last accepted one, if it is later
// than the last: true when it was (the code is accepted), false when a
// code of that step or a later one was accepted before. One statement,
// so two instances given one code accept it once.
func (s *store) useOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE two_factor SET last_step = $1 WHERE user_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1`, step, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// stopTwoFactor drops user id's secret; errNotFound when there is none.
func (s *store) stopTwoFactor(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM two_factor WHERE user_id = $1`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmp.Or(err, errNotFound)
	}
	return nil
}

// checkOTP is auth's CheckOTP: nil for an account without a second
// factor; for one with it, the code must be right (within a step of the
// clock) and of a step later than the last accepted.
func (a *api) checkOTP(ctx context.Context, subject, code string) error {
	secret, err := a.store.twoFactorSecret(ctx, subject)
	switch {
	case err != nil:
		return err
	case secret == nil:
		return nil
	case code == "":
		return auth.ErrOTPRequired
	}
	step, ok := a.otp.Verify(secret, code, a.otpNow())
	if !ok {
		return auth.ErrOTPRequired
	}
	used, err := a.store.useOTPStep(ctx, subject, step)
	switch {
	case err != nil:
		return err
	case !used:
		return auth.ErrOTPRequired
	}
	return nil
}

// twoFactorRepr is GET /user/two_factor, and the answer to a setup,
// which alone carries the secret.
type twoFactorRepr struct {
	URL        string  `json:"url"`
	Enabled    bool    `json:"enabled"`
	OTPAuthURI *string `json:"otpauth_uri,omitempty"`
	Secret     *string `json:"secret,omitempty"`
	ConfirmURL *string `json:"confirm_url,omitempty"`
}

// getTwoFactor is GET /user/two_factor: {"enabled": ...}.
func (a *api) getTwoFactor(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.ownCredentials(w, r, "Two-factor authentication is"); !ok {
		return
	}
	u, ok := a.current(w, r) // u.TwoFactor: userSelect reads it
	if !ok {
		return
	}
	a.render.JSON(w, r, http.StatusOK, twoFactorRepr{URL: a.baseURL(r) + "/user/two_factor", Enabled: u.TwoFactor})
}

// startTwoFactorSetup is POST /user/two_factor: 201 with a new secret
// and its otpauth:// URI, shown this once; two-factor authentication is
// on once POST /user/two_factor/confirm gets a first code. 422 when it
// is on already.
func (a *api) startTwoFactorSetup(w http.ResponseWriter, r *http.Request) {
	id, ok := a.ownCredentials(w, r, "Two-factor authentication is")
	if !ok {
		return
	}
	u, err := a.store.userByID(r.Context(), id.Subject)
	if err != nil {
		a.userLookupFailed(w, r, err)
		return
	}
	secret := totp.NewSecret()
	uri, err := a.otp.URI(otpIssuer, u.Login, secret)
	if err != nil {
		a.errors.Write(w, r, apierrors.Internal(err))
		return
	}
	encoded := totp.EncodeSecret(secret)
	switch err := a.store.startTwoFactor(r.Context(), id.Subject, encoded, time.Now()); {
	case errors.Is(err, errAlreadyOn):
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "TwoFactor", Code: apierrors.CodeCustom,
			Message: "two-factor authentication is already on; DELETE /user/two_factor turns it off"}))
		return
	case err != nil:
		a.writeStoreError(w, r, "TwoFactor", err)
		return
	}
	base := a.baseURL(r)
	confirm := base + "/user/two_factor/confirm"
	// The secret is a credential: no cache keeps the answer.
	w.Header().Set("Cache-Control", "no-store")
	a.render.Created(w, r, base+"/user/two_factor", twoFactorRepr{URL: base + "/user/two_factor", OTPAuthURI: &uri, Secret: &encoded, ConfirmURL: &confirm})
}

type confirmBody struct {
	Code *string `json:"code"`
}

// confirmTwoFactorSetup is POST /user/two_factor/confirm {"code": ...}:
// 200 and two-factor authentication on when the code is the secret's;
// 422 for a wrong one (the maxConfirmFailures-th drops the secret) or
// when no setup waits.
func (a *api) confirmTwoFactorSetup(w http.ResponseWriter, r *http.Request) {
	id, ok := a.ownCredentials(w, r, "Two-factor authentication is")
	if !ok {
		return
	}
	var in confirmBody
	if err := a.decoder.Decode(r, "TwoFactor", &in); err != nil {
		a.errors.Write(w, r, err)
		return
	}
	if in.Code == nil || *in.Code == "" {
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "TwoFactor", Field: "code", Code: apierrors.CodeMissingField}))
		return
	}
	now := a.otpNow()
	right, err := a.store.confirmTwoFactor(r.Context(), id.Subject, func(secret []byte) (int64, bool) {
		return a.otp.Verify(secret, *in.Code, now)
	}, now)
	switch {
	case errors.Is(err, errNotPending):
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "TwoFactor", Code: apierrors.CodeCustom,
			Message: "no two-factor setup waits for a code: POST /user/two_factor starts one"}))
		return
	case errors.Is(err, errAlreadyOn):
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "TwoFactor", Code: apierrors.CodeCustom,
			Message: "two-factor authentication is already on"}))
		return
	case err != nil:
		a.writeStoreError(w, r, "TwoFactor", err)
		return
	case !right:
		a.errors.Write(w, r, apierrors.ValidationFailed(apierrors.FieldError{Resource: "TwoFactor", Field: "code", Code: apierrors.CodeInvalid,
			Message: "the code is not the one your app shows now (after 10 wrong codes, the setup starts again)"}))
		return
	}
	// Basic credentials this instance remembers without a code stop
	// working now; other instances forget theirs within a minute.
	a.authn.ForgetCredentials(id.Subject)
	a.render.JSON(w, r, http.StatusOK, twoFactorRepr{URL: a.baseURL(r) + "/user/two_factor", Enabled: true})
}

// stopTwoFactorAuth is DELETE /user/two_factor: 204, the second factor
// off (or a setup in progress dropped); 404 when there is neither.
func (a *api) stopTwoFactorAuth(w http.ResponseWriter, r *http.Request) {
	id, ok := a.ownCredentials(w, r, "Two-factor authentication is")
	if !ok {
		return
	}
	if err := a.store.stopTwoFactor(r.Context(), id.Subject); err != nil {
		a.writeStoreError(w, r, "TwoFactor", err)
		return
	}
	a.authn.ForgetCredentials(id.Subject)
	w.WriteHeader(http.StatusNoContent)
}
