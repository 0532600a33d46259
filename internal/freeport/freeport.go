// Package freeport finds a free TCP port on 127.0.0.1 for the servers
// the test helpers start (redistest, pgtest, oidctest, nginxtest). The
// port is free when it returns; another process may take it before the
// server listens, which is why those helpers retry a start on another
// port when the server exits at once.
package freeport

import (
	"fmt"
	"net"
)

// Loopback returns a TCP port on 127.0.0.1 that nothing listened on a
// moment ago.
func Loopback() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
