// Package redisstore keeps apikit's shared state in Redis, for a service
// that runs on several machines: one Store implements ratelimit.Store,
// ratelimit.BucketStore, auth.AttemptStore and auth.TokenStore, so every
// instance enforces the same quotas, the same login lockout and the same
// single-use refresh tokens.
//
//	client, err := redisstore.NewClient("redis://redis.internal:6379/0", 250*time.Millisecond)
//	store, err := redisstore.New(redisstore.Config{Client: client})
//	limiter, err := ratelimit.New(ratelimit.Config{Store: store})
//	authn, err := auth.New(auth.Config{AttemptStore: store, TokenStore: store, ...})
//
// # Guarantees
//
// Every operation (a quota decision, a refund, a bucket decision, a
// lockout count, a refresh-token rotation) is one round trip: a Lua script
// or a single command on a single key, so it is atomic however the
// instances interleave, and it works on Redis Cluster (one key, one hash
// slot) and behind Sentinel through go-redis's UniversalClient. Times come
// from the caller, in milliseconds, so instances should keep their clocks
// in sync (NTP); every key carries an expiry a second past its window, so
// Redis forgets it by itself: no cleanup job, no unbounded growth. Keys
// start with Config.Prefix ("apikit:").
//
// # Failures
//
// Each operation is bounded by Config.Timeout (250ms). When Redis is down
// or slow the operation fails and the middleware applies its own policy:
// the rate limiter fails open by default (logged) or closed with 503
// (ratelimit.Config.FailClosed); the login lockout fails closed by default
// (auth.Config.LockoutFailOpen). NewClient makes a client that dials,
// reads and writes within the timeout and does not retry, and go-redis
// reconnects by itself when Redis comes back. Requests in flight are never
// held past the timeout.
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
