package auth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/internal/oidctest"
)

// The tests of this file run against a real OpenID provider, panva's
// oidc-provider, that internal/oidctest starts on loopback: one for each
// test function (two where a second issuer is needed), each test in
// parallel with the others. Its tokens are client_credentials JWT access
// tokens (RFC 9068) for its resource servers:
const (
	oidcAPI   = oidctest.DefaultAudience   // the default, RS256
	oidcOther = "https://other.myblog.com" // another API of the same provider, RS256
	oidcES    = "https://es.myblog.com"    // ES256
	oidcEd    = "https://ed.myblog.com"    // EdDSA
	// oidcScopes are what the provider grants for every API.
	oidcScopes = "posts:read posts:write"
	// oidcDiscovery is where an Issuer finds the provider's jwks_uri.
	oidcDiscovery = "/.well-known/openid-configuration"
)

// startOIDC starts a provider signing with the test keys of
// issuer_test.go named by kids (a key pair is slow to make), which the
// provider's tokens name as their kid.
func startOIDC(t *testing.T, kids ...string) *oidctest.Provider {
	t.Helper()
	return oidctest.Start(t, oidctest.Config{
		Keys:   oidcKeys(t, kids...),
		Scopes: oidcScopes,
		Resources: []oidctest.Resource{
			{Audience: oidcOther, Scopes: oidcScopes},
			{Audience: oidcES, Scopes: oidcScopes, Alg: "ES256"},
			{Audience: oidcEd, Scopes: oidcScopes, Alg: "EdDSA"},
		},
	})
}

// oidcKeys is the private JWK Set of the test keys kids.
func oidcKeys(t *testing.T, kids ...string) []byte {
	t.Helper()
	var keys []oidctest.Key
	for _, kid := range kids {
		keys = append(keys, oidctest.Key{ID: kid, Signer: testKeys()[kid]})
	}
	return oidctest.JWKS(t, keys...)
}

// oidcJWKS is the path of p's JWK Set, whose requests p counts.
func oidcJWKS(t *testing.T, p *oidctest.Provider) string {
	t.Helper()
	u, err := url.Parse(p.JWKSURI)
	require.NoError(t, err)
	return u.Path
}

// oidcClock is an Issuer's clock that a test moves, read by concurrent
// verifications.
type oidcClock struct{ nanos atomic.Int64 }

func newOIDCClock(now time.Time) *oidcClock {
	c := &oidcClock{}
	c.set(now)
	return c
}

func (c *oidcClock) Now() time.Time      { return time.Unix(0, c.nanos.Load()) }
func (c *oidcClock) set(now time.Time)   { c.nanos.Store(now.UnixNano()) }
func (c *oidcClock) add(d time.Duration) { c.nanos.Add(int64(d)) }

// newOIDCIssuer trusts p's tokens for audience, found by discovery (only
// Issuer and Audience configured), on clock (nil: the real time).
func newOIDCIssuer(t *testing.T, p *oidctest.Provider, audience string, clock *oidcClock) *auth.Issuer {
	t.Helper()
	cfg := auth.IssuerConfig{Issuer: p.Issuer, Audience: audience}
	if clock != nil {
		cfg.Now = clock.Now
	}
	issuer, err := auth.NewIssuer(cfg)
	require.NoError(t, err)
	return issuer
}

// oidcParts decodes a token's header and claims, unverified.
func oidcParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, v))
	}
	return header, claims
}

