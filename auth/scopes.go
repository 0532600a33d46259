package auth

import (
	"context"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/observe"
)

// Scopes, the GitHub way. A credential is either unrestricted (the
// account's own password, over HTTP Basic, and the tokens Login and
// Refresh issue without scopes: the account acting for itself) or scoped
// (a token whose "scope" or "scp" claim says what it may do: a personal
// access token Issue made with scopes, a token of another issuer). Every
// authenticated response carries X-OAuth-Scopes, the scopes the
// credential has (for an unrestricted one, Config.Scopes); a route
// wrapped in RequireScopes also carries X-Accepted-OAuth-Scopes, the
// scopes any one of which it accepts, and answers a scoped credential
// that has none of them 403 with the JSON error and the
// WWW-Authenticate challenge of RFC 6750 §3.1 (error="insufficient_scope").
// A scope covers the scopes below it, written after a colon: "posts"
// covers "posts:write", "user" covers "user:email", as GitHub's "user"
// covers "user:email".

// The headers of GitHub's scopes, spelt as GitHub spells them (header
// names are case-insensitive: Header.Get finds them either way).
const (
	HeaderOAuthScopes         = "X-OAuth-Scopes"
	HeaderAcceptedOAuthScopes = "X-Accepted-OAuth-Scopes"
)

// Their canonical forms, the keys of an http.Header.
var (
	oauthScopesKey         = textproto.CanonicalMIMEHeaderKey(HeaderOAuthScopes)
	acceptedOAuthScopesKey = textproto.CanonicalMIMEHeaderKey(HeaderAcceptedOAuthScopes)
)

// MsgInsufficientScope is the message of the 403 a credential without an
// accepted scope gets.
const MsgInsufficientScope = "Resource not accessible by this token: it has none of the scopes this route accepts"

// covers reports whether having scope grants want: the same scope, or a
// parent of it ("posts" grants "posts:write").
func covers(scope, want string) bool {
	return scope == want || (len(want) > len(scope) && want[len(scope)] == ':' && strings.HasPrefix(want, scope))
}

// Unrestricted reports whether the identity acts with every scope: HTTP
// Basic with the account's password, or one of the service's own tokens
// issued without scopes (Login, Refresh).
func (id Identity) Unrestricted() bool { return id.unrestricted }

// CheckScopes returns nil when the request in ctx is authenticated with
// one of accepted (an unrestricted identity has them all), and otherwise
// the 404 Not Found a missing resource answers: for a private resource,
// where a token without the scope must not learn that it exists (as
// CheckOwner, and as GitHub answers). Elsewhere RequireScopes answers
// 403.
func CheckScopes(ctx context.Context, accepted ...string) error {
	if id, ok := FromContext(ctx); ok && id.hasAny(accepted) {
		return nil
	}
	return apierrors.NotFound()
}

// hasAny reports whether id has one of accepted.
func (id Identity) hasAny(accepted []string) bool {
	if id.unrestricted {
		return true
	}
	for _, want := range accepted {
		for _, s := range id.Scopes {
			if covers(s, want) {
				return true
			}
		}
	}
	return false
}

// RequireScopes is Require for a route that accepts any one of accepted:
// a request without credentials is a 401; one whose credential is scoped
// and has none of them is 403 with MsgInsufficientScope and
// WWW-Authenticate: Bearer error="insufficient_scope", scope="...". Its
// responses carry X-Accepted-OAuth-Scopes, the 403 included. Without
// scopes it is Require.
func (a *Authenticator) RequireScopes(accepted ...string) func(http.Handler) http.Handler {
	header := []string{strings.Join(accepted, ", ")}
	challenge := a.bearerChallenge + `, error="insufficient_scope", scope=` + strconv.Quote(strings.Join(accepted, " "))
	return func(next http.Handler) http.Handler {
		if len(accepted) == 0 {
			return a.Require(next)
		}
		return a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()[acceptedOAuthScopesKey] = header
			id, _ := FromContext(r.Context())
			if !id.hasAny(accepted) {
				a.emit(r, observe.TokenRefused, "scope", nil)
				a.fail(w, r, &apierrors.Error{
					Status:  http.StatusForbidden,
					Message: MsgInsufficientScope,
					ID:      "insufficient_scope",
					Header:  http.Header{"Www-Authenticate": {challenge}},
				})
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// scopesHeader is X-OAuth-Scopes for id: its scopes, or for an
// unrestricted identity Config.Scopes, joined by ", " as GitHub writes
// them.
func (a *Authenticator) scopesHeader(id *Identity) []string {
	if id.unrestricted {
		return a.allScopes
	}
	if len(id.Scopes) == 0 {
		return emptyScopes
	}
	return []string{strings.Join(id.Scopes, ", ")}
}

var emptyScopes = []string{""}
