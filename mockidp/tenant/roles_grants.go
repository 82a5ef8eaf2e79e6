package tenant

import "fmt"

var (
	roleSchema       = newSchema("role", []string{"name", "description", "permissions"}, nil, "id")
	permissionSchema = newSchema("permission", []string{"permission_name", "resource_server_identifier"}, nil,
		"resource_server_name", "description")
	grantSchema = newSchema("client grant", []string{"client_id", "audience", "scope"}, nil,
		"id", "organization_usage", "allow_any_organization", "is_system", "subject_type",
		"authorization_details_types", "allow_all_scopes")
)

// role decodes one `roles:` item.
func (l *loader) role(f field) {
	r := &Role{}
	l.begin(f, r)
	l.fields(f, roleSchema, func(g field) {
		switch g.key {
		case "name":
			l.name(g, &r.Name)
		case "description":
			l.str(g, &r.Description)
		case "permissions":
			r.Permissions = l.permissions(g)
		}
	})
	l.place(l.t.PrepareRole(r))
	if r.Name != "" {
		l.t.AddRole(r)
	}
}

// permissions decodes a role's or user's permissions, keeping an empty one in place of each it
// cannot read, so that the tenant's rules name the file's indexes.
func (l *loader) permissions(f field) []Permission {
	var out []Permission
	l.items(f, "permissions ({permission_name, resource_server_identifier})", func(g field) {
		var p Permission
		l.fields(g, permissionSchema, func(h field) {
			switch h.key {
			case "permission_name":
				l.str(h, &p.Name)
			case "resource_server_identifier":
				l.str(h, &p.API)
			}
		})
		out = append(out, p)
	})
	return out
}

// grant decodes one `clientGrants:` item.
func (l *loader) grant(f field) {
	g := &ClientGrant{}
	l.begin(f, g)
	l.fields(f, grantSchema, func(h field) {
		switch h.key {
		case "client_id":
			l.str(h, &g.ClientID)
		case "audience":
			l.str(h, &g.Audience)
		case "scope":
			l.stringList(h, "permissions", &g.Scope)
		}
	})
	errs := l.t.PrepareGrant(g)
	l.place(errs)
	if !errs.on("client_id") && !errs.on("audience") && !errs.on("") {
		l.t.AddGrant(g)
	}
}

// PrepareRole checks a role, the uniqueness of its name and the permissions it grants against
// the tenant.
func (t *Tenant) PrepareRole(r *Role) FieldErrors {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.prepareRole(r, nil)
}

// prepareRole is PrepareRole for a role that is to replace old (nil for a new one).
func (t *Tenant) prepareRole(r, old *Role) FieldErrors {
	var errs FieldErrors
	if errs.key("name", r.Name, "the role's name, unique in the tenant (users refer to it)") {
		if other, dup := t.rolesByName[r.Name]; dup && other != r && other != old {
			errs.conflict("name", "duplicate role name %q%s", r.Name, t.firstAt(other, "name"))
		} else if r.ID == "" {
			r.ID = derivedID("rol_", r.Name, 16)
		}
	}
	t.checkPermissions(&errs, r.Permissions)
	return errs
}

// checkPermissions checks a role's or user's permissions: each must be one its API defines.
func (t *Tenant) checkPermissions(errs *FieldErrors, ps []Permission) {
	for i, p := range ps {
		name, api := fmt.Sprintf("permissions[%d].permission_name", i), fmt.Sprintf("permissions[%d].resource_server_identifier", i)
		if p.Name == "" {
			errs.require(name, "a permission (scope) the API defines")
		}
		if p.API == "" {
			errs.require(api, "the identifier of an API in resourceServers")
		}
		if p.Name == "" || p.API == "" {
			continue
		}
		a, ok := t.apis.get(p.API)
		switch {
		case !ok:
			errs.add(api, "no API has the identifier %q; APIs: %s", p.API, t.apiList())
		case !a.HasScope(p.Name):
			errs.add(name, "API %q defines no permission %q; it defines: %s", a.Identifier, p.Name, scopeList(a))
		}
	}
}

// PrepareGrant resolves a client grant's client (by client_id or, as the Deploy CLI allows, by
// name) and checks its audience and scope against the tenant: the API must exist and define every
// permission, and the client may have one grant per API.
func (t *Tenant) PrepareGrant(g *ClientGrant) FieldErrors {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.prepareGrant(g, nil)
}

// prepareGrant is PrepareGrant for a grant that is to replace old (nil for a new one).
func (t *Tenant) prepareGrant(g, old *ClientGrant) FieldErrors {
	var errs FieldErrors
	if g.ClientID == "" {
		errs.require("client_id", "the client_id or the name of a client")
	} else if c, ok := t.clientByIDOrName(g.ClientID); ok {
		g.ClientID = c.ClientID
	} else {
		errs.add("client_id", "no client has the client_id or name %q; clients: %s", g.ClientID, t.clientList())
	}
	a, ok := t.apis.get(g.Audience)
	switch {
	case g.Audience == "":
		errs.require("audience", "the identifier of an API in resourceServers")
	case !ok:
		errs.add("audience", "no API has the identifier %q; APIs: %s", g.Audience, t.apiList())
	}
	if g.Scope == nil {
		errs.require("scope", "a list of permissions the API defines (may be empty)")
	}
	for i, s := range g.Scope {
		if a != nil && !a.HasScope(s) {
			errs.add(fmt.Sprintf("scope[%d]", i), "API %q defines no permission %q; it defines: %s", a.Identifier, s, scopeList(a))
		}
	}
	if errs.on("client_id") || errs.on("audience") {
		return errs
	}
	if other, dup := t.grantsByPair[grantPair(g.ClientID, g.Audience)]; dup && other != g && other != old {
		errs.conflict("", "duplicate grant: client %q already has a grant for %q", g.ClientID, g.Audience)
	} else if g.ID == "" {
		g.ID = derivedID("cgr_", grantPair(g.ClientID, g.Audience), 16)
	}
	return errs
}

func (t *Tenant) clientByIDOrName(s string) (*Client, bool) {
	if c, ok := t.clients.get(s); ok {
		return c, true
	}
	c, ok := t.clientsByName[s]
	return c, ok
}
