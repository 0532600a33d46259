// Command quickstart is the smallest complete apikit service: a
// ServeMux of notes wrapped in the whole stack, in the order of the
// module doc (request id, access log, recovery, User-Agent, CORS, media
// type, JSON-P, rate limit, conditional requests, time zone). From the
// repository root:
//
//	go run ./examples/quickstart
//	curl -i -A me 127.0.0.1:8081/notes
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/examples/stack"
	"github.com/myblog/apikit/pagination"
	"github.com/myblog/apikit/render"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serve(ctx, "127.0.0.1:8081", logger, nil); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// newHandler is the service: its routes, wrapped in apikit's stack.
func newHandler(logger *slog.Logger) (http.Handler, error) {
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://docs.example.com/v1", Logger: logger})
	if err != nil {
		return nil, err
	}
	kit, err := stack.New(stack.Config{Vendor: "example", Errors: errs, Logger: logger})
	if err != nil {
		return nil, err // every misconfiguration, at start-up
	}
	pages, err := pagination.New(pagination.Config{Errors: errs})
	if err != nil {
		return nil, err
	}
	rd := render.New(render.Config{Errors: errs})

	notes := []string{"buy milk", "call mum", "write docs", "ship it", "rest"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /notes", func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages.Page(w, r) // 422 for ?page=x
		if !ok {
			return
		}
		from, to := min(page.Offset(), len(notes)), min(page.Offset()+page.Limit(), len(notes))
		pages.SetLinks(w, r, page, len(notes)) // Link: <...?page=2>; rel="next", ...
		rd.JSON(w, r, http.StatusOK, notes[from:to])
	})
	mux.HandleFunc("GET /notes/{i}", func(w http.ResponseWriter, r *http.Request) {
		for i, note := range notes {
			if r.PathValue("i") == fmt.Sprint(i) {
				rd.JSON(w, r, http.StatusOK, map[string]string{"note": note}) // ETag, 304s
				return
			}
		}
		errs.WriteError(w, r, apierrors.NotFound())
	})
	return kit.Handler(mux), nil
}

// serve answers on addr until ctx ends; onListen learns the address.
func serve(ctx context.Context, addr string, logger *slog.Logger, onListen func(net.Addr)) error {
	handler, err := newHandler(logger)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger.Info("quickstart: listening", "url", "http://"+listener.Addr().String())
	if onListen != nil {
		onListen(listener.Addr())
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(listener); err != http.ErrServerClosed {
		return err
	}
	return nil
}
