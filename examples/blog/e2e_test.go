package main

// End-to-end tests of the blog: the real handler of newApp over a SQLite
// file, served by httptest.NewServer and called with a real http.Client,
// checked against docs/blog-api.md and docs/conventions.md. Every identifier here
// starts with e2e so that the other test files of the package can grow
// helpers of their own.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// e2eExposed is docs/conventions.md's Access-Control-Expose-Headers, in order, with
// the vendor myblog, the export jobs' X-Poll-Interval and the scopes'
// headers.
const e2eExposed = "ETag, Link, Location, Retry-After, X-myblog-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, X-myblog-Media-Type, X-myblog-Request-Id, X-Poll-Interval, X-OAuth-Scopes, X-Accepted-OAuth-Scopes"

const (
	e2eMediaType   = "myblog.v3; format=json"
	e2eContentType = "application/json; charset=utf-8"
	e2ePassword    = "correct horse battery"
)

var (
	// Ids are lower-case UUIDs; so are request ids.
	e2eUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// Timestamps are ISO 8601 in UTC, to the second.
	e2eTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	// A strong entity tag (RFC 9110 §8.8.3).
	e2eStrongETag = regexp.MustCompile(`^"[^"]+"$`)
)

// The fields of each representation: blank ones are null, never omitted,
// so every one of them is always there.
var (
	e2eUserFields        = []string{"id", "login", "url", "html_url", "posts_url", "created_at"}
	e2eOwnUserFields     = append(slices.Clone(e2eUserFields), "email", "time_zone", "two_factor_authentication")
	e2ePostSummaryFields = []string{"id", "url", "html_url", "title", "published", "published_at", "created_at", "updated_at", "time_zone", "author", "comments_url"}
	e2ePostDetailFields  = append(slices.Clone(e2ePostSummaryFields), "body", "body_html", "comments_count", "likes_count")
	e2eAuthorFields      = []string{"id", "login", "url"}
	e2eCommentFields     = []string{"id", "url", "post_url", "body", "author", "created_at", "updated_at"}
	e2eJobFields         = []string{"id", "url", "state", "created_at", "completed_at", "result_url", "error"}
	e2eExportFields      = []string{"id", "title", "body", "published", "published_at", "time_zone", "created_at", "updated_at"}
)

// e2eBlog is a running blog and a client for it.
type e2eBlog struct {
	url      string // http://127.0.0.1:port, no trailing slash
	addr     string
	envelope bool
	client   *http.Client
}

// e2eStart serves newApp over a fresh SQLite file. The defaults suit a
// test that makes many anonymous requests from 127.0.0.1; edit changes
// the config before the app is built.
func e2eStart(t *testing.T, edit func(*config)) *e2eBlog {
	t.Helper()
	return e2eStartApp(t, edit, nil)
}

// e2eStartApp is e2eStart, also setting *out (when out is not nil) to
// the app, for tests that look inside it.
func e2eStartApp(t testing.TB, edit func(*config), out **app) *e2eBlog {
	t.Helper()
	cfg := config{
		db:                 testDB(t),
		envelope:           true,
		rateLimit:          5000,
		rateLimitAnonymous: 5000,
		loginMaxFailures:   10,
		bcryptCost:         bcrypt.MinCost,
	}
	if edit != nil {
		edit(&cfg)
	}
	app, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	if out != nil {
		*out = app
	}
	srv := httptest.NewServer(app.handler)
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	client := srv.Client()
	client.Timeout = 10 * time.Second
	// Redirects are checked, not followed.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &e2eBlog{url: srv.URL, addr: srv.Listener.Addr().String(), envelope: cfg.envelope, client: client}
}

// e2eReq is one request.
type e2eReq struct {
	method string
	path   string // path and query, or an absolute URL
	body   any    // nil: none; a string is sent as it is, anything else as JSON
	token  string // an access token, sent as "Authorization: Bearer <token>"
	header http.Header
	// noQuota marks a request answered before the rate limiter (a bad
	// token, a 406, /healthz): its response has no X-RateLimit-* fields.
	noQuota bool
}

// e2eResp is a response, its body read.
type e2eResp struct {
	status int
	header http.Header
	body   []byte
}

func (r *e2eResp) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// do sends req and checks what every response of the API carries.
func (b *e2eBlog) do(t *testing.T, req e2eReq) *e2eResp {
	t.Helper()
	resp := b.send(t, b.client, req)
	e2eCheckEvery(t, req, resp)
	return resp
}

// send sends req with client, checking nothing.
func (b *e2eBlog) send(t *testing.T, client *http.Client, req e2eReq) *e2eResp {
	t.Helper()
	target := req.path
	if !strings.HasPrefix(target, "http") {
		target = b.url + target
	}
	var body io.Reader
	switch v := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		body = bytes.NewReader(raw)
	}
	r, err := http.NewRequest(req.method, target, body)
	require.NoError(t, err)
	r.Header.Set("User-Agent", "apikit-e2e/1.0")
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	for name, values := range req.header {
		r.Header[http.CanonicalHeaderKey(name)] = values
	}
	resp, err := client.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return &e2eResp{status: resp.StatusCode, header: resp.Header, body: raw}
}

// e2eCheckEvery checks the fields docs/conventions.md puts on every response
// that went through the stack: a request id, the media type, CORS on
// actual responses, nosniff, the JSON Content-Type of a body, and the
// rate-limit fields.
func e2eCheckEvery(t *testing.T, req e2eReq, resp *e2eResp) {
	t.Helper()
	h := resp.header
	assert.Regexp(t, e2eUUID, h.Get("X-Myblog-Request-Id"), "X-myblog-Request-Id of %s %s", req.method, req.path)
	assert.Equal(t, e2eMediaType, h.Get("X-Myblog-Media-Type"), "X-myblog-Media-Type of %s %s", req.method, req.path)
	assert.Equal(t, "*", h.Get("Access-Control-Allow-Origin"), "Access-Control-Allow-Origin of %s %s", req.method, req.path)
	assert.Equal(t, e2eExposed, h.Get("Access-Control-Expose-Headers"), "Access-Control-Expose-Headers of %s %s", req.method, req.path)
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), "X-Content-Type-Options of %s %s: %s", req.method, req.path, resp)
	if resp.status != http.StatusNoContent && resp.status != http.StatusNotModified {
		want := e2eContentType
		if bytes.HasPrefix(resp.body, []byte("/**/")) {
			want = "application/javascript; charset=utf-8"
		}
		assert.Equal(t, want, h.Get("Content-Type"), "Content-Type of %s %s", req.method, req.path)
	}
	if req.noQuota || strings.HasPrefix(req.path, "/healthz") {
		return
	}
	for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used"} {
		_, err := strconv.ParseInt(h.Get(name), 10, 64)
		assert.NoError(t, err, "%s of %s %s", name, req.method, req.path)
	}
	resource := "core"
	if strings.HasPrefix(req.path, "/search/") {
		resource = "search"
	}
	assert.Equal(t, resource, h.Get("X-RateLimit-Resource"), "X-RateLimit-Resource of %s %s", req.method, req.path)
}

// data checks that resp is a success with status and returns the resource
// in its body: the whole body without the envelope, else the envelope's
// data, after checking the envelope byte for byte.
func (b *e2eBlog) data(t *testing.T, resp *e2eResp, status int) json.RawMessage {
	t.Helper()
	require.Equal(t, status, resp.status, "%s", resp)
	if !b.envelope {
		return resp.body
	}
	var envelope map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(resp.body, &envelope), "%s", resp)
	code := strconv.Itoa(status)
	assert.Equal(t, `{"data":`+string(envelope["data"])+`,"code":"`+code+`","msg":"SUCCESS"}`, string(resp.body), "the envelope")
	return envelope["data"]
}

// object is data decoded as a JSON object.
func (b *e2eBlog) object(t *testing.T, resp *e2eResp, status int) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(b.data(t, resp, status), &out), "%s", resp)
	return out
}

// list is data decoded as a JSON array of objects: bare, as GitHub
// answers, without the envelope.
func (b *e2eBlog) list(t *testing.T, resp *e2eResp, status int) []map[string]any {
	t.Helper()
	raw := b.data(t, resp, status)
	require.True(t, bytes.HasPrefix(raw, []byte("[")), "a list is an array: %s", raw)
	var out []map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}

// e2eJSON is s as a JSON string, without HTML escaping (the blog's writer
// escapes none).
func e2eJSON(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

// e2eError is GitHub's error body for message.
func e2eError(message string) string {
	return `{"message":` + e2eJSON(message) + `,"documentation_url":"` + documentationURL + `"}`
}

// e2eField is one entry of a validation error's "errors".
func e2eField(resource, field, code, message string) string {
	s := `{"resource":"` + resource + `","field":"` + field + `","code":"` + code + `"`
	if message != "" {
		s += `,"message":` + e2eJSON(message)
	}
	return s + "}"
}

// e2eValidation is the 422 "Validation Failed" body with fields.
func e2eValidation(fields ...string) string {
	return `{"message":"Validation Failed","documentation_url":"` + documentationURL + `","errors":[` + strings.Join(fields, ",") + "]}"
}

// e2eAssertError checks an error response byte for byte: always GitHub's
// shape, whatever -envelope says.
func e2eAssertError(t *testing.T, resp *e2eResp, status int, body string) {
	t.Helper()
	assert.Equal(t, status, resp.status, "%s", resp)
	assert.Equal(t, e2eContentType, resp.header.Get("Content-Type"))
	assert.Equal(t, body, string(resp.body))
	assert.Equal(t, strconv.Itoa(len(body)), resp.header.Get("Content-Length"))
}

// e2eUUIDOf is a resource's UUID, which its URLs name: its id, or in
// GitHub's shape its node_id.
func e2eUUIDOf(obj map[string]any) string {
	if node, ok := obj["node_id"].(string); ok {
		return node
	}
	id, _ := obj["id"].(string)
	return id
}

func e2eKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	return keys
}

// e2eAssertFields checks that obj has exactly fields, and that its ids and
// timestamps have the convention's shapes.
func (b *e2eBlog) assertFields(t *testing.T, fields []string, obj map[string]any) {
	t.Helper()
	if b.envelope {
		assert.ElementsMatch(t, fields, e2eKeys(obj), "fields of %v", obj)
		assert.Regexp(t, e2eUUID, obj["id"], "id")
	} else {
		// GitHub's shape: a numeric id, the UUID in node_id.
		assert.ElementsMatch(t, append(slices.Clone(fields), "node_id"), e2eKeys(obj), "fields of %v", obj)
		id, ok := obj["id"].(float64)
		assert.True(t, ok && id >= 1 && id == float64(int64(id)), "id %v is a positive integer", obj["id"])
		assert.Regexp(t, e2eUUID, obj["node_id"], "node_id")
	}
	for _, name := range []string{"created_at", "updated_at", "published_at", "completed_at"} {
		if v, ok := obj[name]; ok && v != nil {
			assert.Regexp(t, e2eTimestamp, v, name)
		}
	}
}

// e2eUser is a signed-up user and its tokens.
type e2eUser struct {
	login   string
	email   string
	id      string
	token   string
	refresh string
}

