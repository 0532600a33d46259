package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/render"
)

// documentationURL is the seed's documentation address, the base of every
// error's documentation_url.
const documentationURL = "https://developer.myblog.com/v3"

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 10 * time.Second

// run serves until ctx ends, then shuts down gracefully. onListen, when
// not nil, learns the bound address (tests listen on port 0).
func run(ctx context.Context, args []string, getenv func(string) string, logOutput io.Writer, onListen func(net.Addr)) error {
	cfg, err := parseConfig(args, getenv, logOutput)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOutput, nil))
	handler, err := newHandler(cfg, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	logger.Info("blog: listening", "url", "http://"+listener.Addr().String(), "config", cfg.String())
	if onListen != nil {
		onListen(listener.Addr())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("blog: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// api holds what the handlers share.
type api struct {
	cfg    config
	errors *apierrors.Writer
	render *render.Renderer
}

// newHandler builds the server's routes.
func newHandler(cfg config, logger *slog.Logger) (http.Handler, error) {
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: documentationURL, Logger: logger})
	if err != nil {
		return nil, err
	}
	a := &api{cfg: cfg, errors: errs, render: render.New(render.Config{Envelope: cfg.envelope, Errors: errs})}

	mux := http.NewServeMux()
	// "GET /{$}" also answers HEAD (net/http sends the headers of the GET
	// and drops the body).
	mux.HandleFunc("GET /{$}", a.root)
	mux.Handle("/{$}", errs.Handler(apierrors.MethodNotAllowed(http.MethodGet, http.MethodHead)))
	mux.Handle("/", errs.Handler(apierrors.NotFound()))
	return mux, nil
}

// rootDocument is GET /: where the API and its documentation live.
type rootDocument struct {
	Name             string `json:"name"`
	Version          string `json:"version"`
	URL              string `json:"url"`
	DocumentationURL string `json:"documentation_url"`
}

func (a *api) root(w http.ResponseWriter, r *http.Request) {
	a.render.JSON(w, r, http.StatusOK, rootDocument{
		Name:             "myblog",
		Version:          "v3",
		URL:              a.baseURL(r) + "/",
		DocumentationURL: documentationURL,
	})
}

// baseURL is -base-url, or the scheme and host the request came to.
func (a *api) baseURL(r *http.Request) string {
	if a.cfg.baseURL != "" {
		return a.cfg.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
