package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
)

var (
	secret    = []byte("0123456789abcdef0123456789abcdef") // 32 bytes, HS256's minimum
	t0        = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	rsaOnce   sync.Once
	rsaKeyVal *rsa.PrivateKey
)

func rsaKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKeyVal = k
	})
	return rsaKeyVal
}

func ecKey(t testing.TB, curve elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	require.NoError(t, err)
	return k
}

func edKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

// clock is a settable clock for tests that never sleep.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTokens(t testing.TB, cfg auth.TokenConfig) *auth.Tokens {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = "https://api.myblog.com"
	}
	if cfg.Keys == nil {
		cfg.Keys = []auth.Key{{Secret: secret}}
	}
	tokens, err := auth.NewTokens(cfg)
	require.NoError(t, err)
	return tokens
}

func TestNewTokensRefusesBadConfig(t *testing.T) {
	rsaPriv := rsaKey(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ec256 := ecKey(t, elliptic.P256())
	tests := []struct {
		name string
		cfg  auth.TokenConfig
		want []string // every problem, in order
	}{
		{"no key, no issuer", auth.TokenConfig{},
			[]string{"auth: Issuer: is required", "auth: Keys: at least one key is required"}},
		{"RFC 7518 3.2: HS256 secret shorter than 32 bytes", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Secret: []byte("short")}}},
			[]string{"auth: Keys[0].Secret: must be at least 32 bytes for HS256 (RFC 7518 §3.2)"}},
		{"HS512 secret shorter than 64 bytes", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Algorithm: "HS512", Secret: secret}}},
			[]string{"auth: Keys[0].Secret: must be at least 64 bytes for HS512 (RFC 7518 §3.2)"}},
		{"alg none is never a key's algorithm", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Algorithm: "none", Secret: secret}}},
			[]string{`auth: Keys[0].Algorithm: "none" does not take a Secret`}},
		{"an RSA key as an HMAC algorithm", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Algorithm: "HS256", PrivateKey: rsaPriv}}},
			[]string{`auth: Keys[0].Algorithm: "HS256" does not take an RSA key`}},
		{"a secret as an RSA algorithm", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Algorithm: "RS256", Secret: secret}}},
			[]string{`auth: Keys[0].Algorithm: "RS256" does not take a Secret`}},
		{"RFC 7518 3.3: RSA under 2048 bits", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{PrivateKey: small}}},
			[]string{"auth: Keys[0].PrivateKey: RSA keys must have at least 2048 bits (RFC 7518 §3.3)"}},
		{"ES384 with a P-256 key", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Algorithm: "ES384", PrivateKey: ec256}}},
			[]string{`auth: Keys[0].Algorithm: "ES384" does not match the key's curve (ES256)`}},
		{"secret and key together", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Secret: secret, PrivateKey: ec256}}},
			[]string{"auth: Keys[0]: set Secret or PrivateKey/PublicKey, not both"}},
		{"mismatched key pair", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{PrivateKey: ec256, PublicKey: &ecKey(t, elliptic.P256()).PublicKey}}},
			[]string{"auth: Keys[0].PublicKey: is not PrivateKey's public part"}},
		{"key pair of two types", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{PrivateKey: ec256, PublicKey: &rsaPriv.PublicKey}}},
			[]string{"auth: Keys[0].PublicKey: is not of PrivateKey's type"}},
		{"several keys need ids", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Secret: secret}, {ID: "b", Secret: secret}}},
			[]string{"auth: Keys[0].ID: is required when there is more than one key"}},
		{"duplicate ids", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{ID: "a", Secret: secret}, {ID: "a", Secret: secret}}},
			[]string{`auth: Keys[1].ID: "a" is used by another key`}},
		{"leeway over 5 minutes", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Secret: secret}}, Leeway: time.Hour},
			[]string{"auth: Leeway: must be between 0 and 5m0s"}},
		{"negative lifetimes", auth.TokenConfig{Issuer: "i", Keys: []auth.Key{{Secret: secret}}, AccessTTL: -1, RefreshTTL: -1},
			[]string{"auth: AccessTTL: must be at least one second", "auth: RefreshTTL: must be at least one second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, err := auth.NewTokens(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, tokens)
			assert.Equal(t, tt.want, configProblems(t, err))
		})
	}
}

