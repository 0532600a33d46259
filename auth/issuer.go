package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/myblog/apikit/internal/configerr"
)

// Defaults of IssuerConfig.
const (
	// DefaultIssuerLeeway tolerates this much clock skew between an
	// identity provider and this service on exp, nbf and iat.
	DefaultIssuerLeeway = 30 * time.Second
	// DefaultRefreshInterval is the least time between two fetches of an
	// issuer's keys that a token with an unknown kid can cause.
	DefaultRefreshInterval = time.Minute
	// DefaultMaxIssuerTokenBytes bounds a token of another issuer:
	// larger ones are refused before anything is decoded.
	DefaultMaxIssuerTokenBytes = 16 << 10
	// defaultFetchTimeout bounds one discovery or JWKS request.
	defaultFetchTimeout = 5 * time.Second
	// maxDiscoveryBytes bounds an OpenID provider's configuration.
	maxDiscoveryBytes = 256 << 10
)

// DefaultIssuerAlgorithms are the algorithms accepted from another
// issuer when IssuerConfig.Algorithms is empty: every asymmetric JWS
// algorithm. A shared-secret algorithm (HS256) is never accepted from
// another issuer, nor "none".
var DefaultIssuerAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// IssuerConfig trusts the access tokens of another issuer: an identity
// provider such as Auth0, Keycloak, Okta, Entra ID, Google or Dex.
type IssuerConfig struct {
	// Issuer is the "iss" its tokens carry, exactly as it writes it
	// ("https://tenant.eu.auth0.com/", with its trailing slash if it has
	// one). Required; https, except on a loopback host.
	Issuer string
	// Audience is what a token's "aud" must hold for this service: the
	// API's identifier at the provider. Required: a token the provider
	// issued for another API is not one for this service (RFC 8725 §3.9).
	Audience string
	// JWKSURL is where the issuer publishes its keys (a JWK Set).
	// Empty: read from the issuer's OpenID configuration,
	// Issuer + "/.well-known/openid-configuration" (OpenID Connect
	// Discovery 1.0 §4), whose "issuer" must be Issuer exactly.
	JWKSURL string
	// Algorithms are the JWS algorithms accepted, each only with a key
	// of its own type (and the key's "alg" when the key names one).
	// Default DefaultIssuerAlgorithms; HS256 and the like, and "none",
	// are refused.
	Algorithms []string
	// Leeway tolerates clock skew on exp, nbf and iat. Default
	// DefaultIssuerLeeway (30 s); at most 5 minutes.
	Leeway time.Duration
	// RefreshInterval is the least time between two fetches of the keys
	// caused by a token whose kid they do not hold (a key rotation), and
	// the least time the keys are cached whatever the issuer's caching
	// headers say. Default DefaultRefreshInterval (1 minute).
	RefreshInterval time.Duration
	// MaxTokenBytes refuses larger tokens before decoding them. Default
	// DefaultMaxIssuerTokenBytes (16 KiB).
	MaxTokenBytes int
	// Client fetches the configuration and the keys. Default: a client
	// whose requests give up after 5 seconds.
	Client *http.Client
	// Now is the clock of an Issuer built with NewIssuer. In
	// Config.Issuers it must be nil: an Authenticator's issuers run on
	// Config.Now.
	Now func() time.Time
}

// Issuer verifies the access tokens of another issuer with keys it
// fetches from the issuer's JWK Set and caches. It is safe for concurrent
// use. Build one with NewIssuer, or list it in Config.Issuers.
type Issuer struct {
	issuer          string
	audience        string
	algs            []string
	leeway          time.Duration
	maxBytes        int
	refreshInterval time.Duration
	client          *http.Client
	now             func() time.Time

	// keys is the issuer's key set; nil until discovery found its URL.
	keys         atomic.Pointer[keySet]
	mu           sync.Mutex // held by the one discovery under way
	lastDiscover time.Time  // the last discovery attempt

	// headers are the header segments of tokens it verified, and the
	// keys they resolved to (issuer_header.go).
	headers *headerCache
}

