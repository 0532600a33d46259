package chain_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/chain"
	"github.com/myblog/apikit/cors"
	"github.com/myblog/apikit/useragent"
)

// Middlewares read outermost first. apikit's middlewares are types with a
// Handler method: their method values go into New as they are.
func Example() {
	agents, err := useragent.New(useragent.Config{})
	if err != nil {
		panic(err) // a misconfiguration fails at start-up
	}
	crossOrigin, err := cors.New(cors.Config{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })

	handler := chain.New(agents.Handler, crossOrigin.Handler).Then(mux)

	r := httptest.NewRequest("GET", "/hello", nil)
	r.Header.Set("User-Agent", "example")
	r.Header.Set("Origin", "https://app.example.com")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String(), w.Header().Get("Access-Control-Allow-Origin"))

	r = httptest.NewRequest("GET", "/hello", nil) // no User-Agent: refused by the outer middleware
	w = httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// 200 hello *
	// 403
}
