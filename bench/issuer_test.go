package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v2/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
)

// The tokens of BenchmarkIssuerVerify: an access token of an identity
// provider (Auth0's shape: a namespaced custom claim, an organization)
// for this API, signed with the provider's RSA 2048 or P-256 key.
const (
	issuerAudience = "https://api.myblog.com"
	issuerSubject  = "auth0|65f1c2a9e4b0d3"
)

var (
	issuerAlgs = []string{"RS256", "ES256"}
	issuerKids = map[string]string{"RS256": "rsa-2026-01", "ES256": "ec-2026-01"}
)

// issuerKeys are the provider's signing keys, made once per test binary
// (an RSA key takes a good part of a second).
var issuerKeys = sync.OnceValues(func() (keys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}, err error) {
	if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return keys, err
	}
	keys.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return keys, err
})

// issuerProvider is an identity provider on loopback: its OpenID
// configuration and its JWK Set (both keys, cacheable for an hour), and
// the tokens it signs.
type issuerProvider struct {
	issuer  string // the server's URL: the "iss" of its tokens
	jwksURL string
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	fetches atomic.Int64 // JWK Set requests served
}

func newIssuerProvider(tb testing.TB) *issuerProvider {
	tb.Helper()
	keys, err := issuerKeys()
	require.NoError(tb, err)
	p := &issuerProvider{rsa: keys.rsa, ec: keys.ec}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux) // 127.0.0.1
	tb.Cleanup(srv.Close)
	p.issuer, p.jwksURL = srv.URL, srv.URL+"/.well-known/jwks.json"

	b64 := base64.RawURLEncoding.EncodeToString
	point, err := keys.ec.PublicKey.Bytes() // 0x04 || X || Y
	require.NoError(tb, err)
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": issuerKids["RS256"],
			"n": b64(keys.rsa.N.Bytes()), "e": b64(big.NewInt(int64(keys.rsa.E)).Bytes())},
		{"kty": "EC", "use": "sig", "alg": "ES256", "kid": issuerKids["ES256"], "crv": "P-256",
			"x": b64(point[1:33]), "y": b64(point[33:])},
	}})
	require.NoError(tb, err)
	discovery, err := json.Marshal(map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.issuer + "/authorize",
		"token_endpoint":                        p.issuer + "/oauth/token",
		"userinfo_endpoint":                     p.issuer + "/userinfo",
		"jwks_uri":                              p.jwksURL,
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": issuerAlgs,
	})
	require.NoError(tb, err)
	serve := func(body []byte, count *atomic.Int64) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if count != nil {
				count.Add(1)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "public, max-age=3600")
			w.Write(body)
		}
	}
	mux.Handle("GET /.well-known/openid-configuration", serve(discovery, nil))
	mux.Handle("GET /.well-known/jwks.json", serve(jwks, &p.fetches))
	return p
}

// claims are those of a valid access token issued at now.
func (p *issuerProvider) claims(now time.Time) map[string]any {
	return map[string]any{
		"iss":                      p.issuer,
		"sub":                      issuerSubject,
		"aud":                      issuerAudience,
		"iat":                      now.Unix(),
		"exp":                      now.Add(time.Hour).Unix(),
		"scope":                    "posts:read posts:write",
		"https://myblog.com/roles": []string{"editor"},
		"org_id":                   "org_9fKx2LmQ",
	}
}

// sign makes a compact JWS of claims with the provider's key for alg.
func (p *issuerProvider) sign(tb testing.TB, alg string, claims map[string]any) string {
	tb.Helper()
	payload, err := json.Marshal(claims)
	require.NoError(tb, err)
	b64 := base64.RawURLEncoding.EncodeToString
	signed := b64(fmt.Appendf(nil, `{"alg":%q,"typ":"JWT","kid":%q}`, alg, issuerKids[alg])) + "." + b64(payload)
	digest := sha256.Sum256([]byte(signed))
	var sig []byte
	switch alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(nil, p.rsa, crypto.SHA256, digest[:])
		require.NoError(tb, err)
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, p.ec, digest[:])
		require.NoError(tb, err)
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	default:
		tb.Fatalf("no key for %s", alg)
	}
	return signed + "." + b64(sig)
}