// signUp creates login and logs it in.
func (b *e2eBlog) signUp(t *testing.T, login string) *e2eUser {
	t.Helper()
	u := &e2eUser{login: login, email: login + "@example.com"}
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/users", body: map[string]string{"username": login, "email": u.email, "password": e2ePassword}})
	created := b.object(t, resp, http.StatusCreated)
	u.id = e2eUUIDOf(created)
	u.token, u.refresh = b.login(t, map[string]string{"username": login, "password": e2ePassword})
	return u
}

// login posts body to /login, checks the token body byte for byte
// and returns the pair.
func (b *e2eBlog) login(t *testing.T, body map[string]string) (token, refresh string) {
	t.Helper()
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: body})
	return b.pair(t, resp)
}

// pair checks a Login or Refresh answer and returns its tokens.
func (b *e2eBlog) pair(t *testing.T, resp *e2eResp) (token, refresh string) {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.status, "%s", resp)
	shape := `^\{"token":"([^"]+)","refresh_token":"([^"]+)","expires_in":7200\}$`
	if b.envelope {
		shape = `^\{"data":\{"token":"([^"]+)","refresh_token":"([^"]+)","expires_in":7200\},"code":"200","msg":"SUCCESS"\}$`
	}
	m := regexp.MustCompile(shape).FindStringSubmatch(string(resp.body))
	require.NotNil(t, m, "token body %s", resp.body)
	assert.Equal(t, "no-store", resp.header.Get("Cache-Control"), "RFC 6749 §5.1: tokens are not cached")
	assert.NotEqual(t, m[1], m[2])
	return m[1], m[2]
}

// createPost posts body as token's user and returns the 201's detail and
// the response.
func (b *e2eBlog) createPost(t *testing.T, token string, body map[string]any, header http.Header) (map[string]any, *e2eResp) {
	t.Helper()
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts", body: body, token: token, header: header})
	post := b.object(t, resp, http.StatusCreated)
	b.assertFields(t, e2ePostDetailFields, post)
	author, ok := post["author"].(map[string]any)
	require.True(t, ok, "the author is a nested object, never a bare id: %v", post["author"])
	b.assertFields(t, e2eAuthorFields, author)
	assert.Equal(t, b.url+"/posts/"+e2eUUIDOf(post), resp.header.Get("Location"))
	assert.Regexp(t, e2eStrongETag, resp.header.Get("ETag"))
	return post, resp
}

// raw sends request, as written, on a new connection: for what net/http's
// client will not send.
func (b *e2eBlog) raw(t *testing.T, request string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", b.addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, request)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// e2eExpand expands the RFC 6570 templates of the root document: {name}
// path variables and {?a,b} form-style queries, leaving out undefined
// variables.
func e2eExpand(template string, vars map[string]string) string {
	var out strings.Builder
	for {
		start := strings.IndexByte(template, '{')
		if start < 0 {
			out.WriteString(template)
			return out.String()
		}
		end := strings.IndexByte(template[start:], '}') + start
		out.WriteString(template[:start])
		expr := template[start+1 : end]
		template = template[end+1:]
		if expr[0] == '?' || expr[0] == '&' { // RFC 6570 form-style query and its continuation
			sep, names := expr[:1], expr[1:]
			for name := range strings.SplitSeq(names, ",") {
				if v, ok := vars[name]; ok {
					out.WriteString(sep + name + "=" + url.QueryEscape(v))
					sep = "&"
				}
			}
			continue
		}
		out.WriteString(url.PathEscape(vars[expr]))
	}
}

// e2eSteps runs steps in order as subtests, stopping at the first that
// fails: the later ones build on its state.
func e2eSteps(t *testing.T, steps []e2eStep) {
	t.Helper()
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

type e2eStep struct {
	name string
	run  func(t *testing.T)
}

func e2eBasic(login, password string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(login+":"+password))}}
}

// TestE2EBlog walks every row of docs/blog-api.md's endpoint table, once with
// the envelope and once with bare bodies as GitHub answers.
func TestE2EBlog(t *testing.T) {
	for _, envelope := range []bool{true, false} {
		t.Run(fmt.Sprintf("envelope=%t", envelope), func(t *testing.T) {
			t.Parallel()
			e2eBlogFlow(t, e2eStart(t, func(c *config) { c.envelope = envelope }))
		})
	}
}

