package redisstore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Topology is the kind of Redis deployment a URL names.
type Topology int

const (
	// Single is one Redis server (a primary, or a managed service's
	// endpoint): redis:// and rediss://.
	Single Topology = iota
	// Cluster is a Redis Cluster: redis+cluster:// and rediss+cluster://.
	Cluster
	// Sentinel is a primary and its replicas managed by Redis Sentinel:
	// redis+sentinel:// and rediss+sentinel://.
	Sentinel
)

// String returns "single", "cluster" or "sentinel".
func (t Topology) String() string {
	switch t {
	case Cluster:
		return "cluster"
	case Sentinel:
		return "sentinel"
	}
	return "single"
}

// Default ports, used for a host given without one.
const (
	defaultRedisPort    = "6379"
	defaultSentinelPort = "26379"
)

// ClusterReloadInterval is how often NewClient's Cluster clients reload
// the slot map even when nothing failed (go-redis's default is a minute).
// A connection error or a timeout reloads it at once.
const ClusterReloadInterval = 2 * time.Second

// Address is a parsed Redis URL: what NewClient connects to.
type Address struct {
	Topology Topology
	// Addrs are the "host:port" of the server, of the cluster's seed
	// nodes or of the sentinels, in the URL's order.
	Addrs []string
	// MasterName is the Sentinel master's name; DB the database number
	// (always 0 for a Cluster).
	MasterName string
	DB         int
	TLS        bool
	// Username and Password are the data nodes' credentials (the URL's
	// user information); SentinelUsername and SentinelPassword the
	// sentinels' (sentinel_username, sentinel_password parameters).
	Username, Password                 string
	SentinelUsername, SentinelPassword string
	// PoolSize is the connections per node (pool_size parameter;
	// default go-redis's, 10 per CPU); ClientName the name each
	// connection gives itself (client_name, seen in CLIENT LIST).
	PoolSize   int
	ClientName string
}

// ParseURL parses a Redis URL, in one of three forms:
//
//	redis://[user:password@]host[:port][/db]
//	redis+cluster://[user:password@]host[:port][,host[:port]...]
//	redis+sentinel://[user:password@]host[:port][,host[:port]...]/master[/db]
//
// with rediss, rediss+cluster and rediss+sentinel for TLS. The ports
// default to 6379, 26379 for sentinels. A cluster's hosts are seed nodes
// (one is enough, more survive one being down); a Sentinel URL lists the
// sentinels, and names the master they watch. The user information holds
// the data nodes' credentials, percent-encoded; the query may set
// pool_size, client_name and, for Sentinel, sentinel_username and
// sentinel_password. Anything else is refused with an error that says
// what is wrong, never with the password in it.
func ParseURL(rawURL string) (*Address, error) {
	a, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: Redis URL: %w", err)
	}
	return a, nil
}

func parseURL(rawURL string) (*Address, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New(`must start with redis://, rediss://, redis+cluster:// or redis+sentinel://`)
	}
	a := &Address{}
	switch strings.ToLower(scheme) {
	case "redis":
	case "rediss":
		a.TLS = true
	case "redis+cluster":
		a.Topology = Cluster
	case "rediss+cluster":
		a.Topology, a.TLS = Cluster, true
	case "redis+sentinel":
		a.Topology = Sentinel
	case "rediss+sentinel":
		a.Topology, a.TLS = Sentinel, true
	default:
		return nil, fmt.Errorf("unknown scheme %q: want redis, rediss, redis+cluster, rediss+cluster, redis+sentinel or rediss+sentinel", scheme)
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return nil, errors.New("must not have a fragment (#...)")
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if err := a.userinfo(authority[:at]); err != nil {
			return nil, err
		}
		authority = authority[at+1:]
	}
	if err := a.hosts(authority); err != nil {
		return nil, err
	}
	if err := a.path(path); err != nil {
		return nil, err
	}
	if err := a.query(rawQuery); err != nil {
		return nil, err
	}
	return a, nil
}

// userinfo decodes "user:password" (either may be empty).
func (a *Address) userinfo(s string) error {
	user, password, _ := strings.Cut(s, ":")
	var err error
	if a.Username, err = url.PathUnescape(user); err != nil {
		return errors.New("user name: bad percent-encoding")
	}
	if a.Password, err = url.PathUnescape(password); err != nil {
		// Never echo the password.
		return errors.New("password: bad percent-encoding")
	}
	return nil
}

