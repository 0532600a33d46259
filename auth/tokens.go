package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/myblog/apikit/internal/configerr"
)

// Default token lifetimes: an access token is good for two hours, a
// refresh token for two weeks.
const (
	DefaultAccessTTL  = 2 * time.Hour
	DefaultRefreshTTL = 14 * 24 * time.Hour
)

// TokenType says what a token may be used for. It travels in the
// "token_type" claim, so an access token is never accepted where a
// refresh token is expected, nor the reverse.
type TokenType string

const (
	// Access tokens authenticate API requests.
	Access TokenType = "access"
	// Refresh tokens buy a new token pair, once.
	Refresh TokenType = "refresh"
)

// Errors Verify wraps, for logs and errors.Is. A client only ever sees
// "Bad credentials", whatever the reason.
var (
	// ErrInvalidToken: the token is malformed, badly signed, expired, not
	// yet valid, or for another issuer or audience.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrWrongTokenType: a valid token of the other type.
	ErrWrongTokenType = errors.New("auth: wrong token type")
	// ErrCannotSign: Sign on Tokens whose first key has no private part.
	ErrCannotSign = errors.New("auth: the signing key has no private part")
)

// Key is one key that signs or verifies tokens.
type Key struct {
	// ID is the key id, sent as the token header's "kid" and used to pick
	// the verification key, so keys can be rotated: sign with the new key
	// while the old one still verifies the tokens it signed. Required
	// when there is more than one key.
	ID string
	// Algorithm is the JWS algorithm: HS256, HS384, HS512, RS256, RS384,
	// RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA. Default:
	// HS256 for a Secret, RS256 for an RSA key, the ES algorithm of an
	// ECDSA key's curve, EdDSA for an Ed25519 key. "none" is never allowed.
	Algorithm string
	// Secret is the HMAC key of an HS algorithm, at least as long as the
	// hash (32 bytes for HS256), as RFC 7518 §3.2 requires.
	Secret []byte
	// PrivateKey signs: an *rsa.PrivateKey (2048 bits or more), an
	// *ecdsa.PrivateKey or an ed25519.PrivateKey. Optional on every key
	// but the first; a service that only verifies needs none.
	PrivateKey crypto.Signer
	// PublicKey verifies: an *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey. Default: PrivateKey's public part.
	PublicKey crypto.PublicKey
}

// TokenConfig configures Tokens. Keys and Issuer are required; every
// other zero value is a default documented on its field.
type TokenConfig struct {
	// Keys verify tokens, chosen by the token's "kid"; Keys[0] also signs.
	Keys []Key
	// Issuer is the "iss" claim of every token and the only one accepted
	// ("https://api.myblog.com"). Required.
	Issuer string
	// Audience is the "aud" claim of every token and the one a token must
	// name to be accepted. Default: Issuer.
	Audience string
	// AccessTTL is an access token's lifetime. Default 2 hours.
	AccessTTL time.Duration
	// RefreshTTL is a refresh token's lifetime. Default 2 weeks.
	RefreshTTL time.Duration
	// Leeway tolerates clock skew between the machine that signed a token
	// and the one that checks it, on "exp", "nbf" and "iat". Default 0;
	// at most 5 minutes.
	Leeway time.Duration
	// Now is the clock of Tokens built with NewTokens, on their own.
	// Default time.Now. In Config.Tokens it must be nil: an
	// Authenticator's tokens run on Config.Now, its one clock.
	Now func() time.Time
}

// Claims are the claims of an apikit token.
type Claims struct {
	jwt.RegisteredClaims
	// Type is "access" or "refresh".
	Type TokenType `json:"token_type"`
	// Session ("sid") names the login session: the refresh-token family
	// a token belongs to. Every rotation keeps it.
	Session string `json:"sid,omitempty"`
	// Scope lists the token's scopes, space-separated (RFC 8693 §4.2).
	Scope string `json:"scope,omitempty"`
}

