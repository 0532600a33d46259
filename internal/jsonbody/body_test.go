package jsonbody

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var appendStringCases = []struct {
	name string
	in   string
}{
	{name: "empty", in: ""},
	{name: "ascii", in: "Validation Failed"},
	{name: "quotes and backslash", in: `say "hi" \ bye`},
	{name: "named control characters", in: "\b\f\n\r\t"},
	{name: "other control characters", in: "\x00\x01\x1f\x7f"},
	{name: "HTML-sensitive", in: "<script>&</script>"},
	{name: "JavaScript line terminators U+2028 U+2029", in: "a\u2028b\u2029c"},
	{name: "invalid UTF-8 byte", in: "a\xffb"},
	{name: "truncated multi-byte sequence", in: "a\xe2\x82"},
	{name: "valid multi-byte", in: "héllo 世界 🎉"},
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, tt := range appendStringCases {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.in)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(AppendString(nil, tt.in)))
			assert.Equal(t, "prefix:"+string(want), string(AppendString([]byte("prefix:"), tt.in)))
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, tt := range appendStringCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendString(nil, s)
		if string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json says %s", s, got, want)
		}
	})
}

func TestQueryValue(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		key       string
		wantValue string
		wantOK    bool
	}{
		{name: "absent", raw: "page=2", key: "pretty"},
		{name: "empty query", raw: "", key: "pretty"},
		{name: "first of several", raw: "pretty=1&pretty=0", key: "pretty", wantValue: "1", wantOK: true},
		{name: "empty value", raw: "a=1&pretty=", key: "pretty", wantValue: "", wantOK: true},
		{name: "key without =", raw: "pretty&b=2", key: "pretty", wantValue: "", wantOK: true},
		{name: "percent-encoded key and value", raw: "pr%65tty=tr%75e", key: "pretty", wantValue: "true", wantOK: true},
		{name: "plus is a space", raw: "q=a+b", key: "q", wantValue: "a b", wantOK: true},
		{name: "malformed escape skipped", raw: "pretty=%zz&pretty=1", key: "pretty", wantValue: "1", wantOK: true},
		{name: "longer key sharing a prefix", raw: "prettyx=1", key: "pretty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, ok := QueryValue(tt.raw, tt.key)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantValue, value)
		})
	}
}

func FuzzQueryValue(f *testing.F) {
	for _, raw := range []string{"pretty=1", "a=1&pretty=%74rue", "pretty", "x=%zz&pretty=0", "p+r=1", "pretty=a+b&pretty=2"} {
		f.Add(raw, "pretty")
	}
	f.Fuzz(func(t *testing.T, raw, name string) {
		got, ok := QueryValue(raw, name)
		// url.ParseQuery rejects a query holding ';' or a bad escape as a
		// whole, where QueryValue skips the bad pair; compare only on
		// queries both read the same way.
		values, err := url.ParseQuery(raw)
		if err != nil || strings.Contains(raw, ";") {
			return
		}
		want, wantOK := values[name]
		if ok != wantOK || (ok && got != want[0]) {
			t.Fatalf("QueryValue(%q, %q) = %q, %t; url.ParseQuery says %q", raw, name, got, ok, want)
		}
	})
}

func TestPretty(t *testing.T) {
	tests := []struct {
		name   string
		target string
		want   bool
	}{
		{name: "pretty=true", target: "/?pretty=true", want: true},
		{name: "pretty=1", target: "/?page=2&pretty=1", want: true},
		{name: "pretty=false", target: "/?pretty=false"},
		{name: "pretty=yes is not a boolean", target: "/?pretty=yes"},
		{name: "absent", target: "/posts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Pretty(httptest.NewRequest(http.MethodGet, tt.target, nil)))
		})
	}
	assert.False(t, Pretty(nil))
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		pretty bool
		want   string
	}{
		{name: "minified as given", body: `{"a":[1,2]}`, want: `{"a":[1,2]}`},
		{name: "pretty indents with two spaces and ends with a newline", body: `{"a":[1,2]}`, pretty: true, want: "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, http.StatusTeapot, ContentTypeJSON, []byte(tt.body), tt.pretty)
			assert.Equal(t, http.StatusTeapot, rec.Code)
			assert.Equal(t, tt.want, rec.Body.String())
			assert.Equal(t, http.Header{
				"Content-Type":           {ContentTypeJSON},
				"X-Content-Type-Options": {"nosniff"},
				"Content-Length":         {fmt.Sprint(len(tt.want))},
			}, rec.Header())
		})
	}
}

func TestWriteHeadersAreNotShared(t *testing.T) {
	// rs/cors issue 198: a header slice shared between responses lets an
	// outer middleware's edit of one response leak into the next.
	first := httptest.NewRecorder()
	Write(first, http.StatusOK, ContentTypeJSON, []byte(`{}`), false)
	for key := range first.Header() {
		first.Header()[key][0] = "MUTATED"
		first.Header().Add(key, "ADDED")
	}

	second := httptest.NewRecorder()
	Write(second, http.StatusOK, ContentTypeJSON, []byte(`{}`), false)
	assert.Equal(t, http.Header{
		"Content-Type":           {ContentTypeJSON},
		"X-Content-Type-Options": {"nosniff"},
		"Content-Length":         {"2"},
	}, second.Header())
}

func TestPools(t *testing.T) {
	b := GetBytes()
	*b = append(*b, "data"...)
	PutBytes(b)
	assert.Empty(t, *GetBytes())

	huge := GetBytes()
	*huge = make([]byte, 0, maxPooledBuffer+1)
	PutBytes(huge) // dropped, not pooled

	buf := GetBuffer()
	buf.WriteString("data")
	PutBuffer(buf)
	assert.Zero(t, GetBuffer().Len())
}

func BenchmarkAppendString(b *testing.B) {
	for _, s := range []string{"API rate limit exceeded for 203.0.113.9.", "<b>\"quoted\"</b>\n\u2028"} {
		b.Run(fmt.Sprintf("len=%d", len(s)), func(b *testing.B) {
			dst := make([]byte, 0, 128)
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendString(dst[:0], s)
			}
		})
	}
}

func BenchmarkPretty(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/posts?page=2&per_page=100&pretty=true", nil)
	b.ReportAllocs()
	for b.Loop() {
		if !Pretty(r) {
			b.Fatal("not pretty")
		}
	}
}
