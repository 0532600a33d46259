package totp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth/totp"
	apierrors "github.com/myblog/apikit/errors"
)

// The secrets of RFC 6238's Appendix B: the ASCII digits repeated to the
// hash's length.
var (
	seed20 = []byte("12345678901234567890")
	seed32 = []byte("12345678901234567890123456789012")
	seed64 = []byte("1234567890123456789012345678901234567890123456789012345678901234")
)

func mustNew(t testing.TB, cfg totp.Config) *totp.TOTP {
	t.Helper()
	otp, err := totp.New(cfg)
	require.NoError(t, err)
	return otp
}

// TestRFC6238Vectors checks the test vectors of RFC 6238 Appendix B:
// eight digits, a 30-second step, the three hashes.
func TestRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix                 int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	algorithms := []struct {
		algorithm totp.Algorithm
		secret    []byte
		code      func(i int) string
	}{
		{totp.SHA1, seed20, func(i int) string { return tests[i].sha1 }},
		{totp.SHA256, seed32, func(i int) string { return tests[i].sha256 }},
		{totp.SHA512, seed64, func(i int) string { return tests[i].sha512 }},
	}
	for _, alg := range algorithms {
		otp := mustNew(t, totp.Config{Digits: 8, Algorithm: alg.algorithm})
		for i, tt := range tests {
			at := time.Unix(tt.unix, 0)
			code, err := otp.Code(alg.secret, at)
			require.NoError(t, err)
			assert.Equal(t, alg.code(i), code, "%v at %d", alg.algorithm, tt.unix)
			step, ok := otp.Verify(alg.secret, alg.code(i), at)
			assert.True(t, ok, "%v at %d", alg.algorithm, tt.unix)
			assert.Equal(t, tt.unix/30, step)
		}
	}
}

// TestRFC4226Vectors checks HOTP's values of RFC 4226 Appendix D, six
// digits, through a one-second step: the counter is the Unix time.
func TestRFC4226Vectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	otp := mustNew(t, totp.Config{Period: time.Second, Skew: -1})
	for counter, code := range want {
		got, err := otp.Code(seed20, time.Unix(int64(counter), 0))
		require.NoError(t, err)
		assert.Equal(t, code, got, "counter %d", counter)
	}
}

