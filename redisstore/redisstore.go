package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/observe"
	"github.com/myblog/apikit/ratelimit"
)

// Defaults of Config.
const (
	DefaultPrefix  = "apikit:"
	DefaultTimeout = 250 * time.Millisecond
)

// Clock says whose time the Store's operations use.
type Clock int

const (
	// RedisClock, the default, reads the time inside each operation
	// from Redis (TIME, in the Lua script), so that every instance of a
	// service counts on one clock however far apart their own clocks
	// are: windows open and close, and buckets refill, the same for all.
	// The times the middlewares pass are ignored.
	RedisClock Clock = iota
	// CallerClock uses the time the middleware passes (ratelimit.Config.Now,
	// auth.Config.Now), for tests that inject time. Instances whose
	// clocks differ then disagree by as much at a window's edges; a
	// bucket's refill time still never moves backwards.
	CallerClock
)

// Config configures a Store.
type Config struct {
	// Client is the Redis connection: a *redis.Client, a
	// *redis.ClusterClient, a Sentinel-backed failover client, or any
	// redis.UniversalClient. Required. NewClient makes one from a URL
	// with timeouts that suit a rate limiter.
	Client redis.UniversalClient
	// Prefix starts every key, so that one Redis can serve several
	// services. It must not hold '{' or '}' (the keys' hash tags).
	// Default "apikit:".
	Prefix string
	// Timeout bounds every operation: past it the operation fails, and
	// the middleware applies its policy rather than make the request
	// wait. Default 250ms.
	Timeout time.Duration
	// Clock picks the time of every operation. Default RedisClock.
	Clock Clock

	// BreakAfter failures in a row open the breaker: for BreakFor, then
	// twice as long after each failed probe up to BreakForMax, every
	// operation fails at once with ErrDown, and a PING in the background
	// tries Redis when the interval has passed. Defaults 3, 500ms and
	// 2s: an outage costs 3 operations a timeout each, and Redis is used
	// again at most 2s after it answers. Negative BreakAfter disables
	// the breaker.
	BreakAfter  int
	BreakFor    time.Duration
	BreakForMax time.Duration
	// Logger receives the breaker's changes of state (Error when Redis
	// goes down, Info when it is back) and, while it stays down, a
	// summary every 10s: never one line per operation.
	Logger *slog.Logger
	// Observer receives observe.StoreDown and observe.StoreUp, with
	// Middleware "redisstore", Detail "redis" and a nil Request.
	Observer observe.Observer
	// Now is the breaker's clock. Default time.Now.
	Now func() time.Time
}

// Store keeps the rate limiter's quotas and buckets and the login
// lockout's counters and refresh-token sessions in Redis, so that every
// instance of a service shares them. It implements ratelimit.Store,
// ratelimit.BucketStore, ratelimit.QuotaBucketStore, auth.AttemptStore,
// auth.AttemptBatcher and auth.TokenStore; each operation is one round trip (a Lua script or
// one command), atomic however many instances run, and every key expires
// by itself.
type Store struct {
	client      redis.UniversalClient
	prefix      string
	timeout     time.Duration
	callerClock bool
	breaker     *breaker
}

var (
	_ ratelimit.Store            = (*Store)(nil)
	_ ratelimit.BucketStore      = (*Store)(nil)
	_ ratelimit.QuotaBucketStore = (*Store)(nil)
	_ auth.AttemptStore          = (*Store)(nil)
	_ auth.AttemptBatcher        = (*Store)(nil)
	_ auth.TokenStore            = (*Store)(nil)
)

