// Package redisstore keeps apikit's shared state in Redis, for a service
// that runs on several machines: one Store implements ratelimit.Store,
// ratelimit.BucketStore, ratelimit.QuotaBucketStore, auth.AttemptStore,
// auth.AttemptBatcher and auth.TokenStore, so every instance enforces the
// same quotas, the same login lockout and the same single-use refresh
// tokens.
//
//	client, err := redisstore.NewClient("redis+cluster://10.0.0.1:7000,10.0.0.2:7000", redisstore.DefaultTimeout)
//	store, err := redisstore.New(redisstore.Config{Client: client, Logger: logger})
//	err = store.Check(ctx) // at start-up: Redis answers, and is what the URL says
//	limiter, err := ratelimit.New(ratelimit.Config{Store: store, Instances: 3})
//	authn, err := auth.New(auth.Config{AttemptStore: store, TokenStore: store, ...})
//
// NewClient takes one server (redis://host:6379/0), a Cluster
// (redis+cluster://host1:7000,host2:7000) or Sentinel
// (redis+sentinel://host1:26379,host2:26379/mymaster), rediss... for TLS;
// ParseURL documents the forms and refuses a bad one with what is wrong.
// docs/deployment.md is the operator's guide: keys, persistence, failover,
// the proxy.
//
// # Guarantees
//
// Every decision a request needs is one round trip: a Lua script, atomic
// however the instances interleave. A caller's quota and buckets share a
// hash slot (a Cluster hash tag), so a write's quota and buckets are one
// script; the login lockout's counters all share one slot, so a login's
// two counters are one script. Every script reads the time from Redis
// (TIME), so instances whose clocks disagree count on one clock
// (Config.Clock CallerClock uses the middlewares' time instead, for
// tests); a bucket's refill time never moves backwards. Every key carries
// an expiry a second past its window, so Redis forgets it by itself: no
// cleanup job, no unbounded growth. Keys start with Config.Prefix
// ("apikit:").
//
// # Failures
//
// Each operation is bounded by Config.Timeout (250ms). NewClient's clients
// dial, read and write within it, never retry, and a Cluster client
// reloads its slot map every 2s and on any connection error, so a promoted
// replica is found within moments. After 3 failures in a row the breaker
// opens: every operation fails at once with ErrDown, and a PING in the
// background tries Redis after 500ms, then after twice as long each time
// up to 2s. Meanwhile each middleware applies its own policy: the rate
// limiter decides in memory against each instance's share of the limits
// (ratelimit.Config.Instances) or, with FailClosed, answers 503; the
// login lockout, refreshes and logouts answer 503 with Retry-After. The
// breaker logs one line when Redis goes down, a summary every 10s while
// it stays down and one line when it is back, never one per request;
// Config.Observer gets observe.StoreDown and StoreUp; Health reports the
// state for a health check. Requests are never held past the timeout.
//
// # Its own module
//
// redisstore is a module of its own, github.com/myblog/apikit/redisstore,
// as httprate-redis is beside httprate: go-redis and its dependencies
// enter a service's module graph only when the service imports this
// package, never through the library module: a service that imports only
// cors has nothing of Redis in its module graph.
//
//	go get github.com/myblog/apikit/redisstore
//
// A bad Config is refused by New with every problem at once, each an
// *apierrors.ConfigError ("redisstore: Client: is required").
//
// # What it does not do
//
// It is the one adapter allowed to import the packages whose stores it
// implements; it does not cache decisions locally, shard across several
// Redis deployments, or hold the rate limiter's per-process cap on
// requests in flight, which stays per process by design.
package redisstore