func e2eBlogFlow(t *testing.T, b *e2eBlog) {
	var (
		root                   map[string]string
		alice, bob             *e2eUser
		aliceSignUp            map[string]any
		published, draft, bobs map[string]any
		publishedBody          json.RawMessage
		etag                   string
	)
	postPath := func(p map[string]any) string { return "/posts/" + e2eUUIDOf(p) }

	e2eSteps(t, []e2eStep{
		{"GET / lists every endpoint as a URL template", func(t *testing.T) {
			obj := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/"}), http.StatusOK)
			root = map[string]string{}
			for k, v := range obj {
				s, ok := v.(string)
				require.True(t, ok, "%s is a string", k)
				root[k] = s
			}
			assert.ElementsMatch(t, []string{"name", "version", "url", "documentation_url", "current_user_url", "user_url", "user_posts_url", "sign_up_url", "login_url", "refresh_tokens_url", "authorizations_url", "two_factor_url", "post_search_url", "events_url", "user_events_url", "posts_url", "post_url", "post_like_url", "post_comments_url", "exports_url", "job_url", "rate_limit_url"}, e2eKeys(obj))
			vars := map[string]string{"username": "alice", "id": "42", "job_id": "7", "page": "2", "per_page": "5", "query": "gophers"}
			for name, want := range map[string]string{
				"url":                "/",
				"current_user_url":   "/user",
				"user_url":           "/users/alice",
				"user_posts_url":     "/users/alice/posts?page=2&per_page=5",
				"sign_up_url":        "/users",
				"login_url":          "/login",
				"authorizations_url": "/authorizations",
				"two_factor_url":     "/user/two_factor",
				"post_search_url":    "/search/posts?q=gophers&page=2&per_page=5",
				"events_url":         "/events?page=2&per_page=5",
				"user_events_url":    "/users/alice/events?page=2&per_page=5",
				"refresh_tokens_url": "/authorizations/refresh-tokens",
				"posts_url":          "/posts?page=2&per_page=5",
				"post_url":           "/posts/42",
				"post_like_url":      "/posts/42/like",
				"post_comments_url":  "/posts/42/comments?page=2&per_page=5",
				"exports_url":        "/exports",
				"job_url":            "/jobs/7",
				"rate_limit_url":     "/rate_limit",
			} {
				assert.Equal(t, b.url+want, e2eExpand(root[name], vars), name)
			}
			assert.Equal(t, documentationURL, root["documentation_url"])
		}},
		{"POST /users signs up: 201, Location, the own detail", func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodPost, path: e2eExpand(root["sign_up_url"], nil),
				body: map[string]string{"username": "alice", "email": "alice@example.com", "password": e2ePassword}})
			aliceSignUp = b.object(t, resp, http.StatusCreated)
			assert.Equal(t, b.url+"/users/alice", resp.header.Get("Location"))
			b.assertFields(t, e2eOwnUserFields, aliceSignUp)
			assert.Equal(t, "alice", aliceSignUp["login"])
			assert.Equal(t, "alice@example.com", aliceSignUp["email"])
			assert.Nil(t, aliceSignUp["time_zone"], "a zone never given is null")
			assert.Equal(t, b.url+"/users/alice", aliceSignUp["url"])
			assert.Equal(t, b.url+"/users/alice/posts{?page,per_page}", aliceSignUp["posts_url"])
			alice = &e2eUser{login: "alice", email: "alice@example.com", id: e2eUUIDOf(aliceSignUp)}

			resp = b.do(t, e2eReq{method: http.MethodPost, path: "/users", body: map[string]string{"username": "bob", "email": "bob@example.com", "password": e2ePassword}})
			bob = &e2eUser{login: "bob", email: "bob@example.com", id: e2eUUIDOf(b.object(t, resp, http.StatusCreated))}
			assert.NotEqual(t, alice.id, bob.id)
		}},
		{"POST /login by username and by email", func(t *testing.T) {
			alice.token, alice.refresh = b.login(t, map[string]string{"username": "alice", "password": e2ePassword})
			bob.token, bob.refresh = b.login(t, map[string]string{"email": "bob@example.com", "password": e2ePassword})
		}},
		{"GET /user: the own detail; 401 without credentials", func(t *testing.T) {
			me := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: alice.token}), http.StatusOK)
			assert.Equal(t, aliceSignUp, me)

			for name, header := range map[string]http.Header{
				"token scheme":        {"Authorization": {"token " + alice.token}},
				"lower-case bearer":   {"Authorization": {"bearer " + alice.token}},
				"HTTP Basic":          e2eBasic("alice", e2ePassword),
				"HTTP Basic by email": e2eBasic("alice@example.com", e2ePassword),
			} {
				resp := b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: header})
				assert.Equal(t, "alice", b.object(t, resp, http.StatusOK)["login"], name)
			}

			resp := b.do(t, e2eReq{method: http.MethodGet, path: "/user"})
			e2eAssertError(t, resp, http.StatusUnauthorized, e2eError("Requires authentication"))
			assert.Equal(t, `Bearer realm="myblog"`, resp.header.Get("WWW-Authenticate"))

			resp = b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: "not.a.token", noQuota: true})
			e2eAssertError(t, resp, http.StatusUnauthorized, e2eError("Bad credentials"))
			assert.Equal(t, `Bearer realm="myblog", error="invalid_token"`, resp.header.Get("WWW-Authenticate"))

			resp = b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: alice.refresh, noQuota: true})
			e2eAssertError(t, resp, http.StatusUnauthorized, e2eError("Bad credentials"))
		}},
		{"GET /users/{username}: the public detail; 404 for nobody", func(t *testing.T) {
			user := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: e2eExpand(root["user_url"], map[string]string{"username": "alice"})}), http.StatusOK)
			b.assertFields(t, e2eUserFields, user)
			for _, k := range e2eUserFields {
				assert.Equal(t, aliceSignUp[k], user[k], k)
			}
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: "/users/nobody"}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: "/users/nobody/posts"}), http.StatusNotFound, e2eError("Not Found"))
		}},
		{"POST /posts: 201, Location, ETag, the detail", func(t *testing.T) {
			var resp *e2eResp
			published, resp = b.createPost(t, alice.token, map[string]any{"title": "Hello", "body": "First paragraph.\n\nSecond <b>bold</b>"}, nil)
			publishedBody = b.data(t, resp, http.StatusCreated)
			etag = resp.header.Get("ETag")
			assert.Equal(t, "Hello", published["title"])
			assert.Equal(t, true, published["published"])
			assert.NotNil(t, published["published_at"], "published now")
			assert.Equal(t, "UTC", published["time_zone"])
			author, _ := published["author"].(map[string]any)
			b.assertFields(t, e2eAuthorFields, author)
			assert.Equal(t, alice.id, e2eUUIDOf(author))
			assert.Equal(t, "alice", author["login"])
			assert.Equal(t, b.url+"/users/alice", author["url"])
			assert.Equal(t, b.url+postPath(published), published["url"])
			assert.Equal(t, b.url+postPath(published)+"/comments{?page,per_page}", published["comments_url"])
			assert.Equal(t, "<p>First paragraph.</p>\n<p>Second &lt;b&gt;bold&lt;/b&gt;</p>\n", published["body_html"])
			assert.EqualValues(t, 0, published["comments_count"])
			assert.EqualValues(t, 0, published["likes_count"])

			draft, _ = b.createPost(t, alice.token, map[string]any{"title": "Draft", "body": "soon", "published": false}, nil)
			assert.Equal(t, false, draft["published"])
			assert.Nil(t, draft["published_at"], "a draft's published_at is null")

			bobs, _ = b.createPost(t, bob.token, map[string]any{"title": "Bob's"}, nil)

			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/posts", body: map[string]any{"body": "no title"}, token: alice.token}),
				http.StatusUnprocessableEntity, e2eValidation(e2eField("Post", "title", "missing_field", "")))
			resp = b.do(t, e2eReq{method: http.MethodPost, path: "/posts", body: map[string]any{"title": "anonymous"}})
			e2eAssertError(t, resp, http.StatusUnauthorized, e2eError("Requires authentication"))
		}},
		{"GET /posts/{id}: ETag, Last-Modified, caching by who asks", func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodGet, path: e2eExpand(root["post_url"], map[string]string{"id": e2eUUIDOf(published)})})
			assert.Equal(t, string(publishedBody), string(b.data(t, resp, http.StatusOK)), "the detail, as created")
			assert.Equal(t, etag, resp.header.Get("ETag"))
			lastModified, err := http.ParseTime(resp.header.Get("Last-Modified"))
			require.NoError(t, err)
			updatedAt, err := time.Parse(time.RFC3339, published["updated_at"].(string))
			require.NoError(t, err)
			assert.Equal(t, updatedAt, lastModified.UTC())
			assert.Equal(t, "public, max-age=60, s-maxage=60", resp.header.Get("Cache-Control"))
			assert.Equal(t, "Accept, Authorization, Cookie", resp.header.Get("Vary"))

			resp = b.do(t, e2eReq{method: http.MethodGet, path: postPath(published), token: bob.token})
			require.Equal(t, http.StatusOK, resp.status)
			assert.Equal(t, "private, max-age=60, s-maxage=60", resp.header.Get("Cache-Control"))
		}},
		{"a draft is 404 to others, visible to its author", func(t *testing.T) {
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(draft)}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(draft), token: bob.token}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: "/posts/" + "00000000-0000-4000-8000-000000000000"}), http.StatusNotFound, e2eError("Not Found"))
			got := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(draft), token: alice.token}), http.StatusOK)
			assert.Equal(t, draft, got)
		}},
		{"GET /posts and /users/{username}/posts: published, newest first, summaries", func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodGet, path: e2eExpand(root["posts_url"], nil)})
			posts := b.list(t, resp, http.StatusOK)
			assert.Empty(t, resp.header.Get("Link"), "no Link when everything fits on one page")
			require.Len(t, posts, 2, "the draft is not listed")
			assert.Equal(t, e2eUUIDOf(bobs), e2eUUIDOf(posts[0]))
			assert.Equal(t, e2eUUIDOf(published), e2eUUIDOf(posts[1]))
			for _, p := range posts {
				b.assertFields(t, e2ePostSummaryFields, p)
			}
			for _, k := range e2ePostSummaryFields {
				assert.Equal(t, published[k], posts[1][k], k)
			}

			mine := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: e2eExpand(root["user_posts_url"], map[string]string{"username": "alice"}), token: alice.token}), http.StatusOK)
			require.Len(t, mine, 1, "published posts only, even to their author")
			assert.Equal(t, e2eUUIDOf(published), e2eUUIDOf(mine[0]))
		}},
		{"PATCH /posts/{id} (POST too): If-Match, author only", func(t *testing.T) {
			stale := b.do(t, e2eReq{method: http.MethodPatch, path: postPath(published), token: alice.token,
				body: map[string]any{"title": "lost update"}, header: http.Header{"If-Match": {`"stale"`}}})
			e2eAssertError(t, stale, http.StatusPreconditionFailed, e2eError("Precondition Failed"))

			resp := b.do(t, e2eReq{method: http.MethodPatch, path: postPath(published), token: alice.token,
				body: map[string]any{"title": "Hello again"}, header: http.Header{"If-Match": {etag}}})
			patched := b.object(t, resp, http.StatusOK)
			b.assertFields(t, e2ePostDetailFields, patched)
			assert.Equal(t, "Hello again", patched["title"])
			assert.Equal(t, published["body"], patched["body"], "a partial update")
			newETag := resp.header.Get("ETag")
			assert.Regexp(t, e2eStrongETag, newETag)
			assert.NotEqual(t, etag, newETag)

			resp = b.do(t, e2eReq{method: http.MethodPost, path: postPath(published), token: alice.token, body: map[string]any{"body": "Rewritten."}})
			patched = b.object(t, resp, http.StatusOK)
			assert.Equal(t, "Hello again", patched["title"])
			assert.Equal(t, "Rewritten.", patched["body"])
			assert.Equal(t, "<p>Rewritten.</p>\n", patched["body_html"])
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: postPath(published), token: alice.token,
				body: map[string]any{"title": "x"}, header: http.Header{"If-Match": {newETag}}}), http.StatusPreconditionFailed, e2eError("Precondition Failed"))
			etag = resp.header.Get("ETag")

			notAuthor := e2eError("Must be the post's author")
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: postPath(published), token: bob.token, body: map[string]any{"title": "mine"}}), http.StatusForbidden, notAuthor)
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: postPath(published), token: bob.token, body: map[string]any{"title": "mine"}}), http.StatusForbidden, notAuthor)
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodDelete, path: postPath(published), token: bob.token}), http.StatusForbidden, notAuthor)
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: postPath(draft), token: bob.token, body: map[string]any{"title": "mine"}}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodDelete, path: postPath(draft), token: bob.token}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: postPath(published), body: map[string]any{"title": "x"}}), http.StatusUnauthorized, e2eError("Requires authentication"))

			after := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(published)}), http.StatusOK)
			assert.Equal(t, "Hello again", after["title"], "refused changes changed nothing")
		}},
		{"PUT and DELETE /posts/{id}/like: 204, likes_count", func(t *testing.T) {
			like := e2eExpand(root["post_like_url"], map[string]string{"id": e2eUUIDOf(published)})
			for _, token := range []string{bob.token, bob.token, alice.token} {
				// net/http's client sends Content-Length: 0 on a PUT without a body.
				resp := b.do(t, e2eReq{method: http.MethodPut, path: like, token: token})
				assert.Equal(t, http.StatusNoContent, resp.status, "%s", resp)
				assert.Empty(t, resp.body)
			}
			likes := func() any {
				return b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(published)}), http.StatusOK)["likes_count"]
			}
			assert.EqualValues(t, 2, likes(), "a like is once per user")
			resp := b.do(t, e2eReq{method: http.MethodDelete, path: like, token: bob.token})
			assert.Equal(t, http.StatusNoContent, resp.status, "%s", resp)
			assert.Empty(t, resp.body)
			assert.EqualValues(t, 1, likes())

			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPut, path: like, token: bob.token, body: "x"}), http.StatusBadRequest, e2eError("This endpoint takes no body"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPut, path: postPath(draft) + "/like", token: bob.token}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPut, path: like}), http.StatusUnauthorized, e2eError("Requires authentication"))
		}},
		{"GET and POST /posts/{id}/comments: 201, comments_count", func(t *testing.T) {
			comments := e2eExpand(root["post_comments_url"], map[string]string{"id": e2eUUIDOf(published)})
			resp := b.do(t, e2eReq{method: http.MethodPost, path: comments, token: bob.token, body: map[string]string{"body": "Nice post"}})
			comment := b.object(t, resp, http.StatusCreated)
			b.assertFields(t, e2eCommentFields, comment)
			location := b.url + postPath(published) + "/comments/" + e2eUUIDOf(comment)
			assert.Equal(t, location, resp.header.Get("Location"))
			assert.Equal(t, location, comment["url"])
			assert.Equal(t, b.url+postPath(published), comment["post_url"])
			assert.Equal(t, "Nice post", comment["body"])
			author, _ := comment["author"].(map[string]any)
			b.assertFields(t, e2eAuthorFields, author)
			assert.Equal(t, bob.id, e2eUUIDOf(author))
			assert.Equal(t, "bob", author["login"])

			list := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: comments}), http.StatusOK)
			assert.Equal(t, []map[string]any{comment}, list)
			assert.Equal(t, comment, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: location}), http.StatusOK))
			assert.EqualValues(t, 1, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(published)}), http.StatusOK)["comments_count"])

			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: comments, token: bob.token, body: map[string]string{}}),
				http.StatusUnprocessableEntity, e2eValidation(e2eField("Comment", "body", "missing_field", "")))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: comments, body: map[string]string{"body": "anonymous"}}), http.StatusUnauthorized, e2eError("Requires authentication"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: postPath(draft) + "/comments", token: bob.token, body: map[string]string{"body": "psst"}}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(draft) + "/comments"}), http.StatusNotFound, e2eError("Not Found"))
		}},
		{"POST /exports: 202 job, GET /jobs/{job_id} until it succeeded, the result", func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodPost, path: e2eExpand(root["exports_url"], nil), token: alice.token})
			require.Equal(t, http.StatusAccepted, resp.status, "%s", resp)
			m := regexp.MustCompile(`^\{"job_id":"([^"]+)"\}$`).FindStringSubmatch(string(resp.body))
			require.NotNil(t, m, "the task body, never in the envelope: %s", resp.body)
			jobID := m[1]
			assert.Regexp(t, e2eUUID, jobID)
			jobURL := e2eExpand(root["job_url"], map[string]string{"job_id": jobID})
			assert.Equal(t, jobURL, resp.header.Get("Location"))

			var job map[string]any
			for range 400 {
				resp = b.do(t, e2eReq{method: http.MethodGet, path: jobURL, token: alice.token})
				job = b.object(t, resp, http.StatusOK)
				b.assertFields(t, e2eJobFields, job)
				if job["state"] == "succeeded" || job["state"] == "failed" {
					break
				}
				assert.Contains(t, []any{"queued", "running"}, job["state"])
				assert.Nil(t, job["completed_at"])
				assert.Nil(t, job["result_url"])
				assert.Nil(t, job["error"])
				assert.Equal(t, "1", resp.header.Get("X-Poll-Interval"))
				time.Sleep(10 * time.Millisecond)
			}
			require.Equal(t, "succeeded", job["state"], "job %v", job)
			assert.Equal(t, jobID, e2eUUIDOf(job))
			assert.Equal(t, jobURL, job["url"])
			assert.NotNil(t, job["completed_at"])
			assert.Nil(t, job["error"], "null unless it failed")
			assert.Equal(t, jobURL+"/result", job["result_url"])

			var export struct {
				Posts []map[string]any `json:"posts"`
			}
			require.NoError(t, json.Unmarshal(b.data(t, b.do(t, e2eReq{method: http.MethodGet, path: job["result_url"].(string), token: alice.token}), http.StatusOK), &export))
			require.Len(t, export.Posts, 2, "the author's posts, drafts included")
			for i, want := range []map[string]any{published, draft} {
				// The export is a document, not the API's resources: UUIDs
				// in either mode.
				assert.ElementsMatch(t, e2eExportFields, e2eKeys(export.Posts[i]))
				assert.Equal(t, e2eUUIDOf(want), export.Posts[i]["id"])
				assert.Equal(t, want["published"], export.Posts[i]["published"])
			}
			assert.Equal(t, "Rewritten.", export.Posts[0]["body"])
			assert.Nil(t, export.Posts[1]["published_at"], "a draft's published_at is null")

			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: jobURL, token: bob.token}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: jobURL + "/result", token: bob.token}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: jobURL}), http.StatusUnauthorized, e2eError("Requires authentication"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/exports"}), http.StatusUnauthorized, e2eError("Requires authentication"))
		}},
		{"DELETE /posts: the batch bodies", func(t *testing.T) {
			draftID, bobsID := e2eUUIDOf(draft), e2eUUIDOf(bobs)
			resp := b.do(t, e2eReq{method: http.MethodDelete, path: "/posts", token: alice.token, body: map[string]any{"ids": []string{draftID, bobsID}}})
			assert.Equal(t, http.StatusUnprocessableEntity, resp.status)
			assert.Equal(t, `{"error":{"code":"422","message":"1 of 2 operations failed"},"internalError":[{"id":"`+bobsID+
				`","error_code":"not_found","error_message":"No post of yours has this id"}],"response":[{"id":"`+draftID+`"}]}`, string(resp.body))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(draft), token: alice.token}), http.StatusNotFound, e2eError("Not Found"))
			require.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: postPath(bobs)}).status, "another's post stays")

			one, _ := b.createPost(t, alice.token, map[string]any{"title": "one"}, nil)
			two, _ := b.createPost(t, alice.token, map[string]any{"title": "two"}, nil)
			resp = b.do(t, e2eReq{method: http.MethodDelete, path: "/posts", token: alice.token, body: map[string]any{"ids": []any{e2eUUIDOf(one), e2eUUIDOf(two)}}})
			assert.Equal(t, http.StatusOK, resp.status)
			assert.Equal(t, `{"response":[{"id":"`+e2eUUIDOf(one)+`"},{"id":"`+e2eUUIDOf(two)+`"}]}`, string(resp.body), "never in the envelope")

			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodDelete, path: "/posts", token: alice.token, body: map[string]any{"ids": []string{}}}),
				http.StatusUnprocessableEntity, e2eValidation(e2eField("Post", "ids", "missing_field", "")))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodDelete, path: "/posts", body: map[string]any{"ids": []string{bobsID}}}), http.StatusUnauthorized, e2eError("Requires authentication"))
		}},
		{"DELETE /posts/{id}: If-Match, 204", func(t *testing.T) {
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodDelete, path: postPath(published), token: alice.token, header: http.Header{"If-Match": {`"stale"`}}}),
				http.StatusPreconditionFailed, e2eError("Precondition Failed"))
			resp := b.do(t, e2eReq{method: http.MethodDelete, path: postPath(published), token: alice.token, header: http.Header{"If-Match": {etag}}})
			assert.Equal(t, http.StatusNoContent, resp.status, "%s", resp)
			assert.Empty(t, resp.body)
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(published)}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: postPath(published) + "/comments"}), http.StatusNotFound, e2eError("Not Found"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodDelete, path: postPath(published), token: alice.token}), http.StatusNotFound, e2eError("Not Found"))
		}},
		{"PATCH /user (POST too): a rename answers 301 from the old name", func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodPatch, path: "/user", token: alice.token, body: map[string]string{"username": "alice-renamed"}})
			me := b.object(t, resp, http.StatusOK)
			b.assertFields(t, e2eOwnUserFields, me)
			assert.Equal(t, "alice-renamed", me["login"])
			assert.Equal(t, alice.id, e2eUUIDOf(me))
			assert.Equal(t, b.url+"/users/alice-renamed", me["url"])

			for path, location := range map[string]string{
				"/users/alice":                  b.url + "/users/alice-renamed",
				"/users/alice/posts?per_page=5": b.url + "/users/alice-renamed/posts?per_page=5",
			} {
				resp = b.do(t, e2eReq{method: http.MethodGet, path: path})
				assert.Equal(t, http.StatusMovedPermanently, resp.status, path)
				assert.Equal(t, location, resp.header.Get("Location"), path)
				assert.Equal(t, e2eContentType, resp.header.Get("Content-Type"))
				assert.Equal(t, `{"message":"Moved Permanently","url":"`+location+`","documentation_url":"`+documentationURL+`"}`, string(resp.body), path)
			}
			assert.Equal(t, "alice-renamed", b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/users/alice-renamed"}), http.StatusOK)["login"])

			resp = b.do(t, e2eReq{method: http.MethodPost, path: "/user", token: alice.token, body: map[string]string{"email": "alice@new.example.com"}})
			me = b.object(t, resp, http.StatusOK)
			assert.Equal(t, "alice@new.example.com", me["email"])
			assert.Equal(t, "alice-renamed", me["login"])
			assert.Equal(t, me, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: alice.token}), http.StatusOK))

			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: "/user", token: alice.token, body: map[string]string{"username": "bob"}}),
				http.StatusUnprocessableEntity, e2eValidation(e2eField("User", "username", "already_exists", "")))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: "/user", body: map[string]string{"username": "x"}}), http.StatusUnauthorized, e2eError("Requires authentication"))
			b.login(t, map[string]string{"username": "alice-renamed", "password": e2ePassword})
		}},
		{"PATCH /authorizations/refresh-tokens rotates; reuse revokes the family; DELETE logs out", func(t *testing.T) {
			refreshURL := e2eExpand(root["refresh_tokens_url"], nil)
			token2, refresh2 := b.pair(t, b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL, token: alice.refresh}))
			assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: token2}).status)
			// POST too, with the token in the body.
			_, refresh3 := b.pair(t, b.do(t, e2eReq{method: http.MethodPost, path: refreshURL, body: map[string]string{"refresh_token": refresh2}}))

			badCredentials := e2eError("Bad credentials")
			resp := b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL, token: alice.refresh})
			e2eAssertError(t, resp, http.StatusUnauthorized, badCredentials)
			assert.Equal(t, `Bearer realm="myblog", error="invalid_token"`, resp.header.Get("WWW-Authenticate"))
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL, token: refresh3}), http.StatusUnauthorized, badCredentials)
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL, token: bob.token}), http.StatusUnauthorized, badCredentials)
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL}), http.StatusUnauthorized, e2eError("Requires authentication"))

			// Bob's session is another family: untouched.
			_, bobRefresh := b.pair(t, b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL, token: bob.refresh}))
			resp = b.do(t, e2eReq{method: http.MethodDelete, path: refreshURL, token: bobRefresh})
			if b.envelope {
				assert.Equal(t, http.StatusOK, resp.status)
				assert.Equal(t, `{"code":"200","msg":"SUCCESS"}`, string(resp.body))
			} else {
				assert.Equal(t, http.StatusNoContent, resp.status)
				assert.Empty(t, resp.body)
			}
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: refreshURL, token: bobRefresh}), http.StatusUnauthorized, badCredentials)
			assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: bob.token}).status, "access tokens live on until they expire")
		}},
		{"GET /rate_limit: GitHub's shape, not counted", func(t *testing.T) {
			first := b.do(t, e2eReq{method: http.MethodGet, path: e2eExpand(root["rate_limit_url"], nil), token: bob.token})
			second := b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit", token: bob.token})
			assert.Equal(t, first.header.Get("X-RateLimit-Remaining"), second.header.Get("X-RateLimit-Remaining"))
			assert.Equal(t, first.header.Get("X-RateLimit-Used"), second.header.Get("X-RateLimit-Used"))
			assert.Equal(t, "5000", second.header.Get("X-RateLimit-Limit"))
			e2eAssertRateLimitBody(t, b, second, 5000)
		}},
	})
}