// New validates cfg and returns its Store. A bad Config is refused with
// every problem at once, each an *apierrors.ConfigError
// ("redisstore: Client: is required").
func New(cfg Config) (*Store, error) {
	problems := configerr.New("redisstore")
	s := &Store{client: cfg.Client, prefix: cfg.Prefix, timeout: cfg.Timeout}
	if s.client == nil {
		problems.Add("Client", "is required")
	}
	switch {
	case s.prefix == "":
		s.prefix = DefaultPrefix
	case strings.ContainsAny(s.prefix, "{}"):
		problems.Addf("Prefix", "%q must not hold '{' or '}'", s.prefix)
	}
	switch {
	case s.timeout == 0:
		s.timeout = DefaultTimeout
	case s.timeout < 0:
		problems.Add("Timeout", "must not be negative")
	}
	switch cfg.Clock {
	case RedisClock:
	case CallerClock:
		s.callerClock = true
	default:
		problems.Addf("Clock", "%d is neither RedisClock nor CallerClock", cfg.Clock)
	}
	b := &breaker{
		after: cfg.BreakAfter, openFor: cfg.BreakFor, most: cfg.BreakForMax,
		timeout: s.timeout, logger: cfg.Logger, observer: cfg.Observer, now: cfg.Now,
	}
	if b.after == 0 {
		b.after = DefaultBreakAfter
	}
	if b.openFor == 0 {
		b.openFor = DefaultBreakFor
	}
	if b.most == 0 {
		b.most = max(DefaultBreakForMax, b.openFor)
	}
	switch {
	case b.openFor < 0:
		problems.Add("BreakFor", "must not be negative")
	case b.most < b.openFor:
		problems.Add("BreakForMax", "must be at least BreakFor")
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.after > 0 {
		b.probe = func(ctx context.Context) error { return s.client.Ping(ctx).Err() }
		s.breaker = b
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// NewClient opens a client for a Redis URL (see ParseURL: a single
// server, a Cluster or Sentinel) that fails fast: dial, read, write and
// pool waits bounded by timeout (DefaultTimeout when zero), context
// deadlines honoured, no retries and no dial retries, so that an
// unreachable Redis costs an operation at most timeout before the
// middleware's policy applies. A Cluster client reloads its slot map
// every ClusterReloadInterval and, through the Store, on any connection
// error, so a failover is followed within seconds; a Sentinel client
// follows the sentinels' announcements. It reconnects by itself when
// Redis comes back. It does not connect: Store.Check does.
func NewClient(url string, timeout time.Duration) (redis.UniversalClient, error) {
	a, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return a.client(timeout), nil
}

// Check makes sure Redis answers and is what the client expects: every
// master of a Cluster answers PING; a single-node client is refused when
// its server is a Cluster node (keys on other nodes would fail with
// MOVED). Call it at start-up, so that a wrong address is an error
// before the first request rather than an outage after it. When Redis
// does not answer, the breaker opens at once: a service that starts
// anyway is degraded from its first request, and Health says so.
func (s *Store) Check(ctx context.Context) error {
	err := s.check(ctx)
	if err != nil && s.breaker != nil && !errors.Is(err, errClusterNode) {
		s.breaker.fail(err)
	}
	return err
}

// errClusterNode: a single-node URL names a node of a Cluster.
var errClusterNode = errors.New("redisstore: the server is a Redis Cluster node: use a redis+cluster:// URL, or keys on other nodes fail with MOVED")

func (s *Store) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(s.timeout, time.Second))
	defer cancel()
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		}); err != nil {
			return fmt.Errorf("redisstore: Redis Cluster: %w", err)
		}
		return nil
	}
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	info, err := s.client.Info(ctx, "cluster").Result()
	if err != nil {
		return fmt.Errorf("redisstore: INFO cluster: %w", err)
	}
	if strings.Contains(info, "cluster_enabled:1") {
		return errClusterNode
	}
	return nil
}

// Health reports the breaker's view of Redis; always up when the breaker
// is disabled.
func (s *Store) Health() Health {
	if s.breaker == nil {
		return Health{Up: true}
	}
	return s.breaker.health()
}

