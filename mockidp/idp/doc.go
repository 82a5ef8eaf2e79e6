// Package idp owns the emulator as an http.Handler: the routes of an Auth0 tenant's
// Authentication API (discovery, JWKS, /authorize, the Universal-Login-compatible page,
// /oauth/token, /userinfo, logout, revoke), the SSO sessions, codes and refresh tokens they
// share, CORS, and the tokens they mint. It runs the tenant's Actions where Auth0 does (post-login
// on every flow that issues user tokens, credentials-exchange on client credentials) and puts
// what they ask for into those tokens. It reads no files and no environment: main or a test hands
// it a Config.
//
// Case ids such as S13, in comments and test names, refer to the attack and fault cases of
// docs/security.md.
package idp
