// Package jwtauth protects Echo routes with Auth0-style access tokens: RS256 JWTs signed by a key
// the issuer publishes at its JWKS URL. It is small on purpose, so that it can be read in one
// sitting and copied into another service.
//
//	v, err := jwtauth.New(jwtauth.Config{
//		Issuer:   "https://YOUR_TENANT.auth0.com/", // exactly the "iss" of your tokens
//		Audience: "https://api.example.com",        // your API identifier
//	})
//	...
//	e.GET("/api/members-only", members, jwtauth.Middleware(v))
//	e.GET("/api/protected", protected, jwtauth.Middleware(v), jwtauth.RequirePermissions("read:protected"))
//
// What a token must satisfy (RFC 8725, the JWT best current practices):
//   - Header: "alg" is exactly RS256 (no "none", no HMAC, no other asymmetric algorithm); "kid" is
//     present and is used only as a lookup key into the issuer's JWKS; "jku", "x5u", "jwk" and
//     "x5c" are never consulted; "crit" and "b64" are refused.
//   - Signature: verified with the JWKS key whose "kid" matches; that key must be RSA (≥ 2048
//     bits), and its "use" and "alg", when present, must be "sig" and "RS256".
//   - Claims, decoded by go-jose (duplicate members refused, names case-sensitive): "iss" equals
//     Config.Issuer byte for byte (Auth0's trailing slash matters); "aud" is a string or an array
//     that contains Config.Audience; "exp" is required; "exp", "nbf" and "iat" are checked with
//     Config.Leeway (default 60 s).
//
// Decisions, each asserted by a test:
//   - The signing keys cannot be fetched and none were ever fetched: 503 with
//     {"error":"temporarily_unavailable"} and Retry-After, not 401. The token may be perfectly
//     good; telling the client it is invalid would make it throw the token away or log the user
//     out. Once keys have been fetched, a failed refresh keeps them in use.
//   - RequirePermissions reads only the "permissions" claim (Auth0 RBAC with "Add Permissions in
//     the Access Token"). A permission that appears only in "scope" does not count: with RBAC on,
//     "scope" reflects what the client asked for, not what the user was granted. APIs without
//     RBAC use RequireScopes, which reads only "scope".
//   - Verified tokens are cached (Config.TokenCacheSize, Config.TokenCacheTTL), keyed by the exact
//     token string. A cache hit re-runs every check that can change over time: "exp", "nbf" and
//     "iat" against the current clock, and the key that verified the token must still be the key
//     the JWKS currently publishes under that "kid" (so a key dropped by a refresh invalidates
//     every token it verified). Issuer and audience are fixed per Validator and the signature
//     covers the whole token, so nothing else can change.
//
// JWKS caching: the key set is fetched on first use from Config.JWKSURL (default Issuer +
// ".well-known/jwks.json") and kept for the response's Cache-Control max-age clamped to
// [MinKeyTTL, MaxKeyTTL] (DefaultKeyTTL without one). Past that lifetime it is served stale while
// it is refetched (RFC 5861's stale-while-revalidate): a token whose "kid" is in the cached set is
// verified at once and the refetch runs in the background, so a slow or hanging JWKS delays no
// request those keys can answer. A key the refetch no longer finds stops verifying as soon as the
// refetch ends. Only a request that has no key to use waits for a fetch: the first one, and one
// whose "kid" is unknown, because that is how a rotation shows up; with a fresh set, such a refetch
// happens at most once per Config.RefetchInterval, like jwks-rsa's jwksRequestsPerMinute.
// Concurrent refetches collapse into one HTTP request, which is bounded in time
// (Config.FetchTimeout, so no background fetch outlives it) and size (Config.MaxJWKSBytes). After a
// failed fetch the next attempt waits Config.RefetchInterval.
//
// Errors follow RFC 6750 §3 and are written in one place: no token → 401 with a bare
// `Bearer realm="api"` challenge; malformed request → 400 invalid_request; bad token → 401
// invalid_token; missing permission → 403 insufficient_scope. Every header value is a constant of
// this package: nothing from the token is ever echoed.
//
// Case ids such as A27, in comments and test names, refer to the attack and fault cases of
// docs/security.md.
package jwtauth
