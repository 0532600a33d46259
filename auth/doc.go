// Package auth authenticates API requests with JWT access tokens and HTTP
// Basic, and answers login, token refresh and logout, with a lockout
// against password guessing, in GitHub's shapes.
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
// rotate keys without logging anyone out. NewTokens builds Tokens on their
// own, for a service that only verifies tokens another one issued.
//
// # Tokens of other issuers
//
// A service whose users sign in at an identity provider (Auth0, Keycloak,
// Okta, Entra ID, Google, Dex) lists it in Config.Issuers, or verifies
// its tokens on their own with NewIssuer and Issuer.Verify:
//
//	auth.IssuerConfig{Issuer: "https://tenant.eu.auth0.com/", Audience: "https://api.myblog.com"}
//
// The issuer's keys come from its JWK Set, whose address its OpenID
// configuration (Issuer + "/.well-known/openid-configuration", which must
// name the same issuer) gives, or IssuerConfig.JWKSURL. They are fetched
// at the first token, not at start-up, and cached as the set's HTTP
// caching headers say (max-age less Age, or Expires), between
// RefreshInterval (1 minute) and a day, an hour without any; an expired
// set is revalidated with its ETag or Last-Modified, and while the
// provider is down the keys it gave keep verifying. A token whose kid the
// set does not hold (a key rotation) makes one fetch at once, and then at
// most one per RefreshInterval however many made-up kids arrive, so that
// a client cannot make this service flood the provider.
//
// A token of another issuer is verified by hand, with crypto/rsa,
// crypto/ecdsa and crypto/ed25519: RS256/384/512, PS256/384/512,
// ES256/384/512 or EdDSA (IssuerConfig.Algorithms), each only with a key
// of its own type and the key's "alg" when the key names one; "none" and
// HMAC are never accepted from another issuer, nor a "crit" header; jku,
// x5u and jwk headers are never followed. "iss" must be the issuer
// exactly, "aud" must hold its Audience, "exp" must be there and not
// passed; "nbf" and "iat", when there, must not be in the future; all
// within IssuerConfig.Leeway (30 s, at most 5 minutes); "sub" is
// required. None of this package's own claims (token_type, jti, sid) is.
// Tokens larger than MaxTokenBytes (16 KiB) are refused undecoded. Keys
// are bounded too: RSA moduli of 2048 to 8192 bits, EC points on their
// curves, a set of at most 100 keys and 256 KiB.
//
// The middleware sends a Bearer token to the issuer its "iss" names; the
// service's own tokens, recognised by their header, keep their fast path
// and their cache. A service with no tokens of its own leaves
// Config.Tokens zero: Login, Refresh and Logout then answer 404. Tokens
// of other issuers are not cached: a key the issuer withdraws stops
// verifying its tokens as soon as the set is fetched again. What is
// remembered is the header segment an issuer writes for every token of
// one key, with the key it resolved to: only for tokens that verified,
// only while the key set it was found in is the current one (any fetch
// makes it stale), 64 of them at most; a header differing in one byte is
// decoded and checked whole. Every segment is strict base64url: a line
// break, which encoding/base64 would skip, is refused, so that one token
// has one spelling.
//
// # Claims
//
// The Identity has the standard claims as fields (Subject, TokenID,
// Scopes from "scope" as a string or "scp" as a string or array,
// ExpiresAt, Issuer), and Identity.DecodeClaims decodes every verified
// claim into the handler's own struct: a tenant, roles, permissions.
// The claims are read from the token when asked, so they cost nothing
// until then.
//
// # Personal access tokens
//
// A service that lets users make tokens for scripts, as GitHub's
// personal access tokens, stores them itself (as a hash) and gives the
// middleware Config.TokenPrefix ("myblog_pat_") and Config.CheckToken. A
// bearer token, a "token" token or a Basic password with that prefix
// goes to CheckToken, never to JWT verification or CheckPassword, on
// every request (no cache: a revoked token stops at once), and acts with
// the scopes of its TokenGrant. CheckToken's ErrBadCredentials is the
// 401 of any bad credential; any other error of it a 503.
//
// # Scopes
//
// A credential is unrestricted (HTTP Basic with the account's password,
// a token Login or Refresh issued: the account acting for itself) or
// scoped (a token Issue made with scopes, such as a personal access
// token, or a token of another issuer, by its "scope" or "scp"). Every
// authenticated response carries X-OAuth-Scopes, as GitHub sends it: the
// token's scopes joined by ", ", or for an unrestricted credential
// Config.Scopes. RequireScopes("posts:write") wraps a route: its
// responses carry X-Accepted-OAuth-Scopes, and a scoped credential with
// none of the accepted scopes is answered
//
//	HTTP/1.1 403 Forbidden
//	WWW-Authenticate: Bearer realm="API", error="insufficient_scope", scope="posts:write"
//	X-Accepted-OAuth-Scopes: posts:write
//
//	{"message":"Resource not accessible by this token: it has none of the scopes this route accepts",...}
//
// A scope covers those below it after a colon ("posts" covers
// "posts:write", "user" covers "user:email"). CheckScopes answers a
// private resource's missing scope with the 404 of a missing resource,
// as CheckOwner does.
//
// # The middleware
//
// Authenticator.Handler reads "Authorization: Bearer <token>", GitHub's
// "token <token>" and HTTP Basic (checked by Config.CheckPassword), scheme
// names in any case (RFC 9110 §11.1). A request with valid credentials
// carries its Identity in the context:
//
//	id, ok := auth.FromContext(r.Context())
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
// Authenticator.Login answers POST {"username" or "email", "password"}
// with GitHub's bare body by default:
//
//	{"token":"...","refresh_token":"...","expires_in":7200}
//
// (Config.Render with render.Config{Envelope: true} wraps it as
// {"data":{...},"code":"200","msg":"SUCCESS"}). Authenticator.Refresh
// trades a refresh token (as a bearer token or in the body
// {"refresh_token": "..."}) for a new pair. Refresh tokens rotate: each
// works once, and presenting a used one again revokes its whole session,
// since one of its two holders is a thief. Authenticator.Logout revokes a
// session and answers 204 No Content. Sessions live in a TokenStore:
// MemoryTokens by default, redisstore for several machines.
//
// # Lockout
//
// After Config.MaxFailures (10) wrong passwords within Config.LockoutWindow
// (15 minutes) for one account, and separately from one client, every
// further attempt, with the right password too, is answered
//
//	HTTP/1.1 403 Forbidden
//	Retry-After: 840
//
//	{"message":"Maximum number of login attempts exceeded. Please try again later.",...}
//
// until the window has passed. Login and Basic credentials count alike.
// Attempts are counted before the password is checked, so concurrent
// guesses never get more than MaxFailures checks. A client is counted by
// Config.Resolver's ClientKey: its IPv4 address, or its IPv6 /64
// (forwarded.Config.IPv6Prefix), since one subscriber holds a whole /64;
// a nil Resolver is the direct peer, no forwarding header believed. The
// counters live in an AttemptStore: MemoryAttempts by default, redisstore
// for several machines. A locked-out attempt is refused before the
// password is checked, so it costs no password hash.
//
// # Two-factor codes
//
// With Config.CheckOTP, a right password is not enough for an account
// with a second factor: the request must also carry a code (TOTP, RFC
// 6238: package totp makes and checks them) in one of Config.OTPHeaders
// (GitHub's X-GitHub-OTP by default; X-<Vendor>-OTP in the seed's
// conventions). Without one, or with a wrong or used one, the answer is
// GitHub's:
//
//	HTTP/1.1 401 Unauthorized
//	X-GitHub-OTP: required; app
//	WWW-Authenticate: Basic realm="API", charset="UTF-8"
//
//	{"message":"Must specify two-factor authentication OTP code.",...}
//
// which go-github reports as TwoFactorAuthError. It is asked for with
// Login and with HTTP Basic's password; tokens (access, refresh,
// personal) never need it, since getting one took the code. A wrong code
// counts toward the lockout as a wrong password does, so MaxFailures
// bounds the guesses of a code as of a password; a missing code does
// not count. As on GitHub, a 401 asking for a code tells the client the
// password was right: the lockout bounds the guesses that learn it.
// Keeping each code single-use is CheckOTP's, across instances: the
// service keeps each account's last accepted step (package totp shows
// the conditional UPDATE). Under the Basic cache, a login, password and
// code that passed are remembered together, so a client repeating them
// (go-github's BasicAuthTransport sends its OTP with every request)
// checks the code once; a new code is a new check.
//
// # Basic credentials, repeated
//
// A client using HTTP Basic sends its password with every request, and a
// password check is slow on purpose (bcrypt: tens of milliseconds). A
// Basic credential that passed is remembered for Config.BasicCacheTTL (1
// minute) as an HMAC of the login and password under a key made at
// start-up, never the password itself: the same credential again costs
// about a microsecond, whether or not the request is then refused by the
// rate limiter. Requests carrying one credential at the same time share
// one check and one lockout attempt, so a script's burst of correct
// requests is never taken for guessing. A wrong password is never
// remembered. ForgetCredentials drops a subject's credentials at once
// (call it when the password, the login or the email changes); other
// processes forget them when their BasicCacheTTL has passed.
//
// What a client can still cost: one password check per distinct correct
// credential per BasicCacheTTL, and MaxFailures checks of wrong ones per
// LockoutWindow per client and per account. Concurrent requests with
// different correct credentials from one client (users behind one NAT)
// each count an attempt while they are checked, so more than MaxFailures
// of them at the same instant are refused as a lockout.
//
// # Outages
//
// When the AttemptStore or the TokenStore fails, the request is answered
// 503 "Authentication is temporarily unavailable" with Retry-After: 30,
// logged at Error level (Config.LockoutFailOpen lets password checks go
// on uncounted instead, logged at Warn). A failure of CheckPassword or
// AccountKey is a 500, logged at Error level.
//
// # Refusals and decisions
//
// Every refusal (401, 403, 400/422 on a body, 404, 5xx) goes through
// Config.OnError, an apierrors.Hook, after the middleware has set its
// headers (WWW-Authenticate, Retry-After) and before any status is
// written; the default is Config.Errors.WriteError.
//
// Config.Observer receives every decision, with Middleware "auth" and a
// Detail fit for a metric label:
//
//   - TokenAccepted: an access token authenticated the request; Detail
//     "verified", "cached" when the token cache answered, or "issuer"
//     for a token of one of Config.Issuers. The event's Request carries
//     the Identity.
//   - TokenRefused with Detail "scope": RequireScopes refused a scoped
//     credential (403); with Detail "personal_token": CheckToken did not
//     know a personal access token.
//   - TokenAccepted with Detail "personal_token" or "personal_basic": a
//     personal access token, as a bearer token or a Basic password.
//   - TokenRefused: credentials were refused with 401; Detail "expired",
//     "not_yet_valid", "signature", "key" (unknown kid), "issuer",
//     "audience", "claims", "wrong_type", "malformed", "scheme",
//     "too_large", "duplicate" (two Authorization fields),
//     "basic_disabled", "missing" (Require, Refresh or Logout without
//     credentials), "no_session" or "unknown_session" (a refresh token of
//     no live session).
//   - LoginSucceeded, LoginFailed: a password check; Detail "login" or
//     "basic", and LoginSucceeded "basic_cached" for a remembered Basic
//     credential; LoginFailed "login_otp" or "basic_otp" for a right
//     password with a wrong two-factor code, "login_otp_required" or
//     "basic_otp_required" for one without a code.
//   - LockedOut: the lockout refused a password; Detail "account" or "ip".
//   - Refreshed, RefreshReused: a refresh token rotated, or presented
//     again (its session is revoked).
//   - Invalid: a Login or Refresh body was refused (400, 415, 422);
//     Detail "login" or "refresh".
//   - StoreError: Detail the store operation that failed ("acquire",
//     "release", "reset", "start", "rotate", "revoke") or the function
//     ("check_password", "check_otp", "account_key", "check_token"); Err holds the
//     failure.
//
// A nil Observer costs nothing, and a non-nil one no allocation.
//
// # One clock
//
// Config.Now (default time.Now) is the clock of everything an
// Authenticator does: signing and verifying tokens, the token cache, the
// lockout windows and the refresh sessions. Config.Tokens.Now must stay
// nil; TokenConfig.Now is the clock of Tokens built with NewTokens.
//
// # Where it sits
//
// In the stack order of the module doc (go doc github.com/myblog/apikit),
// the middleware comes after CORS (a preflight carries no credentials, so
// it must be answered first) and media-type negotiation, and before the
// rate limiter, which keys quotas by the Identity. Mount Refresh and
// Logout at Config.RefreshPath, where the middleware lets a refresh token
// through to them.
//
// # Cost
//
// Verifying one of the service's own HS256 tokens takes one HMAC and a
// hand-written decoding of its fixed claim set (anything unusual goes to
// encoding/json and golang-jwt, which decide): about 1 µs and 4
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
// bcrypt or argon2id), issue OAuth authorization codes, or revoke
// access tokens before they expire: logout ends the
// session's refreshes, and an access token already issued lives out its
// 2 hours, which is why they are short. Passwords and tokens never reach
// a log line or an error body.
//
// See the examples for a service adding login, refresh and a protected
// route, a custom OnError and an Observer.
package auth