// NewIssuer validates cfg and returns its Issuer. Nothing is fetched
// yet: the configuration and the keys are fetched at the first token,
// so that a service starts while its provider is unreachable. Every
// problem is an *apierrors.ConfigError ("auth: Issuer: ...").
func NewIssuer(cfg IssuerConfig) (*Issuer, error) { return newIssuer(cfg, cfg.Now) }

func newIssuer(cfg IssuerConfig, now func() time.Time) (*Issuer, error) {
	problems := configerr.New("auth")
	i := &Issuer{
		issuer:          cfg.Issuer,
		audience:        cfg.Audience,
		algs:            cfg.Algorithms,
		leeway:          cfg.Leeway,
		maxBytes:        cfg.MaxTokenBytes,
		refreshInterval: cfg.RefreshInterval,
		client:          cfg.Client,
		now:             now,
		headers:         newHeaderCache(),
	}
	if i.now == nil {
		i.now = time.Now
	}
	if problem := fetchableURL(cfg.Issuer); cfg.Issuer == "" {
		problems.Add("Issuer", "required")
	} else if problem != "" {
		problems.Add("Issuer", problem)
	}
	if cfg.Audience == "" {
		problems.Add("Audience", "required: the API's identifier at the provider, which its tokens for this service name in aud")
	}
	if len(i.algs) == 0 {
		i.algs = DefaultIssuerAlgorithms
	}
	for n, alg := range i.algs {
		if !contains(DefaultIssuerAlgorithms, alg) {
			problems.Addf(configerr.Index("Algorithms", n), "%q is not an asymmetric JWS algorithm (one of %s)", alg, strings.Join(DefaultIssuerAlgorithms, ", "))
		}
	}
	switch {
	case i.leeway == 0:
		i.leeway = DefaultIssuerLeeway
	case i.leeway < 0 || i.leeway > maxLeeway:
		problems.Addf("Leeway", "must be between 0 and %v", maxLeeway)
	}
	switch {
	case i.refreshInterval == 0:
		i.refreshInterval = DefaultRefreshInterval
	case i.refreshInterval < time.Second:
		problems.Add("RefreshInterval", "must be at least 1s: every unknown kid may cost the provider a request that often")
	}
	switch {
	case i.maxBytes == 0:
		i.maxBytes = DefaultMaxIssuerTokenBytes
	case i.maxBytes < 256:
		problems.Add("MaxTokenBytes", "must be at least 256")
	}
	if i.client == nil {
		i.client = &http.Client{Timeout: defaultFetchTimeout}
	}
	if cfg.JWKSURL != "" {
		if problem := fetchableURL(cfg.JWKSURL); problem != "" {
			problems.Add("JWKSURL", problem)
		}
		i.keys.Store(i.newKeySet(cfg.JWKSURL))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return i, nil
}

// fetchableURL says what is wrong with u as an issuer's or a key set's
// address: it must be https, or http on a loopback host (a provider run
// beside the service, in tests).
func fetchableURL(u string) string {
	parsed, err := url.Parse(u)
	switch {
	case err != nil:
		return err.Error()
	case parsed.Host == "" || parsed.User != nil || parsed.Fragment != "":
		return fmt.Sprintf("%q is not an absolute URL without user or fragment", u)
	case parsed.Scheme == "https":
		return ""
	case parsed.Scheme == "http" && isLoopback(parsed.Hostname()):
		return ""
	}
	return fmt.Sprintf("%q: must be https (http only on a loopback host)", u)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (i *Issuer) newKeySet(u string) *keySet {
	return &keySet{url: u, client: i.client, algs: i.algs, refreshInterval: i.refreshInterval, now: i.now}
}

// Name is the issuer's "iss".
func (i *Issuer) Name() string { return i.issuer }

// keySet returns the issuer's key set, discovering its URL first when
// the configuration named none (at most once per refreshInterval while
// the provider fails).
func (i *Issuer) keySet(ctx context.Context) (*keySet, error) {
	if k := i.keys.Load(); k != nil {
		return k, nil // every token but the first: no lock
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if k := i.keys.Load(); k != nil {
		return k, nil
	}
	now := i.now()
	if !i.lastDiscover.IsZero() && now.Sub(i.lastDiscover) < i.refreshInterval {
		return nil, fmt.Errorf("%w: the OpenID configuration of %s could not be read %v ago", errUnknownKey, i.issuer, now.Sub(i.lastDiscover).Round(time.Second))
	}
	i.lastDiscover = now
	u, err := i.discover(ctx)
	if err != nil {
		return nil, err
	}
	k := i.newKeySet(u)
	i.keys.Store(k)
	return k, nil
}

// discover reads jwks_uri from the issuer's OpenID configuration.
func (i *Issuer) discover(ctx context.Context) (string, error) {
	where := strings.TrimSuffix(i.issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := i.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("reading %s: %s", where, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", where, err)
	}
	if len(data) > maxDiscoveryBytes {
		return "", fmt.Errorf("%s is larger than %d bytes", where, maxDiscoveryBytes)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	if doc.Issuer != i.issuer {
		// OpenID Connect Discovery 1.0 §4.3: a configuration for another
		// issuer is not this issuer's, wherever it was served.
		return "", fmt.Errorf("%s names the issuer %q, not %q", where, doc.Issuer, i.issuer)
	}
	if problem := fetchableURL(doc.JWKSURI); problem != "" {
		return "", fmt.Errorf("%s: jwks_uri %s", where, problem)
	}
	return doc.JWKSURI, nil
}

// externalToken is a token of another issuer, decoded but not verified.
type externalToken struct {
	raw       string
	header    string // its base64url, decoded (or found in the issuer's header cache) when verified
	claims    externalClaims
	signed    string // header.payload, what the signature covers
	signature string // its base64url, decoded when it is checked
}

type externalHeader struct {
	Alg  string          `json:"alg"`
	Kid  *string         `json:"kid"`
	Crit json.RawMessage `json:"crit"`
	B64  *bool           `json:"b64"`
}

type externalClaims struct {
	Issuer    string    `json:"iss"`
	Subject   string    `json:"sub"`
	Audience  audience  `json:"aud"`
	ExpiresAt *float64  `json:"exp"`
	NotBefore *float64  `json:"nbf"`
	IssuedAt  *float64  `json:"iat"`
	ID        string    `json:"jti"`
	Scope     scopeList `json:"scope"`
	Scp       scopeList `json:"scp"`

	// Where the fast path (issuer_claims.go) keeps the dates and the
	// audiences the fields above point to, so that they cost no
	// allocation of their own.
	exp, nbf, iat float64
	audienceBuf   [externalAudiences]string
}

// scopeList is "scope" or "scp": a space-separated string (RFC 8693
// §4.2, Auth0, Keycloak) or an array of strings (Okta's and Entra's scp).
type scopeList []string

func (s *scopeList) UnmarshalJSON(data []byte) error {
	return unmarshalStringOrList((*[]string)(s), data, strings.Fields)
}

// decode decodes the base64url s into sc's buffer, without the copy of
// s that converting it to a []byte would allocate; the result is valid
// until sc is used again.
func (sc *scratch) decode(s string) ([]byte, error) {
	want := strictBase64.DecodedLen(len(s))
	sc.buf = slices.Grow(sc.buf[:0], len(s)+want)[:len(s)+want]
	copy(sc.buf, s)
	n, err := decodeSegment(sc.buf[len(s):], sc.buf[:len(s)])
	return sc.buf[len(s) : len(s)+n], err
}

// decodeSegment decodes the base64url of a token's segment src into dst,
// which has room for strictBase64.DecodedLen(len(src)) bytes: strictly,
// and whole. encoding/base64 skips CR and LF even when strict; one token
// has one spelling, so a segment with them is refused (errLineBreak).
func decodeSegment(dst, src []byte) (int, error) {
	n, err := strictBase64.Decode(dst, src)
	if err == nil && n != strictBase64.DecodedLen(len(src)) {
		err = errLineBreak
	}
	return n, err
}

var errLineBreak = errors.New("a line break in base64url")

// maxHeaderJSON bounds a token's decoded header, maxSignatureBytes its
// signature (an RSA signature of 8192 bits is 1 KiB): far more than any
// issuer writes.
const (
	maxHeaderJSON     = 1024
	maxSignatureBytes = 1024
)

// strictBase64 is base64url without padding, refusing encodings whose
// unused low bits are not zero: one token has one spelling, so a token
// altered in those bits is not taken for the original.
var strictBase64 = base64.RawURLEncoding.Strict()

// parseExternal decodes the claims of a compact JWS of another issuer,
// refusing what no verification could accept: more or fewer than three
// segments, bad base64url or JSON. Its header is decoded when the token
// is verified, by the issuer its claims name.
func parseExternal(token string, maxBytes int) (*externalToken, error) {
	t := new(externalToken)
	if err := t.parse(token, maxBytes); err != nil {
		return nil, err
	}
	return t, nil
}

// parse decodes token into t, as parseExternal documents.
func (t *externalToken) parse(token string, maxBytes int) error {
	if len(token) > maxBytes {
		return fmt.Errorf("%w: the token is longer than %d bytes", jwt.ErrTokenMalformed, maxBytes)
	}
	headerPart, rest, ok1 := strings.Cut(token, ".")
	payloadPart, sigPart, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sigPart, ".") || headerPart == "" || payloadPart == "" || sigPart == "" {
		return fmt.Errorf("%w: not a compact JWS", jwt.ErrTokenMalformed)
	}
	if strictBase64.DecodedLen(len(sigPart)) > maxSignatureBytes {
		return fmt.Errorf("%w: the signature is longer than %d bytes", jwt.ErrTokenMalformed, maxSignatureBytes)
	}
	t.raw, t.header, t.signature = token, headerPart, sigPart
	t.signed = token[:len(headerPart)+1+len(payloadPart)]
	// The claims are decoded into a pooled buffer, then copied once into
	// the string the fields slice.
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	payload, err := sc.decode(payloadPart)
	if err != nil {
		return fmt.Errorf("%w: claims: %w", jwt.ErrTokenMalformed, err)
	}
	if !decodeExternalClaims(string(payload), &t.claims) {
		t.claims = externalClaims{}
		if err := json.Unmarshal(payload, &t.claims); err != nil {
			return fmt.Errorf("%w: claims: %w", jwt.ErrTokenMalformed, err)
		}
	}
	return nil
}

// Verify checks token, an access token of this issuer, and returns its
// identity: an algorithm of Algorithms, bound to the key its kid names in
// the issuer's key set (fetched again, at most once per RefreshInterval,
// when it does not hold that kid), a valid signature, "iss" this issuer,
// "aud" holding Audience, "exp" present and not passed, "nbf" and "iat"
// (when present) not in the future, all within Leeway, and a "sub". No
// claim of this package's own tokens (token_type, jti, sid) is needed.
// Every error wraps ErrInvalidToken.
func (i *Issuer) Verify(ctx context.Context, token string) (Identity, error) {
	t := externalTokens.Get().(*externalToken)
	defer t.release()
	err := t.parse(token, i.maxBytes)
	if err == nil {
		err = i.verify(ctx, t)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return t.identity(), nil
}

// externalTokens are the decoded tokens of Verify, which needs none once
// it returned: the Identity holds the strings of the claims (sliced
// from their own copy) and a slice of scopes of its own, never t.
var externalTokens = sync.Pool{New: func() any { return new(externalToken) }}

// release empties t, so that the pool holds no token, and pools it.
func (t *externalToken) release() {
	*t = externalToken{}
	externalTokens.Put(t)
}

// verify checks a decoded token, as Verify documents.
func (i *Issuer) verify(ctx context.Context, t *externalToken) error {
	if t.claims.Issuer != i.issuer {
		return fmt.Errorf("%w: %q", jwt.ErrTokenInvalidIssuer, t.claims.Issuer)
	}
	now := i.now()
	header, cached, err := i.resolveHeader(ctx, t.header, now)
	if err != nil {
		return err
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sig, err := sc.decode(t.signature)
	if err != nil {
		return fmt.Errorf("%w: signature: %w", jwt.ErrTokenMalformed, err)
	}
	if err := verifySignature(header.alg, header.key.key, t.signed, sig); err != nil {
		return fmt.Errorf("%w: %w", jwt.ErrTokenSignatureInvalid, err)
	}
	c := &t.claims
	switch {
	case c.ExpiresAt == nil:
		return fmt.Errorf("%w: exp", jwt.ErrTokenRequiredClaimMissing)
	case !before(now.Add(-i.leeway), *c.ExpiresAt):
		return jwt.ErrTokenExpired
	case c.NotBefore != nil && before(now.Add(i.leeway), *c.NotBefore):
		return jwt.ErrTokenNotValidYet
	case c.IssuedAt != nil && before(now.Add(i.leeway), *c.IssuedAt):
		return jwt.ErrTokenUsedBeforeIssued
	case !contains(c.Audience, i.audience):
		return fmt.Errorf("%w: want %q", jwt.ErrTokenInvalidAudience, i.audience)
	case c.Subject == "":
		return fmt.Errorf("%w: sub", jwt.ErrTokenRequiredClaimMissing)
	}
	if !cached {
		i.headers.put(header)
	}
	return nil
}

// resolveHeader returns the algorithm and the key a token's header
// segment names: from the header cache when a token with the same
// segment verified with a key of the current, fresh key set (cached),
// else decoded and checked: an algorithm of Algorithms, bound to the key
// its kid names in the key set (fetched again, at most once per
// RefreshInterval, when it does not hold that kid).
func (i *Issuer) resolveHeader(ctx context.Context, segment string, now time.Time) (header resolvedHeader, cached bool, err error) {
	if keys := i.keys.Load(); keys != nil {
		if m := keys.fresh(now); m != nil {
			if h, ok := i.headers.get(segment, m); ok {
				return *h, true, nil
			}
		}
	}
	header.segment = segment
	header.alg, header.kid, err = decodeHeader(segment)
	if err != nil {
		return header, false, err
	}
	if !contains(i.algs, header.alg) {
		return header, false, fmt.Errorf("%w: algorithm %q is not accepted from %s", jwt.ErrTokenSignatureInvalid, header.alg, i.issuer)
	}
	keys, err := i.keySet(ctx)
	if err != nil {
		return header, false, fmt.Errorf("%w: %w", jwt.ErrTokenUnverifiable, err)
	}
	header.key, header.keys, err = keys.get(ctx, header.kid, now)
	if err != nil {
		return header, false, fmt.Errorf("%w: %w", jwt.ErrTokenUnverifiable, err)
	}
	if !header.key.allows(header.alg) {
		return header, false, fmt.Errorf("%w: algorithm %s does not match key %q (%s)", jwt.ErrTokenSignatureInvalid, header.alg, header.kid, strings.Join(header.key.algs, ", "))
	}
	return header, false, nil
}

// before reports whether t is before the NumericDate date (seconds since
// the epoch, fractions allowed); a date that is not a finite number is
// never after anything.
func before(t time.Time, date float64) bool {
	if math.IsNaN(date) || math.IsInf(date, 0) {
		return false
	}
	sec, frac := math.Modf(date)
	if sec > math.MaxInt64/2 {
		return true
	}
	if sec < math.MinInt64/2 {
		return false
	}
	return t.Before(time.Unix(int64(sec), int64(frac*1e9)))
}

// identity is the Identity of a verified token of another issuer.
func (t *externalToken) identity() Identity {
	c := &t.claims
	scopes := []string(c.Scope)
	if scopes == nil {
		scopes = c.Scp
	}
	var exp time.Time
	if c.ExpiresAt != nil {
		exp, _ = numericDate(*c.ExpiresAt)
	}
	return Identity{
		Subject:   c.Subject,
		Method:    MethodToken,
		TokenID:   c.ID,
		Scopes:    scopes,
		ExpiresAt: exp,
		Issuer:    c.Issuer,
		token:     t.raw,
	}
}

// verifySignature checks sig over signed with key by alg (RFC 7518 §3):
// RSASSA-PKCS1-v1_5, RSASSA-PSS with a salt as long as the hash, ECDSA
// with R and S of the curve's size each, Ed25519 (named "EdDSA" or, by
// RFC 9864, "Ed25519").
func verifySignature(alg string, key crypto.PublicKey, signed string, sig []byte) error {
	if alg == "EdDSA" || alg == "Ed25519" {
		pub, ok := key.(ed25519.PublicKey)
		if !ok || !ed25519.Verify(pub, []byte(signed), sig) {
			return errBadSignature
		}
		return nil
	}
	// The signing input is copied into a pooled buffer rather than a
	// new []byte (a token's header and claims, 0.5 to 2 KB, every time),
	// and hashed into the buffer's digest array.
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.buf = append(sc.buf[:0], signed...)
	var id crypto.Hash
	var digest []byte
	switch alg[len(alg)-3:] {
	case "256":
		id, digest = crypto.SHA256, sc.sum[:sha256.Size]
		*(*[sha256.Size]byte)(digest) = sha256.Sum256(sc.buf)
	case "384":
		id, digest = crypto.SHA384, sc.sum[:sha512.Size384]
		*(*[sha512.Size384]byte)(digest) = sha512.Sum384(sc.buf)
	case "512":
		id, digest = crypto.SHA512, sc.sum[:sha512.Size]
		*(*[sha512.Size]byte)(digest) = sha512.Sum512(sc.buf)
	default:
		return errBadSignature
	}
	switch alg[:2] {
	case "RS":
		pub, ok := key.(*rsa.PublicKey)
		if !ok || rsa.VerifyPKCS1v15(pub, id, digest, sig) != nil {
			return errBadSignature
		}
	case "PS":
		pub, ok := key.(*rsa.PublicKey)
		if !ok || rsa.VerifyPSS(pub, id, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: id}) != nil {
			return errBadSignature
		}
	case "ES":
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return errBadSignature
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return errBadSignature
		}
		// The signing input is hashed: its buffer takes the DER form
		// crypto/ecdsa verifies, without a big.Int.
		der, ok := appendSignatureDER(sc.buf[:0], sig[:size], sig[size:])
		if !ok || !ecdsa.VerifyASN1(pub, digest, der) {
			return errBadSignature
		}
	default:
		return errBadSignature
	}
	return nil
}

var errBadSignature = errors.New("the signature does not verify")

// appendSignatureDER appends to b the DER form of an ECDSA signature
// (RFC 3279 §2.2.3: a SEQUENCE of the INTEGERs r and s) from the
// unsigned big-endian R and S a JWS concatenates (RFC 7518 §3.4). It
// reports false when R or S is zero, which no signature holds.
func appendSignatureDER(b, r, s []byte) ([]byte, bool) {
	r, s = trimLeadingZeros(r), trimLeadingZeros(s)
	if len(r) == 0 || len(s) == 0 {
		return b, false
	}
	b = append(b, 0x30) // SEQUENCE
	if n := derIntegerLen(r) + derIntegerLen(s); n < 0x80 {
		b = append(b, byte(n))
	} else {
		// X.690 §8.1.3.5: the long form, in one octet: P-521's R and S
		// make at most 138.
		b = append(b, 0x81, byte(n))
	}
	return appendDERInteger(appendDERInteger(b, r), s), true
}

// derIntegerLen is the length of the DER INTEGER of the unsigned v,
// without leading zeros: tag, length (v is at most 66 octets) and v,
// behind a zero octet when its high bit is set (X.690 §8.3.2: the value
// is two's complement, and v is positive).
func derIntegerLen(v []byte) int { return 2 + len(v) + int(v[0]>>7) }

func appendDERInteger(b, v []byte) []byte {
	b = append(b, 0x02, byte(derIntegerLen(v)-2)) // INTEGER
	if v[0]&0x80 != 0 {
		b = append(b, 0)
	}
	return append(b, v...)
}

func trimLeadingZeros(v []byte) []byte {
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	return v
}
