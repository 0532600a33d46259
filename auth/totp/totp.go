package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"hash"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/myblog/apikit/internal/configerr"
)

// Algorithm is the HMAC hash of the codes (RFC 6238 §1.2).
type Algorithm int

const (
	// SHA1 is RFC 4226's HMAC-SHA-1, the one every authenticator app
	// supports: the default.
	SHA1 Algorithm = iota
	// SHA256 is HMAC-SHA-256 (RFC 6238 §1.2).
	SHA256
	// SHA512 is HMAC-SHA-512 (RFC 6238 §1.2).
	SHA512
)

// String is the algorithm's name in an otpauth:// URI: "SHA1", "SHA256",
// "SHA512".
func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	case SHA512:
		return "SHA512"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

func (a Algorithm) hash() func() hash.Hash {
	switch a {
	case SHA256:
		return sha256.New
	case SHA512:
		return sha512.New
	}
	return sha1.New
}

// Defaults of Config.
const (
	DefaultDigits = 6
	DefaultPeriod = 30 * time.Second
	DefaultSkew   = 1
	// MaxSkew bounds Config.Skew: each step accepted either side of the
	// current one is another code an attacker may guess.
	MaxSkew = 3
	// SecretBytes is the length of NewSecret's secrets: 160 bits, RFC
	// 4226 §4's recommendation, the length of SHA-1's output.
	SecretBytes = 20
	// minSecretBytes is RFC 4226 §4's minimum: 128 bits.
	minSecretBytes = 16
	// maxSecretBytes bounds a secret: past a hash's block size HMAC
	// hashes the key first, so longer keys add nothing.
	maxSecretBytes = 128
)

// Config configures a TOTP. The zero value is what authenticator apps
// expect: six digits, a step of 30 seconds, HMAC-SHA-1, one step of
// clock drift accepted either way.
type Config struct {
	// Digits is the length of a code: 6 (the default) to 10.
	Digits int
	// Period is the time step X of RFC 6238 §4.1, whole seconds. Default
	// 30 seconds.
	Period time.Duration
	// Algorithm is the HMAC hash. Default SHA1.
	Algorithm Algorithm
	// Skew is how many steps before and after the current one a code is
	// accepted from (RFC 6238 §5.2's allowance for drifting clocks and
	// slow typing), at most MaxSkew. Default 1; negative: the current
	// step only.
	Skew int
}

// TOTP makes and checks codes. Build one with New; it is safe for
// concurrent use.
type TOTP struct {
	digits    int
	modulus   uint32 // 10^digits
	period    int64  // seconds
	algorithm Algorithm
	skew      int
}

// New validates cfg and returns its TOTP. Every problem is an
// *apierrors.ConfigError.
func New(cfg Config) (*TOTP, error) {
	problems := configerr.New("totp")
	t := &TOTP{digits: cfg.Digits, algorithm: cfg.Algorithm, skew: cfg.Skew}
	switch {
	case t.digits == 0:
		t.digits = DefaultDigits
	case t.digits < 6 || t.digits > 10:
		problems.Addf("Digits", "%d is not between 6 and 10", t.digits)
	}
	switch {
	case cfg.Period == 0:
		t.period = int64(DefaultPeriod / time.Second)
	case cfg.Period < time.Second || cfg.Period%time.Second != 0:
		problems.Addf("Period", "%v is not a whole number of seconds", cfg.Period)
	default:
		t.period = int64(cfg.Period / time.Second)
	}
	if t.algorithm < SHA1 || t.algorithm > SHA512 {
		problems.Addf("Algorithm", "%v is not SHA1, SHA256 or SHA512", t.algorithm)
	}
	switch {
	case t.skew == 0:
		t.skew = DefaultSkew
	case t.skew < 0:
		t.skew = 0
	case t.skew > MaxSkew:
		problems.Addf("Skew", "%d is more than %d", t.skew, MaxSkew)
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	t.modulus = 1
	for range min(t.digits, 9) {
		t.modulus *= 10
	}
	return t, nil
}

// NewSecret returns SecretBytes random bytes from crypto/rand, a new
// account's shared secret.
func NewSecret() []byte {
	secret := make([]byte, SecretBytes)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24)
	return secret
}

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret is a secret in the base32 of otpauth:// URIs and of the
// keys people type into an app: upper case, unpadded (RFC 4648 §6).
func EncodeSecret(secret []byte) string { return encoding.EncodeToString(secret) }

// ErrSecret is the error of DecodeSecret and of the methods given a
// secret outside RFC 4226 §4's bounds.
var ErrSecret = errors.New("totp: a secret is 16 to 128 bytes of base32")

