package auth

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fast path. Almost every token a service sees is one it signed
// itself, whose header segment is byte for byte the one Sign writes for
// the key. For those, verification skips decoding the header as a JSON map,
// reuses HMAC states, and decodes the claims into a flat struct: three
// times less work than the general parser, with the same checks. Any other
// token, and any surprise in one that looked like ours, goes through
// golang-jwt's parser, which stays the reference.

// errFallback sends a token to the general parser.
var errFallback = errors.New("auth: not on the fast path")

// rawClaims is Claims as the fast path decodes them: strings and numbers
// only, no pointers to allocate.
type rawClaims struct {
	Issuer    string    `json:"iss"`
	Subject   string    `json:"sub"`
	Audience  audience  `json:"aud"`
	ExpiresAt float64   `json:"exp"`
	NotBefore float64   `json:"nbf"`
	IssuedAt  float64   `json:"iat"`
	ID        string    `json:"jti"`
	Type      TokenType `json:"token_type"`
	Session   string    `json:"sid"`
	Scope     string    `json:"scope"`

	// decodeClaims keeps "aud" here rather than in Audience, so that no
	// field points into the struct and it can stay on the stack.
	audienceBuf [2]string
	audienceLen int
}

// audiences returns "aud" however it was decoded. The slice may point
// into c: do not keep it.
func (c *rawClaims) audiences() []string {
	if c.Audience != nil || c.audienceLen == 0 {
		return c.Audience
	}
	return c.audienceBuf[:c.audienceLen]
}

// audience is "aud", a string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(data []byte) error {
	return unmarshalStringOrList((*[]string)(a), data, func(s string) []string { return []string{s} })
}

// unmarshalStringOrList decodes a claim that is a string or an array of
// strings into *dst: a string through single (one audience, or the
// scopes it names), an array as it is.
func unmarshalStringOrList(dst *[]string, data []byte, single func(string) []string) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*dst = single(s)
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	*dst = list
	return nil
}

// scratch holds the decoded signature and claims of one verification.
type scratch struct {
	buf []byte
	sum [64]byte // an HMAC, at most SHA-512's size
}

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 1024)} }}

// maxFastTokenBytes bounds the tokens the fast path buffers; longer ones
// (which Sign never writes) take the general path.
const maxFastTokenBytes = 8 << 10

// prepareFastPath computes, for each key, the header segment Sign writes
// with it, and for HMAC keys a pool of keyed hashes.
func (t *Tokens) prepareFastPath() error {
	for i := range t.keys {
		k := &t.keys[i]
		header := map[string]any{"alg": k.method.Alg(), "typ": "JWT"}
		if k.id != "" {
			header["kid"] = k.id
		}
		encoded, err := json.Marshal(header) // sorted keys, as jwt.Token.SigningString writes them
		if err != nil {
			return err
		}
		k.header = base64.RawURLEncoding.EncodeToString(encoded)
		if m, ok := k.method.(*jwt.SigningMethodHMAC); ok {
			secret := k.verify.([]byte)
			hashFunc := m.Hash.New
			k.macs = &sync.Pool{New: func() any { return hmac.New(hashFunc, secret) }}
		}
	}
	return nil
}

// ownHeader reports whether token's header segment is byte for byte one
// that Sign writes: a token for the fast path, never one of another
// issuer's.
func (t *Tokens) ownHeader(token string) bool {
	header, _, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	for i := range t.keys {
		if t.keys[i].header == header {
			return true
		}
	}
	return false
}

