package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of what a key set may hold: a JWKS document larger than
// maxJWKSBytes or with more than maxJWKSKeys keys is refused whole, and
// an RSA modulus outside [minRSABits, maxRSABits] is skipped (a huge
// modulus would make every verification slow).
const (
	maxJWKSBytes = 256 << 10
	maxJWKSKeys  = 100
	minRSABits   = 2048
	maxRSABits   = 8192
)

// TTL bounds of a fetched key set: its HTTP caching headers are believed
// between the issuer's RefreshInterval and maxKeysTTL; without any, the
// keys are fetched again after defaultKeysTTL.
const (
	defaultKeysTTL = time.Hour
	maxKeysTTL     = 24 * time.Hour
)

// jwk is one key of a JWK Set (RFC 7517), the members this package reads.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Alg    string   `json:"alg"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	// RSA (RFC 7518 §6.3.1)
	N string `json:"n"`
	E string `json:"e"`
	// EC (RFC 7518 §6.2.1) and OKP (RFC 8037 §2)
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// publicKey is a verification key of an issuer: the key and the
// algorithms it may verify (RFC 8725 §3.1: an algorithm is bound to its
// key, never taken from the token alone).
type publicKey struct {
	key  crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey
	algs []string
}

// allows reports whether the key verifies alg.
func (k *publicKey) allows(alg string) bool {
	for _, a := range k.algs {
		if a == alg {
			return true
		}
	}
	return false
}

// keyMap is a parsed key set: by kid, and the one key without a kid (a
// set of one key may leave kid out; a token without kid then names it).
type keyMap struct {
	byID  map[string]*publicKey
	noKid *publicKey
}

func (m *keyMap) get(kid string) (*publicKey, bool) {
	if kid == "" {
		return m.noKid, m.noKid != nil
	}
	k, ok := m.byID[kid]
	return k, ok
}

// parseJWKS parses a JWK Set, keeping the keys that can verify one of
// algs and skipping, without failing, keys of other types, uses or
// sizes: an issuer's set often holds encryption keys too. A document
// that is not a JWK Set, or holds two keys with one kid, is an error.
func parseJWKS(data []byte, algs []string) (*keyMap, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`not a JWK Set: no "keys"`)
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("%d keys: at most %d are read", len(doc.Keys), maxJWKSKeys)
	}
	m := &keyMap{byID: make(map[string]*publicKey, len(doc.Keys))}
	withoutKid := 0
	for _, raw := range doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			continue // a member of an unexpected type: not a key this package can use
		}
		pk, ok := k.publicKey(algs)
		if !ok {
			continue
		}
		if k.Kid == "" {
			withoutKid++
			m.noKid = pk
			continue
		}
		if _, dup := m.byID[k.Kid]; dup {
			return nil, fmt.Errorf("two keys with kid %q", k.Kid)
		}
		m.byID[k.Kid] = pk
	}
	if withoutKid > 1 || (withoutKid == 1 && len(m.byID) > 0) {
		// Which key a token without kid names would be a guess.
		m.noKid = nil
	}
	return m, nil
}

// publicKey turns k into a verification key for those of algs it allows,
// or reports false for a key this package cannot or must not use.
func (k *jwk) publicKey(algs []string) (*publicKey, bool) {
	if k.Use != "" && k.Use != "sig" {
		return nil, false
	}
	if k.KeyOps != nil && !contains(k.KeyOps, "verify") {
		return nil, false
	}
	var key crypto.PublicKey
	var forKey []string
	switch k.Kty {
	case "RSA":
		n, ok1 := decodeBigInt(k.N)
		e, ok2 := decodeBigInt(k.E)
		if !ok1 || !ok2 || n.BitLen() < minRSABits || n.BitLen() > maxRSABits ||
			!e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, false
		}
		key = &rsa.PublicKey{N: n, E: int(e.Int64())}
		forKey = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve, forKey = elliptic.P256(), []string{"ES256"}
		case "P-384":
			curve, forKey = elliptic.P384(), []string{"ES384"}
		case "P-521":
			curve, forKey = elliptic.P521(), []string{"ES512"}
		default:
			return nil, false
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, false
		}
		// ParseUncompressedPublicKey checks that the point is on the
		// curve (an invalid-curve point would leak nothing to a
		// verifier, but is never a real key).
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, false
		}
		key = pub
	case "OKP":
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, false
		}
		// "EdDSA" (RFC 8037) or its fully specified name "Ed25519"
		// (RFC 9864), which newer providers sign with.
		key, forKey = ed25519.PublicKey(x), []string{"EdDSA", "Ed25519"}
	default:
		return nil, false // "oct" (a shared secret has no place in a public set) and the rest
	}
	var allowed []string
	for _, alg := range forKey {
		if contains(algs, alg) && (k.Alg == "" || k.Alg == alg) {
			allowed = append(allowed, alg)
		}
	}
	if len(allowed) == 0 {
		return nil, false
	}
	return &publicKey{key: key, algs: allowed}, true
}

