package render

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/internal/jsonbody"
)

// Config configures a Renderer. The zero value writes bare, minified JSON.
type Config struct {
	// Envelope wraps every success body in the seed's envelope:
	// {"data": <body>, "code": "200", "msg": "SUCCESS"}, code being the
	// status as a string. Default false: bare bodies, as GitHub's API
	// answers, which GitHub's client libraries expect.
	Envelope bool
	// Errors writes the 500 when a value cannot be encoded as JSON. Nil:
	// the zero apierrors Config.
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

// JSON answers status with v encoded as JSON: minified, indented with
// ?pretty=true, wrapped in the envelope when the Renderer has one. A nil
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
	if rd.envelope {
		buf.WriteString(`{"data":`)
	}
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		rd.errors.Write(w, r, apierrors.Internal(err))
		return
	}
	// Encoder.Encode ends the value with a newline; a minified body has
	// none.
	buf.Truncate(buf.Len() - 1)
	if rd.envelope {
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
// the envelope it is the seed's 200 {"code": "200", "msg": "SUCCESS"};
// without, 204 No Content, as GitHub answers.
func (rd *Renderer) Done(w http.ResponseWriter, r *http.Request) {
	if !rd.envelope {
		rd.NoContent(w)
		return
	}
	buf := jsonbody.GetBuffer()
	defer jsonbody.PutBuffer(buf)
	buf.WriteByte('{')
	appendEnvelopeTail(buf, http.StatusOK)
	jsonbody.Write(w, http.StatusOK, jsonbody.ContentTypeJSON, buf.Bytes(), jsonbody.Pretty(r))
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
