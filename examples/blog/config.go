package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// config is the server's configuration, from flags and BLOG_* variables.
type config struct {
	addr     string
	baseURL  string
	envelope bool
}

// parseConfig reads args, falling back to getenv("BLOG_<NAME>") for every
// flag not given; a flag wins over its variable.
func parseConfig(args []string, getenv func(string) string, output io.Writer) (config, error) {
	cfg := config{addr: "127.0.0.1:8080", envelope: true}
	fs := flag.NewFlagSet("blog", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on")
	fs.StringVar(&cfg.baseURL, "base-url", cfg.baseURL, "absolute URL of the API as clients see it (default: from the request)")
	fs.BoolVar(&cfg.envelope, "envelope", cfg.envelope, `wrap success bodies in {"data", "code", "msg"}`)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var problems []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := "BLOG_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if value := getenv(name); value != "" {
			if err := f.Value.Set(value); err != nil {
				problems = append(problems, fmt.Errorf("%s=%q: %w", name, value, err))
			}
		}
	})
	if cfg.baseURL != "" {
		u, err := url.Parse(cfg.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			problems = append(problems, fmt.Errorf("-base-url %q: want an absolute http(s) URL without query or fragment", cfg.baseURL))
		}
		cfg.baseURL = strings.TrimRight(cfg.baseURL, "/")
	}
	if len(problems) > 0 {
		return config{}, errors.Join(problems...)
	}
	return cfg, nil
}

// String shows the configuration in one log-friendly line.
func (c config) String() string {
	return "addr=" + c.addr + " base-url=" + strconv.Quote(c.baseURL) + " envelope=" + strconv.FormatBool(c.envelope)
}
