package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
)

// Key is a signing key of the provider and its kid.
type Key struct {
	// ID is the key's kid, which the provider's tokens name.
	ID string
	// Signer is an *rsa.PrivateKey, an *ecdsa.PrivateKey (P-256, P-384
	// or P-521) or an ed25519.PrivateKey.
	Signer crypto.Signer
}

// NewRSAKey makes a 2048-bit RSA key named id.
func NewRSAKey(t testing.TB, id string) Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: generating an RSA key: %v", err)
	}
	return Key{ID: id, Signer: k}
}

// NewECKey makes a P-256 key named id, for ES256.
func NewECKey(t testing.TB, id string) Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("oidctest: generating an EC key: %v", err)
	}
	return Key{ID: id, Signer: k}
}

// JWKS is the JWK Set of keys with their private parts (RFC 7517, RFC
// 7518 §6), as Config.Keys and Rotate take it. Every key is "use":
// "sig"; an RSA key names no "alg", so that the provider signs RS256 and
// PS256 with it alike, an EC or Ed25519 key has only one algorithm
// anyway. A key of another type fails t.
func JWKS(t testing.TB, keys ...Key) []byte {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	set := struct {
		Keys []map[string]string `json:"keys"`
	}{Keys: []map[string]string{}}
	for _, k := range keys {
		jwk := map[string]string{"kid": k.ID, "use": "sig"}
		switch priv := k.Signer.(type) {
		case *rsa.PrivateKey:
			priv.Precompute()
			jwk["kty"] = "RSA"
			jwk["n"] = b64(priv.N.Bytes())
			jwk["e"] = b64(big.NewInt(int64(priv.E)).Bytes())
			jwk["d"] = b64(priv.D.Bytes())
			jwk["p"] = b64(priv.Primes[0].Bytes())
			jwk["q"] = b64(priv.Primes[1].Bytes())
			jwk["dp"] = b64(priv.Precomputed.Dp.Bytes())
			jwk["dq"] = b64(priv.Precomputed.Dq.Bytes())
			jwk["qi"] = b64(priv.Precomputed.Qinv.Bytes())
		case *ecdsa.PrivateKey:
			pub, err := priv.PublicKey.Bytes() // 0x04 || X || Y
			if err != nil {
				t.Fatalf("oidctest: key %s: %v", k.ID, err)
			}
			d, err := priv.Bytes()
			if err != nil {
				t.Fatalf("oidctest: key %s: %v", k.ID, err)
			}
			size := len(d)
			jwk["kty"] = "EC"
			jwk["crv"] = priv.Curve.Params().Name
			jwk["x"] = b64(pub[1 : 1+size])
			jwk["y"] = b64(pub[1+size:])
			jwk["d"] = b64(d)
		case ed25519.PrivateKey:
			jwk["kty"] = "OKP"
			jwk["crv"] = "Ed25519"
			jwk["x"] = b64(priv.Public().(ed25519.PublicKey))
			jwk["d"] = b64(priv.Seed())
		default:
			t.Fatalf("oidctest: key %s: %T is not an RSA, EC or Ed25519 private key", k.ID, k.Signer)
		}
		set.Keys = append(set.Keys, jwk)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return b
}
