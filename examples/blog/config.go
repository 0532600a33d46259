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

	"github.com/jackc/pgx/v5"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
)

// config is the server's configuration, from flags and BLOG_* variables.
type config struct {
	addr               string
	db                 string
	baseURL            string
	pathPrefix         string // "/api/v3": the API's path, from -path-prefix or -base-url's path
	tlsCert, tlsKey    string
	jwtSecret          string
	rateLimit          int
	rateLimitAnonymous int
	loginMaxFailures   int
	secondaryRetry     time.Duration
	pollInterval       time.Duration
	envelope           bool
	redisURL           string
	redisDegraded      bool
	instances          int
	trustedProxies     string
	hosts              string
	proxyHeader        forwarded.Header
	proxyProto         bool

	// Not flags: tests lower the bcrypt cost so that sign-ups are fast,
	// and give the rate limiter a clock of their own (nil: time.Now), so
	// that the secondary limit's per-minute bucket does not refill while
	// a slow machine sends its 80 writes.
	bcryptCost   int
	rateLimitNow func() time.Time
	// otpNow is the clock two-factor codes are checked by (nil:
	// time.Now), so that a test's codes do not cross a step.
	otpNow func() time.Time
	// createsPerMinute is the secondary limit's minute bucket (0: the
	// library's 80), lowered by the tests that trip it with a client's
	// own back-off.
	createsPerMinute int
	// quotaMaxKeys is the in-memory quota store's MaxKeys (0: its
	// default), set by the tests that fill it.
	quotaMaxKeys int
	// jobLease is -job-lease: how long a claimed export stays its
	// worker's without a renewal.
	jobLease time.Duration
	// maxPageOffset is how deep page numbers reach (0: the constant
	// maxPageOffset); tests set a small one.
	maxPageOffset int
}