// e2eAssertRateLimitBody checks a /rate_limit answer against its own
// X-RateLimit-* fields.
func e2eAssertRateLimitBody(t *testing.T, b *e2eBlog, resp *e2eResp, limit int) {
	t.Helper()
	var doc struct {
		Resources map[string]map[string]any `json:"resources"`
		Rate      map[string]any            `json:"rate"`
	}
	raw := b.data(t, resp, http.StatusOK)
	require.NoError(t, json.Unmarshal(raw, &doc))
	used, err := strconv.Atoi(resp.header.Get("X-RateLimit-Used"))
	require.NoError(t, err)
	reset, err := strconv.ParseInt(resp.header.Get("X-RateLimit-Reset"), 10, 64)
	require.NoError(t, err)
	core := map[string]any{"limit": float64(limit), "used": float64(used), "remaining": float64(max(limit-used, 0)), "reset": float64(reset), "resource": "core"}
	assert.Equal(t, core, doc.Resources["core"])
	assert.Equal(t, core, doc.Rate, `"rate" is the core quota again`)
	require.Contains(t, doc.Resources, "search")
	assert.ElementsMatch(t, []string{"limit", "used", "remaining", "reset", "resource"}, e2eKeys(doc.Resources["search"]))
	assert.Equal(t, "search", doc.Resources["search"]["resource"])
	assert.Equal(t, "no-cache", resp.header.Get("Cache-Control"))
}

func TestE2ESignUpValidation(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	b.signUp(t, "taken")
	tests := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"every field missing", map[string]string{}, 422, e2eValidation(
			e2eField("User", "username", "missing_field", ""), e2eField("User", "email", "missing_field", ""), e2eField("User", "password", "missing_field", ""))},
		{"blank fields are missing", map[string]string{"username": "", "email": "", "password": ""}, 422, e2eValidation(
			e2eField("User", "username", "missing_field", ""), e2eField("User", "email", "missing_field", ""), e2eField("User", "password", "missing_field", ""))},
		{"invalid fields", map[string]string{"username": "-bad--name-", "email": "not an address", "password": "short"}, 422, e2eValidation(
			e2eField("User", "username", "invalid", "username may only contain letters, digits and single hyphens, and cannot begin or end with a hyphen (at most 39 characters)"),
			e2eField("User", "email", "invalid", "email must be an address such as octocat@example.com"),
			e2eField("User", "password", "invalid", "password must be 8 to 72 bytes"))},
		{"username taken, whatever its case", map[string]string{"username": "TAKEN", "email": "new@example.com", "password": e2ePassword}, 422,
			e2eValidation(e2eField("User", "username", "already_exists", ""))},
		{"email taken", map[string]string{"username": "fresh", "email": "taken@example.com", "password": e2ePassword}, 422,
			e2eValidation(e2eField("User", "email", "already_exists", ""))},
		{"wrong JSON type", map[string]any{"username": 42, "email": "a@example.com", "password": e2ePassword}, 422, ""},
		{"invalid JSON", `{"username":`, 400, e2eError("Problems parsing JSON")},
		{"not an object", `["taken"]`, 400, e2eError("Body should be a JSON object")},
		{"no body", "", 400, e2eError("Problems parsing JSON")},
		{"body over 1 MiB", `{"username":"` + strings.Repeat("a", 1<<20) + `"}`, 413, e2eError("Request body is too large: the limit is 1048576 bytes")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodPost, path: "/users", body: tt.body})
			if tt.want == "" {
				assert.Equal(t, tt.status, resp.status, "%s", resp)
				assert.Contains(t, string(resp.body), `"errors":[{"resource":"User","field":"username","code":"invalid"`)
				return
			}
			e2eAssertError(t, resp, tt.status, tt.want)
		})
	}
	assert.Equal(t, http.StatusNotFound, b.do(t, e2eReq{method: http.MethodGet, path: "/users/fresh"}).status, "no refused sign-up created a user")
}

