package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// config is the server's configuration, from flags and BLOG_* variables.
type config struct {
	addr               string
	db                 string
	baseURL            string
	jwtSecret          string
	rateLimit          int
	rateLimitAnonymous int
	loginMaxFailures   int
	envelope           bool
	redisURL           string
	trustedProxies     string

	// Not flags: tests lower the bcrypt cost so that sign-ups are fast,
	// and give the rate limiter a clock of their own (nil: time.Now), so
	// that the secondary limit's per-minute bucket does not refill while
	// a slow machine sends its 80 writes.
	bcryptCost   int
	rateLimitNow func() time.Time
}

// parseConfig reads args, falling back to getenv("BLOG_<NAME>") for every
// flag not given; a flag wins over its variable.
func parseConfig(args []string, getenv func(string) string, output io.Writer) (config, error) {
	cfg := config{addr: "127.0.0.1:8080", db: "blog.db", envelope: true, rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10}
	fs := flag.NewFlagSet("blog", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on")
	fs.StringVar(&cfg.db, "db", cfg.db, `SQLite database file, created on first start (":memory:" for a throwaway one)`)
	fs.StringVar(&cfg.baseURL, "base-url", cfg.baseURL, "absolute URL of the API as clients see it, for Link headers and *_url fields (default: from the request)")
	fs.StringVar(&cfg.jwtSecret, "jwt-secret", cfg.jwtSecret, "HMAC secret of the tokens, 32 bytes or more (default: generated on first start and kept in the database)")
	fs.IntVar(&cfg.rateLimit, "rate-limit", cfg.rateLimit, "requests per hour for an authenticated user")
	fs.IntVar(&cfg.rateLimitAnonymous, "rate-limit-anonymous", cfg.rateLimitAnonymous, "requests per hour for an anonymous client IP")
	fs.IntVar(&cfg.loginMaxFailures, "login-max-failures", cfg.loginMaxFailures, "failed logins per account or IP within 15 minutes before a lockout")
	fs.BoolVar(&cfg.envelope, "envelope", cfg.envelope, `wrap success bodies in {"data", "code", "msg"} (false: bare, as GitHub's API)`)
	fs.StringVar(&cfg.redisURL, "redis", cfg.redisURL, "Redis URL (redis://host:6379/0) to share rate limits, login lockout and refresh tokens between instances")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", cfg.trustedProxies, "comma-separated CIDRs of proxies whose X-Forwarded-For / Forwarded are believed")
	fs.Usage = func() { usage(fs) }
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
		name := envName(f.Name)
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
	if cfg.jwtSecret != "" && len(cfg.jwtSecret) < 32 {
		problems = append(problems, errors.New("-jwt-secret: must be at least 32 bytes"))
	}
	if cfg.rateLimit < 1 || cfg.rateLimitAnonymous < 1 {
		problems = append(problems, errors.New("-rate-limit and -rate-limit-anonymous: must be at least 1"))
	}
	if cfg.loginMaxFailures < 1 {
		problems = append(problems, errors.New("-login-max-failures: must be at least 1"))
	}
	if cfg.db == "" {
		problems = append(problems, errors.New(`-db: must name a file, or ":memory:" for a throwaway database`))
	}
	if len(problems) > 0 {
		return config{}, errors.Join(problems...)
	}
	return cfg, nil
}

// envName is the environment variable a flag falls back to.
func envName(flagName string) string {
	return "BLOG_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// usage is -h's text: every flag with its variable and default.
func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprint(out, "Usage: blog [flags]\n\n"+
		"apikit's example server: a blog API on SQLite. Every flag can also be\n"+
		"given as an environment variable, the flag winning over it.\n\n")
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(out, "  -%s (%s)\n    \t%s", f.Name, envName(f.Name), f.Usage)
		if f.DefValue != "" && f.DefValue != "0" {
			fmt.Fprintf(out, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(out)
	})
}

// proxies returns -trusted-proxies as a list.
func (c config) proxies() []string {
	var out []string
	for p := range strings.SplitSeq(c.trustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// String shows the configuration in one log-friendly line.
func (c config) String() string {
	redis := "off"
	if c.redisURL != "" {
		redis = "on" // the URL may hold a password
	}
	return "addr=" + c.addr + " db=" + strconv.Quote(c.db) + " base-url=" + strconv.Quote(c.baseURL) +
		" envelope=" + strconv.FormatBool(c.envelope) + " rate-limit=" + strconv.Itoa(c.rateLimit) +
		" rate-limit-anonymous=" + strconv.Itoa(c.rateLimitAnonymous) + " login-max-failures=" + strconv.Itoa(c.loginMaxFailures) +
		" redis=" + redis + " trusted-proxies=" + strconv.Quote(c.trustedProxies)
}
