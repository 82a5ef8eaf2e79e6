package mgmt

import (
	"net/http"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// routes registers each endpoint with the scope Auth0 requires for it
// (https://auth0.com/docs/api/management/v2 lists each endpoint's).
func (h *Handler) routes() {
	h.handle("GET /users", tenant.ScopeReadUsers, h.listUsers)
	h.handle("POST /users", tenant.ScopeCreateUsers, h.createUser)
	h.handle("GET /users/{id}", tenant.ScopeReadUsers, h.getUser)
	h.handle("PATCH /users/{id}", tenant.ScopeUpdateUsers, h.updateUser)
	h.handle("DELETE /users/{id}", tenant.ScopeDeleteUsers, h.deleteUser)
	h.handle("GET /users-by-email", tenant.ScopeReadUsers, h.usersByEmail)
	h.handle("GET /users/{id}/roles", tenant.ScopeReadUsers, h.userRoles)
	h.handle("POST /users/{id}/roles", tenant.ScopeUpdateUsers, h.assignUserRoles)
	h.handle("DELETE /users/{id}/roles", tenant.ScopeUpdateUsers, h.removeUserRoles)
	h.handle("GET /users/{id}/permissions", tenant.ScopeReadUsers, h.userPermissions)
	h.handle("POST /users/{id}/permissions", tenant.ScopeUpdateUsers, h.editUserPermissions(addPermissions, http.StatusCreated))
	h.handle("DELETE /users/{id}/permissions", tenant.ScopeUpdateUsers, h.editUserPermissions(removePermissions, http.StatusNoContent))

	h.handle("GET /roles", tenant.ScopeReadRoles, h.listRoles)
	h.handle("POST /roles", tenant.ScopeCreateRoles, h.createRole)
	h.handle("GET /roles/{id}", tenant.ScopeReadRoles, h.getRole)
	h.handle("PATCH /roles/{id}", tenant.ScopeUpdateRoles, h.updateRole)
	h.handle("DELETE /roles/{id}", tenant.ScopeDeleteRoles, h.deleteRole)
	h.handle("GET /roles/{id}/permissions", tenant.ScopeReadRoles, h.rolePermissions)
	h.handle("POST /roles/{id}/permissions", tenant.ScopeUpdateRoles, h.editRolePermissions(addPermissions, http.StatusCreated))
	h.handle("DELETE /roles/{id}/permissions", tenant.ScopeUpdateRoles, h.editRolePermissions(removePermissions, http.StatusNoContent))
	h.handle("GET /roles/{id}/users", tenant.ScopeReadRoleMembers, h.roleUsers)
	h.handle("POST /roles/{id}/users", tenant.ScopeCreateRoleMembers, h.assignRoleUsers)

	h.handle("GET /user-blocks", tenant.ScopeReadUsers, h.getBlocks)
	h.handle("DELETE /user-blocks", tenant.ScopeUpdateUsers, h.deleteBlocks)
	h.handle("GET /user-blocks/{id}", tenant.ScopeReadUsers, h.getUserBlocks)
	h.handle("DELETE /user-blocks/{id}", tenant.ScopeUpdateUsers, h.deleteUserBlocks)

	h.mux.HandleFunc(Prefix, h.notServed)
}

// auth0Collections are the first path segments of Auth0's Management API
// (https://auth0.com/docs/api/management/v2): a request under one that no route serves is an
// endpoint Auth0 has and the emulator does not.
var auth0Collections = []string{
	"actions", "anomaly", "attack-protection", "blacklists", "branding", "client-grants", "clients",
	"connections", "custom-domains", "device-credentials", "email-templates", "emails", "event-streams",
	"flows", "forms", "grants", "guardian", "hooks", "jobs", "keys", "log-streams", "logs",
	"network-acls", "organizations", "prompts", "refresh-tokens", "resource-servers", "risk-assessments",
	"roles", "rules", "rules-configs", "self-service-profiles", "sessions", "stats", "supplemental-signals",
	"tenants", "tickets", "token-exchange-profiles", "user-attribute-profiles", "user-blocks", "users",
	"users-by-email", "verifiable-credentials",
}

// notServed answers what no route serves: 501 naming an Auth0 endpoint the emulator does not
// serve, so that a script learns it rather than getting a silent empty success; 404 for a
// path Auth0 does not have either. Both need a valid token, as on Auth0.
func (h *Handler) notServed(w http.ResponseWriter, r *http.Request) {
	if err := h.authorize(r, ""); err != nil {
		h.fail(w, r, err)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	first, _, _ := strings.Cut(rest, "/")
	for _, c := range auth0Collections {
		if c == first {
			writeError(w, newError(http.StatusNotImplemented, "not_implemented",
				"The emulator does not serve "+r.Method+" "+r.URL.Path+" of the Management API."))
			return
		}
	}
	writeError(w, errUnknownPath)
}