func TestE2ELogin(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	b.signUp(t, "carol")
	tests := []struct {
		name string
		body any
		want string
		// challenge is the WWW-Authenticate of a 401.
		challenge string
	}{
		{"wrong password", map[string]string{"username": "carol", "password": "wrong password"}, e2eError("Bad credentials"), `Bearer realm="myblog"`},
		{"wrong password by email", map[string]string{"email": "carol@example.com", "password": "wrong password"}, e2eError("Bad credentials"), `Bearer realm="myblog"`},
		{"unknown login", map[string]string{"username": "nobody", "password": e2ePassword}, e2eError("Bad credentials"), `Bearer realm="myblog"`},
		{"no password", map[string]string{"username": "carol"}, e2eValidation(e2eField("Login", "password", "missing_field", "")), ""},
		{"nothing", map[string]string{}, e2eValidation(e2eField("Login", "username", "missing_field", "username or email is required"), e2eField("Login", "password", "missing_field", "")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: tt.body})
			status := http.StatusUnprocessableEntity
			if tt.challenge != "" {
				status = http.StatusUnauthorized
			}
			e2eAssertError(t, resp, status, tt.want)
			assert.Equal(t, tt.challenge, resp.header.Get("WWW-Authenticate"))
		})
	}
	t.Run("a good login still works", func(t *testing.T) {
		b.login(t, map[string]string{"username": "carol", "password": e2ePassword})
		b.login(t, map[string]string{"email": "carol@example.com", "password": e2ePassword})
	})
}

func TestE2ELoginLockout(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, func(c *config) { c.loginMaxFailures = 3 })
	dave := b.signUp(t, "dave")
	erin := b.signUp(t, "erin")
	badCredentials := e2eError("Bad credentials")

	for range 2 {
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: map[string]string{"username": "dave", "password": "guess"}})
		e2eAssertError(t, resp, http.StatusUnauthorized, badCredentials)
	}
	// Basic attempts count too: the third failure.
	resp := b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: e2eBasic("dave", "guess"), noQuota: true})
	e2eAssertError(t, resp, http.StatusUnauthorized, badCredentials)
	assert.Equal(t, `Basic realm="myblog", charset="UTF-8"`, resp.header.Get("WWW-Authenticate"))

	locked := e2eError("Maximum number of login attempts exceeded. Please try again later.")
	assertLocked := func(t *testing.T, resp *e2eResp) {
		t.Helper()
		e2eAssertError(t, resp, http.StatusForbidden, locked)
		retry, err := strconv.Atoi(resp.header.Get("Retry-After"))
		require.NoError(t, err, "Retry-After in seconds")
		assert.True(t, retry >= 1 && retry <= 15*60, "Retry-After %d within the 15 minute window", retry)
	}
	t.Run("valid credentials of the locked account", func(t *testing.T) {
		assertLocked(t, b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: map[string]string{"username": "dave", "password": e2ePassword}}))
		assertLocked(t, b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: map[string]string{"email": "dave@example.com", "password": e2ePassword}}))
		assertLocked(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: e2eBasic("dave", e2ePassword), noQuota: true}))
	})
	t.Run("another account from the locked client IP", func(t *testing.T) {
		assertLocked(t, b.do(t, e2eReq{method: http.MethodPost, path: "/login", body: map[string]string{"username": "erin", "password": e2ePassword}}))
	})
	t.Run("tokens issued before still work", func(t *testing.T) {
		for _, u := range []*e2eUser{dave, erin} {
			assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: u.token}).status)
		}
	})
}

func TestE2EPagination(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	frank := b.signUp(t, "frank")
	var created []string
	for i := range 7 {
		post, _ := b.createPost(t, frank.token, map[string]any{"title": fmt.Sprintf("post %d", i)}, nil)
		created = append(created, e2eUUIDOf(post))
	}
	slices.Reverse(created) // newest first

	t.Run("walk the next links", func(t *testing.T) {
		path := "/posts?per_page=3"
		var seen []string
		var links []string
		for page := 1; path != ""; page++ {
			require.LessOrEqual(t, page, 3, "more pages than 7 posts make")
			resp := b.do(t, e2eReq{method: http.MethodGet, path: path})
			for _, p := range b.list(t, resp, http.StatusOK) {
				seen = append(seen, e2eUUIDOf(p))
			}
			links = append(links, resp.header.Get("Link"))
			assert.Len(t, resp.header.Values("Link"), 1, "one field line")
			path = ""
			if m := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(resp.header.Get("Link")); m != nil {
				path = m[1]
			}
		}
		assert.Equal(t, created, seen, "every post once, newest first")
		page := func(n int) string { return fmt.Sprintf("<%s/posts?per_page=3&page=%d>", b.url, n) }
		assert.Equal(t, []string{
			page(2) + `; rel="next", ` + page(3) + `; rel="last"`,
			page(3) + `; rel="next", ` + page(3) + `; rel="last", ` + page(1) + `; rel="first", ` + page(1) + `; rel="prev"`,
			page(1) + `; rel="first", ` + page(2) + `; rel="prev"`,
		}, links)
	})
	t.Run("other query parameters are kept, per_page only when given", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/users/frank/posts?page=2&per_page=5&sort=new"})
		assert.Len(t, b.list(t, resp, http.StatusOK), 2)
		assert.Equal(t, fmt.Sprintf(`<%[1]s/users/frank/posts?page=1&per_page=5&sort=new>; rel="first", <%[1]s/users/frank/posts?page=1&per_page=5&sort=new>; rel="prev"`, b.url), resp.header.Get("Link"))
	})
	t.Run("a page past the end is empty", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts?page=9"})
		assert.Empty(t, b.list(t, resp, http.StatusOK))
	})
	t.Run("per_page up to 100", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts?per_page=100"})
		assert.Len(t, b.list(t, resp, http.StatusOK), 7)
		assert.Empty(t, resp.header.Get("Link"))
	})
	for _, tt := range []struct{ query, field, message string }{
		{"page=0", "page", "page must be a whole number from 1"},
		{"page=-1", "page", "page must be a whole number from 1"},
		{"page=abc", "page", "page must be a whole number from 1"},
		{"per_page=0", "per_page", "per_page must be a whole number from 1 to 100"},
		{"per_page=101", "per_page", "per_page must be a whole number from 1 to 100"},
	} {
		t.Run("422 for "+tt.query, func(t *testing.T) {
			for _, path := range []string{"/posts", "/users/frank/posts", "/posts/" + created[0] + "/comments"} {
				e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: path + "?" + tt.query}), http.StatusUnprocessableEntity,
					e2eValidation(e2eField("Query", tt.field, "invalid", tt.message)))
			}
		})
	}
	t.Run("comments are paginated", func(t *testing.T) {
		for i := range 3 {
			resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts/" + created[0] + "/comments", token: frank.token, body: map[string]string{"body": fmt.Sprint("comment ", i)}})
			require.Equal(t, http.StatusCreated, resp.status, "%s", resp)
		}
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts/" + created[0] + "/comments?per_page=2"})
		comments := b.list(t, resp, http.StatusOK)
		require.Len(t, comments, 2)
		assert.Equal(t, "comment 0", comments[0]["body"], "oldest first")
		assert.Equal(t, fmt.Sprintf(`<%[1]s/posts/%[2]s/comments?per_page=2&page=2>; rel="next", <%[1]s/posts/%[2]s/comments?per_page=2&page=2>; rel="last"`, b.url, created[0]), resp.header.Get("Link"))
	})
}

func TestE2EConditionalRequests(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	grace := b.signUp(t, "grace")
	post, _ := b.createPost(t, grace.token, map[string]any{"title": "cached"}, nil)
	path := "/posts/" + e2eUUIDOf(post)
	first := b.do(t, e2eReq{method: http.MethodGet, path: path})
	require.Equal(t, http.StatusOK, first.status)
	etag, lastModified := first.header.Get("ETag"), first.header.Get("Last-Modified")
	modified, err := http.ParseTime(lastModified)
	require.NoError(t, err)

	tests := []struct {
		name   string
		header http.Header
		status int
		// counted: a 304 that answers no validator we gave (* matches
		// every resource) costs quota like a 200.
		counted bool
	}{
		{"RFC 9110 13.1.2: If-None-Match matching", http.Header{"If-None-Match": {etag}}, 304, false},
		{"RFC 9110 13.1.2: weak comparison", http.Header{"If-None-Match": {"W/" + etag}}, 304, false},
		{"RFC 9110 13.1.2: a list", http.Header{"If-None-Match": {`"other", ` + etag}}, 304, false},
		{"RFC 9110 13.1.2: * is a 304, but not a free one", http.Header{"If-None-Match": {"*"}}, 304, true},
		{"RFC 9110 13.1.2: another tag", http.Header{"If-None-Match": {`"other"`}}, 200, false},
		{"RFC 9110 13.1.3: If-Modified-Since the last change", http.Header{"If-Modified-Since": {lastModified}}, 304, false},
		{"RFC 9110 13.1.3: If-Modified-Since later than the server's clock is ignored", http.Header{"If-Modified-Since": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, 200, true},
		{"RFC 9110 13.1.3: If-Modified-Since earlier", http.Header{"If-Modified-Since": {modified.Add(-time.Hour).Format(http.TimeFormat)}}, 200, false},
		{"RFC 9110 13.1.3: If-Modified-Since ignored with If-None-Match", http.Header{"If-None-Match": {`"other"`}, "If-Modified-Since": {lastModified}}, 200, false},
		{"RFC 9110 13.1.3: an invalid If-Modified-Since is ignored", http.Header{"If-Modified-Since": {"yesterday"}}, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				before := b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit"})
				resp := b.do(t, e2eReq{method: method, path: path, header: tt.header})
				assert.Equal(t, tt.status, resp.status, method)
				assert.Equal(t, etag, resp.header.Get("ETag"), method)
				if tt.status == http.StatusNotModified {
					assert.Empty(t, resp.body)
				}
				if tt.status == http.StatusNotModified && !tt.counted {
					assert.Empty(t, resp.header.Get("Content-Type"))
					assert.Equal(t, "public, max-age=60, s-maxage=60", resp.header.Get("Cache-Control"), "RFC 9110 15.4.5: a 304 keeps Cache-Control")
					assert.Equal(t, "Accept, Authorization, Cookie", resp.header.Get("Vary"))
					// docs/conventions.md: a 304 is given back to the quota.
					assert.Equal(t, before.header.Get("X-RateLimit-Remaining"), resp.header.Get("X-RateLimit-Remaining"), "a 304 does not count")
					assert.Equal(t, before.header.Get("X-RateLimit-Used"), resp.header.Get("X-RateLimit-Used"))
				} else {
					remaining, _ := strconv.Atoi(before.header.Get("X-RateLimit-Remaining"))
					assert.Equal(t, strconv.Itoa(remaining-1), resp.header.Get("X-RateLimit-Remaining"), "a 200 counts")
				}
				after := b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit"})
				assert.Equal(t, resp.header.Get("X-RateLimit-Remaining"), after.header.Get("X-RateLimit-Remaining"))
			}
		})
	}
	t.Run("a change makes the old validators stale", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodPatch, path: path, token: grace.token, body: map[string]string{"title": "changed"}, header: http.Header{"If-Match": {etag}}})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp)
		resp = b.do(t, e2eReq{method: http.MethodGet, path: path, header: http.Header{"If-None-Match": {etag}}})
		assert.Equal(t, http.StatusOK, resp.status)
		assert.NotEqual(t, etag, resp.header.Get("ETag"))
	})
	t.Run("RFC 9110 13.1.1: If-Match uses the strong comparison", func(t *testing.T) {
		current := b.do(t, e2eReq{method: http.MethodGet, path: path}).header.Get("ETag")
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: path, token: grace.token, body: map[string]string{"title": "weak"}, header: http.Header{"If-Match": {"W/" + current}}}),
			http.StatusPreconditionFailed, e2eError("Precondition Failed"))
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: path, token: grace.token, body: map[string]string{"title": "old"}, header: http.Header{"If-Unmodified-Since": {modified.Add(-time.Hour).Format(http.TimeFormat)}}}),
			http.StatusPreconditionFailed, e2eError("Precondition Failed"))
		assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodPatch, path: path, token: grace.token, body: map[string]string{"title": "any"}, header: http.Header{"If-Match": {"*"}}}).status)
	})
}