// Tokens signs and verifies access and refresh tokens. It is safe for
// concurrent use.
type Tokens struct {
	signer     *verificationKey // nil when Keys[0] cannot sign
	keys       []verificationKey
	issuer     string
	audience   []string
	accessTTL  time.Duration
	refreshTTL time.Duration
	leeway     time.Duration
	now        func() time.Time
	parser     *jwt.Parser
}

type verificationKey struct {
	id     string
	method jwt.SigningMethod
	verify any // []byte, *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey
	sign   any // []byte, crypto.Signer; nil when verify-only

	header string     // the header segment Sign writes with this key
	macs   *sync.Pool // keyed HMAC states, for HS keys
}

// maxLeeway bounds TokenConfig.Leeway: more than a few minutes of skew is
// a broken clock, and leeway extends every stolen token's life.
const maxLeeway = 5 * time.Minute

// NewTokens validates cfg and returns its Tokens, for a service that
// signs or verifies tokens without an Authenticator (one that only
// verifies the tokens another service issued, say). Every problem is an
// *apierrors.ConfigError ("auth: Keys[0].Secret: ...").
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	problems := configerr.New("auth")
	t := &Tokens{
		issuer:     cfg.Issuer,
		accessTTL:  cfg.AccessTTL,
		refreshTTL: cfg.RefreshTTL,
		leeway:     cfg.Leeway,
		now:        cfg.Now,
	}
	if cfg.Issuer == "" {
		problems.Add("Issuer", "is required")
	}
	audience := cfg.Audience
	if audience == "" {
		audience = cfg.Issuer
	}
	t.audience = []string{audience}
	switch {
	case t.accessTTL == 0:
		t.accessTTL = DefaultAccessTTL
	case t.accessTTL < time.Second:
		problems.Add("AccessTTL", "must be at least one second")
	}
	switch {
	case t.refreshTTL == 0:
		t.refreshTTL = DefaultRefreshTTL
	case t.refreshTTL < time.Second:
		problems.Add("RefreshTTL", "must be at least one second")
	}
	if cfg.Leeway < 0 || cfg.Leeway > maxLeeway {
		problems.Addf("Leeway", "must be between 0 and %s", maxLeeway)
	}
	if t.now == nil {
		t.now = time.Now
	}
	if len(cfg.Keys) == 0 {
		problems.Add("Keys", "at least one key is required")
	}
	seen := make(map[string]bool, len(cfg.Keys))
	var algs []string
	for i, k := range cfg.Keys {
		field := configerr.Index("Keys", i)
		if len(cfg.Keys) > 1 && k.ID == "" {
			problems.Add(field+".ID", "is required when there is more than one key")
		}
		if seen[k.ID] {
			problems.Addf(field+".ID", "%q is used by another key", k.ID)
		}
		seen[k.ID] = true
		vk, keyField, problem := newVerificationKey(k)
		if problem != "" {
			if keyField != "" {
				field += "." + keyField
			}
			problems.Add(field, problem)
			continue
		}
		t.keys = append(t.keys, vk)
		if !contains(algs, vk.method.Alg()) {
			algs = append(algs, vk.method.Alg())
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	if t.keys[0].sign != nil {
		t.signer = &t.keys[0]
	}
	if err := t.prepareFastPath(); err != nil {
		return nil, err
	}
	t.parser = jwt.NewParser(
		// RFC 8725 §3.1: accept only the algorithms we configured; the
		// key function below also ties each key to its one algorithm.
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	return t, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// newVerificationKey checks that k's algorithm and key material agree, so
// an RSA key can never be used as an HMAC secret (the classic algorithm
// confusion) nor the reverse. A problem is reported with the field of Key
// it concerns ("Secret", "Algorithm"; empty for the key as a whole).
func newVerificationKey(k Key) (vk verificationKey, field, problem string) {
	vk.id = k.ID
	alg := k.Algorithm
	hasSecret := len(k.Secret) > 0
	hasAsym := k.PrivateKey != nil || k.PublicKey != nil
	switch {
	case hasSecret && hasAsym:
		return vk, "", "set Secret or PrivateKey/PublicKey, not both"
	case !hasSecret && !hasAsym:
		return vk, "", "has no Secret, PrivateKey or PublicKey"
	}
	public := k.PublicKey
	keyField := "PublicKey"
	if public == nil && k.PrivateKey != nil {
		public = k.PrivateKey.Public()
		keyField = "PrivateKey"
	}
	if hasSecret {
		if alg == "" {
			alg = "HS256"
		}
		m, ok := jwt.GetSigningMethod(alg).(*jwt.SigningMethodHMAC)
		if !ok {
			return vk, "Algorithm", fmt.Sprintf("%q does not take a Secret", alg)
		}
		if min := m.Hash.Size(); len(k.Secret) < min {
			return vk, "Secret", fmt.Sprintf("must be at least %d bytes for %s (RFC 7518 §3.2)", min, alg)
		}
		secret := append([]byte(nil), k.Secret...)
		vk.method, vk.verify, vk.sign = m, secret, secret
		return vk, "", ""
	}
	switch pub := public.(type) {
	case *rsa.PublicKey:
		if alg == "" {
			alg = "RS256"
		}
		if pub.N.BitLen() < 2048 {
			return vk, keyField, "RSA keys must have at least 2048 bits (RFC 7518 §3.3)"
		}
		switch m := jwt.GetSigningMethod(alg).(type) {
		case *jwt.SigningMethodRSA:
			vk.method = m
		case *jwt.SigningMethodRSAPSS:
			vk.method = m
		default:
			return vk, "Algorithm", fmt.Sprintf("%q does not take an RSA key", alg)
		}
		vk.verify = pub
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(*rsa.PrivateKey)
			if !ok {
				return vk, "PublicKey", "is not of PrivateKey's type"
			}
			vk.sign = priv
		}
	case *ecdsa.PublicKey:
		curveAlg := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[pub.Curve]
		if curveAlg == "" {
			return vk, keyField, "ECDSA keys must be on P-256, P-384 or P-521"
		}
		if alg == "" {
			alg = curveAlg
		}
		if alg != curveAlg {
			return vk, "Algorithm", fmt.Sprintf("%q does not match the key's curve (%s)", alg, curveAlg)
		}
		vk.method, vk.verify = jwt.GetSigningMethod(alg), pub
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(*ecdsa.PrivateKey)
			if !ok {
				return vk, "PublicKey", "is not of PrivateKey's type"
			}
			vk.sign = priv
		}
	case ed25519.PublicKey:
		if alg == "" {
			alg = "EdDSA"
		}
		if alg != "EdDSA" {
			return vk, "Algorithm", fmt.Sprintf("%q does not take an Ed25519 key", alg)
		}
		if len(pub) != ed25519.PublicKeySize {
			return vk, keyField, "the Ed25519 public key has the wrong size"
		}
		vk.method, vk.verify = jwt.SigningMethodEdDSA, pub
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(ed25519.PrivateKey)
			if !ok {
				return vk, "PublicKey", "is not of PrivateKey's type"
			}
			vk.sign = priv
		}
	default:
		return vk, keyField, fmt.Sprintf("unsupported key type %T", public)
	}
	if k.PublicKey != nil && k.PrivateKey != nil {
		if eq, ok := k.PrivateKey.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(k.PublicKey) {
			return vk, "PublicKey", "is not PrivateKey's public part"
		}
	}
	return vk, "", ""
}

