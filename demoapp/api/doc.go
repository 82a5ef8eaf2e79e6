// Package api is the demo app as an *echo.Echo: the Express app of Auth0's "Node.js (Express)
// API + vanilla JS SPA" sample, in Go.
//
//	GET /api/open          anyone
//	GET /api/members-only  a valid access token for the API
//	GET /api/protected     a valid access token whose "permissions" include read:protected
//	GET /auth_config.json  what the front end needs: domain, issuer, clientId, audience
//	GET /                  the front end (package web)
//
// Each route answers HEAD like GET; another method is 405 with Allow, and an unknown path is 404,
// both with the API's JSON error shape and Cache-Control: no-store.
//
// Tokens are checked by package jwtauth; nothing here knows whether the issuer is a real Auth0
// tenant or the emulator. Every response carries security headers whose Content-Security-Policy
// lets the page talk to the issuer's origin and nothing else: fetch for /oauth/token, a frame for
// silent authentication. Request bodies are capped, and each request is logged once, with its
// path but never its query string or headers, so no token reaches the log.
package api