// do runs one operation bounded by the Store's timeout, through the
// breaker: it fails at once with ErrDown while Redis is held for down,
// and its outcome counts towards opening the breaker. A connection
// failure on a Cluster reloads the slot map, so that a promoted replica
// is found within moments.
func (s *Store) do(ctx context.Context, op func(context.Context) error) error {
	if s.breaker != nil {
		if err := s.breaker.allow(); err != nil {
			return err
		}
	}
	opCtx, cancel := context.WithTimeout(ctx, s.timeout)
	err := op(opCtx)
	cancel()
	if err != nil && isConnectionError(err) {
		if cc, ok := s.client.(*redis.ClusterClient); ok {
			cc.ReloadState(context.Background())
		}
	}
	if s.breaker != nil {
		s.breaker.record(ctx, err)
	}
	if err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

// isConnectionError reports whether err means a node could not be
// reached or did not answer, rather than an answer (a script error, or
// redis.Nil). A Cluster mid-failover answers CLUSTERDOWN, TRYAGAIN or
// READONLY, and those count too.
func isConnectionError(err error) bool {
	var redisErr redis.Error
	if errors.As(err, &redisErr) {
		msg := redisErr.Error()
		return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN") ||
			strings.HasPrefix(msg, "READONLY") || strings.HasPrefix(msg, "MASTERDOWN") || strings.HasPrefix(msg, "LOADING")
	}
	return !errors.Is(err, redis.Nil)
}

// clock is the time argument of a script: the caller's in milliseconds
// with CallerClock, else "" and the script reads Redis's TIME.
func (s *Store) clock(now time.Time) any {
	if s.callerClock {
		return ms(now)
	}
	return ""
}

func (s *Store) key(kind, name string) string {
	var b strings.Builder
	b.Grow(len(s.prefix) + len(kind) + 1 + len(name))
	b.WriteString(s.prefix)
	b.WriteString(kind)
	b.WriteByte(':')
	b.WriteString(name)
	return b.String()
}

// callerKey is the key of one of caller's sets of counters:
// "<prefix><kind>:{<caller kind>:<id>}<suffix>". The braces are a Redis
// Cluster hash tag: every key of one caller lives in one hash slot, so
// its quota and its buckets are taken in one script.
func (s *Store) callerKey(kind string, caller ratelimit.Caller, suffix string) string {
	k := caller.Kind.String()
	var b strings.Builder
	b.Grow(len(s.prefix) + len(kind) + 4 + len(k) + len(caller.ID) + len(suffix))
	b.WriteString(s.prefix)
	b.WriteString(kind)
	b.WriteString(":{")
	b.WriteString(k)
	b.WriteByte(':')
	b.WriteString(caller.ID)
	b.WriteByte('}')
	b.WriteString(suffix)
	return b.String()
}

func (s *Store) quotaKey(k ratelimit.Key) string {
	return s.callerKey("rl", k.Caller, ":"+k.Resource)
}

func (s *Store) bucketKey(c ratelimit.Caller) string { return s.callerKey("bk", c, "") }

func ms(t time.Time) int64 { return t.UnixMilli() }

// ttlMillis is how long a key must live to outlast its window: the time
// until reset, plus a second of slack, at least one millisecond.
func ttlMillis(reset, now int64) int64 { return max(reset-now, 0) + 1000 }

// clockLua is the prelude of every script that needs the time: now(arg)
// is the caller's milliseconds, or Redis's own clock when arg is empty.
// replicate_commands lets a script write after TIME on Redis before 5
// (later versions replicate a script's effects, and ignore the call).
const clockLua = `
local function now_ms(arg)
  if arg ~= '' then
    return tonumber(arg)
  end
  if redis.replicate_commands then
    redis.replicate_commands()
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// Windows: the fixed window of ratelimit.Store and auth.AttemptStore, a
// hash {used, reset} that opens with the first counted request. Times
// are milliseconds of one clock (see Clock); the key's own expiry only
// collects garbage.

// windowLua: window_state(key, now, length) is the window's count and
// reset, a new one (not yet written) when none is open; window_count
// writes one more request.
const windowLua = `
local function window_state(key, now, length)
  local used = tonumber(redis.call('HGET', key, 'used') or '0')
  local reset = tonumber(redis.call('HGET', key, 'reset') or '0')
  if reset == 0 or now >= reset then
    return 0, now + length
  end
  return used, reset
end
local function window_count(key, now, used, reset)
  redis.call('HSET', key, 'used', used + 1, 'reset', reset)
  redis.call('PEXPIRE', key, math.max(reset - now, 0) + 1000)
end
`

// bucketsLua: buckets_state(key, now, args, first) reads the buckets
// whose limit and period (ms) are args[first], args[first+1], ...: their
// tokens now, and the wait (ms) until each has one, 0 when all have;
// buckets_take writes one token less of each. A bucket's refill time
// never moves backwards, so a caller whose clock is behind cannot refill
// what a faster one took.
const bucketsLua = `
local function buckets_state(key, now, args, first)
  local tokens, last, wait = {}, {}, 0
  local n = (#args - first + 1) / 2
  for i = 1, n do
    local limit = tonumber(args[first + 2*i - 2])
    local per = tonumber(args[first + 2*i - 1])
    local rate = limit / per
    local t = tonumber(redis.call('HGET', key, 't'..i) or limit)
    local l = tonumber(redis.call('HGET', key, 'l'..i) or now)
    if now > l then
      t = math.min(limit, t + (now - l) * rate)
      l = now
    end
    tokens[i], last[i] = t, l
    if t < 1 then
      wait = math.max(wait, math.ceil((1 - t) / rate))
    end
  end
  return tokens, last, wait
end
local function buckets_take(key, args, first, tokens, last)
  local ttl = 0
  for i = 1, #tokens do
    local limit = tonumber(args[first + 2*i - 2])
    local per = tonumber(args[first + 2*i - 1])
    local t = tokens[i] - 1
    redis.call('HSET', key, 't'..i, tostring(t), 'l'..i, last[i])
    ttl = math.max(ttl, math.ceil((limit - t) * per / limit))
  end
  redis.call('PEXPIRE', key, ttl + 1000)
end
`

// takeScript: KEYS[1] the window; ARGV now, limit, length. Returns
// {allowed, used, reset}.
var takeScript = redis.NewScript(clockLua + windowLua + `
local now = now_ms(ARGV[1])
local limit, length = tonumber(ARGV[2]), tonumber(ARGV[3])
local used, reset = window_state(KEYS[1], now, length)
if used >= limit then
  return {0, used, reset}
end
window_count(KEYS[1], now, used, reset)
return {1, used + 1, reset}
`)

// takeAllScript: KEYS[1] the window, KEYS[2] the buckets (one hash
// slot); ARGV now, limit, length, then each bucket's limit and period.
// Returns {allowed, used, reset, buckets ok, wait ms}: the request is
// counted in both or in neither.
var takeAllScript = redis.NewScript(clockLua + windowLua + bucketsLua + `
local now = now_ms(ARGV[1])
local limit, length = tonumber(ARGV[2]), tonumber(ARGV[3])
local used, reset = window_state(KEYS[1], now, length)
if used >= limit then
  return {0, used, reset, 1, 0}
end
local tokens, last, wait = buckets_state(KEYS[2], now, ARGV, 4)
if wait > 0 then
  return {1, used, reset, 0, wait}
end
window_count(KEYS[1], now, used, reset)
buckets_take(KEYS[2], ARGV, 4, tokens, last)
return {1, used + 1, reset, 1, 0}
`)

// allowScript: KEYS[1] the buckets; ARGV now, then each bucket's limit
// and period. Returns {ok, wait ms}.
var allowScript = redis.NewScript(clockLua + bucketsLua + `
local now = now_ms(ARGV[1])
local tokens, last, wait = buckets_state(KEYS[1], now, ARGV, 2)
if wait > 0 then
  return {0, wait}
end
buckets_take(KEYS[1], ARGV, 2, tokens, last)
return {1, 0}
`)

// peekScript: KEYS[1] the window; ARGV now, length. Returns {used,
// reset}, a new window's when none is open.
var peekScript = redis.NewScript(clockLua + windowLua + `
local used, reset = window_state(KEYS[1], now_ms(ARGV[1]), tonumber(ARGV[2]))
return {used, reset}
`)

// refundScript gives back one request of the window that closes at
// ARGV[1], if it is still the key's window and open.
var refundScript = redis.NewScript(clockLua + `
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset') or '0')
if reset == 0 or reset ~= tonumber(ARGV[1]) or now_ms(ARGV[2]) >= reset or used <= 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'used', used - 1)
return 1
`)

// releaseScript gives back one attempt of the key's open window.
var releaseScript = redis.NewScript(clockLua + `
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset') or '0')
if reset == 0 or now_ms(ARGV[1]) >= reset or used <= 0 then
  return 0
end
if used <= 1 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'used', used - 1)
end
return 1
`)

// run runs a script that answers a list of integers, want of them.
func (s *Store) run(ctx context.Context, script *redis.Script, keys []string, want int, args ...any) ([]int64, error) {
	var res []int64
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = script.Run(ctx, s.client, keys, args...).Int64Slice()
		if err == nil && len(res) != want {
			err = fmt.Errorf("unexpected reply %v", res)
		}
		return err
	})
	return res, err
}

// Take implements ratelimit.Store.
func (s *Store) Take(ctx context.Context, key ratelimit.Key, limit int, window time.Duration, now time.Time) (ratelimit.Usage, error) {
	res, err := s.run(ctx, takeScript, []string{s.quotaKey(key)}, 3, s.clock(now), limit, window.Milliseconds())
	if err != nil {
		return ratelimit.Usage{}, err
	}
	return ratelimit.Usage{Allowed: res[0] == 1, Used: int(res[1]), Reset: time.UnixMilli(res[2])}, nil
}

// TakeAll implements ratelimit.QuotaBucketStore: the quota and the
// buckets in one script, their keys in one hash slot.
func (s *Store) TakeAll(ctx context.Context, key ratelimit.Key, limit int, window time.Duration, buckets []ratelimit.Bucket, now time.Time) (ratelimit.Usage, bool, time.Duration, error) {
	args := make([]any, 0, 3+2*len(buckets))
	args = append(args, s.clock(now), limit, window.Milliseconds())
	for _, b := range buckets {
		args = append(args, b.Limit, b.Per.Milliseconds())
	}
	res, err := s.run(ctx, takeAllScript, []string{s.quotaKey(key), s.bucketKey(key.Caller)}, 5, args...)
	if err != nil {
		return ratelimit.Usage{}, false, 0, err
	}
	usage := ratelimit.Usage{Allowed: res[0] == 1, Used: int(res[1]), Reset: time.UnixMilli(res[2])}
	return usage, res[3] == 1, time.Duration(res[4]) * time.Millisecond, nil
}

// Refund implements ratelimit.Store.
func (s *Store) Refund(ctx context.Context, key ratelimit.Key, reset, now time.Time) error {
	return s.do(ctx, func(ctx context.Context) error {
		return refundScript.Run(ctx, s.client, []string{s.quotaKey(key)}, ms(reset), s.clock(now)).Err()
	})
}

// Peek implements ratelimit.Store.
func (s *Store) Peek(ctx context.Context, key ratelimit.Key, window time.Duration, now time.Time) (ratelimit.Usage, error) {
	res, err := s.run(ctx, peekScript, []string{s.quotaKey(key)}, 2, s.clock(now), window.Milliseconds())
	if err != nil {
		return ratelimit.Usage{}, err
	}
	return ratelimit.Usage{Allowed: true, Used: int(res[0]), Reset: time.UnixMilli(res[1])}, nil
}

// Acquire implements auth.AttemptStore.
func (s *Store) Acquire(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	res, err := s.run(ctx, takeScript, []string{s.lockoutKey(key)}, 3, s.clock(now), limit, window.Milliseconds())
	if err != nil {
		return false, time.Time{}, err
	}
	return res[0] == 1, time.UnixMilli(res[2]), nil
}

// Release implements auth.AttemptStore.
func (s *Store) Release(ctx context.Context, key string, now time.Time) error {
	return s.do(ctx, func(ctx context.Context) error {
		return releaseScript.Run(ctx, s.client, []string{s.lockoutKey(key)}, s.clock(now)).Err()
	})
}

// Reset implements auth.AttemptStore: one DEL.
func (s *Store) Reset(ctx context.Context, key string) error {
	return s.do(ctx, func(ctx context.Context) error {
		return s.client.Del(ctx, s.lockoutKey(key)).Err()
	})
}

// Allow implements ratelimit.BucketStore.
func (s *Store) Allow(ctx context.Context, caller ratelimit.Caller, buckets []ratelimit.Bucket, now time.Time) (bool, time.Duration, error) {
	args := make([]any, 0, 1+2*len(buckets))
	args = append(args, s.clock(now))
	for _, b := range buckets {
		args = append(args, b.Limit, b.Per.Milliseconds())
	}
	res, err := s.run(ctx, allowScript, []string{s.bucketKey(caller)}, 2, args...)
	if err != nil {
		return false, 0, err
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}

// Sessions: auth.TokenStore, one string per session "<token id> <expires
// ms>". The expiry is the refresh token's, from the issuing instance's
// clock; the key's own only collects garbage.

// Start implements auth.TokenStore: one SET, its expiry the time from now
// to expires by the caller's clock (a difference, which no skew between
// clocks changes).
func (s *Store) Start(ctx context.Context, session, tokenID string, expires, now time.Time) error {
	value := tokenID + " " + strconv.FormatInt(ms(expires), 10)
	ttl := time.Duration(ttlMillis(ms(expires), ms(now))) * time.Millisecond
	return s.do(ctx, func(ctx context.Context) error {
		return s.client.Set(ctx, s.key("rt", session), value, ttl).Err()
	})
}

// rotateScript: 0 rotated, 1 reused (the session is deleted), 2 unknown.
var rotateScript = redis.NewScript(clockLua + `
local v = redis.call('GET', KEYS[1])
if not v then
  return 2
