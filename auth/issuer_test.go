package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
)

// testKeys are made once: RSA key generation is slow.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	rsaKey2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{"rsa-1": rsaKey, "rsa-2": rsaKey2, "ec-1": ecKey, "ed-1": edKey}
})

// testIdP is an identity provider's discovery document and JWK Set,
// served over loopback, with keys that can be rotated.
type testIdP struct {
	srv      *httptest.Server
	mu       sync.Mutex
	kids     []string          // the keys the set publishes
	header   map[string]string // extra response headers of the set
	fetches  atomic.Int64      // requests for the set
	notMod   atomic.Int64      // of them, answered 304
	issuerIs string            // the "issuer" the discovery document names ("": the server's URL)
}

func newTestIdP(t *testing.T, kids ...string) *testIdP {
	t.Helper()
	idp := &testIdP{kids: kids, header: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		issuer := idp.issuerIs
		if issuer == "" {
			issuer = idp.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": idp.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		idp.fetches.Add(1)
		idp.mu.Lock()
		defer idp.mu.Unlock()
		etag := `"` + strings.Join(idp.kids, ",") + `"`
		for k, v := range idp.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			idp.notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		var keys []map[string]string
		for _, kid := range idp.kids {
			keys = append(keys, testJWK(kid))
		}
		// An encryption key and a symmetric one, which must be skipped.
		keys = append(keys, map[string]string{"kty": "RSA", "kid": "enc-1", "use": "enc", "n": "AQAB", "e": "AQAB"},
			map[string]string{"kty": "oct", "kid": "oct-1", "k": "c2VjcmV0"})
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *testIdP) rotate(kids ...string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.kids = kids
}

// testJWK is the public JWK of a test key.
func testJWK(kid string) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := testKeys()[kid].(type) {
	case *rsa.PrivateKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PrivateKey:
		pub, _ := k.PublicKey.Bytes() // 0x04 || X || Y
		return map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:])}
	case ed25519.PrivateKey:
		return map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k.Public().(ed25519.PublicKey))}
	}
	panic(kid)
}

// idpToken signs claims with the test key kid under alg.
func idpToken(t testing.TB, alg, kid string, claims jwt.MapClaims) string {
	t.Helper()
	if alg == "Ed25519" { // RFC 9864's name, which golang-jwt does not know
		b64 := base64.RawURLEncoding.EncodeToString
		signed := b64([]byte(`{"alg":"Ed25519","kid":"`+kid+`","typ":"JWT"}`)) + "." + b64(claimsJSON(t, claims))
		return signed + "." + b64(ed25519.Sign(testKeys()[kid].(ed25519.PrivateKey), []byte(signed)))
	}
	method := jwt.GetSigningMethod(alg)
	require.NotNil(t, method, alg)
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(testKeys()[kid])
	require.NoError(t, err)
	return s
}

// forgeJWS builds a token from a raw header and claims and a signature.
func forgeJWS(header, claims string, sig []byte) string {
	b64 := base64.RawURLEncoding.EncodeToString
	return b64([]byte(header)) + "." + b64([]byte(claims)) + "." + b64(sig)
}

var issuerNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func idpClaims(iss string, edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": iss, "sub": "auth0|42", "aud": []string{"https://api.myblog.com", "https://tenant.example/userinfo"},
		"iat": issuerNow.Add(-time.Minute).Unix(), "exp": issuerNow.Add(time.Hour).Unix(),
		"scope": "read:posts write:posts", "tenant": "acme", "roles": []string{"editor"},
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func newTestIssuer(t *testing.T, idp *testIdP, clock *time.Time, edit func(*auth.IssuerConfig)) *auth.Issuer {
	t.Helper()
	cfg := auth.IssuerConfig{Issuer: idp.srv.URL, Audience: "https://api.myblog.com", Now: func() time.Time { return *clock }}
	if edit != nil {
		edit(&cfg)
	}
	i, err := auth.NewIssuer(cfg)
	require.NoError(t, err)
	return i
}

// Tokens of another issuer, found by discovery: every asymmetric
// algorithm with its own key, no claim of apikit's own needed, and the
// claims a handler decodes into its own struct.
func TestIssuerAccepts(t *testing.T) {
	idp := newTestIdP(t, "rsa-1", "ec-1", "ed-1")
	clock := issuerNow
	issuer := newTestIssuer(t, idp, &clock, nil)
	tests := []struct {
		name, alg, kid string
		edit           func(jwt.MapClaims)
		wantScopes     []string
	}{
		{"RS256, scope as a string", "RS256", "rsa-1", nil, []string{"read:posts", "write:posts"}},
		{"PS256", "PS256", "rsa-1", nil, []string{"read:posts", "write:posts"}},
		{"ES256, scp as an array (Okta, Entra)", "ES256", "ec-1", func(c jwt.MapClaims) { delete(c, "scope"); c["scp"] = []string{"posts.read"} }, []string{"posts.read"}},
		{"EdDSA, aud as a string, no iat", "EdDSA", "ed-1", func(c jwt.MapClaims) { c["aud"] = "https://api.myblog.com"; delete(c, "iat") }, []string{"read:posts", "write:posts"}},
		{"Ed25519, RFC 9864's name", "Ed25519", "ed-1", nil, []string{"read:posts", "write:posts"}},
		{"exp passed, within the leeway", "RS256", "rsa-1", func(c jwt.MapClaims) { c["exp"] = issuerNow.Add(-20 * time.Second).Unix() }, []string{"read:posts", "write:posts"}},
		{"nbf within the leeway", "RS256", "rsa-1", func(c jwt.MapClaims) { c["nbf"] = issuerNow.Add(20 * time.Second).Unix() }, []string{"read:posts", "write:posts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := issuer.Verify(context.Background(), idpToken(t, tt.alg, tt.kid, idpClaims(idp.srv.URL, tt.edit)))
			require.NoError(t, err)
			assert.Equal(t, "auth0|42", id.Subject)
			assert.Equal(t, auth.MethodToken, id.Method)
			assert.Equal(t, idp.srv.URL, id.Issuer)
			assert.Equal(t, tt.wantScopes, id.Scopes)
			var mine struct {
				Tenant string   `json:"tenant"`
				Roles  []string `json:"roles"`
			}
			require.NoError(t, id.DecodeClaims(&mine))
			assert.Equal(t, "acme", mine.Tenant)
			assert.Equal(t, []string{"editor"}, mine.Roles)
		})
	}
	assert.Equal(t, int64(1), idp.fetches.Load(), "one fetch of the key set for every token")
	assert.ErrorIs(t, auth.Identity{Subject: "x"}.DecodeClaims(&struct{}{}), auth.ErrNoClaims)
}

// The attacks of RFC 8725 and the usual JWT bugs, on tokens of another
// issuer: each is refused with ErrInvalidToken.
func TestIssuerRefuses(t *testing.T) {
	idp := newTestIdP(t, "rsa-1", "ec-1")
	clock := issuerNow
	issuer := newTestIssuer(t, idp, &clock, nil)
	good := idpClaims(idp.srv.URL, nil)
	goodJSON, err := json.Marshal(good)
	require.NoError(t, err)
	rsaPub := testKeys()["rsa-1"].Public()
	pubDER, err := x509.MarshalPKIXPublicKey(rsaPub)
	require.NoError(t, err)
	hs := func(secret []byte) string { // HS256 keyed with the RSA public key: the classic confusion
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
		tok.Header["kid"] = "rsa-1"
		s, err := tok.SignedString(secret)
		require.NoError(t, err)
		return s
	}
	valid := idpToken(t, "RS256", "rsa-1", good)
	parts := strings.Split(valid, ".")
	with := func(edit func(jwt.MapClaims)) string {
		return idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, edit))
	}
	tests := []struct {
		name  string
		token string
	}{
		{"alg none", forgeJWS(`{"alg":"none","kid":"rsa-1"}`, string(goodJSON), nil)},
		{"alg None", forgeJWS(`{"alg":"None","kid":"rsa-1"}`, string(goodJSON), nil)},
		{"no alg", forgeJWS(`{"kid":"rsa-1"}`, string(goodJSON), []byte("x"))},
		{"HS256 with the RSA public key as the secret", hs(pubDER)},
		{"RS256 naming the EC key", strings.Join([]string{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"ec-1"}`)), parts[1], parts[2]}, ".")},
		{"ES256 naming the RSA key", idpToken(t, "ES256", "ec-1", good) + "x"},
		{"an unknown kid", forgeJWS(`{"alg":"RS256","kid":"nope"}`, string(goodJSON), []byte("sig"))},
		{"kid as a path", forgeJWS(`{"alg":"RS256","kid":"../../etc/passwd"}`, string(goodJSON), []byte("sig"))},
		{"an empty kid", forgeJWS(`{"alg":"RS256","kid":""}`, string(goodJSON), []byte("sig"))},
		{"no kid, several keys", forgeJWS(`{"alg":"RS256"}`, string(goodJSON), []byte("sig"))},
		{"jku pointing elsewhere is never fetched", forgeJWS(`{"alg":"RS256","kid":"evil","jku":"http://127.0.0.1:1/keys"}`, string(goodJSON), []byte("sig"))},
		{"a crit header", forgeJWS(`{"alg":"RS256","kid":"rsa-1","crit":["exp"]}`, string(goodJSON), []byte("sig"))},
		{"b64 false", forgeJWS(`{"alg":"RS256","kid":"rsa-1","b64":false}`, string(goodJSON), []byte("sig"))},
		{"a tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(goodJSON), "auth0|42", "auth0|1", 1))) + "." + parts[2]},
		{"a truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4]},
		{"expired past the leeway", with(func(c jwt.MapClaims) { c["exp"] = issuerNow.Add(-31 * time.Second).Unix() })},
		{"no exp", with(func(c jwt.MapClaims) { delete(c, "exp") })},
		{"exp not a number", with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })},
		{"nbf in the future", with(func(c jwt.MapClaims) { c["nbf"] = issuerNow.Add(time.Minute).Unix() })},
		{"iat in the future", with(func(c jwt.MapClaims) { c["iat"] = issuerNow.Add(time.Minute).Unix() })},
		{"another audience", with(func(c jwt.MapClaims) { c["aud"] = "https://other.example" })},
		{"no audience", with(func(c jwt.MapClaims) { delete(c, "aud") })},
		{"another issuer", with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })},
		{"the issuer with a trailing slash", with(func(c jwt.MapClaims) { c["iss"] = idp.srv.URL + "/" })},
		{"no subject", with(func(c jwt.MapClaims) { delete(c, "sub") })},
		{"oversized", with(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("x", 20<<10) })},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", valid + ".x"},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2]},
		// encoding/base64 skips line breaks, even when strict: the same
		// signature spelt otherwise is another token.
		{"a line break in the signature", parts[0] + "." + parts[1] + "." + parts[2][:8] + "\n" + parts[2][8:]},
		{"a carriage return in the signature", parts[0] + "." + parts[1] + "." + parts[2][:8] + "\r" + parts[2][8:]},
		{"a line break in the header", parts[0][:4] + "\r\n" + parts[0][4:] + "." + parts[1] + "." + parts[2]},
		{"not JSON", forgeJWS(`{"alg":"RS256","kid":"rsa-1"`, string(goodJSON), []byte("sig"))},
	}
	// The valid token first: each refusal below is then decided with the
	// issuer's header cache holding its header, and again without.
	_, err = issuer.Verify(context.Background(), valid)
	require.NoError(t, err, "the untampered token verifies")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := issuer.Verify(context.Background(), tt.token)
			require.Error(t, err)
			assert.ErrorIs(t, err, auth.ErrInvalidToken)
		})
	}
	_, err = issuer.Verify(context.Background(), valid)
	require.NoError(t, err, "the untampered token still verifies")
}

// Keys rotate: a token with a kid the cached set lacks makes one fetch,
// and then verifies; a key the issuer withdrew stops verifying once the
// set was fetched again. A flood of made-up kids costs at most one fetch
// per RefreshInterval.
func TestIssuerKeyRotation(t *testing.T) {
	idp := newTestIdP(t, "rsa-1")
	clock := issuerNow
	issuer := newTestIssuer(t, idp, &clock, func(c *auth.IssuerConfig) { c.RefreshInterval = time.Minute })
	ctx := context.Background()
	old := idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, nil))
	_, err := issuer.Verify(ctx, old)
	require.NoError(t, err)
	require.Equal(t, int64(1), idp.fetches.Load())

	idp.rotate("rsa-2") // rsa-1 withdrawn
	next := idpToken(t, "RS256", "rsa-2", idpClaims(idp.srv.URL, nil))
	_, err = issuer.Verify(ctx, next)
	require.NoError(t, err, "a new kid: fetched at once (the first refresh)")
	assert.Equal(t, int64(2), idp.fetches.Load())
	_, err = issuer.Verify(ctx, old)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "the withdrawn key verifies nothing once the set was fetched again")

	var wg sync.WaitGroup
	for n := range 1000 {
		wg.Go(func() {
			_, err := issuer.Verify(ctx, forgeJWS(fmt.Sprintf(`{"alg":"RS256","kid":"random-%d"}`, n), string(claimsJSON(t, idpClaims(idp.srv.URL, nil))), []byte("s")))
			assert.Error(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(2), idp.fetches.Load(), "1,000 unknown kids within the interval: no fetch (the last one was a second ago)")
	clock = clock.Add(time.Minute)
	for range 100 {
		_, err := issuer.Verify(ctx, forgeJWS(`{"alg":"RS256","kid":"random"}`, string(claimsJSON(t, idpClaims(idp.srv.URL, nil))), []byte("s")))
		assert.Error(t, err)
	}
	assert.Equal(t, int64(3), idp.fetches.Load(), "an interval later: one fetch for all of them")
}

// The key set is cached as its HTTP caching headers say, within bounds,
// and revalidated with its ETag.
func TestIssuerKeyCaching(t *testing.T) {
	tests := []struct {
		name     string
		header   map[string]string
		wantNext time.Duration // how long the keys are used before the next fetch
	}{
		{"max-age", map[string]string{"Cache-Control": "public, max-age=600"}, 600 * time.Second},
		{"max-age less Age", map[string]string{"Cache-Control": "max-age=600", "Age": "100"}, 500 * time.Second},
		{"no-store: the refresh interval", map[string]string{"Cache-Control": "no-store"}, time.Minute},
		{"max-age=0: the refresh interval", map[string]string{"Cache-Control": "max-age=0"}, time.Minute},
		{"a year: a day", map[string]string{"Cache-Control": "max-age=31536000"}, 24 * time.Hour},
		{"nothing: an hour", map[string]string{}, time.Hour},
		{"Expires", map[string]string{"Date": issuerNow.Format(http.TimeFormat), "Expires": issuerNow.Add(2 * time.Hour).Format(http.TimeFormat)}, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newTestIdP(t, "rsa-1")
			idp.header = tt.header
			clock := issuerNow
			issuer := newTestIssuer(t, idp, &clock, nil)
			token := idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, func(c jwt.MapClaims) { c["exp"] = issuerNow.Add(48 * time.Hour).Unix() }))
			verify := func() {
				t.Helper()
				_, err := issuer.Verify(context.Background(), token)
				require.NoError(t, err)
			}
			verify()
			clock = issuerNow.Add(tt.wantNext - time.Second)
			verify()
			assert.Equal(t, int64(1), idp.fetches.Load(), "still fresh")
			clock = issuerNow.Add(tt.wantNext)
			verify()
			assert.Equal(t, int64(2), idp.fetches.Load(), "expired: fetched again")
			assert.Equal(t, int64(1), idp.notMod.Load(), "revalidated with the ETag: 304")
		})
	}
}

// A provider that is down keeps the keys it gave; one never reached
// refuses tokens, and is asked again at most once per RefreshInterval.
func TestIssuerProviderDown(t *testing.T) {
	idp := newTestIdP(t, "rsa-1")
	clock := issuerNow
	issuer := newTestIssuer(t, idp, &clock, nil)
	token := idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, func(c jwt.MapClaims) { c["exp"] = issuerNow.Add(48 * time.Hour).Unix() }))
	_, err := issuer.Verify(context.Background(), token)
	require.NoError(t, err)
	idp.srv.CloseClientConnections()
	idp.srv.Close()
	clock = clock.Add(2 * time.Hour) // the keys expired, the provider is gone
	_, err = issuer.Verify(context.Background(), token)
	assert.NoError(t, err, "the stale keys still verify while the provider is down")

	unreached := newTestIssuer(t, &testIdP{srv: idp.srv}, &clock, nil)
	for range 3 {
		_, err = unreached.Verify(context.Background(), token)
		assert.ErrorIs(t, err, auth.ErrInvalidToken)
	}
}

// Discovery: the configuration must name the issuer exactly.
func TestIssuerDiscovery(t *testing.T) {
	idp := newTestIdP(t, "rsa-1")
	idp.issuerIs = "https://impostor.example"
	clock := issuerNow
	issuer := newTestIssuer(t, idp, &clock, nil)
	_, err := issuer.Verify(context.Background(), idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, nil)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `names the issuer "https://impostor.example"`)
	assert.Zero(t, idp.fetches.Load(), "no key set fetched from a configuration of another issuer")

	direct := newTestIssuer(t, idp, &clock, func(c *auth.IssuerConfig) { c.JWKSURL = idp.srv.URL + "/jwks" })
	_, err = direct.Verify(context.Background(), idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, nil)))
	assert.NoError(t, err, "JWKSURL given: no discovery")
}

func TestIssuerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.IssuerConfig
		want string
	}{
		{"nothing", auth.IssuerConfig{}, "auth: Issuer: required"},
		{"no audience", auth.IssuerConfig{Issuer: "https://idp.example"}, "auth: Audience: required"},
		{"plain http", auth.IssuerConfig{Issuer: "http://idp.example", Audience: "a"}, "must be https"},
		{"HS256", auth.IssuerConfig{Issuer: "https://idp.example", Audience: "a", Algorithms: []string{"HS256"}}, `Algorithms[0]: "HS256" is not an asymmetric`},
		{"none", auth.IssuerConfig{Issuer: "https://idp.example", Audience: "a", Algorithms: []string{"none"}}, `Algorithms[0]: "none"`},
		{"leeway", auth.IssuerConfig{Issuer: "https://idp.example", Audience: "a", Leeway: time.Hour}, "Leeway: must be between"},
		{"refresh", auth.IssuerConfig{Issuer: "https://idp.example", Audience: "a", RefreshInterval: time.Millisecond}, "RefreshInterval: must be at least 1s"},
		{"JWKS over http", auth.IssuerConfig{Issuer: "https://idp.example", Audience: "a", JWKSURL: "http://keys.example/jwks"}, "JWKSURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.NewIssuer(tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := auth.NewIssuer(auth.IssuerConfig{Issuer: "http://127.0.0.1:9/", Audience: "a"})
	assert.NoError(t, err, "http on loopback is allowed, and nothing is fetched yet")
}

// An Authenticator trusting two issuers, each with its own audience,
// beside its own tokens: each token reaches the handler with its
// identity, and a token of an issuer nobody trusts is a 401.
func TestAuthenticatorWithIssuers(t *testing.T) {
	first, second := newTestIdP(t, "rsa-1"), newTestIdP(t, "ec-1")
	clock := issuerNow
	a, err := auth.New(auth.Config{
		Tokens: auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: []byte(strings.Repeat("k", 32))}}},
		Issuers: []auth.IssuerConfig{
			{Issuer: first.srv.URL, Audience: "https://api.myblog.com"},
			{Issuer: second.srv.URL, Audience: "blog-api"},
		},
		Now: func() time.Time { return clock },
	})
	require.NoError(t, err)
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %s %v", id.Issuer, id.Subject, id.Scopes)
	}))
	pair, err := a.Issue(context.Background(), "u-own", []string{"repo"})
	require.NoError(t, err)
	tests := []struct {
		name, token string
		status      int
		body        string
	}{
		{"the service's own token", pair.Token, 200, "https://api.myblog.com u-own [repo]"},
		{"the first issuer's", idpToken(t, "RS256", "rsa-1", idpClaims(first.srv.URL, nil)), 200, first.srv.URL + " auth0|42 [read:posts write:posts]"},
		{"the second issuer's, its audience", idpToken(t, "ES256", "ec-1", idpClaims(second.srv.URL, func(c jwt.MapClaims) { c["aud"] = "blog-api" })), 200, second.srv.URL + " auth0|42 [read:posts write:posts]"},
		{"the second issuer's, the first's audience", idpToken(t, "ES256", "ec-1", idpClaims(second.srv.URL, nil)), 401, `{"message":"Bad credentials"}`},
		{"the first issuer's, signed with the second's key", idpToken(t, "ES256", "ec-1", idpClaims(first.srv.URL, nil)), 401, `{"message":"Bad credentials"}`},
		{"an issuer nobody trusts", idpToken(t, "RS256", "rsa-1", idpClaims("https://evil.example", nil)), 401, `{"message":"Bad credentials"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/user", nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body, strings.TrimSpace(w.Body.String()))
		})
	}

	_, err = auth.New(auth.Config{
		Tokens:  auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: []byte(strings.Repeat("k", 32))}}},
		Issuers: []auth.IssuerConfig{{Issuer: "https://api.myblog.com", Audience: "x"}, {Issuer: "https://idp.example", Audience: "x", Now: time.Now}},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `auth: Issuers[0].Issuer: "https://api.myblog.com" is this service's own issuer`)
	assert.Contains(t, err.Error(), "auth: Issuers[1].Now: must be nil")
}

func claimsJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// A service whose users only sign in at an identity provider: no keys of
// its own, tokens of the issuer accepted, anything else refused, and the
// login endpoints 404.
func TestAuthenticatorWithOnlyIssuers(t *testing.T) {
	idp := newTestIdP(t, "rsa-1")
	clock := issuerNow
	a, err := auth.New(auth.Config{
		Issuers: []auth.IssuerConfig{{Issuer: idp.srv.URL, Audience: "https://api.myblog.com"}},
		Now:     func() time.Time { return clock },
	})
	require.NoError(t, err)
	assert.Nil(t, a.Tokens())
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		fmt.Fprint(w, id.Subject)
	}))
	other, err := auth.NewTokens(auth.TokenConfig{Issuer: "https://api.myblog.com", Keys: []auth.Key{{Secret: []byte(strings.Repeat("k", 32))}}})
	require.NoError(t, err)
	foreign, _, err := other.Sign(auth.Access, "u", "s", nil)
	require.NoError(t, err)
	for _, tt := range []struct {
		name, token string
		status      int
	}{
		{"the issuer's token", idpToken(t, "RS256", "rsa-1", idpClaims(idp.srv.URL, nil)), 200},
		{"an HS256 token of some service", foreign, 401},
		{"not a token", "abc", 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
		})
	}
	for name, handler := range map[string]http.Handler{"login": a.Login(), "refresh": a.Refresh(), "logout": a.Logout()} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(`{}`)))
		assert.Equal(t, http.StatusNotFound, w.Code, name)
	}
	_, err = a.Issue(context.Background(), "u", nil)
	assert.ErrorIs(t, err, auth.ErrCannotSign)
}
