package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// commandTimeout bounds one command sent by do, dial included.
const commandTimeout = 2 * time.Second

// replyError is an error reply from Redis ("-ERR ...").
type replyError string

func (e replyError) Error() string { return string(e) }

// do sends one command to addr on a connection of its own and reads the
// reply: a string (simple or bulk), an int64, a []any, nil, or a
// replyError. It is the whole Redis client this package needs.
func do(addr string, args ...string) (any, error) {
	conn, err := net.DialTimeout("tcp", addr, commandTimeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(commandTimeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, err
	}
	return readReply(bufio.NewReader(conn))
}

// doString sends a command whose reply is a string.
func doString(addr string, args ...string) (string, error) {
	r, err := do(addr, args...)
	if err != nil {
		return "", err
	}
	s, ok := r.(string)
	if !ok {
		return "", fmt.Errorf("%s: reply %v is not a string", args[0], r)
	}
	return s, nil
}

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch body := line[1:]; line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, replyError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		return readBulk(r, body)
	case '*':
		return readArray(r, body)
	default:
		return nil, fmt.Errorf("unexpected reply line %q", line)
	}
}

func readBulk(r *bufio.Reader, size string) (any, error) {
	n, err := strconv.Atoi(size)
	if err != nil || n < 0 {
		return nil, err
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return string(buf[:n]), nil
}

func readArray(r *bufio.Reader, size string) (any, error) {
	n, err := strconv.Atoi(size)
	if err != nil || n < 0 {
		return nil, err
	}
	a := make([]any, n)
	for i := range a {
		if a[i], err = readReply(r); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// infoFields parses "name:value" lines, as INFO and CLUSTER INFO send.
func infoFields(text string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m
}

// info is addr's INFO section as fields.
func info(addr, section string) (map[string]string, error) {
	text, err := doString(addr, "INFO", section)
	if err != nil {
		return nil, err
	}
	return infoFields(text), nil
}

// role is the first element of addr's ROLE reply: "master", "slave" or
// "sentinel".
func role(addr string) (string, error) {
	r, err := do(addr, "ROLE")
	if err != nil {
		return "", err
	}
	if a, ok := r.([]any); ok && len(a) > 0 {
		if s, ok := a[0].(string); ok {
			return s, nil
		}
	}
	return "", fmt.Errorf("ROLE: unexpected reply %v", r)
}
