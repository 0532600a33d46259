package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var headerNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// headerIdP is a provider whose JWK Set (cacheable for a minute) the
// test changes, and an Issuer of its tokens on a clock the test moves.
type headerIdP struct {
	issuer  *Issuer
	jwksURL string
	clock   atomic.Int64 // Unix nanoseconds

	mu        sync.Mutex
	published map[string]*ecdsa.PrivateKey // the set: kid → key
}

// headerSigners sign the tokens of the tests: by name, whatever the set
// publishes.
var headerSigners = sync.OnceValue(func() map[string]*ecdsa.PrivateKey {
	keys := map[string]*ecdsa.PrivateKey{}
	for _, name := range []string{"ec-1", "ec-2", "ec-1-replacement"} {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		keys[name] = key
	}
	return keys
})

func newHeaderIdP(t *testing.T) *headerIdP {
	t.Helper()
	signers := headerSigners()
	p := &headerIdP{published: map[string]*ecdsa.PrivateKey{"ec-1": signers["ec-1"], "ec-2": signers["ec-2"]}}
	p.clock.Store(headerNow.UnixNano())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		var keys []map[string]string
		for kid, key := range p.published {
			point, err := key.PublicKey.Bytes()
			if err != nil {
				panic(err)
			}
			keys = append(keys, map[string]string{"kty": "EC", "crv": "P-256", "kid": kid,
				"x": base64.RawURLEncoding.EncodeToString(point[1:33]), "y": base64.RawURLEncoding.EncodeToString(point[33:])})
		}
		w.Header().Set("Cache-Control", "max-age=60")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	t.Cleanup(srv.Close)
	p.jwksURL = srv.URL
	var err error
	p.issuer, err = NewIssuer(IssuerConfig{Issuer: "https://idp.example", Audience: "api", JWKSURL: srv.URL, Now: p.now})
	require.NoError(t, err)
	return p
}

func (p *headerIdP) publish(keys map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = map[string]*ecdsa.PrivateKey{}
	for kid, signer := range keys {
		p.published[kid] = headerSigners()[signer]
	}
}

func (p *headerIdP) advance(d time.Duration) { p.clock.Add(int64(d)) }

func (p *headerIdP) now() time.Time { return time.Unix(0, p.clock.Load()).UTC() }

// headerToken signs header and the claims of a valid token (edited by
// edit) with the key of signer.
func headerToken(t testing.TB, signer, header string, edit func(map[string]any)) string {
	t.Helper()
	claims := map[string]any{"iss": "https://idp.example", "sub": "u", "aud": "api",
		"iat": headerNow.Unix(), "exp": headerNow.Add(time.Hour).Unix()}
	if edit != nil {
		edit(claims)
	}
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	signed := b64([]byte(header)) + "." + b64(payload)
	digest := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, headerSigners()[signer], digest[:])
	require.NoError(t, err)
	return signed + "." + b64(append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...))
}

// holds reports whether the cache remembers segment, from any key set.
func (c *headerCache) holds(segment string) bool {
	h := c.slot(segment).Load()
	return h != nil && h.segment == segment
}

