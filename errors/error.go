package errors

import (
	"net/http"
	"strconv"
	"strings"
)

// Messages of the errors the kit itself produces. They are GitHub's texts
// where GitHub has one, byte for byte, because clients match on them.
const (
	MsgProblemsParsingJSON  = "Problems parsing JSON"
	MsgBodyNotObject        = "Body should be a JSON object"
	MsgValidationFailed     = "Validation Failed"
	MsgBodyTooLarge         = "Request body is too large"
	MsgUnsupportedMediaType = "Unsupported Media Type: send the body as application/json"
	MsgUnsupportedEncoding  = "Unsupported Content-Encoding: send the body uncompressed"
	MsgInternalServerError  = "Internal Server Error"
	MsgNotFound             = "Not Found"
	MsgMethodNotAllowed     = "Method Not Allowed"
)

// Code says what is wrong with one field of a request body, in a
// validation error. The values are GitHub's.
type Code string

const (
	// CodeMissing: the resource the field refers to does not exist.
	CodeMissing Code = "missing"
	// CodeMissingField: a required field was not set.
	CodeMissingField Code = "missing_field"
	// CodeInvalid: the field's value is malformed.
	CodeInvalid Code = "invalid"
	// CodeAlreadyExists: another resource has the same value for the field,
	// where it must be unique.
	CodeAlreadyExists Code = "already_exists"
	// CodeUnprocessable: the value is well-formed but cannot be used.
	CodeUnprocessable Code = "unprocessable"
	// CodeCustom: see the entry's Message.
	CodeCustom Code = "custom"
)

// FieldError is one entry of a validation error's "errors" array:
// {"resource": "Post", "field": "title", "code": "missing_field"}, with a
// "message" when Message is not empty (always, for CodeCustom).
//
// A FieldError is also an error, so a type's UnmarshalJSON may return one
// to have the decoder report it as a 422 entry rather than a bare message.
type FieldError struct {
	Resource string
	Field    string
	Code     Code
	Message  string
}

// Error implements error.
func (f FieldError) Error() string {
	var b strings.Builder
	b.WriteString(f.Resource)
	if f.Field != "" {
		if f.Resource != "" {
			b.WriteByte('.')
		}
		b.WriteString(f.Field)
	}
	b.WriteString(": ")
	b.WriteString(string(f.Code))
	if f.Message != "" {
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Error is an error a client sees. Handlers and middlewares build one (with
// New, or a helper such as Validation) and hand it to a Writer, which
// renders it in the service's one error format.
type Error struct {
	// Status is the HTTP status, 400 to 599. A Writer answers anything
	// else as 500, since a non-error status on an error is a bug.
	Status int
	// Message is the human-readable text: "Validation Failed".
	Message string
	// ID is a machine-readable name in snake_case ("rate_limit",
	// "bad_credentials"): the Heroku format's "id". Empty: derived from
	// the status ("not_found", "unprocessable_entity").
	ID string
	// Code is FormatErrCode's "err_code" ("1001") and the "code" of the
	// task error body (Writer.WriteJobError). Empty: the status as a
	// decimal string ("422"), as the envelope {"data", "code", "msg"} of
	// the conventions carries the status in "code".
	Code string
	// DocumentationURL points at the docs for this error. An absolute URL
	// is used as it is; anything else ("#rate-limiting",
	// "rest/posts#create") is joined to the Writer's DocumentationURL with
	// one slash. When the Writer has none, a fragment ("#rate-limiting") is
	// sent as it is, since clients match on it, and anything else dropped.
	DocumentationURL string
	// Errors lists the field problems of a validation error.
	Errors []FieldError
	// Header holds response headers the error needs (Retry-After,
	// WWW-Authenticate, Allow). The Writer sets them before the status.
	Header http.Header
	// Err is the underlying cause, for logs and errors.Is/As. It is never
	// shown to the client.
	Err error
}

// New returns an Error with the status and message.
func New(status int, message string) *Error {
	return &Error{Status: status, Message: message}
}

// Internal returns the 500 that hides cause from the client; a Writer with
// a Logger logs the cause.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Message: MsgInternalServerError, Err: cause}
}

// NotFound returns the 404 a router answers for an unknown path. Use it too
// for a resource that exists but that the caller may not see, so that its
// existence does not leak through a 403.
func NotFound() *Error {
	return &Error{Status: http.StatusNotFound, Message: MsgNotFound}
}

// MethodNotAllowed returns the 405 for a known path, with the Allow header
// RFC 9110 §15.5.6 requires listing the methods the resource supports.
func MethodNotAllowed(allowed ...string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Message: MsgMethodNotAllowed,
		Header:  http.Header{"Allow": {strings.Join(allowed, ", ")}},
	}
}

// ValidationFailed returns the 422 "Validation Failed" carrying errs.
func ValidationFailed(errs ...FieldError) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Message: MsgValidationFailed, ID: "invalid_params", Errors: errs}
}

// Error implements error: "422 Validation Failed (Post.title: missing_field)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.Status))
	b.WriteByte(' ')
	b.WriteString(e.Message)
	if len(e.Errors) > 0 {
		b.WriteString(" (")
		for i, f := range e.Errors {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f.Error())
		}
		b.WriteByte(')')
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.Err }

// status is the status to send: Status, or 500 for anything that is not
// an error status, since a non-error status on an error is a bug.
func (e *Error) status() int {
	if e.Status < 400 || e.Status > 599 {
		return http.StatusInternalServerError
	}
	return e.Status
}

// message is the text to send: Message, or the status phrase.
func (e *Error) message() string {
	if e.Message == "" {
		return http.StatusText(e.status())
	}
	return e.Message
}

// setHeader copies e's headers into h. The slices are copied, so an Error
// reused across requests never shares them with a response.
func (e *Error) setHeader(h http.Header) {
	for key, values := range e.Header {
		h[http.CanonicalHeaderKey(key)] = append([]string(nil), values...)
	}
}
