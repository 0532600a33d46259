package bench

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/myblog/apikit/internal/redistest"
	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
)

// commands counts the commands a client sends: its round trips.
type commands struct{ n atomic.Int64 }

func (c *commands) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *commands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// BenchmarkRedisDecision makes rate-limit decisions against one real
// redis-server, 10,000 keys, quota 5000 an hour: apikit's redisstore
// (Take, a Lua script) and go-redis/redis_rate (Allow, GCRA in Lua). It
// reports the round trips per decision.
func BenchmarkRedisDecision(b *testing.B) {
	srv := redistest.Start(b)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	newClient := func(b *testing.B, c *commands) *redis.Client {
		client := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 16})
		client.AddHook(c)
		b.Cleanup(func() { _ = client.Close() })
		return client
	}
	run := func(b *testing.B, c *commands, decide func(ctx context.Context, key string) error) {
		ctx := context.Background()
		for _, k := range keys[:10] {
			if err := decide(ctx, k); err != nil { // loads the scripts
				b.Fatal(err)
			}
		}
		before := c.n.Load()
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1000))
			for pb.Next() {
				if err := decide(ctx, keys[i%len(keys)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(c.n.Load()-before)/float64(b.N), "roundtrips/op")
	}
	b.Run("impl=apikit", func(b *testing.B) {
		var c commands
		store, err := redisstore.New(redisstore.Config{Client: newClient(b, &c), Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		run(b, &c, func(ctx context.Context, key string) error {
			_, err := store.Take(ctx, ratelimit.Key{Resource: "core", Caller: ratelimit.Caller{ID: key}}, 5000, time.Hour, time.Now())
			return err
		})
	})
	b.Run("impl=redis_rate", func(b *testing.B) {
		var c commands
		limiter := redis_rate.NewLimiter(newClient(b, &c))
		limit := redis_rate.PerHour(5000)
		run(b, &c, func(ctx context.Context, key string) error {
			_, err := limiter.Allow(ctx, key, limit)
			return err
		})
	})
}