// public is the provider's public key for alg.
func (p *issuerProvider) public(alg string) crypto.PublicKey {
	if alg == "ES256" {
		return &p.ec.PublicKey
	}
	return &p.rsa.PublicKey
}

// issuerImpl verifies a token of the provider. verifier returns the work
// done for each request carrying token: the whole verification for a
// library (signature, iss, aud, exp, ...: see TestIssuerImplementations),
// the signature check alone for the floor.
type issuerImpl struct {
	name     string
	verifier func(token string) func(context.Context) (subject string, err error)
}

// issuerImplementations are the verifiers of the provider's alg tokens,
// apikit first and the floor last, each with the checks a service
// accepting the provider's access tokens would configure: this issuer,
// this API's audience, exp (and sub where the library can require it),
// 30 s of clock skew where the library has a setting.
func issuerImplementations(tb testing.TB, p *issuerProvider, alg string) []issuerImpl {
	tb.Helper()
	// apikit: the keys found by OpenID discovery, cached.
	issuer, err := auth.NewIssuer(auth.IssuerConfig{Issuer: p.issuer, Audience: issuerAudience})
	require.NoError(tb, err)

	// go-chi/jwtauth with lestrrat-go/jwx: a JWTAuth verifies with one
	// key, so the service fetches the provider's JWK Set at start and
	// gives jwtauth the key (as the crypto key, which spares jwx a
	// conversion of the JWK at every token).
	set, err := jwk.Fetch(context.Background(), p.jwksURL)
	require.NoError(tb, err)
	key, ok := set.LookupKeyID(issuerKids[alg])
	require.True(tb, ok)
	var raw any
	require.NoError(tb, key.Raw(&raw))
	ja := jwtauth.New(alg, nil, raw,
		jwxjwt.WithIssuer(p.issuer), jwxjwt.WithAudience(issuerAudience),
		jwxjwt.WithRequiredClaim("exp"), jwxjwt.WithRequiredClaim("sub"),
		jwxjwt.WithAcceptableSkew(auth.DefaultIssuerLeeway))

	// coreos/go-oidc: the provider by discovery (its algorithms, its JWK
	// Set cached by a RemoteKeySet).
	provider, err := oidc.NewProvider(context.Background(), p.issuer)
	require.NoError(tb, err)
	oidcVerifier := provider.Verifier(&oidc.Config{ClientID: issuerAudience})

	return []issuerImpl{
		{"apikit", func(token string) func(context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				id, err := issuer.Verify(ctx, token)
				return id.Subject, err
			}
		}},
		{"jwtauth", func(token string) func(context.Context) (string, error) {
			return func(context.Context) (string, error) {
				t, err := jwtauth.VerifyToken(ja, token)
				if err != nil {
					return "", err
				}
				return t.Subject(), nil
			}
		}},
		{"go-oidc", func(token string) func(context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				t, err := oidcVerifier.Verify(ctx, token)
				if err != nil {
					return "", err
				}
				return t.Subject, nil
			}
		}},
		{"floor", func(token string) func(context.Context) (string, error) {
			return floorVerifier(p.public(alg), token)
		}},
	}
}

