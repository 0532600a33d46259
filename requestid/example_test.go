package requestid_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"

	"github.com/myblog/apikit/forwarded"
	"github.com/myblog/apikit/requestid"
)

// Every response carries the request's id, and handlers (and the access
// log) find it in the context. Generate makes the ids deterministic here;
// the default is a random UUID v4. The Vendor names the header.
func Example() {
	var counter atomic.Int64
	ids, err := requestid.New(requestid.Config{
		Vendor:   "acme",
		Generate: func() string { return "req-" + strconv.FormatInt(counter.Add(1), 10) },
	})
	if err != nil {
		log.Fatal(err)
	}
	api := ids.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := requestid.FromContext(r.Context())
		fmt.Println("handling", r.URL.Path, "as", id)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
		}
	}))

	for _, path := range []string{"/posts", "/missing"} {
		w := httptest.NewRecorder()
		api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(w.Code, "X-acme-Request-Id:", w.Header().Get("X-acme-Request-Id"))
	}
	fmt.Println("expose:", ids.ExposedHeaders())
	// Output:
	// handling /posts as req-1
	// 200 X-acme-Request-Id: req-1
	// handling /missing as req-2
	// 404 X-acme-Request-Id: req-2
	// expose: [X-acme-Request-Id]
}

// Behind a load balancer that sets X-Request-Id, its id is kept, so that
// its logs and the service's line up; a client that sends the header
// itself, past the balancer, gets a new id. The Resolver, built once and
// handed to every package, says which peers are the balancers.
func Example_trustedProxy() {
	resolver, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		log.Fatal(err)
	}
	ids, err := requestid.New(requestid.Config{
		Resolver: resolver,
		Generate: func() string { return "generated" },
	})
	if err != nil {
		log.Fatal(err)
	}
	api := ids.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	for _, peer := range []string{"10.0.0.5:41234", "203.0.113.9:5678"} {
		r := httptest.NewRequest(http.MethodGet, "/posts", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Request-Id", "f058ebd6-02f7-4d3f-942e-904344e8cde5")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(peer, w.Header().Get("X-Request-Id"))
	}
	// Output:
	// 10.0.0.5:41234 f058ebd6-02f7-4d3f-942e-904344e8cde5
	// 203.0.113.9:5678 generated
}

// NewUUID is the default id: a random UUID v4, lower case, 8-4-4-4-12.
func ExampleNewUUID() {
	id := requestid.NewUUID()
	fmt.Println(len(id), id[8:9], id[13:15], id[18:19], id[23:24])
	// Output:
	// 36 - -4 - -
}

// WithID puts an id in a context, for tests of code that logs it.
func ExampleWithID() {
	ctx := requestid.WithID(context.Background(), "test-request")
	id, ok := requestid.FromContext(ctx)
	fmt.Println(id, ok)
	// Output:
	// test-request true
}

// New reports every problem of a Config at once.
func ExampleNew() {
	_, err := requestid.New(requestid.Config{Vendor: "my blog", Header: "X-Request Id"})
	fmt.Println(err)
	// Output:
	// requestid: Vendor: "my blog" must be a token
	// requestid: Header: "X-Request Id" must be a token
}
