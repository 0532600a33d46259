package render_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/render"
)

type user struct {
	Login    string  `json:"login"`
	TimeZone *string `json:"time_zone"`
}

// The envelope of the conventions, around data and around nothing.
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

// A task queued: 202 with the job id, and Location where to poll it.
func ExampleRenderer_Accepted() {
	rd := render.New(render.Config{Envelope: true}) // never wraps the task body
	rec := httptest.NewRecorder()
	rd.Accepted(rec, httptest.NewRequest(http.MethodPost, "/exports", nil), "70a599e0-31e7-49b7-b260-868f441e862b", "/jobs/70a599e0-31e7-49b7-b260-868f441e862b")
	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Body)
	// Output:
	// 202 /jobs/70a599e0-31e7-49b7-b260-868f441e862b {"job_id":"70a599e0-31e7-49b7-b260-868f441e862b"}
}

// A batch answered item by item: 200 when every item succeeded, the
// Writer's 422 when one failed.
func ExampleRenderer_Batch() {
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	rd := render.New(render.Config{Errors: errs})
	deletePosts := func(ids ...string) {
		var batch apierrors.Batch
		for _, id := range ids {
			if id == "516fb98f" {
				batch.Fail(id, "Post.NotFound", "Post not found")
				continue
			}
			batch.Succeed(id)
		}
		rec := httptest.NewRecorder()
		rd.Batch(rec, httptest.NewRequest(http.MethodDelete, "/posts", nil), &batch)
		fmt.Println(rec.Code, rec.Body)
	}
	deletePosts("616fb98f", "716fb98f")
	deletePosts("616fb98f", "516fb98f")
	// Output:
	// 200 {"response":[{"id":"616fb98f"},{"id":"716fb98f"}]}
	// 422 {"error":{"code":"422","message":"1 of 2 operations failed"},"internalError":[{"id":"516fb98f","error_code":"Post.NotFound","error_message":"Post not found"}],"response":[{"id":"616fb98f"}]}
}