// The provider's client_credentials tokens, each algorithm with its own
// resource server, verify with nothing configured but the issuer and the
// audience: the subject is the client (oidc-provider's "sub" for a
// client's own token is its client_id), the scopes are those granted,
// and DecodeClaims reads the rest. One discovery and one fetch of the
// key set per Issuer, however many tokens.
func TestOIDCProviderTokens(t *testing.T) {
	t.Parallel()
	p := startOIDC(t, "rsa-1", "ec-1", "ed-1")
	jwks := oidcJWKS(t, p)
	discoveries, fetches := p.Requests(oidcDiscovery), p.Requests(jwks)
	issuers := map[string]*auth.Issuer{}
	tests := []struct {
		name, audience, scope string
		wantAlg, wantKid      string
		wantScopes            []string
	}{
		{"RS256, every scope", oidcAPI, "posts:read posts:write", "RS256", "rsa-1", []string{"posts:read", "posts:write"}},
		{"RS256, one scope asked for and one not granted", oidcAPI, "posts:read admin", "RS256", "rsa-1", []string{"posts:read"}},
		{"RS256, no scope asked for: none granted", oidcAPI, "", "RS256", "rsa-1", nil},
		{"RS256, another API of the provider", oidcOther, "posts:write", "RS256", "rsa-1", []string{"posts:write"}},
		{"ES256", oidcES, "posts:read posts:write", "ES256", "ec-1", []string{"posts:read", "posts:write"}},
		{"EdDSA", oidcEd, "posts:read", "EdDSA", "ed-1", []string{"posts:read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := issuers[tt.audience]
			if issuer == nil {
				issuer = newOIDCIssuer(t, p, tt.audience, nil)
				issuers[tt.audience] = issuer
			}
			before := time.Now()
			token := p.TokenFor(t, tt.audience, tt.scope)
			header, _ := oidcParts(t, token)
			assert.Equal(t, map[string]any{"alg": tt.wantAlg, "kid": tt.wantKid, "typ": "at+jwt"}, header)

			id, err := issuer.Verify(context.Background(), token)
			require.NoError(t, err)
			assert.Equal(t, p.ClientID, id.Subject)
			assert.Equal(t, auth.MethodToken, id.Method)
			assert.Equal(t, p.Issuer, id.Issuer)
			assert.Equal(t, tt.wantScopes, id.Scopes)
			assert.False(t, id.Unrestricted(), "a token of another issuer has its scopes only")
			assert.NotEmpty(t, id.TokenID, "the provider's jti")
			assert.WithinRange(t, id.ExpiresAt, before.Truncate(time.Second).Add(10*time.Minute), time.Now().Add(10*time.Minute))
			var claims struct {
				ClientID string `json:"client_id"`
				Audience string `json:"aud"`
			}
			require.NoError(t, id.DecodeClaims(&claims))
			assert.Equal(t, p.ClientID, claims.ClientID)
			assert.Equal(t, tt.audience, claims.Audience)
		})
	}
	assert.Equal(t, len(issuers), p.Requests(oidcDiscovery)-discoveries, "one discovery per Issuer")
	assert.Equal(t, len(issuers), p.Requests(jwks)-fetches, "one fetch of the key set per Issuer")
}

