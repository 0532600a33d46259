package auth

// TokenRefusal exposes tokenRefusal to the external tests, which hold the
// table of refused tokens.
var TokenRefusal = tokenRefusal