end
local sep = string.find(v, ' ', 1, true)
local current, expires = string.sub(v, 1, sep - 1), tonumber(string.sub(v, sep + 1))
local now = now_ms(ARGV[4])
if now >= expires then
  redis.call('DEL', KEYS[1])
  return 2
end
if current ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[3], 'PX', math.max(tonumber(ARGV[3]) - now, 0) + 1000)
return 0
`)

// Rotate implements auth.TokenStore.
func (s *Store) Rotate(ctx context.Context, session, tokenID, next string, expires, now time.Time) (auth.RotateResult, error) {
	var res int64
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = rotateScript.Run(ctx, s.client, []string{s.key("rt", session)}, tokenID, next, ms(expires), s.clock(now)).Int64()
		return err
	})
	if err != nil {
		return auth.Unknown, err
	}
	switch res {
	case 0:
		return auth.Rotated, nil
	case 1:
		return auth.Reused, nil
	}
	return auth.Unknown, nil
}

// Revoke implements auth.TokenStore: one DEL.
func (s *Store) Revoke(ctx context.Context, session string) error {
	return s.do(ctx, func(ctx context.Context) error {
		return s.client.Del(ctx, s.key("rt", session)).Err()
	})
}

// The login lockout's counters all share one hash slot (the hash tag
// {lockout}), so that a login's two counters, its client's and its
// account's, are taken in one atomic script, and no two concurrent
// attempts can each hold one counter the other needs. On a Cluster they
// live on one node: logins are few next to the requests the quotas
// count, and each counter is a small hash that expires with its window.

func (s *Store) lockoutKey(key string) string { return s.prefix + "la:{lockout}:" + key }

// acquireAllScript: KEYS the counters; ARGV now, limit, length. Returns
// {0, 0} when every key counted the attempt, else {i, reset} for the
// first key i (from 1) at its limit, none counted.
var acquireAllScript = redis.NewScript(clockLua + windowLua + `
local now = now_ms(ARGV[1])
local limit, length = tonumber(ARGV[2]), tonumber(ARGV[3])
local used, reset = {}, {}
for i = 1, #KEYS do
  used[i], reset[i] = window_state(KEYS[i], now, length)
  if used[i] >= limit then
    return {i, reset[i]}
  end
