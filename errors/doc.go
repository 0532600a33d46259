// Package errors gives a service one shape for every error a client sees,
// and turns every way a request body can be wrong into the right one.
//
// Import it as apierrors, so it never shadows the standard library:
//
//	import apierrors "github.com/myblog/apikit/errors"
//
// # Writing errors
//
// A Writer, built once from a Config, writes an *Error in the service's one
// format: GitHub's {"message", "documentation_url", "errors"} by default,
// the seed's {"err_code", "err_msg"}, Heroku's {"id", "message", "url"}, or
// RFC 9457 application/problem+json. Every apikit middleware takes an
// optional *Writer in its config (a nil *Writer is the zero Config), so
// passing the same one everywhere gives the whole service one error shape.
// Bodies are minified, indented with ?pretty=true, and sent with
// Content-Type, Content-Length and X-Content-Type-Options: nosniff.
//
// # Reading bodies
//
// Decoder.Decode reads a JSON object into a Go value and answers what GitHub
// answers: 400 "Problems parsing JSON", 400 "Body should be a JSON object",
// 413 over the size limit (enforced while reading), 415 for a non-JSON
// Content-Type, 422 "Validation Failed" for a field of the wrong type.
// Validation collects a handler's own field checks into one 422 with
// entries {"resource", "field", "code"}, code one of missing,
// missing_field, invalid, already_exists, unprocessable, or custom with a
// message.
//
// # The seed's task and batch shapes
//
// WriteJob answers 202 {"job_id": ...}; WriteJobError the task error
// {"error": {"message", "code"}}; WriteBatch the batch result
// {"response": [{"id"}]}, or 422 with "error" and "internalError" when an
// item failed. These keep their own envelopes in every format.
//
// # Where it sits
//
// errors is a leaf: it imports nothing of apikit's but an internal JSON
// helper, and every other package may import it. It is not a middleware and
// has no place in the stack; a recover middleware at the top of the stack
// should answer a panic with Writer.Write(w, r, apierrors.Internal(cause)).
//
// It deliberately does not negotiate the error format per request (one
// service, one format), localise messages, or wrap success bodies (see
// package render).
//
// See the examples for each main use.
package errors
