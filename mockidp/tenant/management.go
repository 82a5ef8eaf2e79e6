package tenant

import (
	"fmt"
	"strings"
)

// ManagementAPIName is the name of the system API every Auth0 tenant has, whose identifier is
// the tenant's URL followed by api/v2/
// (https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens).
const ManagementAPIName = "Auth0 Management API"

// ManagementAudience is the Management API's identifier in a tenant file, which cannot know the
// URL it will be served at: the Deploy CLI's keyword for the tenant's domain
// (https://auth0.com/docs/deploy-monitor/deploy-cli-tool/keyword-replacement) in the Management
// API's URL. BindIssuer replaces it by the served one, in the API and in its client grants.
const ManagementAudience = "https://##AUTH0_DOMAIN##/api/v2/"

// Management API scopes, as Auth0 names them
// (https://auth0.com/docs/api/management/v2/#!/Users/get_users lists each endpoint's): those of
// the endpoints the emulator serves.
const (
	ScopeReadUsers             = "read:users"
	ScopeCreateUsers           = "create:users"
	ScopeUpdateUsers           = "update:users"
	ScopeDeleteUsers           = "delete:users"
	ScopeReadRoles             = "read:roles"
	ScopeCreateRoles           = "create:roles"
	ScopeUpdateRoles           = "update:roles"
	ScopeDeleteRoles           = "delete:roles"
	ScopeReadRoleMembers       = "read:role_members"
	ScopeCreateRoleMembers     = "create:role_members"
	ScopeReadClients           = "read:clients"
	ScopeReadClientKeys        = "read:client_keys"
	ScopeCreateClients         = "create:clients"
	ScopeUpdateClients         = "update:clients"
	ScopeDeleteClients         = "delete:clients"
	ScopeReadResourceServers   = "read:resource_servers"
	ScopeCreateResourceServers = "create:resource_servers"
	ScopeUpdateResourceServers = "update:resource_servers"
	ScopeDeleteResourceServers = "delete:resource_servers"
	ScopeReadClientGrants      = "read:client_grants"
	ScopeCreateClientGrants    = "create:client_grants"
	ScopeUpdateClientGrants    = "update:client_grants"
	ScopeDeleteClientGrants    = "delete:client_grants"
	ScopeReadSigningKeys       = "read:signing_keys"
	ScopeCreateSigningKeys     = "create:signing_keys"
	ScopeUpdateSigningKeys     = "update:signing_keys"
	ScopeReadLogs              = "read:logs"
	ScopeReadLogsUsers         = "read:logs_users"
)

// ManagementScopes are the scopes of the Management API that the emulator serves.
var ManagementScopes = []string{
	ScopeReadUsers, ScopeCreateUsers, ScopeUpdateUsers, ScopeDeleteUsers,
	ScopeReadRoles, ScopeCreateRoles, ScopeUpdateRoles, ScopeDeleteRoles,
	ScopeReadRoleMembers, ScopeCreateRoleMembers,
	ScopeReadClients, ScopeReadClientKeys, ScopeCreateClients, ScopeUpdateClients, ScopeDeleteClients,
	ScopeReadResourceServers, ScopeCreateResourceServers, ScopeUpdateResourceServers, ScopeDeleteResourceServers,
	ScopeReadClientGrants, ScopeCreateClientGrants, ScopeUpdateClientGrants, ScopeDeleteClientGrants,
	ScopeReadSigningKeys, ScopeCreateSigningKeys, ScopeUpdateSigningKeys,
	ScopeReadLogs, ScopeReadLogsUsers,
}

// managementAPI is the system API as a tenant has it before BindIssuer: RBAC off, so a client
// grant's scopes are what its tokens carry, as on Auth0.
func managementAPI() *API {
	a := &API{Name: ManagementAPIName, Identifier: ManagementAudience, System: true, TokenDialect: DialectAccessToken}
	for _, s := range ManagementScopes {
		a.Scopes = append(a.Scopes, Scope{Value: s})
	}
	return a
}

// ManagementAPI is the tenant's Management API.
func (t *Tenant) ManagementAPI() *API {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.management
}

// BindIssuer gives the Management API its identifier on the tenant served at issuer, issuer +
// "api/v2/", in the API and in the client grants that name it. A tenant is served at one issuer:
// binding it to another is an error.
func (t *Tenant) BindIssuer(issuer string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	old := t.management
	identifier := issuer + "api/v2/"
	switch old.Identifier {
	case identifier:
		return nil
	case ManagementAudience:
	default:
		return fmt.Errorf("tenant: %s is served at %s already, not at %s", t.Name,
			strings.TrimSuffix(old.Identifier, "api/v2/"), issuer)
	}
	if _, taken := t.apis.get(identifier); taken {
		return fmt.Errorf("tenant: an API of %s has the identifier %s, which is the Management API's", t.Name, identifier)
	}
	a := *old
	a.Identifier = identifier
	t.apis.rekey(old.Identifier, identifier, &a)
	t.apisByID[a.ID] = &a
	t.management = &a
	for _, c := range t.clients.all() {
		g, ok := t.grantsByPair[grantPair(c.ClientID, old.Identifier)]
		if !ok {
			continue
		}
		bound := &ClientGrant{ID: g.ID, ClientID: g.ClientID, Audience: identifier, Scope: g.Scope}
		delete(t.grantsByPair, grantPair(c.ClientID, old.Identifier))
		t.grants.replace(g.ID, bound)
		t.grantsByPair[grantPair(c.ClientID, identifier)] = bound
	}
	return nil
}