// parseConfig reads args, falling back to getenv("BLOG_<NAME>") for every
// flag not given; a flag wins over its variable.
func parseConfig(args []string, getenv func(string) string, output io.Writer) (config, error) {
	cfg := config{addr: "127.0.0.1:8080", db: "blog.db", envelope: true, rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10, secondaryRetry: ratelimit.DefaultSecondaryRetryAfter, pollInterval: defaultPollInterval, instances: 1, jobLease: jobLease}
	fs := flag.NewFlagSet("blog", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on")
	fs.StringVar(&cfg.db, "db", cfg.db, `the database: a SQLite file, created on first start (":memory:" for a throwaway one),`+"\n"+
		`or PostgreSQL, postgres://user:password@host:5432/blog?sslmode=require, which any number of instances share`)
	fs.StringVar(&cfg.baseURL, "base-url", cfg.baseURL, "absolute URL of the API as clients see it, for Location and Link headers and *_url fields (default: from -hosts, else the address the connection arrived on)")
	fs.StringVar(&cfg.jwtSecret, "jwt-secret", cfg.jwtSecret, "HMAC secret of the tokens, 32 bytes or more (default: generated on first start and kept in the database)")
	fs.IntVar(&cfg.rateLimit, "rate-limit", cfg.rateLimit, "requests per hour for an authenticated user")
	fs.IntVar(&cfg.rateLimitAnonymous, "rate-limit-anonymous", cfg.rateLimitAnonymous, "requests per hour for an anonymous client IP")
	fs.DurationVar(&cfg.secondaryRetry, "secondary-retry-after", cfg.secondaryRetry, "the least Retry-After of a secondary-limit refusal (too many writes a minute or an hour);\n"+
		"    \tnever less than the time until the write would pass")
	fs.StringVar(&cfg.pathPrefix, "path-prefix", cfg.pathPrefix, "serve the API under this path (/api/v3, where GitHub Enterprise's clients look); default: -base-url's path")
	fs.StringVar(&cfg.tlsCert, "tls-cert", cfg.tlsCert, "a PEM certificate (chain) file: serve HTTPS, with HTTP/2, instead of plain HTTP (which speaks HTTP/1.1 and h2c); needs -tls-key")
	fs.StringVar(&cfg.tlsKey, "tls-key", cfg.tlsKey, "the PEM private key file of -tls-cert")
	fs.DurationVar(&cfg.pollInterval, "poll-interval", cfg.pollInterval, "the X-Poll-Interval of the event lists (whole seconds), doubled while the server is busy")
	fs.IntVar(&cfg.loginMaxFailures, "login-max-failures", cfg.loginMaxFailures, "failed logins per account or IP within 15 minutes before a lockout")
	fs.DurationVar(&cfg.jobLease, "job-lease", cfg.jobLease, "how long an export job stays its server's without a renewal (renewed every third of it while it runs);\n"+
		"a job whose server died is run again by another once its lease has passed")
	fs.BoolVar(&cfg.envelope, "envelope", cfg.envelope, `wrap success bodies in {"data", "code", "msg"} (false: bare, as GitHub's API)`)
	fs.StringVar(&cfg.redisURL, "redis", cfg.redisURL, "Redis to share rate limits, login lockout and refresh tokens between instances: redis://host:6379/0 (one server),\n"+
		"    \tredis+cluster://host1:7000,host2:7000 (a Cluster), redis+sentinel://host1:26379,host2:26379/mymaster (Sentinel);\n"+
		"    \trediss... for TLS. Checked at start-up: the server refuses to start when it does not answer")
	fs.BoolVar(&cfg.redisDegraded, "redis-degraded", cfg.redisDegraded, "start even when -redis does not answer at start-up: rate limits fall back to each instance's share\n"+
		"    \t(-instances), logins and token refreshes answer 503 until it does")
	fs.IntVar(&cfg.instances, "instances", cfg.instances, "how many instances share -redis: while Redis is down each one keeps 1/N of every rate limit in memory;\n"+
		"    \tmore than 1 needs -redis and -jwt-secret")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", cfg.trustedProxies, "comma-separated addresses or CIDRs of the proxies in front of the server; their -proxy-header names the client\n"+
		"    \t(rate limits, login lockout). Each must write that header itself, or a client behind it chooses its address\n"+
		"    \t(nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;). Every other forwarding header is ignored,\n"+
		"    \twhoever sends it: Forwarded (nginx passes a client's on), X-Forwarded-Host (the Host header, checked against\n"+
		"    \t-hosts, is used), X-Forwarded-Proto unless -proxy-proto. Needs -base-url or -hosts")
	fs.Var(headerFlag{&cfg.proxyHeader}, "proxy-header", "the one header in which -trusted-proxies name the client: X-Forwarded-For, X-Real-IP (nginx:\n"+
		"    \tproxy_set_header X-Real-IP $remote_addr;) or Forwarded, only behind proxies that append to it, as nginx's usual\n"+
		"    \tconfiguration does not")
	fs.BoolVar(&cfg.proxyProto, "proxy-proto", cfg.proxyProto, "believe the scheme -trusted-proxies give (X-Forwarded-Proto; proto= with -proxy-header Forwarded) for\n"+
		"    \tabsolute URLs; each must set it, replacing the client's (nginx: proxy_set_header X-Forwarded-Proto $scheme;)")
	fs.StringVar(&cfg.hosts, "hosts", cfg.hosts, "comma-separated hosts this server answers to (host[:port] as clients write Host: api.myblog.com,localhost:8080);\n"+
		"    \tabsolute URLs name the request's Host when listed, the first listed otherwise. -base-url, when set, names them all.\n"+
		"    \t(default: none, and absolute URLs name the address the connection arrived on, never a Host header)")
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
	prefix := strings.TrimRight(cfg.pathPrefix, "/")
	if prefix != "" && !validPathPrefix(prefix) {
		problems = append(problems, fmt.Errorf("-path-prefix %q: want an absolute path of plain segments, such as /api/v3", cfg.pathPrefix))
	}
	if cfg.baseURL != "" {
		u, err := url.Parse(cfg.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			problems = append(problems, fmt.Errorf("-base-url %q: want an absolute http(s) URL without query or fragment", cfg.baseURL))
		}
		cfg.baseURL = strings.TrimRight(cfg.baseURL, "/")
		if err == nil {
			switch path := strings.TrimRight(u.EscapedPath(), "/"); {
			case cfg.pathPrefix == "" && path != "" && !validPathPrefix(path):
				problems = append(problems, fmt.Errorf("-base-url %q: its path must be plain segments, such as /api/v3", cfg.baseURL))
			case cfg.pathPrefix == "":
				prefix = path
			case path != prefix:
				problems = append(problems, fmt.Errorf("-path-prefix %q: -base-url's path is %q; give one of them", cfg.pathPrefix, path))
			}
		}
	}
	cfg.pathPrefix = prefix
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		problems = append(problems, errors.New("-tls-cert and -tls-key: give both, or neither"))
	}
	if cfg.jwtSecret != "" && len(cfg.jwtSecret) < 32 {
		problems = append(problems, errors.New("-jwt-secret: must be at least 32 bytes"))
	}
	if cfg.rateLimit < 1 || cfg.rateLimitAnonymous < 1 {
		problems = append(problems, errors.New("-rate-limit and -rate-limit-anonymous: must be at least 1"))
	}
	if cfg.jobLease < 3*time.Millisecond {
		problems = append(problems, errors.New("-job-lease: must be at least 3ms"))
	}
	if cfg.secondaryRetry < time.Second || cfg.secondaryRetry > time.Hour {
		problems = append(problems, errors.New("-secondary-retry-after: must be from 1s to 1h"))
	}
	if cfg.pollInterval < time.Second || cfg.pollInterval%time.Second != 0 {
		problems = append(problems, errors.New("-poll-interval: must be whole seconds, at least 1s"))
	}
	if cfg.loginMaxFailures < 1 {
		problems = append(problems, errors.New("-login-max-failures: must be at least 1"))
	}
	switch {
	case cfg.db == "":
		problems = append(problems, errors.New(`-db: must name a file, ":memory:" for a throwaway database, or a postgres:// URL`))
	case isPostgresURL(cfg.db):
		if _, err := pgx.ParseConfig(cfg.db); err != nil {
			problems = append(problems, fmt.Errorf("-db: %w", err)) // pgx's message hides the password
		}
	}
	if cfg.redisURL != "" {
		if _, err := redisstore.ParseURL(cfg.redisURL); err != nil {
			problems = append(problems, fmt.Errorf("-redis: %w", err))
		}
	}
	switch {
	case cfg.instances < 1:
		problems = append(problems, errors.New("-instances: must be at least 1"))
	case cfg.instances > 1 && cfg.redisURL == "":
		problems = append(problems, errors.New("-instances: several instances need -redis, or each keeps limits, lockout and sessions of its own"))
	case cfg.instances > 1 && cfg.jwtSecret == "":
		problems = append(problems, errors.New("-instances: several instances need one -jwt-secret, or tokens of one are refused by the others"))
	}
	if cfg.redisDegraded && cfg.redisURL == "" {
		problems = append(problems, errors.New("-redis-degraded: needs -redis"))
	}
	if cfg.trustedProxies != "" && cfg.baseURL == "" && cfg.hosts == "" {
		problems = append(problems, errors.New("-trusted-proxies: needs -base-url or -hosts, since behind a proxy the address a connection arrives on is not the one clients use"))
	}
	if _, err := forwarded.New(cfg.forwarded()); err != nil {
		problems = append(problems, flagProblems(err)...)
	}
	if len(problems) > 0 {
		return config{}, errors.Join(problems...)
	}
	return cfg, nil
}

