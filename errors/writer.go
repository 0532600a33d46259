package errors

import (
	"context"
	stderrors "errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/myblog/apikit/internal/configerr"
	"github.com/myblog/apikit/internal/jsonbody"
)

// Format selects the shape of error bodies. One service uses one format.
type Format int

const (
	// FormatGitHub is the default:
	// {"message": "...", "documentation_url": "...", "errors": [...]},
	// documentation_url only when there is one, errors only when there are
	// field problems. GitHub's clients (go-github, Octokit) decode it.
	FormatGitHub Format = iota
	// FormatErrCode is {"err_code": "1001", "err_msg": "..."}, a numeric
	// code and a message (docs/conventions.md), plus "errors" when there
	// are field problems, so none are lost.
	FormatErrCode
	// FormatHeroku is the Heroku HTTP API design guide's
	// {"id": "rate_limit", "message": "...", "url": "..."}, plus "errors"
	// when there are field problems.
	FormatHeroku
	// FormatProblem is RFC 9457 application/problem+json:
	// {"type": ..., "title": ..., "status": 422, "detail": ...}, with the
	// field problems in an "errors" extension member.
	FormatProblem
)

// String returns the format's name, as used in config errors.
func (f Format) String() string {
	switch f {
	case FormatGitHub:
		return "github"
	case FormatErrCode:
		return "err_code"
	case FormatHeroku:
		return "heroku"
	case FormatProblem:
		return "problem"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ContentTypeProblem is the Content-Type of FormatProblem bodies
// (RFC 9457 §3). The other formats use application/json; charset=utf-8.
const ContentTypeProblem = "application/problem+json"

// Config configures a Writer. The zero value writes GitHub-shaped bodies
// without a documentation URL.
type Config struct {
	// Format is the body shape. Default FormatGitHub.
	Format Format
	// DocumentationURL is the absolute http(s) URL of the API's docs
	// ("https://developer.myblog.com/v3"): every error's documentation_url
	// (url in FormatHeroku, type in FormatProblem) unless the error names
	// its own, and the base its relative ones ("#rate-limiting") join to.
	// Empty: bodies carry no documentation URL
	// ({"message": "Problems parsing JSON"}).
	DocumentationURL string
	// Logger, when set, receives one record per 5xx written, with the
	// hidden cause. The client never sees the cause.
	Logger *slog.Logger
}

// ConfigError is one problem with the Config of any apikit package:
// every constructor (NewWriter, ratelimit.New, cors.New, ...) returns all
// of its problems at once, joined with errors.Join, each an *ConfigError
// naming the package and the field path once:
//
//	ratelimit: Resources[0].Limit: must be at least 1
//
// Match one with errors.As.
type ConfigError = configerr.Error

// Hook is the one shape of every refusal hook in apikit (ratelimit's,
// auth's, useragent's, cors', ...: the OnError field of their Configs). A
// middleware that refuses a request sets its own headers (X-RateLimit-*,
// Retry-After, WWW-Authenticate, Vary) on w, builds the *Error it would
// write, and calls the hook before any status is written, so the hook's
// status, headers and body reach the client whole. A nil Hook in a Config
// means the configured Errors writer's WriteError.
type Hook func(w http.ResponseWriter, r *http.Request, e *Error)

// Writer writes Errors as HTTP responses in one format. A nil *Writer is
// ready to use and behaves as one built from the zero Config, so a
// middleware's optional Errors field needs no default.
type Writer struct {
	format Format
	// docURL is Config.DocumentationURL; docBase is it with one trailing
	// slash, ready for a relative suffix.
	docURL  string
	docBase string
	logger  *slog.Logger
}

// NewWriter validates cfg and returns its Writer.
func NewWriter(cfg Config) (*Writer, error) {
	problems := configerr.New("errors")
	if cfg.Format < FormatGitHub || cfg.Format > FormatProblem {
		problems.Add("Format", "unknown format "+cfg.Format.String())
	}
	wr := &Writer{format: cfg.Format, logger: cfg.Logger}
	if cfg.DocumentationURL != "" {
		u, err := url.Parse(cfg.DocumentationURL)
		switch {
		case err != nil:
			problems.Add("DocumentationURL", err.Error())
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			problems.Addf("DocumentationURL", "%q is not an absolute http(s) URL", cfg.DocumentationURL)
		case u.Fragment != "":
			problems.Addf("DocumentationURL", "%q has a fragment; errors add their own", cfg.DocumentationURL)
		default:
			wr.docURL = cfg.DocumentationURL
			wr.docBase = strings.TrimRight(cfg.DocumentationURL, "/") + "/"
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return wr, nil
}

// zeroWriter is what a nil *Writer stands for.
var zeroWriter = &Writer{}

// Write answers the request with err. An *Error (anywhere in err's chain)
// is written as it is; a FieldError becomes a 422 "Validation Failed"; an
// *http.MaxBytesError a 413; anything else a 500 "Internal Server Error"
// that hides err from the client and logs it when the Writer has a Logger.
//
// Headers already set by the middlewares outside (X-RateLimit-*, CORS,
// request ids) are kept; Content-Encoding, ETag and Last-Modified are
// removed because they describe a representation this error replaces.
// r may be nil; with a request, ?pretty=true indents the body.
func (wr *Writer) Write(w http.ResponseWriter, r *http.Request, err error) {
	wr.WriteError(w, r, asError(err))
}

// WriteError writes e as Write does. Its signature is a Hook's: it is
// what every middleware's nil OnError stands for.
func (wr *Writer) WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	if wr == nil {
		wr = zeroWriter
	}
	if e == nil {
		e = Internal(stderrors.New("errors: WriteError with a nil *Error"))
	}
	status := wr.setErrorHeader(w, r, e)
	buf := jsonbody.GetBytes()
	body := wr.AppendBody(*buf, e)
	contentType := jsonbody.ContentTypeJSON
	if wr.format == FormatProblem {
		contentType = ContentTypeProblem
	}
	jsonbody.Write(w, status, contentType, body, jsonbody.Pretty(r))
	*buf = body
	jsonbody.PutBytes(buf)
}

// Handler returns an http.Handler that answers every request with e: a
// router's not-found or method-not-allowed handler.
func (wr *Writer) Handler(e *Error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wr.Write(w, r, e)
	})
}

// asError finds the client-visible error in err.
func asError(err error) *Error {
	var e *Error
	if stderrors.As(err, &e) && e != nil {
		return e
	}
	var f FieldError
	if stderrors.As(err, &f) {
		return ValidationFailed(f)
	}
	var tooLarge *http.MaxBytesError
	if stderrors.As(err, &tooLarge) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Message: MsgBodyTooLarge, Err: err}
	}
	return Internal(err)
}

