// Package auth authenticates API requests with JWT access tokens and HTTP
// Basic, and answers login, token refresh and logout, with a lockout
// against password guessing: the seed's and GitHub's conventions.
//
// # Tokens
//
// Tokens signs and verifies JWTs (github.com/golang-jwt/jwt/v5): access
// tokens live 2 hours and refresh tokens 2 weeks by default. Every token
// carries iss, sub, aud, iat, nbf, exp, a random jti, the session it
// belongs to (sid) and a token_type, so an access token is never accepted
// as a refresh token nor the reverse. HS256 is the default; RS256/384/512,
// PS256/384/512, ES256/384/512 and EdDSA keys are accepted. "alg: none",
// an algorithm other than the key's own, an unknown kid, another issuer or
// audience are always refused. Several keys, chosen by kid, let a service
// rotate keys without logging anyone out.
//
// # The middleware
//
// Authenticator.Handler reads "Authorization: Bearer <token>", GitHub's
// "token <token>" and HTTP Basic (checked by Config.CheckPassword), scheme
// names in any case (RFC 9110 §11.1). A request with valid credentials
// carries its Identity in the context:
//
//	id, ok := auth.IdentityFrom(r.Context())
//
// one without credentials goes on anonymous, and bad credentials are
// answered at once with GitHub's 401:
//
//	HTTP/1.1 401 Unauthorized
//	WWW-Authenticate: Bearer realm="API", error="invalid_token"
//
//	{"message":"Bad credentials","documentation_url":"https://developer.myblog.com/v3"}
//
// Authenticator.Require wraps the routes that need a user: without
// credentials they answer 401 "Requires authentication". CheckOwner makes
// "exists, but not yours" a 404, exactly like "does not exist".
//
// # Login, refresh, logout
//
// Authenticator.Login answers POST {"username" or "email", "password"} with
// the seed's body:
//
//	{"data":{"token":"...","refresh_token":"...","expires_in":7200},"code":"200","msg":"SUCCESS"}
//
// Authenticator.Refresh trades a refresh token (as a bearer token or in
// the body {"refresh_token": "..."}) for a new pair. Refresh tokens rotate:
// each works once, and presenting a used one again revokes its whole
// session, since one of its two holders is a thief. Authenticator.Logout
// revokes a session. Sessions live in a TokenStore: MemoryTokens by
// default, redisstore for several machines.
//
// # Lockout
//
// After Config.MaxFailures (10) wrong passwords within Config.LockoutWindow
// (15 minutes) for one account, and separately from one client IP, every
// further attempt, with the right password too, is answered
//
//	HTTP/1.1 403 Forbidden
//	Retry-After: 840
//
//	{"message":"Maximum number of login attempts exceeded. Please try again later.",...}
//
// until the window has passed. Login and Basic credentials count alike.
// Attempts are counted before the password is checked, so concurrent
// guesses never get more than MaxFailures checks. The counters live in an
// AttemptStore: MemoryAttempts by default, redisstore for several machines.
//
// # Where it sits
//
// In the stack of apikit's design, the middleware comes after CORS (a
// preflight carries no credentials, so it must be answered first) and
// media-type negotiation, and before the rate limiter, which keys quotas by
// the Identity. Mount Refresh and Logout at Config.RefreshPath, where the
// middleware lets a refresh token through to them.
//
// # Cost
//
// Verifying one of the service's own HS256 tokens takes one HMAC and a
// hand-written decoding of its fixed claim set (anything unusual goes to
// encoding/json and golang-jwt, which decide): about 1.5 µs and 4
// allocations per request. The claims of verified access tokens are then
// remembered (Config.TokenCacheSize, 10,000 by default, negative for
// none), keyed by the whole token and used only while its own exp and nbf
// allow, so a client repeating its token costs a lock-free map lookup and
// 2 allocations (the Identity's context and the request copy). The cache
// changes no answer, since access tokens are never revoked early (below);
// a service that must end tokens before their exp checks its revocation
// list in a middleware of its own, after this one, cache or not.
//
// # What it does not do
//
// It does not store users or hash passwords (CheckPassword does, with
// bcrypt or argon2id), issue OAuth authorization codes, or revoke access
// tokens before they expire: logout ends the session's refreshes, and an
// access token already issued lives out its 2 hours, which is why they are
// short. Passwords and tokens never reach a log line or an error body.
//
// See the examples for a service adding login, refresh and a protected
// route.
package auth