// TestE2ELikeRequiresLength sends a PUT without Content-Length, which
// net/http's client never does.
func TestE2ELikeRequiresLength(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	heidi := b.signUp(t, "heidi")
	post, _ := b.createPost(t, heidi.token, map[string]any{"title": "likeable"}, nil)
	path := "/posts/" + e2eUUIDOf(post)
	request := func(contentLength string) string {
		return "PUT " + path + "/like HTTP/1.1\r\nHost: " + b.addr + "\r\nUser-Agent: apikit-e2e/1.0\r\nAuthorization: Bearer " + heidi.token +
			"\r\n" + contentLength + "Connection: close\r\n\r\n"
	}

	resp, body := b.raw(t, request(""))
	assert.Equal(t, http.StatusLengthRequired, resp.StatusCode)
	assert.Equal(t, e2eContentType, resp.Header.Get("Content-Type"))
	assert.Equal(t, e2eError("Length Required: send Content-Length: 0"), string(body))
	assert.EqualValues(t, 0, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: path}), http.StatusOK)["likes_count"])

	resp, body = b.raw(t, request("Content-Length: 0\r\n"))
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "%s", body)
	assert.Empty(t, body)
	assert.EqualValues(t, 1, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: path}), http.StatusOK)["likes_count"])
}

func TestE2ERateLimits(t *testing.T) {
	t.Parallel()
	const anonymous = 6
	b := e2eStart(t, func(c *config) { c.rateLimitAnonymous = anonymous })
	ivan := b.signUp(t, "ivan") // two anonymous requests: sign-up and login
	post, _ := b.createPost(t, ivan.token, map[string]any{"title": "limited"}, nil)
	path := "/posts/" + e2eUUIDOf(post)

	assertQuota := func(t *testing.T, resp *e2eResp, used int) {
		t.Helper()
		assert.Equal(t, strconv.Itoa(anonymous), resp.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(used), resp.header.Get("X-RateLimit-Used"))
		assert.Equal(t, strconv.Itoa(anonymous-used), resp.header.Get("X-RateLimit-Remaining"))
		assert.Equal(t, "core", resp.header.Get("X-RateLimit-Resource"))
		reset, err := strconv.ParseInt(resp.header.Get("X-RateLimit-Reset"), 10, 64)
		require.NoError(t, err)
		now := time.Now().Unix()
		assert.True(t, reset > now-1 && reset <= now+3601, "X-RateLimit-Reset %d is UTC epoch seconds within the hour", reset)
	}

	t.Run("GET /rate_limit does not count", func(t *testing.T) {
		for range 2 {
			resp := b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit"})
			assertQuota(t, resp, 2)
			e2eAssertRateLimitBody(t, b, resp, anonymous)
		}
	})
	t.Run("a 304 does not count", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: path})
		assertQuota(t, resp, 3)
		resp = b.do(t, e2eReq{method: http.MethodGet, path: path, header: http.Header{"If-None-Match": {resp.header.Get("ETag")}}})
		require.Equal(t, http.StatusNotModified, resp.status)
		assertQuota(t, resp, 3)
	})
	t.Run("every counted response says where the quota stands", func(t *testing.T) {
		assertQuota(t, b.do(t, e2eReq{method: http.MethodGet, path: "/"}), 4)
		assertQuota(t, b.do(t, e2eReq{method: http.MethodGet, path: "/nowhere"}), 5)
		assertQuota(t, b.do(t, e2eReq{method: http.MethodGet, path: "/posts"}), 6)
	})
	limited := `{"message":"API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"` + documentationURL + `/#rate-limiting"}`
	t.Run("over the quota: 403 with GitHub's anonymous message", func(t *testing.T) {
		for _, req := range []e2eReq{
			{method: http.MethodGet, path: "/posts"},
			{method: http.MethodPost, path: "/login", body: map[string]string{"username": "ivan", "password": e2ePassword}},
		} {
			resp := b.do(t, req)
			assert.Equal(t, http.StatusForbidden, resp.status, "%s %s", req.method, req.path)
			assert.Equal(t, limited, string(resp.body))
			assert.Equal(t, "0", resp.header.Get("X-RateLimit-Remaining"))
			assert.Equal(t, strconv.Itoa(anonymous), resp.header.Get("X-RateLimit-Used"))
			retry, err := strconv.Atoi(resp.header.Get("Retry-After"))
			require.NoError(t, err)
			assert.True(t, retry >= 1 && retry <= 3600, "Retry-After %d", retry)
		}
	})
	t.Run("over the quota, JSON-P: the script carries the 403", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/?callback=cb"})
		assert.Equal(t, http.StatusOK, resp.status, "a script tag cannot read a status")
		assert.Contains(t, string(resp.body), `/**/cb({"meta":{"status":403,`)
		assert.Contains(t, string(resp.body), `"X-RateLimit-Remaining":"0"`)
		assert.True(t, strings.HasSuffix(string(resp.body), `"data":`+limited+"})"), "%s", resp.body)
	})
	t.Run("what the quota does not cover still works", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/rate_limit"})
		require.Equal(t, http.StatusOK, resp.status)
		assert.Equal(t, "0", resp.header.Get("X-RateLimit-Remaining"))

		resp = b.do(t, e2eReq{method: http.MethodGet, path: "/healthz"})
		assert.JSONEq(t, `{"status":"ok","stores":{"database":"ok"}}`, string(b.data(t, resp, http.StatusOK)))
		assert.Empty(t, resp.header.Get("X-RateLimit-Remaining"), "/healthz is not rate limited")
		assert.Equal(t, "no-store", resp.header.Get("Cache-Control"))

		resp = b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: ivan.token})
		assert.Equal(t, http.StatusOK, resp.status, "a user has a quota of their own")
		assert.Equal(t, "5000", resp.header.Get("X-RateLimit-Limit"))

		preflight := b.send(t, b.client, e2eReq{method: http.MethodOptions, path: "/posts", header: http.Header{"Origin": {"https://example.com"}, "Access-Control-Request-Method": {"POST"}}})
		assert.Equal(t, http.StatusNoContent, preflight.status, "a preflight is answered before rate limiting")
	})
}

func TestE2ESecondaryRateLimit(t *testing.T) {
	t.Parallel()
	// The limiter's clock stands still: the 80-a-minute bucket must not
	// refill while a slow machine sends the writes.
	stopped := time.Now()
	b := e2eStart(t, func(c *config) { c.rateLimitNow = func() time.Time { return stopped } })
	judy := b.signUp(t, "judy")
	post, _ := b.createPost(t, judy.token, map[string]any{"title": "the first of 80 writes"}, nil)
	// Cheap writes: refused by the handler, but counted by the limiter.
	for i := range 79 {
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts", token: judy.token, body: "{"})
		require.Equal(t, http.StatusBadRequest, resp.status, "write %d: %s", i+2, resp)
	}
	secondary := `{"message":"You have triggered an abuse detection mechanism (a secondary rate limit) and have been temporarily blocked from content creation. Please retry your request again later.","documentation_url":"` + documentationURL + `/#abuse-rate-limits"}`
	for _, req := range []e2eReq{
		{method: http.MethodPost, path: "/posts", token: judy.token, body: map[string]string{"title": "the 81st"}},
		{method: http.MethodPost, path: "/posts/" + e2eUUIDOf(post) + "/comments", token: judy.token, body: map[string]string{"body": "me too"}},
	} {
		resp := b.do(t, req)
		assert.Equal(t, http.StatusForbidden, resp.status, "%s", resp)
		assert.Equal(t, secondary, string(resp.body))
		assert.NotEmpty(t, resp.header.Get("Retry-After"))
		assert.NotEqual(t, "0", resp.header.Get("X-RateLimit-Remaining"), "not mistaken for the primary limit")
	}
	assert.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: judy.token}).status, "reads go on")
	comments := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: "/posts/" + e2eUUIDOf(post) + "/comments"}), http.StatusOK)
	assert.Empty(t, comments)
}

// TestE2EHead checks that every GET route answers HEAD with the GET's
// status and headers and no body.
func TestE2EHead(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	kim := b.signUp(t, "kim")
	post, _ := b.createPost(t, kim.token, map[string]any{"title": "head"}, nil)
	for range 2 {
		b.createPost(t, kim.token, map[string]any{"title": "more"}, nil)
	}
	postPath := "/posts/" + e2eUUIDOf(post)
	require.Equal(t, http.StatusCreated, b.do(t, e2eReq{method: http.MethodPost, path: postPath + "/comments", token: kim.token, body: map[string]string{"body": "c"}}).status)
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/exports", token: kim.token})
	require.Equal(t, http.StatusAccepted, resp.status)
	jobPath := strings.TrimPrefix(resp.header.Get("Location"), b.url)
	for i := 0; ; i++ {
		require.Less(t, i, 400, "the export did not finish")
		if b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: jobPath, token: kim.token}), http.StatusOK)["state"] == "succeeded" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Fields that change from one request to the next.
	volatile := []string{"Date", "X-Myblog-Request-Id", "X-Ratelimit-Remaining", "X-Ratelimit-Used", "X-Ratelimit-Reset"}
	for _, tt := range []struct {
		path  string
		token string
	}{
		{path: "/"},
		{path: "/rate_limit"},
		{path: "/healthz"},
		{path: "/user", token: kim.token},
		{path: "/users/kim"},
		{path: "/users/kim/posts?per_page=1"},
		{path: "/posts?per_page=2"},
		{path: postPath},
		{path: postPath + "/comments"},
		{path: jobPath, token: kim.token},
		{path: jobPath + "/result", token: kim.token},
		{path: "/nowhere"},
		{path: "/user"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			get := b.do(t, e2eReq{method: http.MethodGet, path: tt.path, token: tt.token})
			head := b.do(t, e2eReq{method: http.MethodHead, path: tt.path, token: tt.token})
			assert.Equal(t, get.status, head.status)
			assert.Empty(t, head.body)
			assert.NotEmpty(t, get.body)
			for _, name := range volatile {
				delete(get.header, name)
				delete(head.header, name)
			}
			assert.Equal(t, get.header, head.header)
		})
	}
}

