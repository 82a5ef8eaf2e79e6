// Package signing owns the emulator's key set: loading or generating RSA keys, their stable
// `kid`, the self-signed certificates published as `x5c`/`x5t`, the JWKS document in Auth0's
// shape, and RS256 signing and verification with go-jose.
package signing
