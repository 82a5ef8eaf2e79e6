// Package web is the demo app's front end: one HTML page, one ES module and one stylesheet,
// embedded in the binary. There is no build step and nothing is loaded from elsewhere.
//
// app.js logs in the way @auth0/auth0-spa-js does, written out by hand so it can be read:
// authorization code flow with PKCE (S256) through the tenant's /authorize, code exchange at
// /oauth/token, ID token claims checked like the SDK checks them, the session restored on reload
// by silent authentication in a hidden iframe (prompt=none, response_mode=web_message), and
// logout through /v2/logout. Before sending the browser to the tenant it checks that the tenant
// answers, so that a stopped emulator gives a message on the page rather than the browser's error
// page. It reads its settings from /auth_config.json, keeps the access token in memory only, and
// calls the API with it.
//
// Stable hooks for browser tests: body[data-state] is "loading", "logged-out" or "logged-in";
// #login, #logout, #profile (#profile-name, #profile-email, #profile-picture), #call-open,
// #call-members, #call-protected, #result-status, #result-body and #error.
package web