// DecodeSecret reads EncodeSecret's form, also in lower case, with
// spaces or with padding, as people copy keys. The secret must be 16 to
// 128 bytes (RFC 4226 §4: at least 128 bits).
func DecodeSecret(s string) ([]byte, error) {
	if len(s) > 2*maxSecretBytes*8/5 {
		return nil, ErrSecret
	}
	s = strings.TrimRight(strings.ToUpper(strings.ReplaceAll(s, " ", "")), "=")
	secret, err := encoding.DecodeString(s)
	if err != nil || len(secret) < minSecretBytes || len(secret) > maxSecretBytes {
		return nil, ErrSecret
	}
	return secret, nil
}

// Step is the time step of at (RFC 6238 §4.2: T = (unix time) / X),
// the counter its codes are made from. A step is what a service keeps
// to make each code single-use: Verify's step must be later than the
// last one the account accepted.
func (t *TOTP) Step(at time.Time) int64 {
	unix := at.Unix()
	if unix < 0 {
		return 0
	}
	return unix / t.period
}

// Code is the code of secret at the time at.
func (t *TOTP) Code(secret []byte, at time.Time) (string, error) {
	if len(secret) < minSecretBytes || len(secret) > maxSecretBytes {
		return "", ErrSecret
	}
	return t.format(t.hotp(hmac.New(t.algorithm.hash(), secret), t.Step(at))), nil
}

// Verify reports whether code is the code of secret at one of the steps
// around at (Config.Skew), and which step. It compares in constant time
// with every step of the window, so the time it takes tells nothing
// about which step matched or how much of the code did. A code is a
// string of exactly Config.Digits ASCII digits; anything else is false.
//
// Verify does not know which codes were used: a service keeps, per
// account, the last step it accepted and refuses a step that is not
// later (RFC 6238 §5.2: a code is accepted once), in the same atomic
// step as it records the new one, such as an UPDATE ... WHERE
// last_step < $step that must change one row.
func (t *TOTP) Verify(secret []byte, code string, at time.Time) (step int64, ok bool) {
	if len(code) != t.digits || len(secret) < minSecretBytes || len(secret) > maxSecretBytes {
		return 0, false
	}
	var want uint64
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		want = want*10 + uint64(c-'0')
	}
	current := t.Step(at)
	mac := hmac.New(t.algorithm.hash(), secret)
	found := 0
	for s := current - int64(t.skew); s <= current+int64(t.skew); s++ {
		if s < 0 {
			continue
		}
		got := uint64(t.hotp(mac, s))
		match := subtle.ConstantTimeEq(int32(got>>32), int32(want>>32)) & subtle.ConstantTimeEq(int32(got), int32(want))
		// The latest matching step, chosen without a branch on the match.
		step = int64(subtle.ConstantTimeSelect(match, int(s), int(step)))
		found |= match
	}
	return step, found == 1
}

// hotp is RFC 4226 §5.3's HOTP value of counter, before it is cut to
// Digits (a 31-bit number; Digits 10 keeps it whole), with mac the
// HMAC keyed with the secret.
func (t *TOTP) hotp(mac hash.Hash, counter int64) uint32 {
	mac.Reset()
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac.Write(msg[:])
	var buf [sha512.Size]byte
	sum := mac.Sum(buf[:0])
	offset := sum[len(sum)-1] & 0x0f
	value := binary.BigEndian.Uint32(sum[offset:]) & 0x7fffffff
	if t.digits >= 10 {
		return value
	}
	return value % t.modulus
}

// format writes value with Digits digits, leading zeros kept.
func (t *TOTP) format(value uint32) string {
	var buf [10]byte
	for i := t.digits - 1; i >= 0; i-- {
		buf[i] = byte('0' + value%10)
		value /= 10
	}
	return string(buf[:t.digits])
}

// ErrLabel is URI's error for an issuer or account an otpauth:// label
// cannot carry.
var ErrLabel = errors.New("totp: the issuer and account must be non-empty and have no colon")

// URI is the otpauth://totp/ URI an authenticator app reads (usually
// from a QR code) to add the account: the label "issuer:account", the
// secret, the issuer again as a parameter (Google Authenticator's Key
// URI format), and the algorithm, digits and period when they are not
// the defaults every app assumes. The issuer is the service's name as
// the user will see it in the app; the account is the user's login.
func (t *TOTP) URI(issuer, account string, secret []byte) (string, error) {
	if issuer == "" || account == "" || strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return "", ErrLabel
	}
	if len(secret) < minSecretBytes || len(secret) > maxSecretBytes {
		return "", ErrSecret
	}
	q := url.Values{"secret": {EncodeSecret(secret)}, "issuer": {issuer}}
	if t.algorithm != SHA1 {
		q.Set("algorithm", t.algorithm.String())
	}
	if t.digits != DefaultDigits {
		q.Set("digits", strconv.Itoa(t.digits))
	}
	if t.period != int64(DefaultPeriod/time.Second) {
		q.Set("period", strconv.FormatInt(t.period, 10))
	}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	return u.String(), nil
}
