// Package render writes success responses the way the API's conventions
// say: JSON in UTF-8, minified by default, indented with ?pretty=true,
// optionally inside the seed's envelope {"data": ..., "code": "200",
// "msg": "SUCCESS"}, 201 with Location, 204 with nothing.
//
// A Renderer is built once from a Config and used by every handler:
//
//	rd := render.New(render.Config{Envelope: true, Errors: errs})
//	rd.JSON(w, r, http.StatusOK, post)
//	rd.Created(w, r, postURL, post)
//	rd.NoContent(w)
//
// Fields that are nil encode as null, never omitted: that is the handler's
// struct tags' business (no omitempty), and render adds nothing that drops
// them. Every body is encoded in full before the status is sent, so an
// encoding failure is a clean 500 through package errors, and
// Content-Length is always exact (HEAD answers with the GET's length).
//
// render is a helper, not a middleware: it has no place in the stack. It
// imports package errors for its 500s and nothing else of apikit's. It
// does not write the seed's task and batch bodies, which have their own
// envelopes (see errors.WriteJob and errors.WriteBatch), nor negotiate
// media types (that is a separate convention).
package render
