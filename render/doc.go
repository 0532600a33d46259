// Package render writes success responses the way the API's conventions
// say: JSON in UTF-8, minified by default, indented with ?pretty=true,
// optionally inside the envelope {"data": ..., "code": "200", "msg":
// "SUCCESS"} of the conventions (docs/conventions.md), 201 with Location,
// 204 with nothing, and the task and batch answers: 202 {"job_id": ...}
// and 200 {"response": [{"id": ...}]}.
//
// A Renderer is built once from a Config and used by every handler:
//
//	rd := render.New(render.Config{Envelope: true, Errors: errs})
//	rd.JSON(w, r, http.StatusOK, post)
//	rd.Created(w, r, postURL, post)
//	rd.NoContent(w)
//	rd.Accepted(w, r, job.ID, jobURL)
//	rd.Batch(w, r, &batch)
//
// Fields that are nil encode as null, never omitted: that is the handler's
// struct tags' business (no omitempty), and render adds nothing that drops
// them. Every body is encoded in full before the status is sent, so an
// encoding failure is a clean 500 through package errors, and
// Content-Length is always exact (HEAD answers with the GET's length).
//
// The task and batch bodies are envelopes of their own and are never
// wrapped: Accepted answers 202 {"job_id": ...} with Location, Batch 200
// {"response": [...]} when every item of an apierrors.Batch succeeded.
// Success shapes are render's and error shapes are package errors': a
// batch in which an item failed is handed to the Config's Errors writer
// (apierrors.Writer.WriteBatch, 422), and a task that failed is written
// with apierrors.Writer.WriteJobError, so every error goes through the
// service's one Writer and its Logger.
//
// A request whose context is marked with Bare is answered without the
// envelope whatever the Config says: package jsonp marks the requests it
// serves, so that a JSON-P script's data is the resource itself, in both
// modes.
//
// render is a helper, not a middleware: it has no place in the stack. It
// imports package errors for its errors and nothing else of apikit's. It
// does not negotiate media types (that is a separate convention).
package render
