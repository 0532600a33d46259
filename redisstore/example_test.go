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