func (a *Address) hosts(list string) error {
	if list == "" {
		return errors.New("has no host")
	}
	port := defaultRedisPort
	if a.Topology == Sentinel {
		port = defaultSentinelPort
	}
	for _, h := range strings.Split(list, ",") {
		addr, err := hostPort(h, port)
		if err != nil {
			return err
		}
		a.Addrs = append(a.Addrs, addr)
	}
	if a.Topology == Single && len(a.Addrs) > 1 {
		return fmt.Errorf("lists %d hosts: a redis:// URL names one server; use redis+cluster:// for a Cluster or redis+sentinel:// for Sentinel", len(a.Addrs))
	}
	return nil
}

// hostPort validates one "host[:port]" ("[::1]:6379" for IPv6).
func hostPort(h, defaultPort string) (string, error) {
	if h == "" {
		return "", errors.New("has an empty host in its list")
	}
	host, port := h, defaultPort
	switch colons := strings.Count(h, ":"); {
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		host = h[1 : len(h)-1]
	case strings.HasPrefix(h, "["), colons == 1:
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			return "", fmt.Errorf("host %q: %v", h, err)
		}
	case colons > 1:
		return "", fmt.Errorf("host %q: an IPv6 address goes in brackets ([::1]:6379)", h)
	}
	if host == "" {
		return "", fmt.Errorf("host %q: has no host name", h)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("host %q: port must be a number from 1 to 65535", h)
	}
	return net.JoinHostPort(host, port), nil
}

func (a *Address) path(p string) error {
	parts := strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
	if a.Topology == Sentinel {
		if len(parts) == 0 {
			return errors.New("names no master: redis+sentinel://host:26379/mymaster")
		}
		name, err := url.PathUnescape(parts[0])
		if err != nil || name == "" {
			return errors.New("master name: bad percent-encoding")
		}
		a.MasterName, parts = name, parts[1:]
	}
	switch len(parts) {
	case 0:
		return nil
	case 1:
		db, err := strconv.Atoi(parts[0])
		if err != nil || db < 0 {
			return fmt.Errorf("database %q must be a number, 0 or more", parts[0])
		}
		if a.Topology == Cluster && db != 0 {
			return fmt.Errorf("database %d: a Cluster has only database 0", db)
		}
		a.DB = db
		return nil
	}
	return fmt.Errorf("path %q: want at most %s", "/"+p, map[Topology]string{Single: "/db", Cluster: "/0", Sentinel: "/master/db"}[a.Topology])
}

func (a *Address) query(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errors.New("query: bad encoding")
	}
	for name, values := range q {
		if len(values) != 1 {
			return fmt.Errorf("parameter %s: given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "pool_size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10_000 {
				return fmt.Errorf("parameter pool_size=%q: must be a number from 1 to 10000", v)
			}
			a.PoolSize = n
		case "client_name":
			if strings.ContainsAny(v, " \r\n") {
				return fmt.Errorf("parameter client_name=%q: must not hold spaces or line breaks", v)
			}
			a.ClientName = v
		case "sentinel_username", "sentinel_password":
			if a.Topology != Sentinel {
				return fmt.Errorf("parameter %s: only for redis+sentinel:// URLs", name)
			}
			if name == "sentinel_username" {
				a.SentinelUsername = v
			} else {
				a.SentinelPassword = v
			}
		default:
			return fmt.Errorf("unknown parameter %q: known are pool_size, client_name, sentinel_username, sentinel_password", name)
		}
	}
	return nil
}

// client makes the go-redis client of a, every wait bounded by timeout.
func (a *Address) client(timeout time.Duration) redis.UniversalClient {
	opts := &redis.UniversalOptions{
		Addrs:                 a.Addrs,
		MasterName:            a.MasterName,
		Username:              a.Username,
		Password:              a.Password,
		SentinelUsername:      a.SentinelUsername,
		SentinelPassword:      a.SentinelPassword,
		DB:                    a.DB,
		ClientName:            a.ClientName,
		PoolSize:              a.PoolSize,
		DialTimeout:           timeout,
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		PoolTimeout:           timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
	}
	if a.TLS {
		host, _, _ := net.SplitHostPort(a.Addrs[0])
		opts.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	switch a.Topology {
	case Cluster:
		cluster := opts.Cluster()
		cluster.ClusterStateReloadInterval = ClusterReloadInterval
		return redis.NewClusterClient(cluster)
	case Sentinel:
		return redis.NewFailoverClient(opts.Failover())
	}
	return redis.NewClient(opts.Simple())
}
