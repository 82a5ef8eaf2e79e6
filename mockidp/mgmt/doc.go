// Package mgmt owns the emulator's Management API v2, served at {issuer}api/v2/ on the live
// tenant: users and their roles and permissions, roles, applications, APIs, client grants,
// signing keys, brute-force blocks and the tenant's logs, in Auth0's shapes, statuses and error
// texts (https://auth0.com/docs/api/management/v2).
//
// A request is authorized as on Auth0: a Bearer access token this tenant signed for the
// audience {issuer}api/v2/, unexpired on the emulator's clock, whose scope holds the endpoint's
// (tenant.ManagementScopes). Writes go through the tenant's Create, Update and Delete methods,
// which apply the tenant file's rules, so whatever the loader refuses the API refuses too.
// Endpoints Auth0 has and the emulator does not answer 501 and name themselves.
package mgmt