// floorVerifier is the physical floor of verifying token: the signature
// decoded beforehand, what is left is SHA-256 over the signing input and
// crypto/rsa's or crypto/ecdsa's check, what any verifier must do.
func floorVerifier(pub crypto.PublicKey, token string) func(context.Context) (string, error) {
	dot := strings.LastIndexByte(token, '.')
	if dot < 0 {
		return func(context.Context) (string, error) { return "", errFloorSignature }
	}
	signed := []byte(token[:dot])
	sig, err := base64.RawURLEncoding.Strict().DecodeString(token[dot+1:])
	if err != nil {
		return func(context.Context) (string, error) { return "", err }
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return func(context.Context) (string, error) {
			digest := sha256.Sum256(signed)
			return "", rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
		}
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return func(context.Context) (string, error) { return "", errFloorSignature }
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return func(context.Context) (string, error) {
			digest := sha256.Sum256(signed)
			if !ecdsa.Verify(pub, digest[:], r, s) {
				return "", errFloorSignature
			}
			return "", nil
		}
	}
	panic(fmt.Sprintf("no floor for %T", pub))
}

var errFloorSignature = errors.New("the signature does not verify")

// tamperSignature changes one character in the middle of token's
// signature (the last one may only carry padding bits).
func tamperSignature(token string) string {
	dot := strings.LastIndexByte(token, '.')
	i := dot + (len(token)-dot)/2
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// tamperClaims swaps token's claims for claims, keeping its header and
// signature.
func tamperClaims(token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	payload, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

// TestIssuerImplementations: every implementation accepts the benchmark's
// token and refuses a forged one; the libraries refuse the same invalid
// tokens, except where noted (what a peer does not check is work it does
// not do).
func TestIssuerImplementations(t *testing.T) {
	p := newIssuerProvider(t)
	now := time.Now()
	with := func(change func(map[string]any)) map[string]any {
		c := p.claims(now)
		change(c)
		return c
	}
	for _, alg := range issuerAlgs {
		t.Run(alg, func(t *testing.T) {
			token := p.sign(t, alg, p.claims(now))
			t.Logf("%s token: %d bytes", alg, len(token))
			forged := map[string]string{
				"signature changed": tamperSignature(token),
				"claims changed": tamperClaims(token, with(func(c map[string]any) {
					c["sub"], c["https://myblog.com/roles"] = "auth0|mallory", []string{"admin"}
				})),
				"alg none": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) +
					"." + strings.Split(token, ".")[1] + ".",
			}
			invalid := []struct {
				name       string
				claims     map[string]any
				notChecked []string // the libraries that accept such a token
			}{
				{name: "other audience", claims: with(func(c map[string]any) { c["aud"] = "https://api.other.example" })},
				{name: "other issuer", claims: with(func(c map[string]any) { c["iss"] = "https://evil.example/" })},
				{name: "expired", claims: with(func(c map[string]any) {
					c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
				})},
				{name: "no exp", claims: with(func(c map[string]any) { delete(c, "exp") })},
				{name: "not yet valid", claims: with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })},
				// go-oidc verifies ID tokens, where sub is required, but
				// does not check it, nor iat.
				{name: "no sub", claims: with(func(c map[string]any) { delete(c, "sub") }), notChecked: []string{"go-oidc"}},
				{name: "issued in an hour", claims: with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), notChecked: []string{"go-oidc"}},
			}
			for _, impl := range issuerImplementations(t, p, alg) {
				t.Run(impl.name, func(t *testing.T) {
					ctx := context.Background()
					sub, err := impl.verifier(token)(ctx)
					require.NoError(t, err)
					if impl.name != "floor" {
						assert.Equal(t, issuerSubject, sub)
					}
					for _, name := range slices.Sorted(maps.Keys(forged)) {
						_, err := impl.verifier(forged[name])(ctx)
						assert.Error(t, err, name)
					}
					if impl.name == "floor" {
						return // the signature alone
					}
					for _, c := range invalid {
						_, err := impl.verifier(p.sign(t, alg, c.claims))(ctx)
						if slices.Contains(c.notChecked, impl.name) {
							assert.NoError(t, err, "%s: not checked by %s, as documented", c.name, impl.name)
						} else {
							assert.Error(t, err, c.name)
						}
					}
				})
			}
		})
	}
}