func TestE2ENotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	notFound := e2eError("Not Found")
	methodNotAllowed := e2eError("Method Not Allowed")
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/nowhere", 404, ""},
		{http.MethodPost, "/nowhere", 404, ""},
		{http.MethodGet, "/posts/1/comments/2/replies", 404, ""},
		{http.MethodGet, "/users/", 404, ""},
		{http.MethodPost, "/rate_limit", 405, "GET, HEAD"},
		{http.MethodDelete, "/healthz", 405, "GET, HEAD"},
		{http.MethodGet, "/login", 405, "POST"},
		{http.MethodGet, "/authorizations/refresh-tokens", 405, "DELETE, PATCH, POST"},
		{http.MethodDelete, "/user", 405, "GET, HEAD, PATCH, POST"},
		{http.MethodGet, "/users", 405, "POST"},
		{http.MethodDelete, "/users/alice", 405, "GET, HEAD"},
		{http.MethodPut, "/posts", 405, "DELETE, GET, HEAD, POST"},
		{http.MethodPut, "/posts/1", 405, "DELETE, GET, HEAD, PATCH, POST"},
		{http.MethodGet, "/posts/1/like", 405, "DELETE, PUT"},
		{http.MethodDelete, "/posts/1/comments", 405, "GET, HEAD, POST"},
		{http.MethodGet, "/exports", 405, "POST"},
		{http.MethodDelete, "/jobs/1", 405, "GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := b.do(t, e2eReq{method: tt.method, path: tt.path})
			want := notFound
			if tt.status == http.StatusMethodNotAllowed {
				want = methodNotAllowed
			}
			e2eAssertError(t, resp, tt.status, want)
			assert.Equal(t, tt.allow, resp.header.Get("Allow"))
		})
	}
}

// TestE2EJSONP: a script's data is the bare resource, list or error in
// both envelope modes; meta has the status and headers.
func TestE2EJSONP(t *testing.T) {
	for _, envelope := range []bool{true, false} {
		t.Run(fmt.Sprintf("envelope=%t", envelope), func(t *testing.T) {
			t.Parallel()
			e2eJSONP(t, e2eStart(t, func(c *config) { c.envelope = envelope }))
		})
	}
}

func e2eJSONP(t *testing.T, b *e2eBlog) {
	lou := b.signUp(t, "lou")
	for range 2 {
		b.createPost(t, lou.token, map[string]any{"title": "jsonp"}, nil)
	}
	meta := func(status int, h http.Header, extra string) string {
		return fmt.Sprintf(`{"status":%d,"X-RateLimit-Limit":"%s","X-RateLimit-Remaining":"%s","X-RateLimit-Reset":"%s","X-RateLimit-Used":"%s","X-RateLimit-Resource":"core","X-myblog-Media-Type":"%s"%s}`,
			status, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), h.Get("X-RateLimit-Used"), e2eMediaType, extra)
	}
	t.Run("a 200", func(t *testing.T) {
		plain := b.do(t, e2eReq{method: http.MethodGet, path: "/"})
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/?callback=cb", header: http.Header{"If-None-Match": {plain.header.Get("ETag")}}})
		assert.Equal(t, http.StatusOK, resp.status, "a script tag always gets the whole script, never a 304")
		assert.Equal(t, "/**/cb({\"meta\":"+meta(200, resp.header, "")+`,"data":`+string(b.data(t, plain, http.StatusOK))+"})", string(resp.body))
		assert.Empty(t, resp.header.Get("ETag"))
	})
	t.Run("a 404 is a 200 with meta.status 404", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts/nothing?callback=jQuery123_456.done"})
		assert.Equal(t, http.StatusOK, resp.status)
		assert.Equal(t, "/**/jQuery123_456.done({\"meta\":"+meta(404, resp.header, "")+`,"data":`+e2eError("Not Found")+"})", string(resp.body))
	})
	t.Run("Link becomes an array", func(t *testing.T) {
		plain := b.do(t, e2eReq{method: http.MethodGet, path: "/posts?per_page=1"})
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts?per_page=1&callback=cb"})
		// The JSON string escapes "&" as \u0026.
		next := fmt.Sprintf(`%s/posts?per_page=1\u0026callback=cb\u0026page=2`, b.url)
		assert.Equal(t, "/**/cb({\"meta\":"+meta(200, resp.header, `,"Link":[["`+next+`",{"rel":"next"}],["`+next+`",{"rel":"last"}]]`)+`,"data":`+string(b.data(t, plain, http.StatusOK))+"})", string(resp.body))
		assert.True(t, strings.HasPrefix(string(resp.body), `/**/cb({"meta":`) && strings.Contains(string(resp.body), `,"data":[{"id":`), "data is the list itself")
	})
	t.Run("an invalid callback is 400, before the rate limiter", func(t *testing.T) {
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: "/?callback=" + url.QueryEscape("alert(1)//"), noQuota: true}), http.StatusBadRequest,
			e2eError("Invalid callback: use a JavaScript function name such as foo or jQuery123_456, or a.b.c"))
	})
	t.Run("only GET", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts?callback=cb", token: lou.token, body: map[string]string{"title": "not wrapped"}})
		b.object(t, resp, http.StatusCreated)
	})
}

func TestE2ECORS(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	mia := b.signUp(t, "mia")
	origin := http.Header{"Origin": {"https://example.com"}}
	t.Run("actual responses, success and error alike", func(t *testing.T) {
		for _, req := range []e2eReq{
			{method: http.MethodGet, path: "/posts", header: origin},
			{method: http.MethodGet, path: "/nowhere", header: origin},
			{method: http.MethodPost, path: "/posts", header: origin, token: mia.token, body: map[string]string{"title": "cors"}},
		} {
			// do checks Access-Control-Allow-Origin and -Expose-Headers.
			resp := b.do(t, req)
			assert.Empty(t, resp.header.Get("Access-Control-Allow-Credentials"))
			assert.Empty(t, resp.header.Get("Access-Control-Allow-Methods"), "only a preflight lists the methods")
		}
	})
	t.Run("preflight, before authentication", func(t *testing.T) {
		for _, auth := range []string{"", "Bearer not-a-token", "Basic " + base64.StdEncoding.EncodeToString([]byte("mia:wrong password"))} {
			header := http.Header{
				"Origin":                         {"https://example.com"},
				"Access-Control-Request-Method":  {"PATCH"},
				"Access-Control-Request-Headers": {"authorization, content-type, if-match"},
			}
			if auth != "" {
				header.Set("Authorization", auth)
			}
			resp := b.send(t, b.client, e2eReq{method: http.MethodOptions, path: "/posts/anything", header: header})
			if auth == "" {
				// OPTIONS on any path, one that does not exist included.
				resp = b.send(t, b.client, e2eReq{method: http.MethodOptions, path: "/nowhere", header: header})
			}
			assert.Equal(t, http.StatusNoContent, resp.status, "%q: %s", auth, resp)
			assert.Empty(t, resp.body)
			assert.Equal(t, "*", resp.header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "GET, POST, PATCH, PUT, DELETE", resp.header.Get("Access-Control-Allow-Methods"))
			assert.Equal(t, "Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, If-Unmodified-Since, X-myblog-OTP, X-Requested-With", resp.header.Get("Access-Control-Allow-Headers"))
			assert.Equal(t, "86400", resp.header.Get("Access-Control-Max-Age"))
			assert.Regexp(t, e2eUUID, resp.header.Get("X-Myblog-Request-Id"))
			assert.Equal(t, "nosniff", resp.header.Get("X-Content-Type-Options"))
			assert.Empty(t, resp.header.Get("WWW-Authenticate"))
			assert.Empty(t, resp.header.Get("X-RateLimit-Limit"), "a preflight is not counted")
		}
		// The failed Basic password above was never checked: no lockout counts it.
		b.login(t, map[string]string{"username": "mia", "password": e2ePassword})
	})
}

func TestE2EPretty(t *testing.T) {
	t.Parallel()
	for _, envelope := range []bool{true, false} {
		t.Run(fmt.Sprintf("envelope=%t", envelope), func(t *testing.T) {
			t.Parallel()
			b := e2eStart(t, func(c *config) { c.envelope = envelope })
			for _, path := range []string{"/", "/nowhere", "/posts?page=0"} {
				minified := b.do(t, e2eReq{method: http.MethodGet, path: path})
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				pretty := b.do(t, e2eReq{method: http.MethodGet, path: path + sep + "pretty=true"})
				assert.Equal(t, minified.status, pretty.status)
				var want bytes.Buffer
				require.NoError(t, json.Indent(&want, minified.body, "", "  "))
				want.WriteByte('\n')
				assert.Equal(t, want.String(), string(pretty.body), path)
				assert.NotContains(t, string(minified.body), "\n", "minified by default")
			}
		})
	}
}

