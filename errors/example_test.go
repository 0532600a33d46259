package errors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
)

// A handler decodes its body, validates it, and hands every failure to the
// service's one Writer.
func Example() {
	errs, err := apierrors.NewWriter(apierrors.Config{DocumentationURL: "https://developer.myblog.com/v3"})
	if err != nil {
		panic(err) // a misconfiguration fails at start-up
	}
	createPost := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Title string `json:"title"`
			Body  string `json:"body"`
		}
		if err := apierrors.Decode(r, "Post", &in); err != nil {
			errs.Write(w, r, err)
			return
		}
		v := apierrors.NewValidation("Post")
		if in.Title == "" {
			v.MissingField("title")
		}
		if err := v.Err(); err != nil {
			errs.Write(w, r, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})

	for _, body := range []string{`{"title":`, `["a"]`, `{"body":"no title"}`} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		createPost.ServeHTTP(rec, r)
		fmt.Println(rec.Code, rec.Body)
	}
	// A body without a JSON Content-Type is refused before it is read:
	// it is what a cross-origin page can send without a CORS preflight.
	rec := httptest.NewRecorder()
	createPost.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(`{"title":"x"}`)))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 400 {"message":"Problems parsing JSON","documentation_url":"https://developer.myblog.com/v3"}
	// 400 {"message":"Body should be a JSON object","documentation_url":"https://developer.myblog.com/v3"}
	// 422 {"message":"Validation Failed","documentation_url":"https://developer.myblog.com/v3","errors":[{"resource":"Post","field":"title","code":"missing_field"}]}
	// 415 {"message":"Unsupported Media Type: send the body as application/json","documentation_url":"https://developer.myblog.com/v3"}
}

// The same error in each of the four formats.
func ExampleFormat() {
	e := &apierrors.Error{
		Status:           http.StatusTooManyRequests,
		Message:          "API rate limit exceeded for 203.0.113.9.",
		ID:               "rate_limit",
		DocumentationURL: "#rate-limiting",
	}
	for _, format := range []apierrors.Format{apierrors.FormatGitHub, apierrors.FormatErrCode, apierrors.FormatHeroku, apierrors.FormatProblem} {
		errs, _ := apierrors.NewWriter(apierrors.Config{Format: format, DocumentationURL: "https://developer.myblog.com/v3"})
		fmt.Printf("%s: %s\n", format, errs.AppendBody(nil, e))
	}
	// Output:
	// github: {"message":"API rate limit exceeded for 203.0.113.9.","documentation_url":"https://developer.myblog.com/v3/#rate-limiting"}
	// err_code: {"err_code":"429","err_msg":"API rate limit exceeded for 203.0.113.9."}
	// heroku: {"id":"rate_limit","message":"API rate limit exceeded for 203.0.113.9.","url":"https://developer.myblog.com/v3/#rate-limiting"}
	// problem: {"type":"https://developer.myblog.com/v3/#rate-limiting","title":"Too Many Requests","status":429,"detail":"API rate limit exceeded for 203.0.113.9."}
}

// A Decoder with a small size limit and unknown fields refused.
func ExampleDecoder() {
	dec, err := apierrors.NewDecoder(apierrors.DecoderConfig{MaxBytes: 64, DisallowUnknownFields: true})
	if err != nil {
		panic(err)
	}
	var in struct {
		Title string `json:"title"`
	}
	for _, body := range []string{`{"title":"ok"}`, `{"title":"ok","colour":"red"}`, `{"title":"` + strings.Repeat("x", 100) + `"}`} {
		r := httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		fmt.Println(dec.Decode(r, "Post", &in))
	}
	// Output:
	// <nil>
	// 422 Validation Failed (Post.colour: unprocessable: colour is not a known field)
	// 413 Request body is too large: the limit is 64 bytes
}

// Validation gathers every problem into one 422.
func ExampleValidation() {
	v := apierrors.NewValidation("User")
	v.MissingField("password")
	v.AlreadyExists("username")
	v.Custom("email", "must be a verified address")

	rec := httptest.NewRecorder()
	(*apierrors.Writer)(nil).Write(rec, nil, v.Err())
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 422 {"message":"Validation Failed","errors":[{"resource":"User","field":"password","code":"missing_field"},{"resource":"User","field":"username","code":"already_exists"},{"resource":"User","field":"email","code":"custom","message":"must be a verified address"}]}
}

// A router's 404 and 405 in the service's error format.
func ExampleWriter_Handler() {
	var errs *apierrors.Writer // nil: the zero Config
	mux := http.NewServeMux()
	mux.Handle("/", errs.Handler(apierrors.NotFound()))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	fmt.Println(rec.Code, rec.Body)

	rec = httptest.NewRecorder()
	errs.Handler(apierrors.MethodNotAllowed(http.MethodGet, http.MethodHead)).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Allow"), rec.Body)
	// Output:
	// 404 {"message":"Not Found"}
	// 405 GET, HEAD {"message":"Method Not Allowed"}
}

// A task that could not be queued, in the task error body. A task queued
// is render's to answer (Renderer.Accepted).
func ExampleWriter_WriteJobError() {
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	rec := httptest.NewRecorder()
	errs.WriteJobError(rec, httptest.NewRequest(http.MethodPost, "/exports", nil), &apierrors.Error{
		Status:  http.StatusServiceUnavailable,
		Message: "Export queue is full",
		Code:    "Job.QueueFull",
		Header:  http.Header{"Retry-After": {"30"}},
	})
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	// Output:
	// 503 30 {"error":{"message":"Export queue is full","code":"Job.QueueFull"}}
}

// The batch error body: which items failed, which succeeded. A batch in
// which every item succeeded is render's to answer (Renderer.Batch, which
// hands a batch with failures to its Writer's WriteBatch).
func ExampleWriter_WriteBatch() {
	errs, _ := apierrors.NewWriter(apierrors.Config{})
	var batch apierrors.Batch
	for _, id := range []string{"616fb98f", "516fb98f"} {
		if id == "516fb98f" {
			batch.Fail(id, "Post.NotFound", "Post not found")
			continue
		}
		batch.Succeed(id)
	}
	rec := httptest.NewRecorder()
	errs.WriteBatch(rec, httptest.NewRequest(http.MethodDelete, "/posts", nil), &batch)
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 422 {"error":{"code":"422","message":"1 of 2 operations failed"},"internalError":[{"id":"516fb98f","error_code":"Post.NotFound","error_message":"Post not found"}],"response":[{"id":"616fb98f"}]}
}
