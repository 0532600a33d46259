package errors

import (
	"bytes"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/jsonbody"
	"github.com/myblog/apikit/internal/token"
)

// DefaultMaxBodyBytes is the body size limit of a zero DecoderConfig.
const DefaultMaxBodyBytes = 1 << 20

// DecoderConfig configures a Decoder. The zero value accepts JSON object
// bodies up to 1 MiB and ignores unknown fields, as GitHub does.
type DecoderConfig struct {
	// MaxBytes caps the body. A larger one is 413, decided while reading:
	// at most MaxBytes+1 bytes are ever read, so memory per request stays
	// bounded whatever the client sends or claims in Content-Length.
	// Default DefaultMaxBodyBytes (1 MiB); negative is a config error.
	MaxBytes int64
	// DisallowUnknownFields makes a field the target does not have a 422
	// with code "unprocessable". Default: unknown fields are ignored.
	DisallowUnknownFields bool
	// AllowAnyContentType reads the body as JSON whatever its Content-Type
	// says, or without one, as GitHub does, so `curl -d '{...}'` (which
	// sends application/x-www-form-urlencoded) works without -H. Default:
	// a body must be labelled application/json or */*+json, and a missing
	// or other Content-Type is 415.
	//
	// The default is what makes a cross-origin write need a CORS
	// preflight: a page can send a form, text/plain or an unlabelled body
	// to any origin without asking (a "simple" request, which the browser
	// sends with its cached Basic credentials or cookies), but not an
	// application/json one. Turn it on only for a service that accepts no
	// credentials a browser holds for its users (no cookies, no Basic
	// auth a browser may have cached), since a page on any site could
	// then write through them.
	AllowAnyContentType bool
}

// Decoder reads JSON request bodies into Go values and turns every way a
// body can be wrong into the documented client error:
//
//   - 400 "Problems parsing JSON": empty, truncated or malformed JSON, or
//     more than one JSON value;
//   - 400 "Body should be a JSON object": valid JSON that is not an object;
//   - 413: larger than MaxBytes;
//   - 415: no Content-Type, or one that is not JSON (with an Accept
//     response header naming application/json, RFC 9110 §12.5.1), a
//     charset other than UTF-8, or a Content-Encoding other than identity;
//   - 422 "Validation Failed": a field of the wrong JSON type ("invalid"),
//     a number out of range ("invalid"), an unknown field when disallowed
//     ("unprocessable"), or an error a field's UnmarshalJSON returned.
//
// A nil *Decoder behaves as one built from the zero DecoderConfig.
type Decoder struct {
	maxBytes            int64
	disallowUnknown     bool
	allowAnyContentType bool
}

// NewDecoder validates cfg and returns its Decoder.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if cfg.MaxBytes < 0 {
		// The field path names the Config type too: this package has two.
		problems := configerr.New("errors")
		problems.Add("DecoderConfig.MaxBytes", "must not be negative (0 means the default, 1 MiB)")
		return nil, problems.Err()
	}
	d := &Decoder{
		maxBytes:            cfg.MaxBytes,
		disallowUnknown:     cfg.DisallowUnknownFields,
		allowAnyContentType: cfg.AllowAnyContentType,
	}
	if d.maxBytes == 0 {
		d.maxBytes = DefaultMaxBodyBytes
	}
	return d, nil
}

var zeroDecoder = &Decoder{maxBytes: DefaultMaxBodyBytes}

// Decode reads the body of r with a zero-config Decoder; see Decoder.Decode.
func Decode(r *http.Request, resource string, v any) error {
	return zeroDecoder.Decode(r, resource, v)
}

// Decode reads the JSON object in r's body into v, which must be a non-nil
// pointer. resource names the resource in 422 entries ("Post"). Every
// error it returns is an *Error ready for Writer.Write; a bad body never
// yields a 500. Decode always expects an object, the shape of every
// request body in the API.
func (d *Decoder) Decode(r *http.Request, resource string, v any) error {
	if d == nil {
		d = zeroDecoder
	}
	if target := reflect.ValueOf(v); target.Kind() != reflect.Pointer || target.IsNil() {
		return Internal(fmt.Errorf("errors: Decode target must be a non-nil pointer, got %T", v))
	}
	if err := d.checkHeaders(r); err != nil {
		return err
	}
	if r.ContentLength > d.maxBytes {
		return d.tooLarge(nil)
	}

	buf := jsonbody.GetBytes()
	defer jsonbody.PutBytes(buf)
	body, err := readAtMost(r.Body, d.maxBytes+1, *buf)
	*buf = body
	var maxBytesErr *http.MaxBytesError
	switch {
	case int64(len(body)) > d.maxBytes, stderrors.As(err, &maxBytesErr):
		return d.tooLarge(err)
	case err != nil:
		// The client stopped sending mid-body: what arrived is not a JSON
		// document.
		return &Error{Status: http.StatusBadRequest, Message: MsgProblemsParsingJSON, ID: "bad_request", Err: err}
	}

	if !json.Valid(body) {
		return &Error{Status: http.StatusBadRequest, Message: MsgProblemsParsingJSON, ID: "bad_request"}
	}
	if body[firstNonSpace(body)] != '{' {
		return &Error{Status: http.StatusBadRequest, Message: MsgBodyNotObject, ID: "bad_request"}
	}
	if d.disallowUnknown {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	} else {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		return decodeError(resource, err)
	}
	return nil
}