// configProblems lists the problems a constructor's error joins, checking
// that each is an *apierrors.ConfigError of package auth.
func configProblems(t *testing.T, err error) []string {
	t.Helper()
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "the problems are joined: %v", err)
	var got []string
	for _, e := range joined.Unwrap() {
		var ce *apierrors.ConfigError
		require.True(t, errors.As(e, &ce), "every problem is an *apierrors.ConfigError: %v", e)
		assert.Equal(t, "auth", ce.Package)
		got = append(got, e.Error())
	}
	return got
}

func TestTokensRoundTripEveryKeyType(t *testing.T) {
	tests := []struct {
		name string
		key  auth.Key
		alg  string
	}{
		{"HS256 by default", auth.Key{Secret: secret}, "HS256"},
		{"HS384", auth.Key{Algorithm: "HS384", Secret: []byte(strings.Repeat("k", 48))}, "HS384"},
		{"RS256 by default for RSA", auth.Key{PrivateKey: rsaKey(t)}, "RS256"},
		{"PS256", auth.Key{Algorithm: "PS256", PrivateKey: rsaKey(t)}, "PS256"},
		{"ES256 from a P-256 key", auth.Key{PrivateKey: ecKey(t, elliptic.P256())}, "ES256"},
		{"ES384 from a P-384 key", auth.Key{PrivateKey: ecKey(t, elliptic.P384())}, "ES384"},
		{"EdDSA", auth.Key{PrivateKey: edKey(t)}, "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			tokens := newTokens(t, auth.TokenConfig{Keys: []auth.Key{tt.key}, Now: clk.Now})
			token, claims, err := tokens.Sign(auth.Access, "user-1", "session-1", []string{"read", "write"})
			require.NoError(t, err)

			header, _, _ := strings.Cut(token, ".")
			decoded, err := jwt.NewParser().DecodeSegment(header)
			require.NoError(t, err)
			assert.Contains(t, string(decoded), `"alg":"`+tt.alg+`"`)

			got, err := tokens.Verify(token, auth.Access)
			require.NoError(t, err)
			assert.Equal(t, claims, got)
			assert.Equal(t, "https://api.myblog.com", got.Issuer)
			assert.Equal(t, jwt.ClaimStrings{"https://api.myblog.com"}, got.Audience, "audience defaults to the issuer")
			assert.Equal(t, "user-1", got.Subject)
			assert.Equal(t, "session-1", got.Session)
			assert.Equal(t, "read write", got.Scope)
			assert.Equal(t, auth.Access, got.Type)
			assert.NotEmpty(t, got.ID)
			assert.Equal(t, t0, got.IssuedAt.Time.UTC())
			assert.Equal(t, t0, got.NotBefore.Time.UTC())
			assert.Equal(t, t0.Add(2*time.Hour), got.ExpiresAt.Time.UTC(), "access tokens live 2 hours")
		})
	}
}

func TestTokensLifetimes(t *testing.T) {
	clk := newClock()
	tokens := newTokens(t, auth.TokenConfig{Now: clk.Now})
	_, refresh, err := tokens.Sign(auth.Refresh, "user-1", "s", nil)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(14*24*time.Hour), refresh.ExpiresAt.Time.UTC(), "refresh tokens live 2 weeks")

	custom := newTokens(t, auth.TokenConfig{Now: clk.Now, AccessTTL: time.Minute, RefreshTTL: time.Hour})
	_, access, err := custom.Sign(auth.Access, "user-1", "s", nil)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(time.Minute), access.ExpiresAt.Time.UTC())
	assert.Equal(t, time.Hour, custom.TTL(auth.Refresh))

	a, _, err := tokens.Sign(auth.Access, "user-1", "s", nil)
	require.NoError(t, err)
	b, _, err := tokens.Sign(auth.Access, "user-1", "s", nil)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "every token has its own jti")
}