// CanSign reports whether t can sign tokens (its first key has a Secret or
// a PrivateKey).
func (t *Tokens) CanSign() bool { return t != nil && t.signer != nil }

// TTL returns the lifetime of tokens of type typ.
func (t *Tokens) TTL(typ TokenType) time.Duration {
	if typ == Refresh {
		return t.refreshTTL
	}
	return t.accessTTL
}

// Sign returns a new signed token of type typ for subject, in session
// (the refresh-token family; may be empty for a token outside one), with
// scopes, and its claims. Every token gets a fresh random "jti".
func (t *Tokens) Sign(typ TokenType, subject, session string, scopes []string) (string, *Claims, error) {
	if t.signer == nil {
		return "", nil, ErrCannotSign
	}
	if typ != Access && typ != Refresh {
		return "", nil, fmt.Errorf("auth: unknown token type %q", typ)
	}
	if subject == "" {
		return "", nil, errors.New("auth: a token needs a subject")
	}
	// NumericDate has one-second resolution (RFC 7519 §2); rounding
	// here makes the returned claims equal what a verifier will read.
	now := time.Unix(t.now().Unix(), 0)
	claims := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings(t.audience),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.TTL(typ))),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		Type:    typ,
		Session: session,
		Scope:   strings.Join(scopes, " "),
	}
	token := jwt.NewWithClaims(t.signer.method, claims)
	if t.signer.id != "" {
		token.Header["kid"] = t.signer.id
	}
	signed, err := token.SignedString(t.signer.sign)
	if err != nil {
		return "", nil, fmt.Errorf("auth: signing a token: %w", err)
	}
	return signed, claims, nil
}