// checkHeaders refuses, before reading anything, a body the decoder could
// not read as JSON.
func (d *Decoder) checkHeaders(r *http.Request) error {
	if coding := r.Header.Get("Content-Encoding"); coding != "" && !token.EqualFold(strings.TrimSpace(coding), "identity") {
		return &Error{
			Status:  http.StatusUnsupportedMediaType,
			Message: MsgUnsupportedEncoding,
			ID:      "unsupported_media_type",
			// RFC 9110 §12.5.3: a 415 for a content coding names the
			// codings the resource accepts.
			Header: http.Header{"Accept-Encoding": {"identity"}},
		}
	}
	if d.allowAnyContentType || isJSONMediaType(r.Header.Get("Content-Type")) {
		return nil
	}
	return &Error{
		Status:  http.StatusUnsupportedMediaType,
		Message: MsgUnsupportedMediaType,
		ID:      "unsupported_media_type",
		// RFC 9110 §12.5.1: Accept in a response says which media types
		// the resource takes in a request.
		Header: http.Header{"Accept": {"application/json"}},
	}
}

func (d *Decoder) tooLarge(cause error) *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Message: MsgBodyTooLarge + ": the limit is " + strconv.FormatInt(d.maxBytes, 10) + " bytes",
		ID:      "request_entity_too_large",
		Err:     cause,
	}
}

// isJSONMediaType reports whether contentType is application/json or a
// structured +json type (RFC 6839 §3.1), in UTF-8 (RFC 8259 §8.1: JSON
// exchanged between systems is UTF-8).
func isJSONMediaType(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if mediaType != "application/json" && !(strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json")) {
		return false
	}
	charset, ok := params["charset"]
	return !ok || token.EqualFold(charset, "utf-8") || token.EqualFold(charset, "utf8")
}

// readAtMost reads from body into buf until EOF or until limit bytes have
// been read, never more, and returns what it read. A nil body reads as
// empty.
func readAtMost(body io.Reader, limit int64, buf []byte) ([]byte, error) {
	if body == nil {
		return buf, nil
	}
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if rest := limit - int64(len(buf)); int64(len(room)) > rest {
			room = room[:rest]
		}
		n, err := body.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// firstNonSpace returns the index of the first byte of a valid JSON
// document that is not insignificant whitespace (RFC 8259 §2).
func firstNonSpace(body []byte) int {
	for i, c := range body {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return 0
}

// decodeError turns an encoding/json error on a valid JSON object into the
// 422 entry it means.
func decodeError(resource string, err error) error {
	var typeErr *json.UnmarshalTypeError
	var fieldErr FieldError
	var apiErr *Error
	switch {
	case stderrors.As(err, &apiErr):
		return apiErr
	case stderrors.As(err, &fieldErr):
		if fieldErr.Resource == "" {
			fieldErr.Resource = resource
		}
		return ValidationFailed(fieldErr)
	case stderrors.As(err, &typeErr):
		return ValidationFailed(FieldError{
			Resource: resource,
			Field:    typeErr.Field,
			Code:     CodeInvalid,
			Message:  typeMessage(typeErr),
		})
	}
	var invalidTarget *json.InvalidUnmarshalError
	if stderrors.As(err, &invalidTarget) {
		return Internal(err)
	}
	// DisallowUnknownFields reports with a plain error whose text is its
	// only API: `json: unknown field "name"`.
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, unquoteErr := strconv.Unquote(quoted); unquoteErr == nil {
			return ValidationFailed(FieldError{Resource: resource, Field: name, Code: CodeUnprocessable, Message: name + " is not a known field"})
		}
	}
	// An error from a field's own UnmarshalJSON (time.Time, for one):
	// encoding/json does not say which field it was.
	return ValidationFailed(FieldError{Resource: resource, Code: CodeInvalid, Message: err.Error()})
}

// typeMessage says, in JSON's vocabulary rather than Go's, what the field
// should have held: "title must be a string", "count must be an integer".
func typeMessage(err *json.UnmarshalTypeError) string {
	field := err.Field
	if field == "" {
		field = "body"
	}
	want := jsonTypeName(err.Type)
	if literal, ok := strings.CutPrefix(err.Value, "number "); ok && want == "a number" {
		// A number into a numeric field fails for a fraction into an
		// integer ("number 1.5") or a value the type cannot hold
		// ("number 300" into an int8).
		if isInteger(err.Type) && strings.ContainsAny(literal, ".eE") {
			return field + " must be an integer"
		}
		return field + " is out of range"
	}
	if want == "" {
		return "Invalid value for " + field
	}
	return field + " must be " + want
}

func isInteger(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	}
	return ""
}
