package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Personal access tokens end to end: made with the password, shown once,
// used as GitHub's token scheme, as Bearer and as a Basic password, each
// held to its scopes (X-OAuth-Scopes on every answer,
// X-Accepted-OAuth-Scopes and 403 on a route it lacks), listed without
// the token, stored as a hash only, revoked at once.
func TestE2EPersonalTokens(t *testing.T) {
	t.Parallel()
	var blog *app
	b := e2eStartApp(t, nil, &blog)
	ann := b.signUp(t, "ann")
	password := e2eBasic("ann", e2ePassword)

	create := func(t *testing.T, header http.Header, body any) *e2eResp {
		t.Helper()
		return b.do(t, e2eReq{method: http.MethodPost, path: "/authorizations", header: header, body: body})
	}
	resp := create(t, password, map[string]any{"scopes": []string{"posts:read"}, "note": "a reader"})
	reader := b.object(t, resp, http.StatusCreated)
	token, _ := reader["token"].(string)
	require.Regexp(t, `^myblog_pat_[0-9A-Za-z]{40}$`, token)
	assert.Equal(t, b.url+"/authorizations/"+e2eUUIDOf(reader), resp.header.Get("Location"))
	assert.Equal(t, []any{"posts:read"}, reader["scopes"])
	assert.Equal(t, token[len(token)-8:], reader["token_last_eight"])
	assert.Nil(t, reader["last_used_at"])
	writer := b.object(t, create(t, password, map[string]any{"scopes": []string{"posts:write", "posts:read"}, "note": "a writer"}), http.StatusCreated)
	writerToken := writer["token"].(string)

	t.Run("the database holds hashes, never tokens", func(t *testing.T) {
		var hash string
		require.NoError(t, blog.api.store.db.QueryRowContext(context.Background(), `SELECT token_hash FROM personal_tokens WHERE id = $1`, reader["id"]).Scan(&hash))
		assert.Equal(t, hashToken(token), hash)
		var plain int
		require.NoError(t, blog.api.store.db.QueryRowContext(context.Background(),
			`SELECT count(*) FROM personal_tokens WHERE token_hash = $1 OR note = $1 OR scopes = $1`, token).Scan(&plain))
		assert.Zero(t, plain)
	})

	for _, tt := range []struct {
		name   string
		header http.Header
	}{
		{"GitHub's token scheme", http.Header{"Authorization": {"token " + token}}},
		{"Bearer", http.Header{"Authorization": {"Bearer " + token}}},
		{"the password of Basic", e2eBasic("ann", token)},
	} {
		t.Run("a posts:read token as "+tt.name, func(t *testing.T) {
			resp := b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: tt.header})
			assert.Equal(t, "ann", b.object(t, resp, http.StatusOK)["login"])
			assert.Equal(t, "posts:read", resp.header.Get("X-OAuth-Scopes"))

			resp = b.do(t, e2eReq{method: http.MethodPost, path: "/posts", header: tt.header, body: map[string]any{"title": "no"}})
			e2eAssertError(t, resp, http.StatusForbidden, e2eError("Resource not accessible by this token: it has none of the scopes this route accepts"))
			assert.Equal(t, "posts:write", resp.header.Get("X-Accepted-OAuth-Scopes"))
			assert.Contains(t, resp.header.Get("WWW-Authenticate"), `error="insufficient_scope", scope="posts:write"`)
		})
	}

	t.Run("scopes decide, drafts included", func(t *testing.T) {
		bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
		resp := b.do(t, e2eReq{method: http.MethodPost, path: "/posts", header: bearer(writerToken), body: map[string]any{"title": "a draft", "published": false}})
		draft := b.object(t, resp, http.StatusCreated)
		assert.Equal(t, "posts:read, posts:write", resp.header.Get("X-OAuth-Scopes"))
		path := "/posts/" + e2eUUIDOf(draft)
		b.object(t, b.do(t, e2eReq{method: http.MethodGet, path: path, header: bearer(token)}), http.StatusOK)
		none := b.object(t, create(t, password, map[string]any{"scopes": []string{}, "note": "public only"}), http.StatusCreated)["token"].(string)
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodGet, path: path, header: bearer(none)}), http.StatusNotFound, e2eError("Not Found"))
		e2eAssertError(t, b.do(t, e2eReq{method: http.MethodPatch, path: "/user", header: bearer(writerToken), body: map[string]any{"time_zone": "UTC"}}),
			http.StatusForbidden, e2eError("Resource not accessible by this token: it has none of the scopes this route accepts"))
		resp = b.do(t, e2eReq{method: http.MethodPost, path: "/exports", header: bearer(writerToken)})
		assert.Equal(t, http.StatusForbidden, resp.status, "exports need the exports scope")
		resp = b.do(t, e2eReq{method: http.MethodPost, path: "/posts", token: ann.token, body: map[string]any{"title": "with a login token"}})
		assert.Equal(t, http.StatusCreated, resp.status, "a login token is unrestricted")
		assert.Equal(t, "posts:read, posts:write, user, exports", resp.header.Get("X-OAuth-Scopes"))
	})

	t.Run("listed without the token, last use recorded", func(t *testing.T) {
		list := b.list(t, b.do(t, e2eReq{method: http.MethodGet, path: "/authorizations", header: password}), http.StatusOK)
		require.Len(t, list, 3)
		for _, item := range list {
			assert.Nil(t, item["token"], "a token is shown once")
			assert.Contains(t, item, "token_last_eight")
		}
		assert.Equal(t, "a reader", list[0]["note"])
		assert.Regexp(t, regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T`), list[0]["last_used_at"], "used above")
	})

	t.Run("only the account's own credentials manage tokens", func(t *testing.T) {
		for _, header := range []http.Header{{"Authorization": {"token " + writerToken}}, e2eBasic("ann", writerToken)} {
			resp := create(t, header, map[string]any{"scopes": []string{"user"}, "note": "escalate"})
			assert.Equal(t, http.StatusForbidden, resp.status, "%s", resp)
			resp = b.do(t, e2eReq{method: http.MethodGet, path: "/authorizations", header: header})
			assert.Equal(t, http.StatusForbidden, resp.status)
		}
		assert.Equal(t, http.StatusCreated, create(t, http.Header{"Authorization": {"Bearer " + ann.token}}, map[string]any{"note": "with a login token"}).status)
		assert.Equal(t, http.StatusUnauthorized, create(t, nil, map[string]any{"note": "anonymous"}).status)
	})

	t.Run("422 for a bad body", func(t *testing.T) {
		e2eAssertError(t, create(t, password, map[string]any{"scopes": []string{"repo"}, "note": "x"}), http.StatusUnprocessableEntity,
			e2eValidation(e2eField("OauthAccess", "scopes", "invalid", `unknown scope "repo": the scopes are posts:read, posts:write, user, exports`)))
		e2eAssertError(t, create(t, password, map[string]any{"scopes": []string{"user"}}), http.StatusUnprocessableEntity,
			e2eValidation(`{"resource":"OauthAccess","field":"note","code":"missing_field"}`))
		e2eAssertError(t, create(t, password, map[string]any{"note": strings.Repeat("n", 101)}), http.StatusUnprocessableEntity,
			e2eValidation(e2eField("OauthAccess", "note", "invalid", "note is at most 100 characters")))
	})

	t.Run("revoked: 401 at once, and 404 the second time", func(t *testing.T) {
		resp := b.do(t, e2eReq{method: http.MethodDelete, path: "/authorizations/" + e2eUUIDOf(reader), header: password})
		assert.Equal(t, http.StatusNoContent, resp.status, "%s", resp)
		resp = b.do(t, e2eReq{method: http.MethodGet, path: "/user", header: http.Header{"Authorization": {"token " + token}}, noQuota: true})
		e2eAssertError(t, resp, http.StatusUnauthorized, e2eError("Bad credentials"))
		resp = b.do(t, e2eReq{method: http.MethodDelete, path: "/authorizations/" + e2eUUIDOf(reader), header: password})
		assert.Equal(t, http.StatusNotFound, resp.status)
		other := b.signUp(t, "bob")
		resp = b.do(t, e2eReq{method: http.MethodDelete, path: "/authorizations/" + e2eUUIDOf(writer), token: other.token})
		assert.Equal(t, http.StatusNotFound, resp.status, "another user's token is not found")
		assert.Equal(t, "DELETE", b.do(t, e2eReq{method: http.MethodGet, path: "/authorizations/" + e2eUUIDOf(writer), header: password, noQuota: true}).header.Get("Allow"))
		assert.Equal(t, "DELETE, PATCH, POST", b.do(t, e2eReq{method: http.MethodGet, path: "/authorizations/refresh-tokens", noQuota: true}).header.Get("Allow"))
	})
}
