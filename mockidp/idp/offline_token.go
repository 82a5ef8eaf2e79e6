package idp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// MintRequest describes tokens minted directly, outside any flow: the offline twin of
// `auth0 test token`, for the token subcommand and Go tests.
type MintRequest struct {
	// User is a user_id, an email or a username. Empty mints a machine-to-machine token for
	// ClientID, as the client-credentials grant would.
	User string
	// ClientID is the application the token is issued to (azp). Empty means, for a user, the
	// first application allowed the authorization_code grant and, for a machine-to-machine
	// token, the first application with a client grant for the audience.
	ClientID string
	// Audience is the API identifier. Empty means the tenant's default audience, else its only
	// API, else (machine-to-machine) the client's only client grant.
	Audience string
	// Scope is space-separated. Empty means everything the subject may have on the API: a
	// user's permissions (or the API's scopes without RBAC), a client's granted scopes. A user
	// gets what they hold of the scope asked for, as at /authorize; a client asking for a scope
	// it was not granted is an error, as at the token endpoint.
	Scope string
	// ExpiresIn replaces the API's access-token lifetime when positive.
	ExpiresIn time.Duration
	// Claims are added to the access token. A name tenant.CheckClaim refuses (iss, sub, aud,
	// scope, permissions, email, ...) is an error, where Auth0 would leave the claim out.
	Claims map[string]any
}

// MintToken mints an access token (and, for a user with the openid scope, an ID token) signed
// with the tenant's key, as the token endpoint would issue it: tokens it returns verify against
// the JWKS of any emulator serving the same tenant file. It issues no refresh token.
func (s *Server) MintToken(req MintRequest) (*TokenResponse, error) {
	s = s.current() // the tenant served now, though s may be the snapshot New returned
	for _, k := range slices.Sorted(maps.Keys(req.Claims)) {
		if err := tenant.CheckClaim(k); err != nil {
			return nil, fmt.Errorf("idp: claims: %w", err)
		}
	}
	if req.ExpiresIn < 0 {
		return nil, errors.New("idp: ExpiresIn must not be negative")
	}
	is := issue{Lifetime: req.ExpiresIn, Claims: req.Claims, NoRefresh: true}
	var err error
	if req.User == "" {
		err = s.machineMint(req, &is)
	} else {
		err = s.userMint(req, &is)
	}
	if err != nil {
		return nil, err
	}
	// Nothing of this call outlives it: a caller's context would only bound the store's writes.
	return s.mint(context.Background(), is)
}

func (s *Server) userMint(req MintRequest, is *issue) error {
	u, ok := s.tenant.User(req.User)
	if !ok {
		if u, ok = s.tenant.UserByLogin(req.User); !ok {
			return fmt.Errorf("idp: no user %q in tenant %q", req.User, s.tenant.Name)
		}
	}
	if u.Blocked {
		return fmt.Errorf("idp: user %q is blocked", req.User)
	}
	c, err := s.mintClient(req.ClientID, func(c *tenant.Client) bool {
		return c.AllowsGrant(tenant.GrantAuthorizationCode)
	}, "allowed the "+tenant.GrantAuthorizationCode+" grant")
	if err != nil {
		return err
	}
	api, err := s.mintAudience(req.Audience, nil)
	if err != nil {
		return err
	}
	requested := req.Scope
	if requested == "" {
		all := make([]string, len(api.Scopes))
		for i, sc := range api.Scopes {
			all[i] = sc.Value
		}
		requested = strings.Join(all, " ")
	}
	is.Client, is.User, is.API = c, u, api
	is.Scope = s.grantedScope(requested, c, u, api)
	return nil
}

func (s *Server) machineMint(req MintRequest, is *issue) error {
	var c *tenant.Client
	var err error
	if req.ClientID != "" {
		if c, err = s.mintClient(req.ClientID, nil, ""); err != nil {
			return err
		}
		if c.Public() {
			return fmt.Errorf("idp: client %q is public (no secret) and cannot get machine-to-machine tokens", c.ClientID)
		}
	}
	api, err := s.mintAudience(req.Audience, c)
	if err != nil {
		return err
	}
	if c == nil {
		if c, err = s.mintClient("", func(c *tenant.Client) bool {
			_, ok := s.tenant.Grant(c.ClientID, api.Identifier)
			return ok && !c.Public()
		}, "with a client grant for "+api.Identifier); err != nil {
			return err
		}
	}
	grant, ok := s.tenant.Grant(c.ClientID, api.Identifier)
	if !ok {
		return fmt.Errorf("idp: client %q has no client grant for %q", c.ClientID, api.Identifier)
	}
	scope := grant.Scope
	if requested := uniqueFields(req.Scope); len(requested) > 0 {
		for _, sc := range requested {
			if !slices.Contains(grant.Scope, sc) {
				return fmt.Errorf("idp: client %q has not been granted scope %q on %q", c.ClientID, sc, api.Identifier)
			}
		}
		scope = requested
	}
	is.Client, is.API, is.Scope, is.GTY = c, api, scope, gtyClientCredentials
	return nil
}

// mintClient finds the named client, or without a name the first one that fits.
func (s *Server) mintClient(id string, fits func(*tenant.Client) bool, what string) (*tenant.Client, error) {
	if id != "" {
		c, ok := s.tenant.Client(id)
		if !ok {
			return nil, fmt.Errorf("idp: no client %q in tenant %q", id, s.tenant.Name)
		}
		return c, nil
	}
	for _, c := range s.tenant.Clients() {
		if fits(c) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("idp: tenant %q has no client %s; name one", s.tenant.Name, what)
}

// mintAudience resolves the API: the named one, the tenant's default audience, its only API,
// or the only API the client (if any) has a client grant for.
func (s *Server) mintAudience(audience string, c *tenant.Client) (*tenant.API, error) {
	if audience == "" {
		audience = s.tenant.Settings.DefaultAudience
	}
	if apis := s.tenant.APIs(); audience == "" && len(apis) == 1 {
		audience = apis[0].Identifier
	}
	if audience == "" && c != nil {
		var granted []string
		for _, g := range s.tenant.Grants() {
			if g.ClientID == c.ClientID {
				granted = append(granted, g.Audience)
			}
		}
		if len(granted) == 1 {
			audience = granted[0]
		}
	}
	if audience == "" {
		return nil, fmt.Errorf("idp: tenant %q has several APIs and no default audience; name one", s.tenant.Name)
	}
	api, ok := s.tenant.API(audience)
	if !ok {
		return nil, fmt.Errorf("idp: no API %q in tenant %q", audience, s.tenant.Name)
	}
	return api, nil
}