// validPathPrefix: "/api/v3", absolute, segments of URL-safe characters
// that need no escaping, no "." or ".." segment.
func validPathPrefix(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
				return false
			}
		}
	}
	return true
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
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			fmt.Fprintf(out, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(out)
	})
}

// forwarded is the resolver's configuration: -trusted-proxies,
// -proxy-header, -proxy-proto and -hosts. Without -hosts, absolute URLs
// name the address the connection arrived on, which no client chooses;
// X-Forwarded-Host is never believed, since nginx passes a client's on.
func (c config) forwarded() forwarded.Config {
	hosts := list(c.hosts)
	return forwarded.Config{
		TrustedProxies:    list(c.trustedProxies),
		Header:            c.proxyHeader,
		TrustProto:        c.proxyProto,
		Hosts:             hosts,
		HostFromLocalAddr: len(hosts) == 0,
	}
}

// list splits a comma-separated flag value, dropping empty entries.
func list(value string) []string {
	var out []string
	for entry := range strings.SplitSeq(value, ",") {
		if entry = strings.TrimSpace(entry); entry != "" {
			out = append(out, entry)
		}
	}
	return out
}

// forwardedFlags name the flag of each forwarded.Config field.
var forwardedFlags = map[string]string{"TrustedProxies": "-trusted-proxies", "Hosts": "-hosts", "Header": "-proxy-header"}

