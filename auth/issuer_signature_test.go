package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asn1Signature is the DER encoding/asn1 writes for an ECDSA signature
// (RFC 3279 §2.2.3), which appendSignatureDER must write too.
func asn1Signature(t *testing.T, r, s []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)})
	require.NoError(t, err)
	return der
}

func TestAppendSignatureDER(t *testing.T) {
	repeat := func(b string, n int) string { return strings.Repeat(b, n) }
	tests := []struct {
		name string
		r, s string // hex, the curve's size each
		ok   bool
	}{
		{"high bits clear", "7f" + repeat("11", 31), "01" + repeat("22", 31), true},
		{"X.690 §8.3.2: the high bit set takes a zero octet", "80" + repeat("00", 31), "ff" + repeat("ff", 31), true},
		{"leading zeros are dropped", "00007f" + repeat("33", 29), "00" + repeat("44", 31), true},
		{"leading zeros, then the high bit", "0000" + "80" + repeat("55", 29), "00" + "c0" + repeat("66", 30), true},
		{"one octet each", repeat("00", 31) + "01", repeat("00", 31) + "80", true},
		{"P-521's size: the long form of the length", "01" + repeat("ff", 65), "00ff" + repeat("ee", 64), true},
		{"P-521's size, every octet used", "ff" + repeat("ff", 65), "80" + repeat("00", 65), true},
		{"r zero", repeat("00", 32), "01" + repeat("00", 31), false},
		{"s zero", "01" + repeat("00", 31), repeat("00", 32), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := hex.DecodeString(tt.r)
			require.NoError(t, err)
			s, err := hex.DecodeString(tt.s)
			require.NoError(t, err)
			der, ok := appendSignatureDER([]byte("prefix"), r, s)
			require.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, "prefix", string(der[:6]), "appended")
				assert.Equal(t, asn1Signature(t, r, s), der[6:])
			}
		})
	}
}

// Signatures of crypto/ecdsa, as a JWS carries them (R and S of the
// curve's size: RFC 7518 §3.4), verify; the same altered do not. On
// P-256, among enough signatures, R and S each begin with a zero octet
// and with the high bit set, so both conversions are checked against
// signatures crypto/ecdsa made.
func TestVerifySignatureECDSA(t *testing.T) {
	tests := []struct {
		alg   string
		curve elliptic.Curve
		hash  crypto.Hash
	}{
		{"ES256", elliptic.P256(), crypto.SHA256},
		{"ES384", elliptic.P384(), crypto.SHA384},
		{"ES512", elliptic.P521(), crypto.SHA512},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			key, err := ecdsa.GenerateKey(tt.curve, rand.Reader)
			require.NoError(t, err)
			size := (tt.curve.Params().BitSize + 7) / 8
			seen := map[string]bool{}
			checked := 0
			for n := 0; n < 4000 && (checked < 8 || tt.alg == "ES256" && len(seen) < 4); n++ {
				signed := fmt.Sprintf("header.claims-%d", n)
				h := tt.hash.New()
				h.Write([]byte(signed))
				r, s, err := ecdsa.Sign(rand.Reader, key, h.Sum(nil))
				require.NoError(t, err)
				sig := append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
				features := signatureFeatures(sig[:size], "r") + signatureFeatures(sig[size:], "s")
				if checked >= 8 && !hasNew(seen, features) {
					continue // verified enough signatures like this one
				}
				checked++
				for _, f := range strings.Fields(features) {
					seen[f] = true
				}
				der, ok := appendSignatureDER(nil, sig[:size], sig[size:])
				require.True(t, ok)
				require.Equal(t, asn1Signature(t, sig[:size], sig[size:]), der, features)
				require.NoError(t, verifySignature(tt.alg, &key.PublicKey, signed, sig), features)
				for name, altered := range alteredSignatures(sig, size, tt.curve) {
					assert.ErrorIs(t, verifySignature(tt.alg, &key.PublicKey, signed, altered), errBadSignature, "%s (%s)", name, features)
				}
				assert.ErrorIs(t, verifySignature(tt.alg, &key.PublicKey, signed+".", sig), errBadSignature, "another signing input")
			}
			if tt.alg == "ES256" {
				assert.Equal(t, map[string]bool{"r-zero": true, "r-high": true, "s-zero": true, "s-high": true}, seen)
			}
		})
	}
}

// signatureFeatures names what the DER form of v must handle: a leading
// zero octet to drop, a high bit that takes a zero octet.
func signatureFeatures(v []byte, name string) string {
	features := ""
	if v[0] == 0 {
		features += " " + name + "-zero"
	}
	if trimmed := trimLeadingZeros(v); len(trimmed) > 0 && trimmed[0]&0x80 != 0 {
		features += " " + name + "-high"
	}
	return features
}

func hasNew(seen map[string]bool, features string) bool {
	for _, f := range strings.Fields(features) {
		if !seen[f] {
			return true
		}
	}
	return false
}

// alteredSignatures are sig (R || S, size octets each) changed so that
// it no longer verifies.
func alteredSignatures(sig []byte, size int, curve elliptic.Curve) map[string][]byte {
	edit := func(change func(altered []byte) []byte) []byte {
		return change(append([]byte(nil), sig...))
	}
	order := curve.Params().N.FillBytes(make([]byte, size))
	return map[string][]byte{
		"a bit of R flipped":  edit(func(b []byte) []byte { b[size/2] ^= 0x10; return b }),
		"a bit of S flipped":  edit(func(b []byte) []byte { b[size+size/2] ^= 0x01; return b }),
		"R and S swapped":     edit(func(b []byte) []byte { return append(append([]byte(nil), b[size:]...), b[:size]...) }),
		"R zero":              edit(func(b []byte) []byte { clear(b[:size]); return b }),
		"S zero":              edit(func(b []byte) []byte { clear(b[size:]); return b }),
		"R the curve's order": edit(func(b []byte) []byte { copy(b, order); return b }),
		"one octet short":     edit(func(b []byte) []byte { return b[1:] }),
		"one octet more":      edit(func(b []byte) []byte { return append(b, 0) }),
		"R alone":             edit(func(b []byte) []byte { return b[:size] }),
	}
}