// forge signs arbitrary claims with an arbitrary method and key, the way
// an attacker would.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims, header map[string]any) string {
	t.Helper()
	token := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		token.Header[k] = v
	}
	signed, err := token.SignedString(key)
	require.NoError(t, err)
	return signed
}

func validClaims(typ auth.TokenType) *auth.Claims {
	return &auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "https://api.myblog.com",
			Subject:   "user-1",
			Audience:  jwt.ClaimStrings{"https://api.myblog.com"},
			ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
			NotBefore: jwt.NewNumericDate(t0),
			IssuedAt:  jwt.NewNumericDate(t0),
			ID:        "jti-1",
		},
		Type: typ,
	}
}

func TestVerifyRefuses(t *testing.T) {
	clk := newClock()
	rsaPriv := rsaKey(t)
	rsaTokens := newTokens(t, auth.TokenConfig{Keys: []auth.Key{{ID: "rsa", PublicKey: &rsaPriv.PublicKey}}, Now: clk.Now})
	hsTokens := newTokens(t, auth.TokenConfig{Now: clk.Now})
	publicPEM, err := x509.MarshalPKIXPublicKey(&rsaPriv.PublicKey)
	require.NoError(t, err)
	publicPEMBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicPEM})
	otherIssuer := newTokens(t, auth.TokenConfig{Issuer: "https://evil.example", Audience: "https://api.myblog.com", Now: clk.Now})
	otherAudience := newTokens(t, auth.TokenConfig{Audience: "https://other.myblog.com", Now: clk.Now})
	access, _, err := hsTokens.Sign(auth.Access, "user-1", "s", nil)
	require.NoError(t, err)
	refresh, _, err := hsTokens.Sign(auth.Refresh, "user-1", "s", nil)
	require.NoError(t, err)
	ec := ecKey(t, elliptic.P256())
	ecTokens := newTokens(t, auth.TokenConfig{Keys: []auth.Key{{ID: "ec", PrivateKey: ec}}, Now: clk.Now})

	noExp := validClaims(auth.Access)
	noExp.ExpiresAt = nil
	noSub := validClaims(auth.Access)
	noSub.Subject = ""
	noJTI := validClaims(auth.Access)
	noJTI.ID = ""
	futureIat := validClaims(auth.Access)
	futureIat.IssuedAt = jwt.NewNumericDate(t0.Add(time.Hour))
	futureNbf := validClaims(auth.Access)
	futureNbf.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute))
	expired := validClaims(auth.Access)
	expired.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Second))
	noType := validClaims("")

	tamperedSig := access[:len(access)-2] + flip(access[len(access)-2]) + access[len(access)-1:]
	parts := strings.Split(access, ".")
	tamperedBody := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, validClaimsWithSub("admin"))) + "." + parts[2]

	tests := []struct {
		name    string
		tokens  *auth.Tokens
		token   string
		want    auth.TokenType
		wantErr error
		reason  string // the TokenRefused Detail
	}{
		{"RFC 8725 2.1: alg none", hsTokens, forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(auth.Access), nil), auth.Access, auth.ErrInvalidToken, "signature"},
		{"RFC 8725 2.1: HS256 signed with the RSA public key", rsaTokens, forge(t, jwt.SigningMethodHS256, publicPEMBytes, validClaims(auth.Access), map[string]any{"kid": "rsa"}), auth.Access, auth.ErrInvalidToken, "signature"},
		{"HS256 signed with the RSA modulus", rsaTokens, forge(t, jwt.SigningMethodHS256, rsaPriv.N.Bytes(), validClaims(auth.Access), map[string]any{"kid": "rsa"}), auth.Access, auth.ErrInvalidToken, "signature"},
		{"RS256 token for an ES256 key id", ecTokens, forge(t, jwt.SigningMethodRS256, rsaPriv, validClaims(auth.Access), map[string]any{"kid": "ec"}), auth.Access, auth.ErrInvalidToken, "signature"},
		{"unknown kid", rsaTokens, forge(t, jwt.SigningMethodRS256, rsaPriv, validClaims(auth.Access), map[string]any{"kid": "retired"}), auth.Access, auth.ErrInvalidToken, "key"},
		{"no kid where keys have ids", rsaTokens, forge(t, jwt.SigningMethodRS256, rsaPriv, validClaims(auth.Access), nil), auth.Access, auth.ErrInvalidToken, "key"},
		{"kid that is not a string", rsaTokens, forge(t, jwt.SigningMethodRS256, rsaPriv, validClaims(auth.Access), map[string]any{"kid": 7}), auth.Access, auth.ErrInvalidToken, "key"},
		{"another secret", hsTokens, forge(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-32"), validClaims(auth.Access), nil), auth.Access, auth.ErrInvalidToken, "signature"},
		{"tampered signature", hsTokens, tamperedSig, auth.Access, auth.ErrInvalidToken, "signature"},
		{"tampered payload", hsTokens, tamperedBody, auth.Access, auth.ErrInvalidToken, "signature"},
		{"RFC 7519 4.1.4: expired", hsTokens, forge(t, jwt.SigningMethodHS256, secret, expired, nil), auth.Access, auth.ErrInvalidToken, "expired"},
		{"RFC 7519 4.1.5: not yet valid", hsTokens, forge(t, jwt.SigningMethodHS256, secret, futureNbf, nil), auth.Access, auth.ErrInvalidToken, "not_yet_valid"},
		{"issued in the future", hsTokens, forge(t, jwt.SigningMethodHS256, secret, futureIat, nil), auth.Access, auth.ErrInvalidToken, "not_yet_valid"},
		{"no exp", hsTokens, forge(t, jwt.SigningMethodHS256, secret, noExp, nil), auth.Access, auth.ErrInvalidToken, "claims"},
		{"no sub", hsTokens, forge(t, jwt.SigningMethodHS256, secret, noSub, nil), auth.Access, auth.ErrInvalidToken, "claims"},
		{"no jti", hsTokens, forge(t, jwt.SigningMethodHS256, secret, noJTI, nil), auth.Access, auth.ErrInvalidToken, "claims"},
		{"RFC 7519 4.1.1: wrong issuer", hsTokens, mustSign(t, otherIssuer, auth.Access), auth.Access, auth.ErrInvalidToken, "issuer"},
		{"RFC 7519 4.1.3: wrong audience", hsTokens, mustSign(t, otherAudience, auth.Access), auth.Access, auth.ErrInvalidToken, "audience"},
		{"refresh token as access token", hsTokens, refresh, auth.Access, auth.ErrWrongTokenType, "wrong_type"},
		{"access token as refresh token", hsTokens, access, auth.Refresh, auth.ErrWrongTokenType, "wrong_type"},
		{"no token type", hsTokens, forge(t, jwt.SigningMethodHS256, secret, noType, nil), auth.Access, auth.ErrWrongTokenType, "wrong_type"},
		// encoding/base64 skips CR and LF even in strict mode: a segment
		// with one decodes to the original bytes, yet is another token.
		{"a line break in the signature", hsTokens, access[:len(access)-5] + "\n" + access[len(access)-5:], auth.Access, auth.ErrInvalidToken, "malformed"},
		{"a line break in the claims: not what was signed", hsTokens, parts[0] + "." + parts[1][:4] + "\r\n" + parts[1][4:] + "." + parts[2], auth.Access, auth.ErrInvalidToken, "signature"},
		{"a line break in the header", hsTokens, parts[0][:4] + "\n" + parts[0][4:] + "." + parts[1] + "." + parts[2], auth.Access, auth.ErrInvalidToken, "malformed"},
		{"not a JWT", hsTokens, "abc.def", auth.Access, auth.ErrInvalidToken, "malformed"},
		{"empty", hsTokens, "", auth.Access, auth.ErrInvalidToken, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := tt.tokens.Verify(tt.token, tt.want)
			assert.Nil(t, claims)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.reason, auth.TokenRefusal(err))
		})
	}

	t.Run("the unmodified token is accepted", func(t *testing.T) {
		_, err := hsTokens.Verify(access, auth.Access)
		assert.NoError(t, err)
		_, err = hsTokens.Verify(forge(t, jwt.SigningMethodHS256, secret, validClaims(auth.Access), nil), auth.Access)
		assert.NoError(t, err, "the forged tokens above fail for their one defect only")
	})
}