func TestVerifyWindow(t *testing.T) {
	otp := mustNew(t, totp.Config{})
	now := time.Unix(1_800_000_015, 0) // step 60,000,000, 15 s in
	current := otp.Step(now)
	codeAt := func(step int64) string {
		code, err := otp.Code(seed20, time.Unix(step*30, 0))
		require.NoError(t, err)
		return code
	}
	tests := []struct {
		name string
		code string
		ok   bool
		step int64
	}{
		{"current step", codeAt(current), true, current},
		{"previous step (drift)", codeAt(current - 1), true, current - 1},
		{"next step (drift)", codeAt(current + 1), true, current + 1},
		{"two steps ago", codeAt(current - 2), false, 0},
		{"two steps ahead", codeAt(current + 2), false, 0},
		{"empty", "", false, 0},
		{"too short", codeAt(current)[:5], false, 0},
		{"too long", codeAt(current) + "0", false, 0},
		{"not digits", "12a456", false, 0},
		{"signed", "+12345", false, 0},
		{"spaces", " 12345", false, 0},
		{"unicode digits", "١٢٣٤٥٦", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := otp.Verify(seed20, tt.code, now)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.step, step)
			}
		})
	}

	strict := mustNew(t, totp.Config{Skew: -1})
	_, ok := strict.Verify(seed20, codeAt(current-1), now)
	assert.False(t, ok, "Skew -1 takes the current step only")
	_, ok = strict.Verify(seed20, codeAt(current), now)
	assert.True(t, ok)
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name  string
		cfg   totp.Config
		field string
	}{
		{"five digits", totp.Config{Digits: 5}, "Digits"},
		{"eleven digits", totp.Config{Digits: 11}, "Digits"},
		{"fractional period", totp.Config{Period: 1500 * time.Millisecond}, "Period"},
		{"negative period", totp.Config{Period: -time.Second}, "Period"},
		{"unknown algorithm", totp.Config{Algorithm: 7}, "Algorithm"},
		{"skew too wide", totp.Config{Skew: totp.MaxSkew + 1}, "Skew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := totp.New(tt.cfg)
			var ce *apierrors.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "totp", ce.Package)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

func TestTenDigits(t *testing.T) {
	otp := mustNew(t, totp.Config{Digits: 10})
	code, err := otp.Code(seed20, time.Unix(59, 0))
	require.NoError(t, err)
	assert.Len(t, code, 10)
	_, ok := otp.Verify(seed20, code, time.Unix(59, 0))
	assert.True(t, ok)
}

func TestSecrets(t *testing.T) {
	a, b := totp.NewSecret(), totp.NewSecret()
	assert.Len(t, a, totp.SecretBytes)
	assert.NotEqual(t, a, b)

	encoded := totp.EncodeSecret(seed20)
	assert.Equal(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", encoded)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"as encoded", encoded, true},
		{"lower case", strings.ToLower(encoded), true},
		{"grouped in fours", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", true},
		{"padded", totp.EncodeSecret(seed20[:16]) + "======", true},
		{"too short", totp.EncodeSecret(seed20[:15]), false},
		{"not base32", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", false},
		{"empty", "", false},
		{"too long", strings.Repeat("A", 1000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, err := totp.DecodeSecret(tt.in)
			if !tt.ok {
				assert.ErrorIs(t, err, totp.ErrSecret)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, seed20[:len(secret)], secret)
		})
	}

	otp := mustNew(t, totp.Config{})
	_, err := otp.Code(seed20[:10], time.Now())
	assert.ErrorIs(t, err, totp.ErrSecret, "an 80-bit secret is refused")
	_, ok := otp.Verify(seed20[:10], "123456", time.Now())
	assert.False(t, ok)
}

func TestURI(t *testing.T) {
	tests := []struct {
		name    string
		cfg     totp.Config
		issuer  string
		account string
		want    string
	}{
		{"defaults", totp.Config{}, "myblog", "alice", "otpauth://totp/myblog:alice?issuer=myblog&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
		{"spaces and @ escaped", totp.Config{}, "My Blog", "alice@example.com", "otpauth://totp/My%20Blog:alice@example.com?issuer=My+Blog&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
		{"other parameters named", totp.Config{Digits: 8, Period: time.Minute, Algorithm: totp.SHA256}, "myblog", "alice", "otpauth://totp/myblog:alice?algorithm=SHA256&digits=8&issuer=myblog&period=60&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uri, err := mustNew(t, tt.cfg).URI(tt.issuer, tt.account, seed20)
			require.NoError(t, err)
			assert.Equal(t, tt.want, uri)
		})
	}

	otp := mustNew(t, totp.Config{})
	for _, label := range [][2]string{{"", "alice"}, {"myblog", ""}, {"my:blog", "alice"}, {"myblog", "a:b"}} {
		_, err := otp.URI(label[0], label[1], seed20)
		assert.ErrorIs(t, err, totp.ErrLabel, "%q", label)
	}
	_, err := otp.URI("myblog", "alice", seed20[:8])
	assert.ErrorIs(t, err, totp.ErrSecret)
}

func TestStepBeforeEpoch(t *testing.T) {
	otp := mustNew(t, totp.Config{})
	assert.Equal(t, int64(0), otp.Step(time.Unix(-100, 0)))
	assert.Equal(t, int64(1), otp.Step(time.Unix(30, 0)))
}

func FuzzVerify(f *testing.F) {
	otp, err := totp.New(totp.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("287082", int64(59))
	f.Add("", int64(0))
	f.Add("99999999999", int64(-1))
	f.Fuzz(func(t *testing.T, code string, unix int64) {
		at := time.Unix(unix, 0)
		step, ok := otp.Verify(seed20, code, at)
		if !ok {
			return
		}
		// An accepted code is the code of its step, and the step is in
		// the window.
		want, err := otp.Code(seed20, time.Unix(step*30, 0))
		if err != nil || want != code {
			t.Fatalf("Verify(%q) accepted step %d, whose code is %q", code, step, want)
		}
		if d := otp.Step(at) - step; d < -1 || d > 1 {
			t.Fatalf("step %d is %d steps from %d", step, d, otp.Step(at))
		}
	})
}

func FuzzDecodeSecret(f *testing.F) {
	f.Add("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	f.Add("gezd gnbv gy3t qojq ====")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		secret, err := totp.DecodeSecret(s)
		if err != nil {
			return
		}
		if len(secret) < 16 || len(secret) > 128 {
			t.Fatalf("DecodeSecret(%q) gave %d bytes", s, len(secret))
		}
		again, err := totp.DecodeSecret(totp.EncodeSecret(secret))
		if err != nil || string(again) != string(secret) {
			t.Fatalf("EncodeSecret does not round-trip %x", secret)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	otp, err := totp.New(totp.Config{})
	require.NoError(b, err)
	now := time.Unix(1_800_000_000, 0)
	code, err := otp.Code(seed20, now)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := otp.Verify(seed20, code, now); !ok {
			b.Fatal("refused")
		}
	}
}
