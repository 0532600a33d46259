package errors

import (
	stderrors "errors"
	"net/http"
	"strconv"

	"github.com/myblog/apikit/internal/jsonbody"
)

// The task and batch interfaces of the conventions (docs/conventions.md)
// have error bodies of their own: a client of a task or batch endpoint
// reads "error" and "internalError" at the top level. A Writer writes them
// in these shapes whatever its Format, and they are never wrapped in a
// success envelope. Their success answers (202 {"job_id"}, 200
// {"response"}) are package render's: Renderer.Accepted and
// Renderer.Batch.

// WriteJobError answers a task submission that failed with the task error
// body {"error": {"message": "...", "code": "..."}}, e's status and
// headers. The code is e.Code, or the status as a string when it is empty
// ("503"). Everything else is as WriteError does it: a 5xx is logged with
// its cause when the Writer has a Logger, Content-Encoding, ETag and
// Last-Modified are removed, a nil e is a 500. Its signature is a Hook's.
func (wr *Writer) WriteJobError(w http.ResponseWriter, r *http.Request, e *Error) {
	if wr == nil {
		wr = zeroWriter
	}
	if e == nil {
		e = Internal(stderrors.New("errors: WriteJobError with a nil *Error"))
	}
	status := wr.setErrorHeader(w, r, e)
	buf := jsonbody.GetBytes()
	body := append(*buf, `{"error":{"message":`...)
	body = jsonbody.AppendString(body, e.message())
	body = append(body, `,"code":`...)
	body = appendCode(body, e.Code, status)
	body = append(body, "}}"...)
	jsonbody.Write(w, status, jsonbody.ContentTypeJSON, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}

// setErrorHeader logs e when it is a 5xx and the Writer has a Logger, and
// sets the headers of every error response: e's own, without the
// Content-Encoding, ETag and Last-Modified of a representation the error
// replaces. It returns the status to send.
func (wr *Writer) setErrorHeader(w http.ResponseWriter, r *http.Request, e *Error) int {
	status := e.status()
	if status >= 500 && wr.logger != nil {
		wr.log(r, status, e)
	}
	h := w.Header()
	e.setHeader(h)
	delete(h, "Content-Encoding")
	delete(h, "Etag")
	delete(h, "Last-Modified")
	return status
}

func appendCode(dst []byte, code string, status int) []byte {
	if code != "" {
		return jsonbody.AppendString(dst, code)
	}
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, int64(status), 10)
	return append(dst, '"')
}

// Batch collects the outcome of one batch operation, item by item. A
// handler answers with render's Renderer.Batch, which writes the 200 when
// every item succeeded and hands a batch with failures to its Writer's
// WriteBatch:
//
//	var batch apierrors.Batch
//	for _, id := range in.IDs {
//		if err := deletePost(id); err != nil {
//			batch.Fail(id, "not_found", "Post not found")
//			continue
//		}
//		batch.Succeed(id)
//	}
//	rd.Batch(w, r, &batch)
type Batch struct {
	// Code and Message describe the whole batch when an item failed: the
	// "error": {"code", "message"} of the batch error body. Empty Code:
	// "422"; empty Message: "N of M operations failed".
	Code    string
	Message string
	// Succeeded lists the ids that succeeded, in order.
	Succeeded []string
	// Failed lists the items that failed, in order.
	Failed []BatchFailure
}

// BatchFailure is one entry of the batch error body's "internalError"
// list: {"id", "error_code", "error_message"}.
type BatchFailure struct {
	ID      string
	Code    string
	Message string
}

// Succeed records that the item id succeeded.
func (b *Batch) Succeed(id string) { b.Succeeded = append(b.Succeeded, id) }

// Fail records that the item id failed, with a machine-readable code and a
// message for people.
func (b *Batch) Fail(id, code, message string) {
	b.Failed = append(b.Failed, BatchFailure{ID: id, Code: code, Message: message})
}

// WriteBatch answers a batch in which an item failed with 422 and the
// batch error body {"error": {"code", "message"}, "internalError": [{"id",
// "error_code", "error_message"}, ...], "response": [{"id": "..."}, ...the
// ids that succeeded]}, so the client learns exactly which items to retry.
// An empty list is [], never null. Content-Encoding, ETag and
// Last-Modified are removed, as WriteError does.
//
// A batch with no failed item is a success, which is package render's to
// write (Renderer.Batch answers 200 {"response": [...]}): WriteBatch
// answers it, or a nil b, with a 500 that the Writer's Logger records, so
// the mistake shows in the first test rather than as a 422 that says
// "0 of N operations failed".
func (wr *Writer) WriteBatch(w http.ResponseWriter, r *http.Request, b *Batch) {
	if wr == nil {
		wr = zeroWriter
	}
	if b == nil || len(b.Failed) == 0 {
		wr.WriteError(w, r, Internal(stderrors.New("errors: WriteBatch with no failed item; answer a successful batch with render.Renderer.Batch")))
		return
	}
	status := wr.setErrorHeader(w, r, &Error{Status: http.StatusUnprocessableEntity})
	message := b.Message
	if message == "" {
		total := len(b.Failed) + len(b.Succeeded)
		message = strconv.Itoa(len(b.Failed)) + " of " + strconv.Itoa(total) + " operations failed"
	}
	buf := jsonbody.GetBytes()
	body := append(*buf, `{"error":{"code":`...)
	body = appendCode(body, b.Code, status)
	body = append(body, `,"message":`...)
	body = jsonbody.AppendString(body, message)
	body = append(body, `},"internalError":[`...)
	for i, f := range b.Failed {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"id":`...)
		body = jsonbody.AppendString(body, f.ID)
		body = append(body, `,"error_code":`...)
		body = jsonbody.AppendString(body, f.Code)
		body = append(body, `,"error_message":`...)
		body = jsonbody.AppendString(body, f.Message)
		body = append(body, '}')
	}
	body = append(body, `],"response":`...)
	body = appendBatchResponse(body, b.Succeeded)
	body = append(body, '}')
	jsonbody.Write(w, status, jsonbody.ContentTypeJSON, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}

// appendBatchResponse appends the "response" list of a batch body,
// [{"id": "..."}, ...], [] when ids is empty, never null. Package render
// writes the same list in its 200.
func appendBatchResponse(dst []byte, ids []string) []byte {
	dst = append(dst, '[')
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = jsonbody.AppendString(dst, id)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
