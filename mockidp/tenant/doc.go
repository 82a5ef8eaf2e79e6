// Package tenant owns the emulator's tenant: the model of its applications (clients), APIs
// (resource servers), roles, client grants, connections and users, and Load, which reads it from
// a tenant file.
//
// A tenant file is an Auth0 Deploy CLI tenant.yaml, with each item spelled as in the Management
// API, plus two additions: a `users:` list (Management API user fields with a password, role
// names, permissions and custom claims) and a `tenantless:` section for what only the emulator
// needs (signing_keys, login_user_picker, logout_revokes_refresh_tokens). Sections Auth0 has and
// the emulator does not model (pages, actions, ...) load with a warning, so an exported tenant
// does. Load applies Auth0's defaults where the file is silent and refuses anything it cannot
// honour: every problem comes back in Errors with the file, line, column and field, and a message
// that says what is allowed.
//
// A loaded Tenant is read-only; its lookups are safe for concurrent use.
package tenant