func validClaimsWithSub(sub string) *auth.Claims {
	c := validClaims(auth.Access)
	c.Subject = sub
	return c
}

func mustSign(t *testing.T, tokens *auth.Tokens, typ auth.TokenType) string {
	t.Helper()
	token, _, err := tokens.Sign(typ, "user-1", "s", nil)
	require.NoError(t, err)
	return token
}

func mustJSON(t *testing.T, c *auth.Claims) []byte {
	t.Helper()
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	s, err := token.SigningString()
	require.NoError(t, err)
	_, payload, _ := strings.Cut(s, ".")
	b, err := jwt.NewParser().DecodeSegment(payload)
	require.NoError(t, err)
	return b
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestVerifyExpiryAndLeeway(t *testing.T) {
	clk := newClock()
	strict := newTokens(t, auth.TokenConfig{Now: clk.Now})
	lenient := newTokens(t, auth.TokenConfig{Now: clk.Now, Leeway: time.Minute})
	token := mustSign(t, strict, auth.Access)

	clk.Advance(2*time.Hour - time.Second)
	_, err := strict.Verify(token, auth.Access)
	assert.NoError(t, err, "valid until its last second")

	clk.Advance(30 * time.Second)
	_, err = strict.Verify(token, auth.Access)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "expired")
	_, err = lenient.Verify(token, auth.Access)
	assert.NoError(t, err, "within a minute's leeway")

	clk.Advance(time.Minute)
	_, err = lenient.Verify(token, auth.Access)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "past the leeway")
}

