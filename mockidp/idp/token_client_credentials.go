package idp

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// clientCredentialsGrant issues a machine-to-machine access token (github.com/auth0/docs,
// articles/api/authentication/api-authz/_client-credential.md): the audience must be an API the
// client has a client grant for, and the token carries the scopes asked for (all granted ones
// when none are asked for), which must all be granted. Errors are Auth0's 403 access_denied
// with Auth0's texts.
//
// The client has proved its secret: the tenant loader refuses client_credentials for a public
// client, as Auth0 does not offer the grant to SPAs and native apps.
//
// The credentials-exchange Actions run last and may add claims or deny the token.
func (s *Server) clientCredentialsGrant(r *http.Request, c *tenant.Client, p params) (*TokenResponse, error) {
	audience := p["audience"]
	if audience == "" {
		audience = s.tenant.Settings.DefaultAudience
	}
	if audience == "" {
		return nil, newError(http.StatusForbidden, "access_denied",
			"No audience parameter was provided, and no default audience has been configured")
	}
	api, e := s.apiFor(audience)
	if e != nil {
		return nil, e
	}
	grant, ok := s.tenant.Grant(c.ClientID, api.Identifier)
	if !ok {
		return nil, newError(http.StatusForbidden, "access_denied", `Client is not authorized to access "`+
			api.Identifier+`". You need to create a "client-grant" associated to this API. `+
			`See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`)
	}
	scope := grant.Scope
	if requested := uniqueFields(p["scope"]); len(requested) > 0 {
		var missing []string
		for _, sc := range requested {
			if !slices.Contains(grant.Scope, sc) {
				missing = append(missing, sc)
			}
		}
		if len(missing) > 0 {
			return nil, newError(http.StatusForbidden, "access_denied",
				"Client has not been granted scopes: "+strings.Join(missing, ", "))
		}
		scope = requested
	}
	claims, e := s.credentialsExchange(r, c, api, scope, p)
	if e != nil {
		return nil, e
	}
	return s.mint(r.Context(), issue{Client: c, API: api, Scope: scope, GTY: gtyClientCredentials, Claims: claims})
}

// uniqueFields splits a space-separated scope, dropping repeats.
func uniqueFields(scope string) []string {
	var out []string
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}