// BenchmarkIssuerVerify verifies the same access token of another issuer
// (an identity provider on loopback; RS256 with RSA 2048, ES256 with
// P-256) as a service accepting its tokens would, each with its key cache
// warm and no cache of verified tokens (apikit never caches those of
// another issuer):
//
//   - impl=apikit: auth.Issuer.Verify, the keys found by OpenID discovery
//     (signature with the algorithm bound to the key, iss, aud, exp, nbf,
//     iat, sub; the identity), the token's header segment remembered
//     with its key as for every token after an issuer's first;
//   - impl=jwtauth: go-chi/jwtauth's VerifyToken (lestrrat-go/jwx) with
//     the key from the provider's JWK Set, validating iss, aud, exp, nbf,
//     iat, sub;
//   - impl=go-oidc: coreos/go-oidc's IDTokenVerifier from discovery
//     (iss, aud, exp, nbf; neither sub nor iat);
//   - impl=floor: SHA-256 over the signing input and crypto/rsa's or
//     crypto/ecdsa's check of the signature, decoded beforehand: what no
//     verifier can skip.
//
// TestIssuerImplementations shows which invalid tokens each refuses.
func BenchmarkIssuerVerify(b *testing.B) {
	p := newIssuerProvider(b)
	for _, alg := range issuerAlgs {
		b.Run("alg="+alg, func(b *testing.B) {
			token := p.sign(b, alg, p.claims(time.Now()))
			forged := tamperSignature(token)
			for _, impl := range issuerImplementations(b, p, alg) {
				b.Run("impl="+impl.name, func(b *testing.B) {
					ctx := context.Background()
					verify := impl.verifier(token)
					// Warms the key cache, and proves the work is verification.
					if sub, err := verify(ctx); err != nil || (impl.name != "floor" && sub != issuerSubject) {
						b.Fatalf("the token: %q, %v", sub, err)
					}
					if _, err := impl.verifier(forged)(ctx); err == nil {
						b.Fatal("a forged signature was accepted")
					}
					// (go-oidc fetches the key set again for every signature
					// that does not verify: counted from here.)
					fetches := p.fetches.Load()
					b.ReportAllocs()
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := verify(ctx); err != nil {
								b.Error(err)
								return
							}
						}
					})
					if n := p.fetches.Load() - fetches; n != 0 {
						b.Errorf("%d fetches of the key set while timed: the cache was not warm", n)
					}
				})
			}
		})
	}
}

// BenchmarkIssuerOverhead measures what BenchmarkIssuerVerify's target
// is about: apikit's time above the floor on the same token. The two run
// in alternating rounds (apikit first in one, the floor first in the
// next) so that the machine's drift, which makes the two benchmarks'
// separate times differ by more than the gap, falls on both alike; each
// op is one verification by each, and overhead-ns/op is apikit's time
// less the floor's per verification.
func BenchmarkIssuerOverhead(b *testing.B) {
	const round = 32
	p := newIssuerProvider(b)
	for _, alg := range issuerAlgs {
		b.Run("alg="+alg, func(b *testing.B) {
			token := p.sign(b, alg, p.claims(time.Now()))
			impls := issuerImplementations(b, p, alg)
			apikit, floor := impls[0], impls[len(impls)-1]
			require.Equal(b, "apikit", apikit.name)
			require.Equal(b, "floor", floor.name)
			ctx := context.Background()
			verify := [2]func(context.Context) (string, error){apikit.verifier(token), floor.verifier(token)}
			for _, v := range verify {
				_, err := v(ctx) // warms the key cache
				require.NoError(b, err)
			}
			var spent [2]time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += round {
				n := min(round, b.N-done)
				for k := range 2 {
					which := (k + done/round) % 2
					start := time.Now()
					for range n {
						if _, err := verify[which](ctx); err != nil {
							b.Fatal(err)
						}
					}
					spent[which] += time.Since(start)
				}
			}
			b.ReportMetric(float64(spent[0]-spent[1])/float64(b.N), "overhead-ns/op")
		})
	}
}