// size is how many segments the cache remembers.
func (c *headerCache) size() int {
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

func headerSegment(token string) string {
	segment, _, _ := strings.Cut(token, ".")
	return segment
}

// Only the header of a token that verified is remembered: whatever was
// refused, for its header, its key, its signature or its claims, is
// decoded and checked again by the next token that carries it.
func TestHeaderCacheRemembersOnlyVerifiedTokens(t *testing.T) {
	p := newHeaderIdP(t)
	// Each case has a header of its own ("case" is skipped by the
	// decoder), so that what one case leaves in the cache is its own.
	header := func(name, alg, kid string) string {
		return fmt.Sprintf(`{"alg":%q,"kid":%q,"case":%q}`, alg, kid, name)
	}
	forgedSignature := func(token string) string {
		dot := strings.LastIndexByte(token, '.')
		sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
		require.NoError(t, err)
		sig[10] ^= 1
		return token[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
	}
	tests := []struct {
		name   string
		token  string
		verify bool
	}{
		{"valid", headerToken(t, "ec-1", header("valid", "ES256", "ec-1"), nil), true},
		{"the signature altered", forgedSignature(headerToken(t, "ec-1", header("signature", "ES256", "ec-1"), nil)), false},
		{"signed with another key than its kid's", headerToken(t, "ec-2", header("other key", "ES256", "ec-1"), nil), false},
		{"an unknown kid", headerToken(t, "ec-1", header("unknown kid", "ES256", "ec-9"), nil), false},
		{"RS256 with the EC key", headerToken(t, "ec-1", header("alg", "RS256", "ec-1"), nil), false},
		{"HS256", headerToken(t, "ec-1", header("hs", "HS256", "ec-1"), nil), false},
		{"a crit header", headerToken(t, "ec-1", `{"alg":"ES256","kid":"ec-1","crit":["exp"]}`, nil), false},
		{"expired", headerToken(t, "ec-1", header("expired", "ES256", "ec-1"), func(c map[string]any) { c["exp"] = headerNow.Add(-time.Hour).Unix() }), false},
		{"another audience", headerToken(t, "ec-1", header("audience", "ES256", "ec-1"), func(c map[string]any) { c["aud"] = "other" }), false},
		{"no subject", headerToken(t, "ec-1", header("subject", "ES256", "ec-1"), func(c map[string]any) { delete(c, "sub") }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second time with whatever the first left
				_, err := p.issuer.Verify(context.Background(), tt.token)
				if tt.verify {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, ErrInvalidToken)
				}
				assert.Equal(t, tt.verify, p.issuer.headers.holds(headerSegment(tt.token)))
			}
		})
	}
}

// A remembered header is the key it was found with in one key set: once
// the set is fetched again, the header is resolved in the new set, so a
// key withdrawn or replaced under the same kid verifies nothing more.
func TestHeaderCacheFollowsTheKeySet(t *testing.T) {
	const header = `{"alg":"ES256","typ":"JWT","kid":"ec-1"}`
	tests := []struct {
		name      string
		publish   map[string]string // the set fetched next: kid → signer
		oldVerify bool              // a token of the first ec-1 key
		newSigner string            // a token with kid ec-1 that verifies after
	}{
		{"the same keys", map[string]string{"ec-1": "ec-1", "ec-2": "ec-2"}, true, "ec-1"},
		{"ec-1 withdrawn", map[string]string{"ec-2": "ec-2"}, false, ""},
		{"ec-1 replaced by another key", map[string]string{"ec-1": "ec-1-replacement", "ec-2": "ec-2"}, false, "ec-1-replacement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newHeaderIdP(t)
			ctx := context.Background()
			old := headerToken(t, "ec-1", header, func(c map[string]any) { c["exp"] = headerNow.Add(24 * time.Hour).Unix() })
			_, err := p.issuer.Verify(ctx, old)
			require.NoError(t, err)
			require.True(t, p.issuer.headers.holds(headerSegment(old)))
			first := p.issuer.keys.Load().keys.Load()

			p.publish(tt.publish)
			_, err = p.issuer.Verify(ctx, old)
			require.NoError(t, err, "the set is fresh: not fetched again, the remembered key still holds")
			p.advance(time.Minute) // the set expired: the next token fetches it again
			_, err = p.issuer.Verify(ctx, old)
			if tt.oldVerify {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrInvalidToken)
			}
			current := p.issuer.keys.Load().keys.Load()
			require.NotSame(t, first, current, "fetched again")
			h, ok := p.issuer.headers.get(headerSegment(old), current)
			assert.Equal(t, tt.oldVerify, ok, "remembered in the new set only when the token verified in it")
			if ok {
				assert.Same(t, current.byID["ec-1"], h.key)
			}
			if tt.newSigner != "" {
				next := headerToken(t, tt.newSigner, header, func(c map[string]any) { c["exp"] = headerNow.Add(24 * time.Hour).Unix() })
				_, err := p.issuer.Verify(ctx, next)
				require.NoError(t, err)
				_, err = p.issuer.Verify(ctx, next) // from the cache
				require.NoError(t, err)
			}
			_, err = p.issuer.Verify(ctx, old)
			assert.Equal(t, tt.oldVerify, err == nil, "and again, with whatever the cache holds now")
		})
	}
}

