package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/redisstore"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want redisstore.Address
	}{
		{"redis://127.0.0.1:6379/0", redisstore.Address{Addrs: []string{"127.0.0.1:6379"}}},
		{"redis://redis.internal", redisstore.Address{Addrs: []string{"redis.internal:6379"}}},
		{"rediss://:s%40cret@cache.example:6380/2", redisstore.Address{Addrs: []string{"cache.example:6380"}, DB: 2, TLS: true, Password: "s@cret"}},
		{"redis://app:pw@[::1]:7000/1?pool_size=20&client_name=blog", redisstore.Address{Addrs: []string{"[::1]:7000"}, DB: 1, Username: "app", Password: "pw", PoolSize: 20, ClientName: "blog"}},
		{"redis://[::1]", redisstore.Address{Addrs: []string{"[::1]:6379"}}},
		{"redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3", redisstore.Address{Topology: redisstore.Cluster, Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:6379"}}},
		{"rediss+cluster://u:p@node-1:7000/0", redisstore.Address{Topology: redisstore.Cluster, Addrs: []string{"node-1:7000"}, TLS: true, Username: "u", Password: "p"}},
		{"redis+sentinel://s1,s2:26380,s3/mymaster", redisstore.Address{Topology: redisstore.Sentinel, Addrs: []string{"s1:26379", "s2:26380", "s3:26379"}, MasterName: "mymaster"}},
		{"redis+sentinel://:pw@s1/primary/3?sentinel_password=spw&sentinel_username=sen", redisstore.Address{Topology: redisstore.Sentinel, Addrs: []string{"s1:26379"}, MasterName: "primary", DB: 3, Password: "pw", SentinelUsername: "sen", SentinelPassword: "spw"}},
		{"REDIS+CLUSTER://a:1", redisstore.Address{Topology: redisstore.Cluster, Addrs: []string{"a:1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := redisstore.ParseURL(tt.url)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
		})
	}
}

func TestParseURLRefusesWithAReason(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"127.0.0.1:6379", "must start with redis://"},
		{"http://redis:6379", `unknown scheme "http"`},
		{"redis://", "has no host"},
		{"redis:///0", "has no host"},
		{"redis://a:6379,b:6379", "use redis+cluster:// for a Cluster or redis+sentinel:// for Sentinel"},
		{"redis+cluster://a:7000,,b:7000", "empty host"},
		{"redis://a:0", `host "a:0": port must be a number from 1 to 65535`},
		{"redis://a:99999", "port must be a number from 1 to 65535"},
		{"redis://a:port", "port must be a number"},
		{"redis://::1", "goes in brackets"},
		{"redis://:6379", "has no host name"},
		{"redis://a/x", `database "x" must be a number`},
		{"redis://a/-1", "must be a number, 0 or more"},
		{"redis://a/0/1", "want at most /db"},
		{"redis+cluster://a/3", "a Cluster has only database 0"},
		{"redis+sentinel://s1:26379", "names no master"},
		{"redis+sentinel://s1/m/1/2", "want at most /master/db"},
		{"redis://a?dial_timeout=3s", `unknown parameter "dial_timeout"`},
		{"redis://a?pool_size=0", "pool_size"},
		{"redis://a?pool_size=1&pool_size=2", "given 2 times"},
		{"redis://a?sentinel_password=x", "only for redis+sentinel://"},
		{"redis://a#frag", "fragment"},
		{"redis://:%zz@a", "password: bad percent-encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := redisstore.ParseURL(tt.url)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "redisstore: Redis URL: ")
			_, err = redisstore.NewClient(tt.url, 0)
			assert.Error(t, err, "NewClient refuses it too")
		})
	}
	t.Run("the password is never in the error", func(t *testing.T) {
		_, err := redisstore.ParseURL("redis://user:hunter2@a:6379/zz")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
	})
}

func TestNewClientMakesTheTopologysClient(t *testing.T) {
	tests := []struct {
		url  string
		want any
	}{
		{"redis://127.0.0.1:1/0", &redis.Client{}},
		{"redis+cluster://127.0.0.1:1,127.0.0.1:2", &redis.ClusterClient{}},
		{"redis+sentinel://127.0.0.1:1/mymaster", &redis.Client{}}, // go-redis's failover client is a *redis.Client
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := redisstore.NewClient(tt.url, 0)
			require.NoError(t, err)
			defer c.Close()
			assert.IsType(t, tt.want, c)
		})
	}
}

// Every client fails fast: the timeout bounds each wait, no retries, no
// dial retries; a Cluster client reloads its slot map often.
func TestNewClientFailsFast(t *testing.T) {
	const timeout = 300 * time.Millisecond
	single, err := redisstore.NewClient("redis://u:p@127.0.0.1:1/3?client_name=blog&pool_size=7", timeout)
	require.NoError(t, err)
	defer single.Close()
	o := single.(*redis.Client).Options()
	assert.Equal(t, "127.0.0.1:1", o.Addr)
	assert.Equal(t, 3, o.DB)
	assert.Equal(t, "u", o.Username)
	assert.Equal(t, "p", o.Password)
	assert.Equal(t, "blog", o.ClientName)
	assert.Equal(t, 7, o.PoolSize)
	for _, d := range []time.Duration{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout} {
		assert.Equal(t, timeout, d)
	}
	assert.LessOrEqual(t, o.MaxRetries, 0, "no retries (go-redis turns -1 into 0)")
	assert.Equal(t, 1, o.DialerRetries)
	assert.True(t, o.ContextTimeoutEnabled)

	cluster, err := redisstore.NewClient("redis+cluster://127.0.0.1:1,127.0.0.1:2", timeout)
	require.NoError(t, err)
	defer cluster.Close()
	co := cluster.(*redis.ClusterClient).Options()
	assert.Equal(t, []string{"127.0.0.1:1", "127.0.0.1:2"}, co.Addrs)
	assert.Equal(t, redisstore.ClusterReloadInterval, co.ClusterStateReloadInterval)
	assert.Equal(t, timeout, co.ReadTimeout)
	assert.Equal(t, 1, co.DialerRetries)
	assert.LessOrEqual(t, co.MaxRetries, 0)
}

func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"redis://127.0.0.1:6379/0", "rediss://:pw@h:1/2", "redis+cluster://a,b:7000,[::1]:7001",
		"redis+sentinel://s1,s2/m/1?sentinel_password=x", "redis://a?pool_size=5", "redis://[::1", "redis://a:b:c",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := redisstore.ParseURL(s)
		if err != nil {
			return
		}
		if len(a.Addrs) == 0 {
			t.Fatalf("%q: parsed with no address", s)
		}
		if a.Topology == redisstore.Sentinel && a.MasterName == "" {
			t.Fatalf("%q: a Sentinel URL with no master", s)
		}
		if a.Topology == redisstore.Single && len(a.Addrs) != 1 {
			t.Fatalf("%q: a single server with %d addresses", s, len(a.Addrs))
		}
	})
}
