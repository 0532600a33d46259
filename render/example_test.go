package render_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/myblog/apikit/render"
)

type user struct {
	Login    string  `json:"login"`
	TimeZone *string `json:"time_zone"`
}

// The seed's envelope, around data and around nothing.
func Example_envelope() {
	rd := render.New(render.Config{Envelope: true})

	rec := httptest.NewRecorder()
	rd.JSON(rec, httptest.NewRequest(http.MethodGet, "/users/minhow", nil), http.StatusOK, user{Login: "minhow"})
	fmt.Println(rec.Code, rec.Body)

	rec = httptest.NewRecorder()
	rd.Done(rec, httptest.NewRequest(http.MethodDelete, "/authorizations/refresh-tokens", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 200 {"data":{"login":"minhow","time_zone":null},"code":"200","msg":"SUCCESS"}
	// 200 {"code":"200","msg":"SUCCESS"}
}

// Bare bodies, as GitHub answers, and ?pretty=true.
func ExampleRenderer_JSON() {
	rd := render.New(render.Config{})
	rec := httptest.NewRecorder()
	rd.JSON(rec, httptest.NewRequest(http.MethodGet, "/user?pretty=true", nil), http.StatusOK, user{Login: "minhow"})
	fmt.Print(rec.Body)
	// Output:
	// {
	//   "login": "minhow",
	//   "time_zone": null
	// }
}

// 201 Created names the new resource in Location.
func ExampleRenderer_Created() {
	rd := render.New(render.Config{})
	rec := httptest.NewRecorder()
	rd.Created(rec, httptest.NewRequest(http.MethodPost, "/users", nil), "https://api.myblog.com/users/minhow", user{Login: "minhow"})
	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Body)
	// Output:
	// 201 https://api.myblog.com/users/minhow {"login":"minhow","time_zone":null}
}
