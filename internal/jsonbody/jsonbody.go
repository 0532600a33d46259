// Package jsonbody writes the JSON response bodies of apikit's leaf
// packages (errors, render): JSON string escaping identical to
// encoding/json's, the ?pretty=true switch, and pooled buffers, so that
// every body the kit writes is escaped, indented and framed the same way.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// ContentTypeJSON is the Content-Type of every JSON body the kit writes.
const ContentTypeJSON = "application/json; charset=utf-8"

// maxPooledBuffer keeps one huge response from pinning its buffer in the
// pool for the life of the process.
const maxPooledBuffer = 64 << 10

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// GetBuffer returns an empty buffer from the pool.
func GetBuffer() *bytes.Buffer {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

// PutBuffer returns buf to the pool unless it grew too large to keep.
func PutBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBuffer {
		return
	}
	bufferPool.Put(buf)
}

var bytesPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// GetBytes returns an empty byte slice from the pool, for bodies built by
// appending.
func GetBytes() *[]byte {
	b := bytesPool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// PutBytes returns b to the pool unless it grew too large to keep. Store
// the slice you appended to in *b first, so its growth is kept.
func PutBytes(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	bytesPool.Put(b)
}

const hex = "0123456789abcdef"

// AppendString appends s to dst as a JSON string, escaped exactly as
// encoding/json escapes it with HTML escaping on: quotes, backslashes and
// control characters, '<', '>' and '&' (so a body sniffed as HTML or
// embedded in a script cannot close a tag), U+2028 and U+2029 (line
// terminators in JavaScript before ES2019, which matters for JSON-P), and
// invalid UTF-8 as U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Pretty reports whether the request asks for an indented body with
// ?pretty=true (any value strconv.ParseBool accepts as true). It reads the
// raw query without building a url.Values map, since it runs on every
// response.
func Pretty(r *http.Request) bool {
	if r == nil || r.URL == nil {
		return false
	}
	value, ok := QueryValue(r.URL.RawQuery, "pretty")
	if !ok {
		return false
	}
	pretty, err := strconv.ParseBool(value)
	return err == nil && pretty
}

// QueryValue returns the first value of the query parameter name in
// rawQuery, as url.Values.Get would, without allocating unless a key or
// value is percent-encoded.
func QueryValue(rawQuery, name string) (string, bool) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			// "a=1&&b=2": url.ParseQuery skips empty pairs too.
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(key, "%+") {
			unescaped, err := url.QueryUnescape(key)
			if err != nil {
				continue
			}
			key = unescaped
		}
		if key != name {
			continue
		}
		if strings.ContainsAny(value, "%+") {
			unescaped, err := url.QueryUnescape(value)
			if err != nil {
				continue
			}
			value = unescaped
		}
		return value, true
	}
	return "", false
}

// Indent appends the indented form of the valid JSON document src to dst,
// two spaces a level, with a trailing newline so a terminal prompt starts
// on its own line.
func Indent(dst *bytes.Buffer, src []byte) error {
	if err := json.Indent(dst, src, "", "  "); err != nil {
		return err
	}
	dst.WriteByte('\n')
	return nil
}

// Write sends body with status and contentType, plus
// X-Content-Type-Options: nosniff and an exact Content-Length. When pretty
// is true the body is indented first. The three header values share one
// fresh backing array per response (each slice with len == cap), so an
// outer middleware that edits them in place cannot leak into another
// response.
func Write(w http.ResponseWriter, status int, contentType string, body []byte, pretty bool) {
	if pretty {
		indented := GetBuffer()
		defer PutBuffer(indented)
		if Indent(indented, body) == nil {
			body = indented.Bytes()
		}
	}
	values := make([]string, 3)
	values[0] = contentType
	values[1] = "nosniff"
	values[2] = strconv.Itoa(len(body))
	h := w.Header()
	h["Content-Type"] = values[0:1:1]
	h["X-Content-Type-Options"] = values[1:2:2]
	h["Content-Length"] = values[2:3:3]
	w.WriteHeader(status)
	// A failed write means the client went away; there is no one left to
	// tell, and the status line is already sent.
	_, _ = w.Write(body)
}
