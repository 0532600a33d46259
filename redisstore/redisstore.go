package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/ratelimit"
)

// Defaults of Config.
const (
	DefaultPrefix  = "apikit:"
	DefaultTimeout = 250 * time.Millisecond
)

// Config configures a Store.
type Config struct {
	// Client is the Redis connection: a *redis.Client, a
	// *redis.ClusterClient, a Sentinel-backed failover client, or any
	// redis.UniversalClient. Required. NewClient makes one with timeouts
	// that suit a rate limiter.
	Client redis.UniversalClient
	// Prefix starts every key, so that one Redis can serve several
	// services. Default "apikit:".
	Prefix string
	// Timeout bounds every operation: past it the operation fails, and
	// the middleware applies its fail-open or fail-closed policy rather
	// than make the request wait. Default 250ms.
	Timeout time.Duration
}

// Store keeps the rate limiter's quotas and buckets and the login
// lockout's counters and refresh-token sessions in Redis, so that every
// instance of a service shares them. It implements ratelimit.Store,
// ratelimit.BucketStore, auth.AttemptStore and auth.TokenStore; each
// operation is one round trip (a Lua script or one command) on one key,
// atomic however many instances run, and every key expires by itself.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

var (
	_ ratelimit.Store       = (*Store)(nil)
	_ ratelimit.BucketStore = (*Store)(nil)
	_ auth.AttemptStore     = (*Store)(nil)
	_ auth.TokenStore       = (*Store)(nil)
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
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	switch {
	case s.timeout == 0:
		s.timeout = DefaultTimeout
	case s.timeout < 0:
		problems.Add("Timeout", "must not be negative")
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// NewClient opens a client for url ("redis://user:password@host:6379/0",
// "rediss://..." for TLS) that fails fast: dial, read, write and pool
// waits bounded by timeout, context deadlines honoured, no retries, so
// that an unreachable Redis costs a request at most timeout before the
// fail-open or fail-closed policy applies. It reconnects by itself when
// Redis comes back.
func NewClient(url string, timeout time.Duration) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opts.DialTimeout = timeout
	opts.ReadTimeout = timeout
	opts.WriteTimeout = timeout
	opts.PoolTimeout = timeout
	opts.ContextTimeoutEnabled = true
	opts.MaxRetries = -1
	return redis.NewClient(opts), nil
}

// op bounds one operation by the Store's timeout.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
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

func ms(t time.Time) int64 { return t.UnixMilli() }

// ttlMillis is how long a key must live to outlast its window: the time
// until reset, plus a second of slack for clocks that differ between
// instances, at least one millisecond.
func ttlMillis(reset, now int64) int64 { return max(reset-now, 0) + 1000 }

// Windows: the fixed window of ratelimit.Store and auth.AttemptStore, a
// hash {used, reset} that opens with the first counted request. The time
// comes from the caller (in milliseconds), so every instance and the
// tests share one clock; the key's own expiry only collects garbage.

var takeScript = redis.NewScript(`
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset') or '0')
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if reset == 0 or now >= reset then
  used = 0
  reset = now + window
end
if used >= limit then
  return {0, used, reset}
end
used = used + 1
redis.call('HSET', KEYS[1], 'used', used, 'reset', reset)
redis.call('PEXPIRE', KEYS[1], math.max(reset - now, 0) + 1000)
return {1, used, reset}
`)

// take is Take and Acquire: one script, one key.
func (s *Store) take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, int, time.Time, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := takeScript.Run(ctx, s.client, []string{key}, ms(now), limit, window.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, time.Time{}, fmt.Errorf("redisstore: %w", err)
	}
	if len(res) != 3 {
		return false, 0, time.Time{}, fmt.Errorf("redisstore: unexpected reply %v", res)
	}
	return res[0] == 1, int(res[1]), time.UnixMilli(res[2]), nil
}

// refundScript gives back one request of the window that closes at
// ARGV[1], if it is still the key's window and open.
var refundScript = redis.NewScript(`
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset') or '0')
if reset == 0 or reset ~= tonumber(ARGV[1]) or tonumber(ARGV[2]) >= reset or used <= 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'used', used - 1)
return 1
`)

// releaseScript gives back one attempt of the key's open window.
var releaseScript = redis.NewScript(`
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset') or '0')
if reset == 0 or tonumber(ARGV[1]) >= reset or used <= 0 then
  return 0
end
if used <= 1 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'used', used - 1)
end
return 1
`)

func rateKey(k ratelimit.Key) string {
	return k.Resource + ":" + k.Caller.Kind.String() + ":" + k.Caller.ID
}

// Take implements ratelimit.Store.
func (s *Store) Take(ctx context.Context, key ratelimit.Key, limit int, window time.Duration, now time.Time) (ratelimit.Usage, error) {
	ok, used, reset, err := s.take(ctx, s.key("rl", rateKey(key)), limit, window, now)
	if err != nil {
		return ratelimit.Usage{}, err
	}
	return ratelimit.Usage{Allowed: ok, Used: used, Reset: reset}, nil
}

