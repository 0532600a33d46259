package mediatype_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/mediatype"
)

var (
	v3     = mediatype.MediaType{Version: "v3", Format: "json"}
	v3Raw  = mediatype.MediaType{Version: "v3", Param: "raw", Format: "json"}
	v3Full = mediatype.MediaType{Version: "v3", Param: "full", Format: "json"}
	v4     = mediatype.MediaType{Version: "v4", Format: "json"}
	v4Raw  = mediatype.MediaType{Version: "v4", Param: "raw", Format: "json"}
)

const notAcceptableV9 = `Unsupported 'Accept' header: "application/vnd.acme.v9+json". Must accept one of: application/vnd.acme.v3+json, application/json.`

// newNegotiator builds cfg's Negotiator, for the tests' vendor "acme"
// when cfg names none.
func newNegotiator(t testing.TB, cfg mediatype.Config) *mediatype.Negotiator {
	t.Helper()
	if cfg.Vendor == "" {
		cfg.Vendor = "acme"
	}
	n, err := mediatype.New(cfg)
	require.NoError(t, err)
	return n
}

// lines is a shorthand for the Accept field lines of a request.
func lines(values ...string) []string { return values }

func TestNegotiate(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Params: []string{"raw", "full", "text", "html"}})
	tests := []struct {
		name   string
		accept []string
		want   mediatype.MediaType
		// notAcceptable, when set, is the 406 message expected.
		notAcceptable string
	}{
		// The common requests.
		{"RFC 9110 12.5.1: no Accept means any media type", nil, v3, ""},
		{"an empty Accept line", lines(""), v3, ""},
		{"application/json", lines("application/json"), v3, ""},
		{"*/*", lines("*/*"), v3, ""},
		{"application/*", lines("application/*"), v3, ""},
		{"the vendor type v3", lines("application/vnd.acme.v3+json"), v3, ""},
		{"the vendor type without a version: the default version", lines("application/vnd.acme+json"), v3, ""},
		{"GitHub's clients send GitHub's type: the default", lines("application/vnd.github.v3+json"), v3, ""},
		{"RFC 9110 12.5.1: text/html only: disregarded, the default rather than 406", lines("text/html"), v3, ""},
		{"a browser's Accept", lines("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"), v3, ""},

		// 406: only this vendor's type with a version not served.
		{"the vendor type v9: 406", lines("application/vnd.acme.v9+json"), mediatype.MediaType{}, notAcceptableV9},
		{"v9 with a param: 406 quoting the range", lines("application/vnd.acme.v9.raw+json"), mediatype.MediaType{},
			`Unsupported 'Accept' header: "application/vnd.acme.v9.raw+json". Must accept one of: application/vnd.acme.v3+json, application/json.`},
		{"v9 with types not served: 406", lines("application/vnd.acme.v9+json, application/vnd.github.v3+json, text/html"), mediatype.MediaType{}, notAcceptableV9},
		{"v9 without the +json suffix: 406", lines("application/vnd.acme.v9"), mediatype.MediaType{},
			`Unsupported 'Accept' header: "application/vnd.acme.v9". Must accept one of: application/vnd.acme.v3+json, application/json.`},
		{"RFC 9110 12.4.2: v9 weighted below application/json: application/json wins", lines("application/vnd.acme.v9+json;q=0.5, application/json"), v3, ""},
		{"RFC 9110 12.5.1: v9 preferred but application/json acceptable: no 406", lines("application/vnd.acme.v9+json, application/json;q=0.5"), v3, ""},
		{"RFC 9110 12.5.1: v9 preferred but */* acceptable: no 406", lines("application/vnd.acme.v9+json, */*;q=0.1"), v3, ""},
		{"another vendor whose name starts like ours: not ours, no 406", lines("application/vnd.acmeger.v9+json"), v3, ""},
		{"a format not served (+xml): another type, no 406", lines("application/vnd.acme.v9+xml"), v3, ""},

		// q=0 (RFC 9110 12.4.2: "not acceptable").
		{"RFC 9110 12.4.2: application/json;q=0 alone: only exclusions, the default", lines("application/json;q=0"), v3, ""},
		{"RFC 9110 12.4.2: v9;q=0: v9 excluded, not asked for: no 406", lines("application/vnd.acme.v9+json;q=0"), v3, ""},
		{"RFC 9110 12.4.2: v9 excluded with */*;q=0: 406", lines("application/vnd.acme.v9+json, */*;q=0"), mediatype.MediaType{}, notAcceptableV9},
		{"RFC 9110 12.4.2: raw;q=0 takes raw out of the running", lines("application/vnd.acme.v3.raw+json;q=0, */*"), v3, ""},
		{"RFC 9110 12.4.2: q=0.000 is 0", lines("application/vnd.acme.v3.raw+json;q=0.000, application/json;q=0.001"), v3, ""},

		// Weights and precedence.
		{"RFC 9110 12.4.2: the highest weight wins", lines("application/json;q=0.5, application/vnd.acme.v3.raw+json;q=0.9"), v3Raw, ""},
		{"RFC 9110 12.4.2: the highest weight wins over specificity", lines("application/vnd.acme.v3.raw+json;q=0.5, */*"), v3, ""},
		{"RFC 9110 12.5.1: among equal weights the more specific range wins over */*", lines("*/*, application/vnd.acme.v3.raw+json"), v3Raw, ""},
		{"RFC 9110 12.5.1: among equal weights the more specific range wins over application/*", lines("application/*;q=0.8, application/vnd.acme.v3.full+json;q=0.8"), v3Full, ""},
		{"RFC 9110 12.5.1: application/* is more specific than */*", lines("*/*;q=0.5, application/*;q=0.5"), v3, ""},
		{"ties keep header order: full first", lines("application/vnd.acme.v3.full+json, application/vnd.acme.v3.raw+json"), v3Full, ""},
		{"ties keep header order: raw first", lines("application/vnd.acme.v3.raw+json, application/vnd.acme.v3.full+json"), v3Raw, ""},
		{"ties keep header order: application/json first", lines("application/json, application/vnd.acme.raw+json"), v3, ""},
		{"RFC 9110 12.4.2: three decimals", lines("application/vnd.acme.v3.raw+json;q=0.501, application/vnd.acme.v3.full+json;q=0.5"), v3Raw, ""},
		{"RFC 9110 12.4.2: q=1.000", lines("application/json;q=0.9, application/vnd.acme.v3.raw+json;q=1.000"), v3Raw, ""},
		{"RFC 9110 12.4.2: Q is q", lines("application/json;Q=0.1, application/vnd.acme.v3.raw+json;Q=0.2"), v3Raw, ""},

		// Malformed weights: the range is ignored.
		{"RFC 9110 12.4.2: q=2 is malformed: the range is ignored", lines("application/vnd.acme.v3.raw+json;q=2"), v3, ""},
		{"RFC 9110 12.4.2: q=2 on v9: ignored, no 406", lines("application/vnd.acme.v9+json;q=2"), v3, ""},
		{"RFC 9110 12.4.2: q=abc is malformed", lines("application/vnd.acme.v3.raw+json;q=abc, */*;q=0.1"), v3, ""},
		{"RFC 9110 12.4.2: q=1.5 is malformed", lines("application/vnd.acme.v3.raw+json;q=1.5"), v3, ""},
		{"RFC 9110 12.4.2: q=0.1234 is malformed (three decimals at most)", lines("application/vnd.acme.v3.raw+json;q=0.1234"), v3, ""},
		{"RFC 9110 12.4.2: q=.5 is malformed", lines("application/vnd.acme.v3.raw+json;q=.5"), v3, ""},
		{"RFC 9110 12.4.2: an empty q is malformed", lines("application/vnd.acme.v3.raw+json;q="), v3, ""},
		{"RFC 9110 12.4.2: a quoted q is malformed", lines(`application/vnd.acme.v3.raw+json;q="0.5"`), v3, ""},
		{"RFC 9110 12.4.2: q=0. is 0", lines("application/vnd.acme.v3.raw+json;q=0., application/json;q=0.1"), v3, ""},
		{"RFC 9110 12.4.2: q=1. is 1", lines("application/json;q=0.9, application/vnd.acme.v3.raw+json;q=1."), v3Raw, ""},
		{"a malformed range does not hide the next", lines("application/vnd.acme.v3.raw+json;q=abc, application/vnd.acme.v3.full+json"), v3Full, ""},

		// Parameters.
		{"RFC 9110 12.5.1: charset=utf-8 is still the same type", lines("application/vnd.acme.v3.raw+json; charset=utf-8"), v3Raw, ""},
		{"RFC 9110 12.5.1: parameters before q", lines("application/json; charset=utf-8; q=0.5, application/vnd.acme.v3.raw+json; charset=utf-8; q=0.6"), v3Raw, ""},
		{"RFC 7231 5.3.2: accept-ext after q is ignored", lines("application/vnd.acme.v3.raw+json;q=0.5;level=1;q=1, application/json;q=0.6"), v3, ""},
		{"RFC 9110 5.6.4: a quoted value with a comma does not split the list", lines(`application/vnd.acme.v3.raw+json; foo="a, b"; q=0.9, application/json;q=0.5`), v3Raw, ""},
		{"RFC 9110 5.6.4: a quoted value with an escaped quote", lines(`application/vnd.acme.v3.raw+json; foo="a\"b,c", application/json;q=0.5`), v3Raw, ""},
		{"RFC 9110 5.6.4: v9 inside a quoted value is no media range", lines(`text/html;a="x, application/vnd.acme.v9+json"`), v3, ""},
		{"RFC 9110 5.6.4: an unterminated quote ignores the rest of its line", lines(`text/html;a="x, application/vnd.acme.v9+json`), v3, ""},
		{"RFC 9110 5.6.6: a parameter without a value: the range is ignored", lines("application/vnd.acme.v3.raw+json;foo"), v3, ""},
		{"RFC 9110 5.6.6: no whitespace around =: the range is ignored", lines("application/vnd.acme.v3.raw+json; q = 1"), v3, ""},
		{"RFC 9110 5.6.6: an empty parameter is allowed", lines("application/vnd.acme.v3.raw+json;;q=1;"), v3Raw, ""},
		{"RFC 9110 12.5.1: */json is no media range", lines("*/json, application/vnd.acme.v9+json;q=0"), v3, ""},
		{"a range without a subtype is ignored", lines("application, application/"), v3, ""},

		// Case (RFC 9110 8.3.1) and the vendor type's parts.
		{"RFC 9110 8.3.1: type and subtype are case-insensitive", lines("Application/VND.Acme.V3.RAW+JSON"), v3Raw, ""},
		{"RFC 9110 8.3.1: APPLICATION/JSON", lines("text/html, APPLICATION/JSON;q=0.5, application/vnd.acme.v3.raw+json;q=0.4"), v3, ""},
		{"RFC 9110 8.3.1: V9 in capitals is still v9", lines("Application/Vnd.Acme.V9+Json"), mediatype.MediaType{},
			`Unsupported 'Accept' header: "Application/Vnd.Acme.V9+Json". Must accept one of: application/vnd.acme.v3+json, application/json.`},
		{"param raw", lines("application/vnd.acme.v3.raw+json"), v3Raw, ""},
		{"param full", lines("application/vnd.acme.v3.full+json"), v3Full, ""},
		{"param raw without a version: the default version", lines("application/vnd.acme.raw+json"), v3Raw, ""},
		{"param raw without +json, as GitHub allows", lines("application/vnd.acme.v3.raw"), v3Raw, ""},
		{"a vendor type without a suffix", lines("application/vnd.acme"), v3, ""},
		{"an unknown param is no param, not 406", lines("application/vnd.acme.v3.diff+json"), v3, ""},
		{"an unknown param without a version", lines("application/vnd.acme.diff+json"), v3, ""},
		{"a param with more parts is unknown", lines("application/vnd.acme.v3.raw.x+json"), v3, ""},
		{"a version after the param is a param: unknown", lines("application/vnd.acme.raw.v9+json"), v3, ""},
		{"v03 is v3", lines("application/vnd.acme.v03.raw+json"), v3Raw, ""},
		{"a suffix other than +json is another type", lines("application/vnd.acme.v3.raw+xml"), v3, ""},

		// Field lines and whitespace.
		{"RFC 9110 5.3: several field lines are one list", lines("text/html", "application/vnd.acme.v3.raw+json"), v3Raw, ""},
		{"RFC 9110 5.3: weights across lines", lines("application/vnd.acme.v3.raw+json;q=0.5", "application/vnd.acme.v3.full+json"), v3Full, ""},
		{"RFC 9110 5.3: order across lines", lines("application/vnd.acme.v3.full+json", "application/vnd.acme.v3.raw+json"), v3Full, ""},
		{"RFC 9110 5.3: v9 on one line, application/json on another", lines("application/vnd.acme.v9+json", "application/json;q=0.1"), v3, ""},
		{"RFC 9110 5.6.3: optional whitespace", lines(" \tapplication/vnd.acme.v3.raw+json \t; \tq=1 \t,\t*/*;q=0.1 "), v3Raw, ""},
		{"RFC 9110 5.6.1: empty list elements are ignored", lines(",, ,application/json;q=0.5,,\t, application/vnd.acme.v3.raw+json;q=0.6,"), v3Raw, ""},
		{"whitespace inside a media range: ignored", lines("application / vnd.acme.v3.raw+json, application/json;q=0.1"), v3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := n.Negotiate(tt.accept)
			if tt.notAcceptable != "" {
				var e *apierrors.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, http.StatusNotAcceptable, e.Status)
				assert.Equal(t, "not_acceptable", e.ID)
				assert.Equal(t, tt.notAcceptable, e.Message)
				assert.Zero(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNegotiateVersions(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Versions: []string{"v3", "v4"}, Params: []string{"raw"}})
	tests := []struct {
		name   string
		accept []string
		want   mediatype.MediaType
	}{
		{"no Accept: the first version", nil, v3},
		{"application/json: the first version", lines("application/json"), v3},
		{"v4", lines("application/vnd.acme.v4+json"), v4},
		{"v4 raw", lines("application/vnd.acme.v4.raw+json"), v4Raw},
		{"raw without a version: the first version", lines("application/vnd.acme.raw+json"), v3Raw},
		{"RFC 9110 12.4.2: v3 weighted above v4", lines("application/vnd.acme.v4+json;q=0.5, application/vnd.acme.v3+json"), v3},
		{"v9 then v4: v4", lines("application/vnd.acme.v9+json, application/vnd.acme.v4+json;q=0.1"), v4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := n.Negotiate(tt.accept)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	_, err := n.Negotiate(lines("application/vnd.acme.v5+json"))
	require.Error(t, err)
	assert.Equal(t, `406 Unsupported 'Accept' header: "application/vnd.acme.v5+json". Must accept one of: application/vnd.acme.v3+json, application/vnd.acme.v4+json, application/json.`, err.Error())
}

func TestNegotiateCap(t *testing.T) {
	n := newNegotiator(t, mediatype.Config{Params: []string{"raw"}})
	filler := func(count int) string { return strings.Repeat("text/html, ", count) }
	tests := []struct {
		name   string
		accept []string
		want   mediatype.MediaType
	}{
		{"the 32nd range is read", lines(filler(31) + "application/vnd.acme.v3.raw+json"), v3Raw},
		{"the 33rd range is not", lines(filler(32) + "application/vnd.acme.v3.raw+json"), v3},
		{"malformed ranges count", lines(strings.Repeat("text/html;q=abc, ", 32) + "application/vnd.acme.v3.raw+json"), v3},
		{"empty elements do not count", lines(strings.Repeat(", ", 100) + "application/vnd.acme.v3.raw+json"), v3Raw},
		{"the cap spans field lines", append(strings.Split(strings.TrimSuffix(filler(32), ", "), ", "), "application/vnd.acme.v3.raw+json"), v3},
		{"a v9 past the cap is not read: no 406", lines(filler(1000) + "application/vnd.acme.v9+json"), v3},
		{"a 1 MB field", lines(strings.Repeat("a", 1<<20) + "/b, application/vnd.acme.v3.raw+json"), v3Raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := n.Negotiate(tt.accept)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
