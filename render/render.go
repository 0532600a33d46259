package render

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/jsonbody"
)

// Config configures a Renderer. The zero value writes bare, minified JSON.
type Config struct {
	// Envelope wraps every success body in the envelope of the
	// conventions (docs/conventions.md): {"data": <body>, "code": "200",
	// "msg": "SUCCESS"}, code being the status as a string. Default false:
	// bare bodies, as GitHub's API answers, which GitHub's client
	// libraries expect. The task and batch bodies (Accepted, Batch) are
	// never wrapped: they are envelopes of their own.
	Envelope bool
	// Errors writes the 500 when a value cannot be encoded as JSON, and
	// the 422 of a batch in which an item failed (Batch). Nil: the zero
	// apierrors Config.
	Errors *apierrors.Writer
}

// Renderer writes success responses. It is safe for concurrent use.
type Renderer struct {
	envelope bool
	errors   *apierrors.Writer
}

// New returns the Renderer for cfg. Every Config is valid.
func New(cfg Config) *Renderer {
	return &Renderer{envelope: cfg.Envelope, errors: cfg.Errors}
}

// bareKey marks a context whose request is answered without the envelope.
type bareKey struct{}

// Bare returns ctx marked so that the Renderer answers its request with
// the bare representation, whatever Config.Envelope says: package jsonp
// marks the requests it serves, since a JSON-P script's data is the
// resource itself and its meta already carries the status.
func Bare(ctx context.Context) context.Context { return context.WithValue(ctx, bareKey{}, true) }

// IsBare reports whether ctx was marked by Bare.
func IsBare(ctx context.Context) bool { return ctx.Value(bareKey{}) != nil }

// enveloped reports whether r's answer is wrapped in the envelope.
func (rd *Renderer) enveloped(r *http.Request) bool {
	return rd.envelope && (r == nil || !IsBare(r.Context()))
}

// JSON answers status with v encoded as JSON: minified, indented with
// ?pretty=true, wrapped in the envelope when the Renderer has one (and
// the request was not marked Bare). A nil
// v is null ({"data":null,...} in the envelope). The body is encoded in
// full before anything is sent, so a value that cannot be encoded (a
// channel, NaN) becomes a clean 500 rather than half a body. A status that
// allows no body (1xx, 204, 304) is sent without one.
func (rd *Renderer) JSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if !bodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	buf := jsonbody.GetBuffer()
	defer jsonbody.PutBuffer(buf)
	envelope := rd.enveloped(r)
	if envelope {
		buf.WriteString(`{"data":`)
	}
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		rd.errors.Write(w, r, apierrors.Internal(err))
		return
	}
	// Encoder.Encode ends the value with a newline; a minified body has
	// none.
	buf.Truncate(buf.Len() - 1)
	if envelope {
		appendEnvelopeTail(buf, status)
	}
	jsonbody.Write(w, status, jsonbody.ContentTypeJSON, buf.Bytes(), jsonbody.Pretty(r))
}

// Created answers 201 Created with v and a Location header naming the new
// resource (RFC 9110 §15.3.2).
func (rd *Renderer) Created(w http.ResponseWriter, r *http.Request, location string, v any) {
	if location != "" {
		w.Header().Set("Location", location)
	}
	rd.JSON(w, r, http.StatusCreated, v)
}

// NoContent answers 204 No Content, with no body and no Content-Type.
func (rd *Renderer) NoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// Done answers an operation that succeeded with nothing to return. With
// the envelope it is 200 {"code": "200", "msg": "SUCCESS"}; without, 204
// No Content, as GitHub answers (and as a request marked Bare gets).
func (rd *Renderer) Done(w http.ResponseWriter, r *http.Request) {
	if !rd.enveloped(r) {
		rd.NoContent(w)
		return
	}
	buf := jsonbody.GetBuffer()
	defer jsonbody.PutBuffer(buf)
	buf.WriteByte('{')
	appendEnvelopeTail(buf, http.StatusOK)
	jsonbody.Write(w, http.StatusOK, jsonbody.ContentTypeJSON, buf.Bytes(), jsonbody.Pretty(r))
}

// Accepted answers a task submission with 202 Accepted and the task body
// of the conventions, {"job_id": "70a599e0-..."}, never wrapped in the
// envelope (a task client reads "job_id" at the top level). A non-empty
// location is sent as Location, where the client can poll the job's state
// (RFC 9110 §15.3.3). A submission that failed is an error, written with
// apierrors.Writer.WriteJobError.
func (rd *Renderer) Accepted(w http.ResponseWriter, r *http.Request, jobID, location string) {
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

// Batch answers a batch operation with the batch body of the conventions,
// never wrapped in the envelope. When every item succeeded: 200
// {"response": [{"id": "..."}, ...]}, an empty list [] rather than null.
// When any failed, the answer is an error: the Renderer's Errors writes
// it (apierrors.Writer.WriteBatch: 422 with "error", "internalError" and
// the ids that succeeded). A nil b is a batch of nothing.
func (rd *Renderer) Batch(w http.ResponseWriter, r *http.Request, b *apierrors.Batch) {
	var succeeded []string
	if b != nil {
		if len(b.Failed) > 0 {
			rd.errors.WriteBatch(w, r, b)
			return
		}
		succeeded = b.Succeeded
	}
	buf := jsonbody.GetBytes()
	body := append(*buf, `{"response":[`...)
	for i, id := range succeeded {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"id":`...)
		body = jsonbody.AppendString(body, id)
		body = append(body, '}')
	}
	body = append(body, "]}"...)
	jsonbody.Write(w, http.StatusOK, jsonbody.ContentTypeJSON, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}

// appendEnvelopeTail writes `"code":"201","msg":"SUCCESS"}`, after a
// comma when it follows the data.
func appendEnvelopeTail(buf *bytes.Buffer, status int) {
	if b := buf.Bytes(); b[len(b)-1] != '{' {
		buf.WriteByte(',')
	}
	buf.WriteString(`"code":"`)
	buf.Write(strconv.AppendInt(buf.AvailableBuffer(), int64(status), 10))
	buf.WriteString(`","msg":"SUCCESS"}`)
}

// bodyAllowed reports whether a response with status may carry content
// (RFC 9110 §6.4.1: never for 1xx, 204 and 304).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
