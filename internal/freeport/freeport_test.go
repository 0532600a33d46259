package freeport

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// The port it gives can be listened on at once, on loopback.
func TestLoopback(t *testing.T) {
	port, err := Loopback()
	require.NoError(t, err)
	require.Greater(t, port, 0)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err)
	require.NoError(t, l.Close())
}
