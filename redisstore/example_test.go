package redisstore_test

import (
	"fmt"
	"time"

	"github.com/myblog/apikit/ratelimit"
	"github.com/myblog/apikit/redisstore"
)

// Every instance of the service points its limiter at the same Redis.
func Example() {
	client, err := redisstore.NewClient("redis://127.0.0.1:6379/0", 250*time.Millisecond)
	if err != nil {
		panic(err)
	}
	store, err := redisstore.New(redisstore.Config{Client: client, Prefix: "myblog:"})
	if err != nil {
		panic(err)
	}
	_, err = ratelimit.New(ratelimit.Config{Store: store, FailClosed: false})
	fmt.Println(err)
	// Output:
	// <nil>
}

// A Redis URL names the deployment: one server, a Cluster's seed nodes,
// or the sentinels and their master. A bad one is refused with what is
// wrong before anything connects.
func ExampleParseURL() {
	for _, url := range []string{
		"redis://:s3cret@cache.internal:6379/2",
		"redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
		"rediss+sentinel://s1,s2,s3/mymaster",
		"redis://10.0.0.1:7000,10.0.0.2:7000",
	} {
		a, err := redisstore.ParseURL(url)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(a.Topology, a.Addrs, a.MasterName, a.DB, a.TLS)
	}
	// Output:
	// single [cache.internal:6379]  2 false
	// cluster [10.0.0.1:7000 10.0.0.2:7000 10.0.0.3:7000]  0 false
	// sentinel [s1:26379 s2:26379 s3:26379] mymaster 0 true
	// redisstore: Redis URL: lists 2 hosts: a redis:// URL names one server; use redis+cluster:// for a Cluster or redis+sentinel:// for Sentinel
}
