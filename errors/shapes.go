package errors

import (
	"net/http"
	"strconv"

	"github.com/myblog/apikit/internal/jsonbody"
)

// The seed's task and batch interfaces have envelopes of their own. They
// are written as the seed gives them whatever a Writer's Format, and are
// never wrapped in a success envelope: a client of a task or batch
// endpoint reads "job_id", "response", "error" and "internalError" at the
// top level.

// WriteJob answers 202 Accepted with the seed's task body
// {"job_id": "70a599e0-..."}. A non-empty location is sent as Location,
// where the client can poll the job's state (RFC 9110 §15.3.3).
func WriteJob(w http.ResponseWriter, r *http.Request, jobID, location string) {
	buf := jsonbody.GetBytes()
	body := append(*buf, `{"job_id":`...)
	body = jsonbody.AppendString(body, jobID)
	body = append(body, '}')
	if location != "" {
		w.Header().Set("Location", location)
	}
	jsonbody.Write(w, http.StatusAccepted, jsonbody.ContentTypeJSON, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}

// WriteJobError answers a task submission that failed with the seed's task
// error body {"error": {"message": "...", "code": "..."}}, e's status and
// headers. The code is e.Code, or the status as a string when it is empty,
// as in the seed format.
func WriteJobError(w http.ResponseWriter, r *http.Request, e *Error) {
	status := e.status()
	buf := jsonbody.GetBytes()
	body := append(*buf, `{"error":{"message":`...)
	body = jsonbody.AppendString(body, e.message())
	body = append(body, `,"code":`...)
	body = appendCode(body, e.Code, status)
	body = append(body, "}}"...)
	e.setHeader(w.Header())
	jsonbody.Write(w, status, jsonbody.ContentTypeJSON, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}

func appendCode(dst []byte, code string, status int) []byte {
	if code != "" {
		return jsonbody.AppendString(dst, code)
	}
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, int64(status), 10)
	return append(dst, '"')
}

// Batch collects the outcome of one batch operation, item by item, for
// WriteBatch.
//
//	var batch apierrors.Batch
//	for _, id := range in.IDs {
//		if err := deletePost(id); err != nil {
//			batch.Fail(id, "not_found", "Post not found")
//			continue
//		}
//		batch.Succeed(id)
//	}
//	apierrors.WriteBatch(w, r, &batch)
type Batch struct {
	// Code and Message describe the whole batch when an item failed: the
	// seed's "error": {"code", "message"}. Empty Code: "422"; empty
	// Message: "N of M operations failed".
	Code    string
	Message string
	// Succeeded lists the ids that succeeded, in order.
	Succeeded []string
	// Failed lists the items that failed, in order.
	Failed []BatchFailure
}

// BatchFailure is one entry of the seed's "internalError" list:
// {"id", "error_code", "error_message"}.
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

// WriteBatch answers with the seed's batch body. When every item
// succeeded: 200 {"response": [{"id": "..."}, ...]}. When any failed: 422
// {"error": {"code", "message"}, "internalError": [{"id", "error_code",
// "error_message"}, ...], "response": [...the ids that succeeded]}, so the
// client learns exactly which items to retry. An empty list is [], never
// null.
func WriteBatch(w http.ResponseWriter, r *http.Request, b *Batch) {
	buf := jsonbody.GetBytes()
	body := *buf
	status := http.StatusOK
	if len(b.Failed) == 0 {
		body = append(body, '{')
	} else {
		status = http.StatusUnprocessableEntity
		message := b.Message
		if message == "" {
			total := len(b.Failed) + len(b.Succeeded)
			message = strconv.Itoa(len(b.Failed)) + " of " + strconv.Itoa(total) + " operations failed"
		}
		body = append(body, `{"error":{"code":`...)
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
		body = append(body, "],"...)
	}
	body = append(body, `"response":[`...)
	for i, id := range b.Succeeded {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"id":`...)
		body = jsonbody.AppendString(body, id)
		body = append(body, '}')
	}
	body = append(body, "]}"...)
	jsonbody.Write(w, status, jsonbody.ContentTypeJSON, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}