// However many headers an issuer's tokens carry, the cache holds at most
// headerCacheSlots, and a header it dropped is decoded again.
func TestHeaderCacheBounded(t *testing.T) {
	p := newHeaderIdP(t)
	tokens := make([]string, 4*headerCacheSlots)
	for n := range tokens {
		tokens[n] = headerToken(t, "ec-1", fmt.Sprintf(`{"alg":"ES256","kid":"ec-1","n":%d}`, n), nil)
	}
	for range 2 {
		for _, token := range tokens {
			_, err := p.issuer.Verify(context.Background(), token)
			require.NoError(t, err)
			assert.True(t, p.issuer.headers.holds(headerSegment(token)), "the last one verified is remembered")
		}
		assert.LessOrEqual(t, p.issuer.headers.size(), headerCacheSlots)
	}
}

// Run with -race: tokens under a few headers, valid and forged, verified
// at once while the key set is replaced (by sets of the same keys) and
// the cache's entries with it.
func TestHeaderCacheConcurrent(t *testing.T) {
	p := newHeaderIdP(t)
	var valid, forged []string
	for n := range 4 {
		header := fmt.Sprintf(`{"alg":"ES256","kid":"ec-%d","n":%d}`, 1+n%2, n)
		valid = append(valid, headerToken(t, fmt.Sprintf("ec-%d", 1+n%2), header, nil))
		forged = append(forged, headerToken(t, fmt.Sprintf("ec-%d", 2-n%2), header, nil)) // signed by the other key
	}
	_, err := p.issuer.Verify(context.Background(), valid[0]) // fetches the set
	require.NoError(t, err)
	keys := p.issuer.keys.Load()
	set := keys.keys.Load()

	stop := make(chan struct{})
	var refetches sync.WaitGroup
	refetches.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			again := &keyMap{byID: map[string]*publicKey{}}
			for kid, key := range set.byID {
				again.byID[kid] = &publicKey{key: key.key, algs: key.algs}
			}
			keys.keys.Store(again)
		}
	})
	var verifiers sync.WaitGroup
	for g := range 8 {
		verifiers.Go(func() {
			for n := range 200 {
				token := valid[(g+n)%len(valid)]
				_, err := p.issuer.Verify(context.Background(), token)
				assert.NoError(t, err)
				_, err = p.issuer.Verify(context.Background(), forged[(g+n)%len(forged)])
				assert.ErrorIs(t, err, ErrInvalidToken)
			}
		})
	}
	verifiers.Wait()
	close(stop)
	refetches.Wait()
}

// An Authenticator's issuers remember their headers too: the header is
// decoded by the issuer the claims name, not before.
func TestHeaderCacheAuthenticator(t *testing.T) {
	p := newHeaderIdP(t)
	a, err := New(Config{
		Issuers: []IssuerConfig{{Issuer: "https://idp.example", Audience: "api", JWKSURL: p.jwksURL}},
		Now:     p.now,
	})
	require.NoError(t, err)
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := FromContext(r.Context())
		fmt.Fprint(w, id.Subject)
	}))
	tests := []struct {
		name   string
		token  string
		status int
		cached bool
	}{
		{"valid", headerToken(t, "ec-1", `{"alg":"ES256","kid":"ec-1"}`, nil), http.StatusOK, true},
		{"signed with another key", headerToken(t, "ec-2", `{"alg":"ES256","kid":"ec-1","n":1}`, nil), http.StatusUnauthorized, false},
		{"a crit header", headerToken(t, "ec-1", `{"alg":"ES256","kid":"ec-1","crit":["exp"]}`, nil), http.StatusUnauthorized, false},
		{"a header that is not JSON", "eyJhbGci." + strings.SplitN(headerToken(t, "ec-1", `{"alg":"ES256","kid":"ec-1"}`, nil), ".", 2)[1], http.StatusUnauthorized, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer "+tt.token)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				assert.Equal(t, tt.status, w.Code, w.Body.String())
				assert.Equal(t, tt.cached, a.issuers["https://idp.example"].headers.holds(headerSegment(tt.token)))
			}
		})
	}
}

func BenchmarkHeaderCacheGet(b *testing.B) {
	c := newHeaderCache()
	keys := &keyMap{}
	segment := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"rsa-2026-01"}`))
	c.put(resolvedHeader{segment: segment, alg: "RS256", keys: keys})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.get(segment, keys); !ok {
			b.Fatal("not found")
		}
	}
}
