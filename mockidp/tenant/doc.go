// Package tenant owns the emulator's tenant: the model of its applications (clients), APIs
// (resource servers), roles, client grants, connections and users, the rules each of them
// follows, and Load, which reads a tenant from a tenant file.
//
// A tenant file is an Auth0 Deploy CLI tenant.yaml, with each item spelled as in the Management
// API, plus two additions: a `users:` list (Management API user fields with a password, role
// names, permissions and custom claims) and a `tenantless:` section for what only the emulator
// needs (signing_keys, login_user_picker, logout_revokes_refresh_tokens). The Deploy CLI's
// `actions:` and `triggers:` sections load as it exports them, each Action's code read from the
// file its `code` names relative to the tenant file; the tenant checks them but does not run
// them. Sections Auth0 has and the emulator does not model (pages, hooks, ...) load with a
// warning, so an exported tenant does. Load refuses anything it cannot honour: every problem comes back in Errors with the file,
// line, column and field, and a message that says what is allowed.
//
// The rules of one item (Auth0's defaults, the values each field allows, unique names and ids,
// references to other items) are the Prepare methods: PrepareAPI, PrepareClient, PrepareRole,
// PrepareGrant, PrepareUser and PrepareAction. Each completes an item against the tenant as it stands and
// returns its problems as FieldErrors, named by field; the Add methods then index it. Load
// decodes each item of the file into the model and calls them, placing every problem at its
// line; a Management API calls them on an item decoded from a request. CheckClaim is the rule
// for custom claim names, wherever claims are given.
//
// A Tenant is live: the tenant file is its starting state, and the Create, Update and Delete
// methods change it afterwards through the same Prepare rules (one rule, two doors). Items are
// never changed in place: a write builds a new item and swaps it in under the tenant's lock, at
// a cost that does not grow with the tenant, so a reader sees an item before or after a write,
// never half of one. Users hold their roles' ids, resolved when read (RoleNames,
// PermissionsFor), so a change to a role reaches its users' next tokens. Every tenant has the
// system Management API, whose identifier BindIssuer sets for the issuer it is served at.
package tenant
