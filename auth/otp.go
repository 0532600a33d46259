package auth

import (
	"errors"
	"net/http"
	"slices"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/token"
)

// HeaderGitHubOTP is GitHub's two-factor header, the default of
// Config.OTPHeaders: go-github reports a 401 carrying it as
// TwoFactorAuthError, and its BasicAuthTransport sends the code in it.
const HeaderGitHubOTP = "X-GitHub-OTP"

// OTPRequired is the value of the OTP headers of the 401 that asks for a
// code: GitHub's, for a code from an authenticator app (TOTP).
const OTPRequired = "required; app"

// MsgOTPRequired is the message of that 401, GitHub's text.
const MsgOTPRequired = "Must specify two-factor authentication OTP code."

// maxOTPBytes bounds a code read from a request: longer is refused
// without asking Config.CheckOTP.
const maxOTPBytes = 64

// ErrOTPRequired is what Config.CheckOTP returns when the account has a
// second factor and the code is missing, wrong or already used. Any
// other error is a failure of the check itself and answers 503.
var ErrOTPRequired = errors.New("auth: a two-factor code is required")

// errOTPMalformed is the verdict on a request whose OTP headers disagree
// or hold a code longer than maxOTPBytes: a wrong code, counted.
var errOTPMalformed = errors.New("auth: malformed two-factor code")

// otpHeaders validates Config.OTPHeaders and returns their canonical
// keys (the default when none are given).
func otpHeaders(names []string, problems *configerr.List) []string {
	if len(names) == 0 {
		return []string{http.CanonicalHeaderKey(HeaderGitHubOTP)}
	}
	keys := make([]string, 0, len(names))
	for n, name := range names {
		if !token.Valid(name) {
			problems.Addf(configerr.Index("OTPHeaders", n), "%q is not a header name", name)
			continue
		}
		if key := http.CanonicalHeaderKey(name); !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	return keys
}

// otpCode is the code r carries in the OTP headers: "" without one, and
// errOTPMalformed when they hold two different codes or a code longer
// than any.
func (a *Authenticator) otpCode(r *http.Request) (string, error) {
	if a.checkOTP == nil {
		return "", nil
	}
	code := ""
	for _, key := range a.otpHeaders {
		for _, v := range r.Header[key] {
			switch {
			case v == "" || v == code:
			case code != "", len(v) > maxOTPBytes:
				return "", errOTPMalformed
			default:
				code = v
			}
		}
	}
	return code, nil
}

// otpRequired is the 401 asking for a code, with challenge the
// WWW-Authenticate of the credentials' scheme.
func (a *Authenticator) otpRequired(challenge string) *apierrors.Error {
	e := a.unauthorized(MsgOTPRequired, challenge)
	e.ID = "otp_required"
	for _, key := range a.otpHeaders {
		e.Header[key] = []string{OTPRequired}
	}
	return e
}
