package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/myblog/apikit/observe"
)

// Personal access tokens: opaque tokens the service makes and stores
// itself (as a hash), each with its own scopes, which a user creates for
// a script or a tool, as GitHub's. They start with Config.TokenPrefix
// ("myblog_pat_"), so that the middleware sends them to
// Config.CheckToken rather than to JWT verification, whether they come as
// a bearer token ("Authorization: token ...", "Bearer ...") or as the
// password of HTTP Basic (as GitHub takes them). They are checked on
// every request, never cached, so that a revoked token stops at once;
// they are scoped credentials (RequireScopes), and a wrong one is the
// 401 of any bad credential.

// TokenGrant is what a personal access token grants, as
// Config.CheckToken finds it.
type TokenGrant struct {
	// Subject is the account the token acts for.
	Subject string
	// ID names the token (Identity.TokenID), for logs and revocation.
	ID string
	// Scopes are the token's scopes; a token without any is refused by
	// every RequireScopes route.
	Scopes []string
}

// personalToken checks a personal access token with CheckToken and
// returns the identity it grants, or answers the request: 401 for a
// token CheckToken does not know (ErrBadCredentials), 503 when
// CheckToken fails.
func (a *Authenticator) personalToken(w http.ResponseWriter, r *http.Request, token, via string) (*identityContext, bool) {
	grant, err := a.checkToken(r.Context(), token)
	switch {
	case errors.Is(err, ErrBadCredentials) || (err == nil && grant.Subject == ""):
		challenge := a.invalidChallenge
		if via == "basic" {
			challenge = a.basicChallenge
		}
		a.refuseToken(w, r, challenge, "personal_token", err)
		return nil, false
	case err != nil:
		a.fail(w, r, a.failure(r, "CheckToken", "check_token", err))
		return nil, false
	}
	scopes := grant.Scopes
	if scopes == nil {
		scopes = []string{} // scoped, with none: never unrestricted
	}
	if a.observer != nil {
		a.observer.Observe(observe.Event{Middleware: "auth", Decision: observe.TokenAccepted, Detail: "personal_" + via, Request: r})
	}
	return &identityContext{Context: r.Context(), id: Identity{Subject: grant.Subject, Method: MethodToken, TokenID: grant.ID, Scopes: scopes}}, true
}

// isPersonalToken reports whether s has the prefix of the service's
// personal access tokens.
func (a *Authenticator) isPersonalToken(s string) bool {
	return a.checkToken != nil && a.tokenPrefix != "" && strings.HasPrefix(s, a.tokenPrefix)
}

// checkPersonalConfig refuses CheckToken without TokenPrefix, the
// reverse, and a prefix that another credential could start with.
func checkPersonalConfig(cfg Config) (field, problem string) {
	switch {
	case cfg.CheckToken != nil && cfg.TokenPrefix == "":
		return "TokenPrefix", "required with CheckToken: it tells personal access tokens from the others"
	case cfg.CheckToken == nil && cfg.TokenPrefix != "":
		return "CheckToken", "required with TokenPrefix"
	case cfg.TokenPrefix != "" && (len(cfg.TokenPrefix) < 3 || strings.ContainsAny(cfg.TokenPrefix, ". :")):
		return "TokenPrefix", "at least 3 characters, without dots, spaces or colons (a JWT or a Basic credential must never look like one)"
	}
	return "", ""
}