func TestKeyRotation(t *testing.T) {
	clk := newClock()
	oldKey := auth.Key{ID: "2026-10", Secret: []byte(strings.Repeat("o", 32))}
	newKey := auth.Key{ID: "2026-11", Secret: []byte(strings.Repeat("n", 32))}
	before := newTokens(t, auth.TokenConfig{Keys: []auth.Key{oldKey}, Now: clk.Now})
	during := newTokens(t, auth.TokenConfig{Keys: []auth.Key{newKey, oldKey}, Now: clk.Now})
	after := newTokens(t, auth.TokenConfig{Keys: []auth.Key{newKey}, Now: clk.Now})

	oldToken := mustSign(t, before, auth.Access)
	newToken := mustSign(t, during, auth.Access)

	_, err := during.Verify(oldToken, auth.Access)
	assert.NoError(t, err, "tokens signed with the old key still work during the rotation")
	_, err = during.Verify(newToken, auth.Access)
	assert.NoError(t, err)
	_, err = after.Verify(newToken, auth.Access)
	assert.NoError(t, err)
	_, err = after.Verify(oldToken, auth.Access)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "once the old key is dropped, its tokens are refused")
	_, err = before.Verify(newToken, auth.Access)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestVerifyOnlyTokens(t *testing.T) {
	ed := edKey(t)
	signer := newTokens(t, auth.TokenConfig{Keys: []auth.Key{{PrivateKey: ed}}})
	verifier := newTokens(t, auth.TokenConfig{Keys: []auth.Key{{PublicKey: ed.Public()}}})
	assert.True(t, signer.CanSign())
	assert.False(t, verifier.CanSign())
	_, err := verifier.Verify(mustSign(t, signer, auth.Access), auth.Access)
	assert.NoError(t, err)
	_, _, err = verifier.Sign(auth.Access, "user-1", "s", nil)
	assert.ErrorIs(t, err, auth.ErrCannotSign)
}
