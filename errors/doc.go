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
// {"err_code", "err_msg"} (FormatErrCode), Heroku's {"id", "message",
// "url"}, or RFC 9457 application/problem+json. Every apikit middleware
// takes an optional *Writer in its config (a nil *Writer is the zero
// Config), so passing the same one everywhere gives the whole service one
// error shape, and its Logger records every 5xx with its cause. Bodies are
// minified, indented with ?pretty=true, and sent with Content-Type,
// Content-Length and X-Content-Type-Options: nosniff.
//
// # Refusal hooks
//
// Every middleware that refuses requests (rate limits, authentication,
// preconditions, negotiation, ...) has a Config field OnError of type
// Hook. It sets its own headers, builds the *Error it would write and calls
// the hook before any status is written, so a custom answer reaches the
// client whole; a nil OnError is the configured Writer's WriteError.
//
// # Reading bodies
//
// Decoder.Decode reads a JSON object into a Go value and answers what GitHub
// answers: 400 "Problems parsing JSON", 400 "Body should be a JSON object",
// 413 over the size limit (enforced while reading), 415 for a missing or
// non-JSON Content-Type (so that a cross-origin write always needs a CORS
// preflight: see DecoderConfig.AllowAnyContentType), 422 "Validation
// Failed" for a field of the wrong type.
// Validation collects a handler's own field checks into one 422 with
// entries {"resource", "field", "code"}, code one of missing,
// missing_field, invalid, already_exists, unprocessable, or custom with a
// message.
//
// # Task and batch errors
//
// The task and batch interfaces of the conventions (docs/conventions.md)
// have error bodies of their own, written in these shapes whatever the
// Format: Writer.WriteJobError the task error {"error": {"message",
// "code"}}; Writer.WriteBatch a batch in which an item failed, 422 with
// "error", "internalError" and the "response" ids that succeeded. They go
// through the Writer as WriteError does (a 5xx is logged). Their success
// answers, 202 {"job_id": ...} and 200 {"response": [...]}, are package
// render's (Renderer.Accepted, Renderer.Batch).
//
// # Where it sits
//
// errors is a leaf: it imports nothing of apikit's but internal helpers
// (JSON bodies, config errors), and every other package may import it. It
// is not a middleware and has no place in the stack; a recover middleware
// at the top of the stack should answer a panic with
// Writer.Write(w, r, apierrors.Internal(cause)).
//
// It deliberately does not negotiate the error format per request (one
// service, one format), localise messages, or write success bodies (see
// package render).
//
// See the examples for each main use.
package errors
