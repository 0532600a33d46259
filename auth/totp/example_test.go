package totp_test

import (
	"fmt"
	"time"

	"github.com/myblog/apikit/auth/totp"
)

// Enabling two-factor authentication: a secret, the link an app reads,
// and the first code the user types back, whose step the service keeps
// so the code cannot be used again.
func Example() {
	otp, err := totp.New(totp.Config{})
	if err != nil {
		panic(err)
	}
	secret := []byte("12345678901234567890") // totp.NewSecret() in a service
	uri, err := otp.URI("myblog", "alice", secret)
	if err != nil {
		panic(err)
	}
	fmt.Println(uri)

	now := time.Unix(59, 0)
	code, _ := otp.Code(secret, now) // what the app shows
	step, ok := otp.Verify(secret, code, now)
	fmt.Println(code, ok, step)
	// Output:
	// otpauth://totp/myblog:alice?issuer=myblog&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	// 287082 true 1
}