func TestE2ETimeZones(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	nina := b.signUp(t, "nina")
	kolkata := http.Header{"Time-Zone": {"Asia/Kolkata"}}
	for i, tt := range []struct {
		name        string
		header      http.Header
		publishedAt string
		want        string
		zone        string
	}{
		{"a wall clock time in the Time-Zone header's zone", kolkata, "2024-03-01T10:00:00", "2024-03-01T04:30:00Z", "Asia/Kolkata"},
		{"an explicit offset is kept", kolkata, "2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00Z", "+01:00"},
		{"an explicit Z is kept", kolkata, "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z", "UTC"},
		{"no zone at all: UTC", nil, "2024-03-01T10:00:00", "2024-03-01T10:00:00Z", "UTC"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh user each time: a Time-Zone header is remembered.
			u := b.signUp(t, "writer"+strconv.Itoa(i))
			post, _ := b.createPost(t, u.token, map[string]any{"title": tt.name, "published_at": tt.publishedAt}, tt.header)
			assert.Equal(t, tt.want, post["published_at"])
			assert.Equal(t, tt.zone, post["time_zone"])
			assert.Equal(t, post, b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/posts/" + e2eUUIDOf(post)}), http.StatusOK), "stored as answered")
		})
	}
	t.Run("a sign-up with Time-Zone records the zone", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/users", header: http.Header{"Time-Zone": {"Asia/Tokyo"}},
			body: map[string]string{"username": "tokyo", "email": "tokyo@example.com", "password": e2ePassword}})
		assert.Equal(t, "Asia/Tokyo", b.object(t, resp, http.StatusCreated)["time_zone"])
	})
	t.Run("a draft records the zone too", func(t *testing.T) {
		post, _ := b.createPost(t, nina.token, map[string]any{"title": "draft", "published": false}, kolkata)
		assert.Nil(t, post["published_at"])
		assert.Equal(t, "Asia/Kolkata", post["time_zone"])
	})
	t.Run("an unknown Time-Zone is 400", func(t *testing.T) {
		for _, req := range []e2eReq{
			{method: http.MethodGet, path: "/posts", header: http.Header{"Time-Zone": {"Mars/Olympus_Mons"}}},
			{method: http.MethodPost, path: "/posts", token: nina.token, body: map[string]string{"title": "x"}, header: http.Header{"Time-Zone": {"Mars/Olympus_Mons"}}},
		} {
			e2eAssertError(t, b.do(t, req), http.StatusBadRequest,
				`{"message":"Invalid Time-Zone header: \"Mars/Olympus_Mons\" is not a canonical IANA time zone name such as Europe/Amsterdam","documentation_url":"`+documentationURL+`","errors":[{"resource":"Request","field":"Time-Zone","code":"invalid"}]}`)
		}
	})
	t.Run("an authenticated Time-Zone becomes the user's zone", func(t *testing.T) {
		me := b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: nina.token}), http.StatusOK)
		assert.Equal(t, "Asia/Kolkata", me["time_zone"], "remembered from the requests above")

		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/posts", token: nina.token, header: http.Header{"Time-Zone": {"Europe/Amsterdam"}}})
		require.Equal(t, http.StatusOK, resp.status)
		me = b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: nina.token}), http.StatusOK)
		assert.Equal(t, "Europe/Amsterdam", me["time_zone"])

		// The user's zone is the third rule: it places a wall clock time
		// sent without a header.
		post, _ := b.createPost(t, nina.token, map[string]any{"title": "at home", "published_at": "2024-07-01T12:00:00"}, nil)
		assert.Equal(t, "2024-07-01T10:00:00Z", post["published_at"], "CEST is UTC+2")
		assert.Equal(t, "Europe/Amsterdam", post["time_zone"])

		// An anonymous Time-Zone changes nobody.
		require.Equal(t, http.StatusOK, b.do(t, e2eReq{method: http.MethodGet, path: "/posts", header: http.Header{"Time-Zone": {"America/New_York"}}}).status)
		me = b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: "/user", token: nina.token}), http.StatusOK)
		assert.Equal(t, "Europe/Amsterdam", me["time_zone"])
	})
	t.Run("PATCH /user sets the zone", func(t *testing.T) {
		me := b.object(t, b.do(t, e2eReq{method: http.MethodPatch, path: "/user", token: nina.token, body: map[string]string{"time_zone": "America/New_York"}}), http.StatusOK)
		assert.Equal(t, "America/New_York", me["time_zone"])
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: "/user", token: nina.token, body: map[string]string{"time_zone": "Nowhere/Land"}}), http.StatusUnprocessableEntity,
			e2eValidation(e2eField("User", "time_zone", "invalid", "time_zone must be an IANA time zone name such as Europe/Amsterdam")))
	})
	t.Run("an invalid published_at is 422", func(t *testing.T) {
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/posts", token: nina.token, body: map[string]string{"title": "x", "published_at": "yesterday"}}), http.StatusUnprocessableEntity,
			e2eValidation(e2eField("Post", "published_at", "invalid", "must be an ISO 8601 date-time such as 2014-02-27T15:05:06+01:00")))
	})
}

func TestE2EMediaTypes(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	root := b.do(t, e2eReq{method: http.MethodGet, path: "/"})
	require.Equal(t, http.StatusOK, root.status)
	for _, tt := range []struct {
		name   string
		accept []string
	}{
		{"no Accept", nil},
		{"application/json", []string{"application/json"}},
		{"*/*", []string{"*/*"}},
		{"this vendor's v3", []string{"application/vnd.myblog.v3+json"}},
		{"this vendor, no version", []string{"application/vnd.myblog+json"}},
		{"GitHub's type, which its clients send", []string{"application/vnd.github.v3+json"}},
		{"another type altogether", []string{"text/html"}},
		{"RFC 9110 12.5.1: v9 refused by q=0, v3 taken", []string{"application/vnd.myblog.v9+json, application/vnd.myblog.v3+json;q=0.5"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodGet, path: "/", header: http.Header{"Accept": tt.accept}})
			assert.Equal(t, http.StatusOK, resp.status)
			assert.Equal(t, string(root.body), string(resp.body), "the default representation")
			assert.Contains(t, resp.header.Get("Vary"), "Accept")
		})
	}
	t.Run("an unserved version of this vendor's type is 406", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodGet, path: "/", header: http.Header{"Accept": {"application/vnd.myblog.v9+json"}}, noQuota: true})
		e2eAssertError(t, resp, http.StatusNotAcceptable,
			e2eError(`Unsupported 'Accept' header: "application/vnd.myblog.v9+json". Must accept one of: application/vnd.myblog.v3+json, application/json.`))
	})
}

// e2eNoUserAgent sends requests without a User-Agent line: net/http's
// transport adds its own unless the header is set to "".
type e2eNoUserAgent struct{ next http.RoundTripper }

func (n e2eNoUserAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", "")
	return n.next.RoundTrip(r)
}

func TestE2EUserAgent(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	client := &http.Client{Transport: e2eNoUserAgent{next: b.client.Transport}, Timeout: 10 * time.Second}
	// The error shape of every other refusal, with GitHub's words.
	page := `{"message":"Request forbidden by administrative rules. Please make sure your request has a User-Agent header.","documentation_url":"https://developer.myblog.com/v3"}`
	for _, req := range []e2eReq{
		{method: http.MethodGet, path: "/"},
		{method: http.MethodPost, path: "/login", body: map[string]string{"username": "x", "password": "y"}},
		{method: http.MethodGet, path: "/nowhere"},
		{method: http.MethodHead, path: "/posts"},
	} {
		t.Run(req.method+" "+req.path, func(t *testing.T) {
			resp := b.send(t, client, req)
			assert.Equal(t, http.StatusForbidden, resp.status)
			assert.Equal(t, "application/json; charset=utf-8", resp.header.Get("Content-Type"))
			assert.Equal(t, "nosniff", resp.header.Get("X-Content-Type-Options"))
			assert.Regexp(t, e2eUUID, resp.header.Get("X-Myblog-Request-Id"))
			assert.Equal(t, strconv.Itoa(len(page)), resp.header.Get("Content-Length"))
			if req.method == http.MethodHead {
				assert.Empty(t, resp.body)
			} else {
				assert.Equal(t, page, string(resp.body))
			}
		})
	}
	t.Run("a blank User-Agent", func(t *testing.T) {
		resp := b.send(t, b.client, e2eReq{method: http.MethodGet, path: "/", header: http.Header{"User-Agent": {"   "}}})
		assert.Equal(t, http.StatusForbidden, resp.status)
		assert.Equal(t, page, string(resp.body))
	})
	t.Run("health checks need none", func(t *testing.T) {
		resp := b.send(t, client, e2eReq{method: http.MethodGet, path: "/healthz"})
		assert.JSONEq(t, `{"status":"ok","stores":{"database":"ok"}}`, string(b.data(t, resp, http.StatusOK)))
	})
}

func TestE2ERequestIDs(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	seen := map[string]bool{}
	for _, req := range []e2eReq{
		{method: http.MethodGet, path: "/"},
		{method: http.MethodGet, path: "/"},
		{method: http.MethodGet, path: "/nowhere"},
		{method: http.MethodPost, path: "/users", body: "{"},
		{method: http.MethodGet, path: "/user", token: "bad", noQuota: true},
		{method: http.MethodGet, path: "/healthz"},
	} {
		resp := b.do(t, req)
		id := resp.header.Get("X-Myblog-Request-Id")
		assert.False(t, seen[id], "request id %s given twice", id)
		seen[id] = true
	}
	// An untrusted peer cannot choose its id.
	resp := b.do(t, e2eReq{method: http.MethodGet, path: "/", header: http.Header{"X-Request-Id": {"chosen-by-client"}, "Request-Id": {"chosen-by-client"}}})
	assert.NotEqual(t, "chosen-by-client", resp.header.Get("X-Myblog-Request-Id"))
}

func TestE2ERequestBodies(t *testing.T) {
	t.Parallel()
	b := e2eStart(t, nil)
	olga := b.signUp(t, "olga")
	for _, tt := range []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"invalid JSON", `{"title": "x",}`, 400, e2eError("Problems parsing JSON")},
		{"an array", `[{"title": "x"}]`, 400, e2eError("Body should be a JSON object")},
		{"a string", `"title"`, 400, e2eError("Body should be a JSON object")},
		{"a title too long", map[string]string{"title": strings.Repeat("t", 257)}, 422, e2eValidation(e2eField("Post", "title", "invalid", "title must be at most 256 bytes"))},
		{"a blank title", map[string]string{"title": ""}, 422, e2eValidation(e2eField("Post", "title", "missing_field", ""))},
		{"over 1 MiB", map[string]string{"title": "big", "body": strings.Repeat("b", 1<<20)}, 413, e2eError("Request body is too large: the limit is 1048576 bytes")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPost, path: "/posts", token: olga.token, body: tt.body}), tt.status, tt.want)
		})
	}
	t.Run("a wrong JSON type is 422 invalid", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts", token: olga.token, body: map[string]any{"title": 5}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.status)
		assert.True(t, strings.HasPrefix(string(resp.body), `{"message":"Validation Failed","documentation_url":"`+documentationURL+`","errors":[{"resource":"Post","field":"title","code":"invalid"`), "%s", resp.body)
	})
	t.Run("unknown fields are ignored", func(t *testing.T) {
		post, _ := b.createPost(t, olga.token, map[string]any{"title": "extra", "colour": "blue"}, nil)
		assert.NotContains(t, post, "colour")
	})
	list := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: "/users/olga/posts"}), http.StatusOK)
	assert.Len(t, list, 1, "only the accepted post was created")
}

// A body must be labelled JSON, as docs/conventions.md asks: 415 otherwise,
// with the Accept the server wants (RFC 9110 §15.5.16).
func TestE2EUnsupportedMediaType(t *testing.T) {
	b := e2eStart(t, nil)
	u := b.signUp(t, "octocat")
	resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts", body: `{"title":"form-encoded by curl -d"}`, token: u.token,
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.status, "%s", resp)
	assert.Equal(t, "application/json", resp.header.Get("Accept"))
	assert.Contains(t, string(resp.body), `"message":"Unsupported Media Type: send the body as application/json"`)
}

// Blank fields are null, never omitted: a post without a body.
func TestE2EBlankBodyIsNull(t *testing.T) {
	b := e2eStart(t, func(c *config) { c.envelope = false })
	u := b.signUp(t, "octocat")
	post, _ := b.createPost(t, u.token, map[string]any{"title": "Only a title"}, nil)
	assert.Nil(t, post["body"])
	assert.Nil(t, post["body_html"])
	assert.Contains(t, post, "body", "present, as null")
}
