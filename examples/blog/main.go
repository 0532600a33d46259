// Command blog is apikit's example server: a blog API that composes the
// kit's packages the way a real service would. Run it from the repository
// root with
//
//	go run ./examples/blog
//
// and it listens on 127.0.0.1:8080. Flags (each also read from an
// environment variable BLOG_<NAME>, the flag winning):
//
//	-addr      address to listen on (default 127.0.0.1:8080)
//	-base-url  absolute URL of the API as clients see it, used in *_url
//	           fields (default: from each request's scheme and host)
//	-envelope  wrap success bodies in the {"data", "code", "msg"}
//	           envelope (default true); false answers bare bodies, as
//	           GitHub does
//
// It stops gracefully on SIGINT or SIGTERM: in-flight requests finish.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil), os.Stderr))
}

// exitCode is the status the command exits with after run returned err,
// which it reports on stderr: 0 for -h (the usage is printed, and asking
// for it is no failure), 1 for any other error.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintln(stderr, "blog:", err)
	return 1
}