// decodeBigInt decodes a base64url unsigned big-endian integer without
// leading zero bytes (RFC 7518 §2, Base64urlUInt).
func decodeBigInt(s string) (*big.Int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || (len(b) > 1 && b[0] == 0) {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

// keySet is an issuer's JWK Set, fetched from its URL and cached as its
// HTTP caching headers say (Cache-Control max-age, Expires, bounded),
// revalidated with its ETag or Last-Modified. A token whose kid the set
// does not hold makes one fetch at most once per refreshInterval, so a
// flood of made-up kids costs the issuer nothing. A failed fetch keeps
// the keys the set had.
type keySet struct {
	url             string
	client          *http.Client
	algs            []string
	refreshInterval time.Duration
	now             func() time.Time

	keys    atomic.Pointer[keyMap]
	expires atomic.Int64 // when the keys should be fetched again, in Unix nanoseconds

	mu             sync.Mutex // held by the one fetch under way
	lastFetch      time.Time  // the last fetch attempt, successful or not
	lastKidRefresh time.Time  // the last fetch an unknown kid caused
	etag           string
	lastModified   string
	fetches        atomic.Int64 // every request sent, for tests and metrics
}

// errUnknownKey refuses a token whose kid the issuer's key set does not
// hold, even after a refresh.
var errUnknownKey = errors.New("unknown key id")

// get returns the key kid names at now and the keys it was found in,
// fetching the set when it has none yet, when it has expired, or (at
// most once per refreshInterval) when it does not hold kid.
func (s *keySet) get(ctx context.Context, kid string, now time.Time) (*publicKey, *keyMap, error) {
	if m := s.fresh(now); m != nil {
		if k, ok := m.get(kid); ok {
			return k, m, nil
		}
	}
	if err := s.refresh(ctx, kid); err != nil && s.keys.Load() == nil {
		return nil, nil, err
	}
	if m := s.keys.Load(); m != nil {
		if k, ok := m.get(kid); ok {
			return k, m, nil
		}
	}
	return nil, nil, fmt.Errorf("%w %q", errUnknownKey, kid)
}

// fresh returns the keys when the set holds some that have not expired
// at now, else nil.
func (s *keySet) fresh(now time.Time) *keyMap {
	m := s.keys.Load()
	if m == nil || now.UnixNano() >= s.expires.Load() {
		return nil
	}
	return m
}

// refresh fetches the set again, unless a fetch that finished while the
// caller waited brought kid, or it would be too soon: a fresh set that
// lacks kid is fetched again at most once per refreshInterval (however
// many kids are made up meanwhile), and an expired or missing set, whose
// last fetch therefore failed, is asked for again at most once per
// refreshInterval too.
func (s *keySet) refresh(ctx context.Context, kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	m := s.keys.Load()
	fresh := m != nil && now.UnixNano() < s.expires.Load()
	if fresh {
		if _, ok := m.get(kid); ok {
			return nil // another request's fetch brought it
		}
		if !s.lastKidRefresh.IsZero() && now.Sub(s.lastKidRefresh) < s.refreshInterval {
			return errRefreshTooSoon
		}
		s.lastKidRefresh = now
	} else if !s.lastFetch.IsZero() && now.Sub(s.lastFetch) < s.refreshInterval {
		return errRefreshTooSoon
	}
	s.lastFetch = now
	return s.fetch(ctx, now)
}

// errRefreshTooSoon: a fetch was wanted within refreshInterval of the
// last one.
var errRefreshTooSoon = errors.New("the key set was fetched less than its refresh interval ago")

// fetch gets the set; s.mu is held.
func (s *keySet) fetch(ctx context.Context, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if s.keys.Load() != nil {
		if s.etag != "" {
			req.Header.Set("If-None-Match", s.etag)
		}
		if s.lastModified != "" {
			req.Header.Set("If-Modified-Since", s.lastModified)
		}
	}
	s.fetches.Add(1)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the key set %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && s.keys.Load() != nil:
		s.expires.Store(now.Add(s.ttl(resp.Header, now)).UnixNano())
		return nil
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("fetching the key set %s: %s", s.url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return fmt.Errorf("fetching the key set %s: %w", s.url, err)
	}
	if len(data) > maxJWKSBytes {
		return fmt.Errorf("the key set %s is larger than %d bytes", s.url, maxJWKSBytes)
	}
	m, err := parseJWKS(data, s.algs)
	if err != nil {
		return fmt.Errorf("the key set %s: %w", s.url, err)
	}
	s.keys.Store(m)
	s.etag, s.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	s.expires.Store(now.Add(s.ttl(resp.Header, now)).UnixNano())
	return nil
}

// ttl is how long a response's caching headers let the set be used:
// Cache-Control's max-age (less Age), else Expires less Date, else
// defaultKeysTTL; no-store and no-cache count as nothing; bounded by
// refreshInterval below and maxKeysTTL above.
func (s *keySet) ttl(h http.Header, now time.Time) time.Duration {
	ttl, known := time.Duration(0), false
	for directive := range strings.SplitSeq(h.Get("Cache-Control"), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			ttl, known = 0, true
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64); err == nil && n >= 0 && !known {
				ttl, known = time.Duration(min(n, int64(maxKeysTTL/time.Second)))*time.Second, true
				if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
					ttl -= time.Duration(min(age, int64(maxKeysTTL/time.Second))) * time.Second
				}
			}
		}
	}
	if !known {
		if expires, err := http.ParseTime(h.Get("Expires")); err == nil {
			date, err := http.ParseTime(h.Get("Date"))
			if err != nil {
				date = now
			}
			ttl, known = expires.Sub(date), true
		}
	}
	if !known {
		ttl = defaultKeysTTL
	}
	return min(max(ttl, s.refreshInterval), maxKeysTTL)
}