// flagProblems turns forwarded.New's problems into ones that name the
// flag: `-hosts: "https://api.myblog.com" is not a host[:port]`.
func flagProblems(err error) []error {
	var problems []error
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	for _, problem := range joined.Unwrap() {
		var ce *apierrors.ConfigError
		if !errors.As(problem, &ce) {
			problems = append(problems, problem)
			continue
		}
		field, _, _ := strings.Cut(ce.Field, "[")
		name, known := forwardedFlags[field]
		if !known {
			problems = append(problems, problem)
			continue
		}
		problems = append(problems, errors.New(name+": "+ce.Reason))
	}
	return problems
}

// headerFlag is -proxy-header: a forwarded.Header by its field name,
// compared without regard to case.
type headerFlag struct{ header *forwarded.Header }

func (f headerFlag) String() string {
	if f.header == nil {
		return forwarded.XForwardedFor.String()
	}
	return f.header.String()
}

func (f headerFlag) Set(value string) error {
	for _, h := range []forwarded.Header{forwarded.XForwardedFor, forwarded.Forwarded, forwarded.XRealIP} {
		if strings.EqualFold(value, h.String()) {
			*f.header = h
			return nil
		}
	}
	return errors.New("want X-Forwarded-For, Forwarded or X-Real-IP")
}

// String shows the configuration in one log-friendly line.
func (c config) String() string {
	redis := "off"
	if a, err := redisstore.ParseURL(c.redisURL); err == nil {
		redis = a.Topology.String() // not the URL: it may hold a password
	}
	return "addr=" + c.addr + " db=" + strconv.Quote(redactedDB(c.db)) + " base-url=" + strconv.Quote(c.baseURL) + " path-prefix=" + strconv.Quote(c.pathPrefix) + " tls=" + strconv.FormatBool(c.tlsCert != "") +
		" envelope=" + strconv.FormatBool(c.envelope) + " rate-limit=" + strconv.Itoa(c.rateLimit) +
		" rate-limit-anonymous=" + strconv.Itoa(c.rateLimitAnonymous) + " login-max-failures=" + strconv.Itoa(c.loginMaxFailures) + " secondary-retry-after=" + c.secondaryRetry.String() + " poll-interval=" + c.pollInterval.String() +
		" redis=" + redis + " instances=" + strconv.Itoa(c.instances) + " trusted-proxies=" + strconv.Quote(c.trustedProxies) + " proxy-header=" + c.proxyHeader.String() +
		" proxy-proto=" + strconv.FormatBool(c.proxyProto) + " hosts=" + strconv.Quote(c.hosts)
}

// redactedDB is -db as a log may show it: a postgres:// URL with its
// password replaced by "xxxxx".
func redactedDB(db string) string {
	if !isPostgresURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable)"
	}
	return u.Redacted()
}