// An Authenticator listing the provider in Config.Issuers, beside its own
// tokens: the provider's token reaches the handler with its identity and
// X-OAuth-Scopes, RequireScopes holds it to its scopes, and a tampered
// token or one for another API is a 401.
func TestOIDCAuthenticator(t *testing.T) {
	t.Parallel()
	p := startOIDC(t, "rsa-1", "ec-1")
	own := make([]byte, 32) // a throwaway key for the service's own HS256 tokens
	_, err := rand.Read(own)
	require.NoError(t, err)
	a, err := auth.New(auth.Config{
		Tokens:  auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: own}}},
		Issuers: []auth.IssuerConfig{{Issuer: p.Issuer, Audience: oidcAPI}},
	})
	require.NoError(t, err)
	show := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := auth.FromContext(r.Context())
		if !ok {
			fmt.Fprint(w, "anonymous")
			return
		}
		var claims struct {
			ClientID string `json:"client_id"`
		}
		_ = id.DecodeClaims(&claims)
		fmt.Fprintf(w, "%s %s %v %s", id.Issuer, id.Subject, id.Scopes, claims.ClientID)
	})
	mux := http.NewServeMux()
	mux.Handle("/user", show)
	mux.Handle("/posts", a.RequireScopes("posts:write")(show))
	h := a.Handler(mux)

	all := p.Token(t, oidcScopes)
	parts := strings.Split(all, ".")
	_, claims := oidcParts(t, all)
	claims["sub"] = "someone-else"
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(claimsJSON(t, claims)) + "." + parts[2]
	pair, err := a.Issue(context.Background(), "u-own", []string{"repo"})
	require.NoError(t, err)
	who := p.Issuer + " " + p.ClientID
	tests := []struct {
		name, path, token string
		status            int
		body, scopes      string // scopes: X-OAuth-Scopes
	}{
		{"the provider's token", "/user", all, 200, who + " [posts:read posts:write] " + p.ClientID, "posts:read, posts:write"},
		{"the provider's token, a route that needs posts:write", "/posts", all, 200, who + " [posts:read posts:write] " + p.ClientID, "posts:read, posts:write"},
		{"a token with posts:read only, the same route", "/posts", p.Token(t, "posts:read"), 403, "", "posts:read"},
		{"a token without scopes", "/user", p.Token(t, ""), 200, who + " [] " + p.ClientID, ""},
		{"a token without scopes, the same route", "/posts", p.Token(t, ""), 403, "", ""},
		{"a tampered token", "/user", tampered, 401, "", ""},
		{"a token for another API", "/user", p.TokenFor(t, oidcOther, oidcScopes), 401, "", ""},
		{"the service's own token", "/user", pair.Token, 200, "https://api.myblog.com u-own [repo] ", "repo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			switch tt.status {
			case 200:
				assert.Equal(t, tt.body, w.Body.String())
				assert.Equal(t, []string{tt.scopes}, w.Header().Values(auth.HeaderOAuthScopes))
			case 401:
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_token"`)
				assert.Contains(t, w.Body.String(), "Bad credentials")
			case 403:
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`)
				assert.Equal(t, []string{tt.scopes}, w.Header().Values(auth.HeaderOAuthScopes))
			}
		})
	}
	assert.Equal(t, 1, p.Requests(oidcJWKS(t, p)), "one fetch of the key set for every request")
}

// A token is this service's only when it is for this service's audience
// and from the issuer trusted: the provider's token for another of its
// APIs is refused, and so is the token of a second provider, though it
// signs with the very same keys, kids and client.
func TestOIDCOtherAudienceAndIssuer(t *testing.T) {
	t.Parallel()
	first, second := startOIDC(t, "rsa-1", "ec-1"), startOIDC(t, "rsa-1", "ec-1")
	firstAPI, firstOther := newOIDCIssuer(t, first, oidcAPI, nil), newOIDCIssuer(t, first, oidcOther, nil)
	secondAPI := newOIDCIssuer(t, second, oidcAPI, nil)
	tests := []struct {
		name    string
		issuer  *auth.Issuer
		token   string
		wantErr error // nil: accepted
	}{
		{"the first provider's token for the API", firstAPI, first.Token(t, oidcScopes), nil},
		{"its token for another API", firstAPI, first.TokenFor(t, oidcOther, oidcScopes), jwt.ErrTokenInvalidAudience},
		{"its token for another API, by that API", firstOther, first.TokenFor(t, oidcOther, oidcScopes), nil},
		{"the second provider's token, by the first's Issuer", firstAPI, second.Token(t, oidcScopes), jwt.ErrTokenInvalidIssuer},
		{"the second provider's ES256 token, by the first's Issuer", newOIDCIssuer(t, first, oidcES, nil), second.TokenFor(t, oidcES, oidcScopes), jwt.ErrTokenInvalidIssuer},
		{"the second provider's token, by its own Issuer", secondAPI, second.Token(t, oidcScopes), nil},
		{"the first provider's token, by the second's Issuer", secondAPI, first.Token(t, oidcScopes), jwt.ErrTokenInvalidIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.issuer.Verify(context.Background(), tt.token)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, auth.ErrInvalidToken)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
	assert.Equal(t, 2, first.Requests(oidcJWKS(t, first)), "the first provider's keys: fetched by its two Issuers that verified a token")
	assert.Equal(t, 1, second.Requests(oidcJWKS(t, second)), "the second's: by its own Issuer only")
}

// A key rotation at the provider, the old key withdrawn: the old token
// verifies from the cached set until a token signed with the new key
// makes the one fetch its unknown kid causes; from then on the old token
// is refused, and a RefreshInterval later too.
func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	p := startOIDC(t, "rsa-1", "ec-1")
	jwks := oidcJWKS(t, p)
	clock := newOIDCClock(time.Now())
	issuer := newOIDCIssuer(t, p, oidcAPI, clock)
	esIssuer := newOIDCIssuer(t, p, oidcES, clock)
	ctx := context.Background()
	verify := func(issuer *auth.Issuer, token string) error {
		_, err := issuer.Verify(ctx, token)
		return err
	}
	old := p.Token(t, oidcScopes)
	require.NoError(t, verify(issuer, old))
	require.Equal(t, 1, p.Requests(jwks))

	newEC := oidctest.NewECKey(t, "ec-2")
	p.Rotate(t, oidctest.JWKS(t, oidctest.Key{ID: "rsa-2", Signer: testKeys()["rsa-2"]}, newEC))
	assert.NoError(t, verify(issuer, old), "before the set is fetched again, the cached old key verifies")
	assert.Equal(t, 1, p.Requests(jwks))

	next := p.Token(t, oidcScopes)
	header, _ := oidcParts(t, next)
	require.Equal(t, "rsa-2", header["kid"])
	require.NoError(t, verify(issuer, next), "a new kid: the set is fetched at once")
	assert.Equal(t, 2, p.Requests(jwks), "one fetch, caused by the unknown kid")
	assert.NoError(t, verify(issuer, next))

	err := verify(issuer, old)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "the withdrawn key verifies nothing once the set was fetched again")
	assert.ErrorIs(t, err, jwt.ErrTokenUnverifiable)
	assert.ErrorContains(t, err, `unknown key id "rsa-1"`)
	assert.Equal(t, 2, p.Requests(jwks), "no fetch for the old kid: the last one was within RefreshInterval")

	es := p.TokenFor(t, oidcES, oidcScopes)
	header, _ = oidcParts(t, es)
	require.Equal(t, "ec-2", header["kid"])
	assert.NoError(t, verify(esIssuer, es), "the new EC key, by an Issuer that never saw the old set")

	clock.add(auth.DefaultRefreshInterval)
	assert.ErrorIs(t, verify(issuer, old), auth.ErrInvalidToken, "a RefreshInterval later: fetched again, still withdrawn")
	assert.Equal(t, 4, p.Requests(jwks), "esIssuer's first fetch, and that one")
	assert.NoError(t, verify(issuer, next))
}

// A flood of 500 tokens with made-up kids, valid-looking claims and junk
// signatures, within one RefreshInterval, costs the provider at most one
// fetch of its key set: counted by the provider itself. On an Issuer
// that already holds the set that is the one fetch the first unknown kid
// causes; on one that has seen no token yet, the set's first fetch, and
// then that one.
func TestOIDCUnknownKidFlood(t *testing.T) {
	t.Parallel()
	p := startOIDC(t, "rsa-1", "ec-1")
	jwks := oidcJWKS(t, p)
	const flood = 500
	tests := []struct {
		name        string
		warm        bool // the Issuer verified a real token first
		wantFetches int  // at most, each flood
	}{
		{"an Issuer holding the set", true, 1},
		{"an Issuer that has seen no token", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newOIDCClock(time.Now())
			issuer := newOIDCIssuer(t, p, oidcAPI, clock)
			token := p.Token(t, oidcScopes)
			if tt.warm {
				_, err := issuer.Verify(context.Background(), token)
				require.NoError(t, err)
			}
			_, tokenClaims := oidcParts(t, token)
			claims := string(claimsJSON(t, tokenClaims))
			sig := make([]byte, 256) // junk as long as an RS256 signature
			_, err := rand.Read(sig)
			require.NoError(t, err)
			for round := range 2 {
				want := tt.wantFetches
				if round > 0 {
					want = 1 // a RefreshInterval later, the set held
				}
				before, discoveries := p.Requests(jwks), p.Requests(oidcDiscovery)
				var wg sync.WaitGroup
				var accepted atomic.Int64
				for n := range flood {
					wg.Go(func() {
						forged := forgeJWS(fmt.Sprintf(`{"alg":"RS256","kid":"random-%d-%d"}`, round, n), claims, sig)
						if _, err := issuer.Verify(context.Background(), forged); err == nil {
							accepted.Add(1)
						}
					})
				}
				wg.Wait()
				fetches := p.Requests(jwks) - before
				t.Logf("round %d: %d unknown kids cost the provider %d fetches of its key set and %d discoveries", round, flood, fetches, p.Requests(oidcDiscovery)-discoveries)
				assert.Zero(t, accepted.Load())
				assert.LessOrEqual(t, fetches, want, "round %d", round)
				_, err := issuer.Verify(context.Background(), token)
				assert.NoError(t, err, "the real token still verifies")
				assert.Equal(t, fetches, p.Requests(jwks)-before, "and costs no fetch")
				clock.add(auth.DefaultRefreshInterval)
			}
		})
	}
}

// The attacks of RFC 8725 and the usual JWT bugs, as TestIssuerRefuses
// has them, built from a real token of the provider: each is refused
// with ErrInvalidToken, for its own reason. Tokens that need other claims
// are signed with the provider's own key, as the provider would have
// signed them; the clock cases move the Issuer's clock, the real token
// verifying just inside the leeway. No header makes the Issuer fetch
// anything but the provider's set, counted by the provider.
func TestOIDCRefuses(t *testing.T) {
	t.Parallel()
	p := startOIDC(t, "rsa-1", "ec-1")
	jwks := oidcJWKS(t, p)
	base := time.Now()
	clock := newOIDCClock(base)
	issuer := newOIDCIssuer(t, p, oidcAPI, clock)
	ctx := context.Background()
	valid := p.Token(t, oidcScopes)
	_, err := issuer.Verify(ctx, valid)
	require.NoError(t, err)
	fetches := p.Requests(jwks)

	parts := strings.Split(valid, ".")
	header, claims := oidcParts(t, valid)
	payload := string(claimsJSON(t, claims))
	other := strings.Split(p.Token(t, "posts:read"), ".") // another real token
	es := strings.Split(p.TokenFor(t, oidcES, oidcScopes), ".")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	// edited: the real claims, edited, signed with the provider's key.
	edited := func(edit func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		edit(c)
		return idpToken(t, "RS256", "rsa-1", c)
	}
	// tampered: the real token, its claims edited, its signature kept.
	tampered := func(edit func(map[string]any)) string {
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		edit(c)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(claimsJSON(t, c)) + "." + parts[2]
	}
	// signedBy: a raw header and the real claims, signed by key.
	signedBy := func(rawHeader string, key crypto.Signer) string {
		sig, err := jwt.SigningMethodRS256.Sign(b64(rawHeader)+"."+parts[1], key)
		require.NoError(t, err)
		return b64(rawHeader) + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	rsaPub := testKeys()["rsa-1"].Public().(*rsa.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(rsaPub)
	require.NoError(t, err)
	pkcs1 := x509.MarshalPKCS1PublicKey(rsaPub)
	hs := func(secret []byte) string { // HS256 keyed with the provider's RSA public key: the classic confusion
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims))
		tok.Header["kid"], tok.Header["typ"] = header["kid"], header["typ"]
		s, err := tok.SignedString(secret)
		require.NoError(t, err)
		return s
	}
	attacker := testKeys()["rsa-2"] // a key the provider does not have
	attackerJWK, err := json.Marshal(testJWK("rsa-2"))
	require.NoError(t, err)
	// The signature with one of the unused low bits of its last
	// character flipped (256 bytes are 342 characters, 4 bits unused):
	// the same bytes, spelt otherwise.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, parts[2][len(parts[2])-1])
	altSig := parts[2][:len(parts[2])-1] + string(alphabet[last^1])

	// The reasons: every error of Verify wraps one of golang-jwt's.
	malformed, badSig, unverifiable := jwt.ErrTokenMalformed, jwt.ErrTokenSignatureInvalid, jwt.ErrTokenUnverifiable
	badAud, badIss, missing := jwt.ErrTokenInvalidAudience, jwt.ErrTokenInvalidIssuer, jwt.ErrTokenRequiredClaimMissing
	tests := []struct {
		name  string
		token string
		at    time.Duration // the Issuer's clock, from now
		want  error         // the reason, beside ErrInvalidToken
	}{
		{"alg none", forgeJWS(`{"alg":"none","kid":"rsa-1"}`, payload, nil), 0, malformed},
		{"alg none with a signature", forgeJWS(`{"alg":"none","kid":"rsa-1"}`, payload, []byte("x")), 0, badSig},
		{"alg None", forgeJWS(`{"alg":"None","kid":"rsa-1"}`, payload, nil), 0, malformed},
		{"no alg", forgeJWS(`{"kid":"rsa-1"}`, payload, []byte("x")), 0, badSig},
		{"HS256 keyed with the RSA public key, PEM (PKIX)", hs(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})), 0, badSig},
		{"HS256 keyed with the RSA public key, PEM (PKCS #1)", hs(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})), 0, badSig},
		{"HS256 keyed with the RSA public key, DER", hs(pkix), 0, badSig},
		{"PS256 over an RS256 signature", b64(`{"alg":"PS256","kid":"rsa-1","typ":"at+jwt"}`) + "." + parts[1] + "." + parts[2], 0, badSig},
		{"RS256 naming the EC key", b64(`{"alg":"RS256","kid":"ec-1","typ":"at+jwt"}`) + "." + parts[1] + "." + parts[2], 0, badSig},
		{"the ES256 token naming the RSA key", b64(`{"alg":"ES256","kid":"rsa-1","typ":"at+jwt"}`) + "." + es[1] + "." + es[2], 0, badSig},
		{"an unknown kid", forgeJWS(`{"alg":"RS256","kid":"nope"}`, payload, []byte("sig")), 0, unverifiable},
		{"kid as a path", forgeJWS(`{"alg":"RS256","kid":"../../etc/passwd"}`, payload, []byte("sig")), 0, unverifiable},
		{"kid as SQL", forgeJWS(`{"alg":"RS256","kid":"' OR '1'='1"}`, payload, []byte("sig")), 0, unverifiable},
		{"an empty kid", forgeJWS(`{"alg":"RS256","kid":""}`, payload, []byte("sig")), 0, malformed},
		{"no kid, several keys", forgeJWS(`{"alg":"RS256"}`, payload, []byte("sig")), 0, unverifiable},
		{"kid not a string", forgeJWS(`{"alg":"RS256","kid":1}`, payload, []byte("sig")), 0, malformed},
		{"jku at the provider, signed by the attacker", signedBy(`{"alg":"RS256","kid":"rsa-2","jku":"`+p.Issuer+`/jku-keys"}`, attacker), 0, unverifiable},
		{"x5u at the provider, signed by the attacker", signedBy(`{"alg":"RS256","kid":"rsa-2","x5u":"`+p.Issuer+`/x5u-cert"}`, attacker), 0, unverifiable},
		{"the attacker's key embedded (jwk), naming the provider's kid", signedBy(`{"alg":"RS256","kid":"rsa-1","jwk":`+string(attackerJWK)+`}`, attacker), 0, badSig},
		{"the attacker's key embedded (jwk), no kid", signedBy(`{"alg":"RS256","jwk":`+string(attackerJWK)+`}`, attacker), 0, unverifiable},
		{"a crit header", signedBy(`{"alg":"RS256","kid":"rsa-1","crit":["exp"]}`, testKeys()["rsa-1"]), 0, unverifiable},
		{"b64 false", signedBy(`{"alg":"RS256","kid":"rsa-1","b64":false}`, testKeys()["rsa-1"]), 0, unverifiable},
		{"the subject tampered", tampered(func(c map[string]any) { c["sub"] = "admin" }), 0, badSig},
		{"a scope added", tampered(func(c map[string]any) { c["scope"] = "posts:read posts:write admin" }), 0, badSig},
		{"the expiry pushed back", tampered(func(c map[string]any) { c["exp"] = c["exp"].(float64) + 3600 }), 0, badSig},
		{"the header tampered (typ)", b64(`{"alg":"RS256","kid":"rsa-1","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], 0, badSig},
		{"another token's signature", parts[0] + "." + parts[1] + "." + other[2], 0, badSig},
		{"a signature a byte short", parts[0] + "." + parts[1] + "." + parts[2][:340], 0, badSig}, // 255 bytes: 340 characters
		{"the signature spelt with its unused bits set", parts[0] + "." + parts[1] + "." + altSig, 0, malformed},
		{"an empty signature", parts[0] + "." + parts[1] + ".", 0, malformed},
		{"expired past the leeway", valid, 10*time.Minute + auth.DefaultIssuerLeeway + 2*time.Second, jwt.ErrTokenExpired},
		{"issued in the future past the leeway", valid, -auth.DefaultIssuerLeeway - 2*time.Second, jwt.ErrTokenUsedBeforeIssued},
		{"not yet valid (nbf) past the leeway", edited(func(c jwt.MapClaims) { c["nbf"] = base.Add(time.Minute).Unix() }), 0, jwt.ErrTokenNotValidYet},
		{"another API's token", p.TokenFor(t, oidcOther, oidcScopes), 0, badAud},
		{"no audience", edited(func(c jwt.MapClaims) { delete(c, "aud") }), 0, badAud},
		{"the audience in an array of others", edited(func(c jwt.MapClaims) { c["aud"] = []string{oidcOther, oidcES} }), 0, badAud},
		{"another issuer", edited(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), 0, badIss},
		{"the issuer with a trailing slash", edited(func(c jwt.MapClaims) { c["iss"] = p.Issuer + "/" }), 0, badIss},
		{"the issuer on localhost", edited(func(c jwt.MapClaims) { c["iss"] = strings.Replace(p.Issuer, "127.0.0.1", "localhost", 1) }), 0, badIss},
		{"no subject", edited(func(c jwt.MapClaims) { delete(c, "sub") }), 0, missing},
		{"no exp", edited(func(c jwt.MapClaims) { delete(c, "exp") }), 0, missing},
		{"exp not a number", edited(func(c jwt.MapClaims) { c["exp"] = "tomorrow" }), 0, malformed},
		{"oversized", edited(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("x", auth.DefaultMaxIssuerTokenBytes) }), 0, malformed},
		{"two segments", parts[0] + "." + parts[1], 0, malformed},
		{"four segments", valid + ".x", 0, malformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], 0, malformed},
		{"a header that is not JSON", forgeJWS(`{"alg":"RS256","kid":"rsa-1"`, payload, []byte("sig")), 0, malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.set(base.Add(tt.at))
			defer clock.set(base)
			_, err := issuer.Verify(ctx, tt.token)
			require.Error(t, err)
			assert.ErrorIs(t, err, auth.ErrInvalidToken)
			assert.ErrorIs(t, err, tt.want)
		})
	}

	for _, ok := range []struct {
		name string
		at   time.Duration
	}{
		{"the real token", 0},
		{"expired within the leeway", 10*time.Minute + auth.DefaultIssuerLeeway - 2*time.Second},
		{"issued in the future within the leeway", -auth.DefaultIssuerLeeway + 2*time.Second},
	} {
		clock.set(base.Add(ok.at))
		_, err := issuer.Verify(ctx, valid)
		assert.NoError(t, err, ok.name)
	}
	assert.LessOrEqual(t, p.Requests(jwks)-fetches, 1, "the made-up kids: one fetch of the set at most")
	for _, path := range []string{"/jku-keys", "/x5u-cert"} {
		assert.Zero(t, p.Requests(path), "%s is never fetched", path)
	}
}