func (wr *Writer) log(r *http.Request, status int, err error) {
	attrs := []slog.Attr{slog.Int("status", status)}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	if r == nil {
		wr.logger.LogAttrs(context.Background(), slog.LevelError, "errors: server error", attrs...)
		return
	}
	// The path only: a query string may carry client_secret or tokens.
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path))
	wr.logger.LogAttrs(r.Context(), slog.LevelError, "errors: server error", attrs...)
}

// documentationURL resolves e's documentation URL against the Writer's.
func (wr *Writer) documentationURL(e *Error) string {
	switch {
	case e.DocumentationURL == "":
		return wr.docURL
	case isAbsoluteURL(e.DocumentationURL):
		return e.DocumentationURL
	case wr.docBase == "" && e.DocumentationURL[0] == '#':
		// A same-document reference (RFC 3986 §4.4): clients such as
		// go-github tell a secondary rate limit by the suffix
		// "#abuse-rate-limits", so it must survive without a base.
		return e.DocumentationURL
	case wr.docBase == "":
		return ""
	}
	return wr.docBase + strings.TrimLeft(e.DocumentationURL, "/")
}

// isAbsoluteURL reports whether s starts with a URI scheme (RFC 3986 §3.1:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
func isAbsoluteURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// AppendBody appends e's body, minified, in the Writer's format to dst and
// returns the extended buffer. Write uses it; it is exported for
// middlewares that embed an error in another body.
func (wr *Writer) AppendBody(dst []byte, e *Error) []byte {
	if wr == nil {
		wr = zeroWriter
	}
	status, message := e.status(), e.message()
	docURL := wr.documentationURL(e)

	switch wr.format {
	case FormatErrCode:
		dst = append(dst, `{"err_code":`...)
		dst = appendCode(dst, e.Code, status)
		dst = append(dst, `,"err_msg":`...)
		dst = jsonbody.AppendString(dst, message)
	case FormatHeroku:
		dst = append(dst, `{"id":`...)
		if e.ID != "" {
			dst = jsonbody.AppendString(dst, e.ID)
		} else {
			dst = jsonbody.AppendString(dst, statusID(status))
		}
		dst = append(dst, `,"message":`...)
		dst = jsonbody.AppendString(dst, message)
		if docURL != "" {
			dst = append(dst, `,"url":`...)
			dst = jsonbody.AppendString(dst, docURL)
		}
	case FormatProblem:
		dst = append(dst, `{"type":`...)
		if docURL != "" {
			dst = jsonbody.AppendString(dst, docURL)
		} else {
			// RFC 9457 §4.2.1: with no problem type of its own, the
			// title is the status phrase.
			dst = append(dst, `"about:blank"`...)
		}
		dst = append(dst, `,"title":`...)
		dst = jsonbody.AppendString(dst, http.StatusText(status))
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(status), 10)
		dst = append(dst, `,"detail":`...)
		dst = jsonbody.AppendString(dst, message)
	default:
		dst = append(dst, `{"message":`...)
		dst = jsonbody.AppendString(dst, message)
		if docURL != "" {
			dst = append(dst, `,"documentation_url":`...)
			dst = jsonbody.AppendString(dst, docURL)
		}
	}
	if len(e.Errors) > 0 {
		dst = append(dst, `,"errors":[`...)
		for i, f := range e.Errors {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendFieldError(dst, f)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendFieldError writes GitHub's entry shape; resource, field and code
// are always present (go-github decodes all three), message only when set.
func appendFieldError(dst []byte, f FieldError) []byte {
	dst = append(dst, `{"resource":`...)
	dst = jsonbody.AppendString(dst, f.Resource)
	dst = append(dst, `,"field":`...)
	dst = jsonbody.AppendString(dst, f.Field)
	dst = append(dst, `,"code":`...)
	dst = jsonbody.AppendString(dst, string(f.Code))
	if f.Message != "" {
		dst = append(dst, `,"message":`...)
		dst = jsonbody.AppendString(dst, f.Message)
	}
	return append(dst, '}')
}

// statusIDs holds the Heroku-style id of every status net/http names,
// computed once: "Unprocessable Entity" becomes "unprocessable_entity".
var statusIDs = func() map[int]string {
	ids := make(map[int]string)
	for status := 400; status <= 599; status++ {
		text := http.StatusText(status)
		if text == "" {
			continue
		}
		id := strings.Map(func(r rune) rune {
			switch {
			case 'A' <= r && r <= 'Z':
				return r + ('a' - 'A')
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				return r
			case r == ' ' || r == '-':
				return '_'
			}
			return -1
		}, text)
		ids[status] = id
	}
	return ids
}()

func statusID(status int) string {
	if id, ok := statusIDs[status]; ok {
		return id
	}
	return "error_" + strconv.Itoa(status)
}
