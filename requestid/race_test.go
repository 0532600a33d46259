//go:build race

package requestid_test

// raceEnabled: the race detector changes escape analysis (crypto/rand's
// buffer escapes under it), so allocation counts only hold without it.
const raceEnabled = true