// Verify checks token's signature and claims and that it is of type want,
// and returns its claims. Refused: "alg: none", an algorithm or key type
// other than the key's, an unknown "kid", a bad signature, an expired or
// not-yet-valid token, another issuer or audience, a missing subject or
// id, and a token of the other type. Every error wraps ErrInvalidToken
// or ErrWrongTokenType.
func (t *Tokens) Verify(token string, want TokenType) (*Claims, error) {
	var c rawClaims
	if err := t.verify(token, want, &c); err != nil {
		return nil, err
	}
	return c.claims(), nil
}

// verify is Verify into c, without building Claims: the middleware's path.
func (t *Tokens) verify(token string, want TokenType, c *rawClaims) error {
	err := t.verifyFast(token, want, c)
	if err == errFallback && strings.ContainsAny(token, "\r\n") {
		// encoding/base64, which the parser decodes with, skips CR and
		// LF even when strict: one token has one spelling.
		err = errLineBreak
	}
	if err == errFallback {
		claims := new(Claims)
		if _, err := t.parser.ParseWithClaims(token, claims, t.keyFor); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidToken, err)
		}
		if claims.Subject == "" || claims.ID == "" {
			return fmt.Errorf("%w: %w", ErrInvalidToken, errNoSubject)
		}
		c.fromClaims(claims)
		if claims.Type != want {
			err = ErrWrongTokenType
		} else {
			err = nil
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrWrongTokenType):
		return fmt.Errorf("%w: got %q, want %q", ErrWrongTokenType, c.Type, want)
	default:
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
}

// keyFor picks the verification key by "kid" and refuses a token whose
// algorithm is not that key's own (RFC 8725 §2.1, §3.1).
func (t *Tokens) keyFor(token *jwt.Token) (any, error) {
	kid, _ := token.Header["kid"].(string)
	if _, present := token.Header["kid"]; present && kid == "" {
		return nil, errors.New("kid is not a non-empty string")
	}
	for i := range t.keys {
		k := &t.keys[i]
		if k.id != kid {
			continue
		}
		if token.Method.Alg() != k.method.Alg() {
			return nil, fmt.Errorf("algorithm %s does not match key %q (%s)", token.Method.Alg(), kid, k.method.Alg())
		}
		return k.verify, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// errNoSubject refuses a token without "sub" or "jti": every token Sign
// writes has both.
var errNoSubject = errors.New("no subject or token id")

// tokenRefusal is the TokenRefused Detail of a verification error: a
// short word fit for a metric label, never the token or its claims.
func tokenRefusal(err error) string {
	switch {
	case errors.Is(err, ErrWrongTokenType):
		return "wrong_type"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not_yet_valid"
	case errors.Is(err, jwt.ErrSignatureInvalid), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "key"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing), errors.Is(err, errNoSubject):
		return "claims"
	}
	return "malformed"
}