end
for i = 1, #KEYS do
  window_count(KEYS[i], now, used[i], reset[i])
end
return {0, 0}
`)

// settleScript: KEYS the counters to release (ARGV[2] of them), then the
// ones to reset; ARGV now, the number released.
var settleScript = redis.NewScript(clockLua + `
local now = now_ms(ARGV[1])
local released = tonumber(ARGV[2])
for i = 1, #KEYS do
  if i > released then
    redis.call('DEL', KEYS[i])
  else
    local used = tonumber(redis.call('HGET', KEYS[i], 'used') or '0')
    local reset = tonumber(redis.call('HGET', KEYS[i], 'reset') or '0')
    if reset ~= 0 and now < reset and used > 0 then
      if used <= 1 then
        redis.call('DEL', KEYS[i])
      else
        redis.call('HSET', KEYS[i], 'used', used - 1)
      end
    end
  end
end
return 0
`)

// AcquireAll implements auth.AttemptBatcher: one script, one round trip.
func (s *Store) AcquireAll(ctx context.Context, keys []string, limit int, window time.Duration, now time.Time) (int, time.Time, error) {
	redisKeys := make([]string, len(keys))
	for i, key := range keys {
		redisKeys[i] = s.lockoutKey(key)
	}
	res, err := s.run(ctx, acquireAllScript, redisKeys, 2, s.clock(now), limit, window.Milliseconds())
	if err != nil {
		return -1, time.Time{}, err
	}
	if res[0] == 0 {
		return -1, time.Time{}, nil
	}
	return int(res[0]) - 1, time.UnixMilli(res[1]), nil
}

// Settle implements auth.AttemptBatcher: one script, one round trip.
func (s *Store) Settle(ctx context.Context, release, reset []string, now time.Time) error {
	keys := make([]string, 0, len(release)+len(reset))
	for _, key := range release {
		keys = append(keys, s.lockoutKey(key))
	}
	for _, key := range reset {
		keys = append(keys, s.lockoutKey(key))
	}
	return s.do(ctx, func(ctx context.Context) error {
		return settleScript.Run(ctx, s.client, keys, s.clock(now), len(release)).Err()
	})
}