// Refund implements ratelimit.Store.
func (s *Store) Refund(ctx context.Context, key ratelimit.Key, reset, now time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := refundScript.Run(ctx, s.client, []string{s.key("rl", rateKey(key))}, ms(reset), ms(now)).Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

// Peek implements ratelimit.Store: one HMGET.
func (s *Store) Peek(ctx context.Context, key ratelimit.Key, window time.Duration, now time.Time) (ratelimit.Usage, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	vals, err := s.client.HMGet(ctx, s.key("rl", rateKey(key)), "used", "reset").Result()
	if err != nil {
		return ratelimit.Usage{}, fmt.Errorf("redisstore: %w", err)
	}
	used, reset := intOf(vals[0]), intOf(vals[1])
	if reset == 0 || ms(now) >= reset {
		return ratelimit.Usage{Allowed: true, Reset: now.Add(window)}, nil
	}
	return ratelimit.Usage{Allowed: true, Used: int(used), Reset: time.UnixMilli(reset)}, nil
}

func intOf(v any) int64 {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// Acquire implements auth.AttemptStore.
func (s *Store) Acquire(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	ok, _, reset, err := s.take(ctx, s.key("la", key), limit, window, now)
	return ok, reset, err
}

// Release implements auth.AttemptStore.
func (s *Store) Release(ctx context.Context, key string, now time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := releaseScript.Run(ctx, s.client, []string{s.key("la", key)}, ms(now)).Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

// Reset implements auth.AttemptStore: one DEL.
func (s *Store) Reset(ctx context.Context, key string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.client.Del(ctx, s.key("la", key)).Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

// Buckets: the token buckets of ratelimit.BucketStore, with
// golang.org/x/time/rate's arithmetic, all of a caller's buckets in one
// hash (fields t<i> tokens, l<i> last refill in ms) so that taking from
// all or none is one script on one key.
var allowScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local n = (#ARGV - 1) / 2
local tokens, wait, ttl = {}, 0, 0
for i = 1, n do
  local limit = tonumber(ARGV[2*i])
  local per = tonumber(ARGV[2*i+1])
  local rate = limit / per
  local t = tonumber(redis.call('HGET', KEYS[1], 't'..i) or limit)
  local last = tonumber(redis.call('HGET', KEYS[1], 'l'..i) or now)
  if now > last then
    t = math.min(limit, t + (now - last) * rate)
  end
  tokens[i] = t
  if t < 1 then
    wait = math.max(wait, math.ceil((1 - t) / rate))
  end
end
if wait > 0 then
  return {0, wait}
end
for i = 1, n do
  local limit = tonumber(ARGV[2*i])
  local per = tonumber(ARGV[2*i+1])
  local t = tokens[i] - 1
  redis.call('HSET', KEYS[1], 't'..i, tostring(t), 'l'..i, now)
  ttl = math.max(ttl, math.ceil((limit - t) * per / limit))
end
redis.call('PEXPIRE', KEYS[1], ttl + 1000)
return {1, 0}
`)

// Allow implements ratelimit.BucketStore.
func (s *Store) Allow(ctx context.Context, caller ratelimit.Caller, buckets []ratelimit.Bucket, now time.Time) (bool, time.Duration, error) {
	args := make([]any, 0, 1+2*len(buckets))
	args = append(args, ms(now))
	for _, b := range buckets {
		args = append(args, b.Limit, b.Per.Milliseconds())
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := allowScript.Run(ctx, s.client, []string{s.key("bk", caller.Kind.String()+":"+caller.ID)}, args...).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redisstore: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redisstore: unexpected reply %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}

// Sessions: auth.TokenStore, one string per session "<token id> <expires
// ms>", its expiry from the caller's clock, the key's own only
// collecting garbage.

// Start implements auth.TokenStore: one SET.
func (s *Store) Start(ctx context.Context, session, tokenID string, expires, now time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	value := tokenID + " " + strconv.FormatInt(ms(expires), 10)
	ttl := time.Duration(ttlMillis(ms(expires), ms(now))) * time.Millisecond
	if err := s.client.Set(ctx, s.key("rt", session), value, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

// rotateScript: 0 rotated, 1 reused (the session is deleted), 2 unknown.
var rotateScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  return 2
end
local sep = string.find(v, ' ', 1, true)
local current, expires = string.sub(v, 1, sep - 1), tonumber(string.sub(v, sep + 1))
local now = tonumber(ARGV[4])
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
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := rotateScript.Run(ctx, s.client, []string{s.key("rt", session)}, tokenID, next, ms(expires), ms(now)).Int64()
	if err != nil {
		return auth.Unknown, fmt.Errorf("redisstore: %w", err)
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
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.client.Del(ctx, s.key("rt", session)).Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}