// verifyFast verifies token on the fast path into c, or returns
// errFallback when the token is not one it handles.
func (t *Tokens) verifyFast(token string, want TokenType, c *rawClaims) error {
	if len(token) > maxFastTokenBytes {
		return errFallback
	}
	header, rest, ok := strings.Cut(token, ".")
	if !ok {
		return errFallback
	}
	var key *verificationKey
	for i := range t.keys {
		if t.keys[i].header == header {
			key = &t.keys[i]
			break
		}
	}
	if key == nil {
		return errFallback
	}
	payload, signature, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(signature, '.') >= 0 {
		return errFallback
	}
	signingInput := token[:len(header)+1+len(payload)]

	sigLen := strictBase64.DecodedLen(len(signature))
	claimsLen := strictBase64.DecodedLen(len(payload))
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	// One buffer: the token's bytes, then the decoded signature, then the
	// decoded claims.
	if need := len(token) + sigLen + claimsLen; cap(s.buf) < need {
		s.buf = make([]byte, 0, need)
	}
	buf := append(s.buf[:0], token...)
	input := buf[:len(signingInput)]
	n, err := decodeSegment(buf[len(token):len(token)+sigLen], buf[len(signingInput)+1:])
	switch {
	case err == errLineBreak:
		return err
	case err != nil:
		return errFallback
	}
	sig := buf[len(token) : len(token)+n]
	decoded := buf[len(token)+sigLen : len(token)+sigLen+claimsLen]

	if key.macs != nil {
		mac := key.macs.Get().(hash.Hash)
		mac.Reset()
		mac.Write(input)
		good := hmac.Equal(mac.Sum(s.sum[:0]), sig)
		key.macs.Put(mac)
		if !good {
			return jwt.ErrSignatureInvalid
		}
	} else if err := key.method.Verify(signingInput, sig, key.verify); err != nil {
		return err
	}

	n, err = strictBase64.Decode(decoded, buf[len(header)+1:len(signingInput)])
	if err != nil {
		return errFallback
	}
	c.ExpiresAt, c.NotBefore, c.IssuedAt = math.NaN(), math.NaN(), math.NaN()
	if !decodeClaims(decoded[:n], c) {
		// Not the plain shape Sign writes: encoding/json decides, into a
		// value of its own so that c does not escape to the heap.
		slow := &rawClaims{ExpiresAt: math.NaN(), NotBefore: math.NaN(), IssuedAt: math.NaN()}
		if err := json.Unmarshal(decoded[:n], slow); err != nil {
			return errFallback
		}
		*c = *slow
	}
	return t.validate(c, want)
}

// validate applies to c the checks the general parser's options make
// (see NewTokens), with the same comparisons, then ours.
func (t *Tokens) validate(c *rawClaims, want TokenType) error {
	now := t.now()
	exp, ok := numericDate(c.ExpiresAt)
	if !ok {
		return jwt.ErrTokenRequiredClaimMissing
	}
	if !now.Before(exp.Add(t.leeway)) {
		return jwt.ErrTokenExpired
	}
	if iat, ok := numericDate(c.IssuedAt); ok && now.Before(iat.Add(-t.leeway)) {
		return jwt.ErrTokenUsedBeforeIssued
	}
	if nbf, ok := numericDate(c.NotBefore); ok && now.Before(nbf.Add(-t.leeway)) {
		return jwt.ErrTokenNotValidYet
	}
	if !contains(c.audiences(), t.audience[0]) {
		return jwt.ErrTokenInvalidAudience
	}
	if c.Issuer != t.issuer {
		return jwt.ErrTokenInvalidIssuer
	}
	if c.Subject == "" || c.ID == "" {
		return errNoSubject
	}
	if c.Type != want {
		return ErrWrongTokenType
	}
	return nil
}

// numericDate converts a NumericDate as golang-jwt does (whole seconds),
// reporting false for an absent or unusable one.
func numericDate(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.Abs(f) > 1e15 {
		return time.Time{}, false
	}
	whole, frac := math.Modf(f)
	return time.Unix(int64(whole), int64(frac*1e9)).Truncate(time.Second), true
}

// claims returns c as Claims.
func (c *rawClaims) claims() *Claims {
	out := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:   c.Issuer,
			Subject:  c.Subject,
			Audience: jwt.ClaimStrings(slices.Clone(c.audiences())),
			ID:       c.ID,
		},
		Type:    c.Type,
		Session: c.Session,
		Scope:   c.Scope,
	}
	if t, ok := numericDate(c.ExpiresAt); ok {
		out.ExpiresAt = jwt.NewNumericDate(t)
	}
	if t, ok := numericDate(c.NotBefore); ok {
		out.NotBefore = jwt.NewNumericDate(t)
	}
	if t, ok := numericDate(c.IssuedAt); ok {
		out.IssuedAt = jwt.NewNumericDate(t)
	}
	return out
}

// fromClaims sets c from the general parser's claims.
func (c *rawClaims) fromClaims(claims *Claims) {
	*c = rawClaims{
		Issuer:    claims.Issuer,
		Subject:   claims.Subject,
		Audience:  audience(claims.Audience),
		ExpiresAt: math.NaN(),
		NotBefore: math.NaN(),
		IssuedAt:  math.NaN(),
		ID:        claims.ID,
		Type:      claims.Type,
		Session:   claims.Session,
		Scope:     claims.Scope,
	}
	if claims.ExpiresAt != nil {
		c.ExpiresAt = float64(claims.ExpiresAt.Unix())
	}
	if claims.NotBefore != nil {
		c.NotBefore = float64(claims.NotBefore.Unix())
	}
	if claims.IssuedAt != nil {
		c.IssuedAt = float64(claims.IssuedAt.Unix())
	}
}
