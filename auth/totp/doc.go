// Package totp makes and checks the time-based one-time passwords of
// RFC 6238 (TOTP): the six-digit codes of authenticator apps, the
// second factor of auth's Config.CheckOTP.
//
// A code is RFC 4226's HOTP of a shared secret and the current time
// step, the Unix time divided by the period (30 seconds):
//
//	code = Truncate(HMAC-SHA-1(secret, floor(unix / 30))) mod 10^6
//
// A service enabling two-factor authentication for an account makes a
// secret with NewSecret, keeps it (it is needed to check codes, so it is
// a credential like a password's hash, but recoverable: keep it where
// only the service reads it), and gives it to the user once as URI's
// otpauth:// link, which the app reads from a QR code. It then asks for
// a first code (Verify) before turning the factor on, so that a user
// whose app did not take the secret is not locked out.
//
// # Each code once
//
// RFC 6238 §5.2 asks that a code be accepted once. Verify returns the
// step the code matched; the service keeps, per account, the last step
// it accepted and takes a new code only when its step is later, in one
// atomic step with recording it, so that two instances given the same
// code at once accept it once:
//
//	UPDATE users SET otp_step = $1 WHERE id = $2 AND otp_step < $1
//
// changing one row is the acceptance. A step later than the last also
// means a code of an earlier step, still within the skew, cannot be
// used after a later one was.
//
// # Checks
//
// Verify compares in constant time with every step of the window and
// accepts only Config.Digits ASCII digits. Secrets are 16 to 128 bytes
// (RFC 4226 §4: at least 128 bits; NewSecret makes 160). The package
// has no state and no dependency beyond the standard library.
package totp
