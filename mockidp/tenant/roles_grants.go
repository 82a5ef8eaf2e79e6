package tenant

var (
	roleSchema = newSchema("role", []string{"name", "description", "permissions"},
		map[string]string{"name": "the role's name, unique in the tenant (users refer to it)"}, "id")
	permissionSchema = newSchema("permission", []string{"permission_name", "resource_server_identifier"},
		map[string]string{
			"permission_name":            "a permission (scope) the API defines",
			"resource_server_identifier": "the identifier of an API in resourceServers",
		},
		"resource_server_name", "description")
	grantSchema = newSchema("client grant", []string{"client_id", "audience", "scope"},
		map[string]string{
			"client_id": "the client_id or the name of a client",
			"audience":  "the identifier of an API in resourceServers",
			"scope":     "a list of permissions the API defines (may be empty)",
		},
		"id", "organization_usage", "allow_any_organization", "is_system", "subject_type",
		"authorization_details_types", "allow_all_scopes")
)

// role decodes one `roles:` item.
func (l *loader) role(f field) {
	r := &Role{}
	l.fields(f, roleSchema, func(g field) {
		switch g.key {
		case "name":
			if l.name(g, &r.Name) && l.unique("role name", r.Name, g) {
				l.t.rolesByName[r.Name] = r
			}
		case "description":
			l.str(g, &r.Description)
		case "permissions":
			r.Permissions = l.permissions(g)
		}
	})
	if r.Name != "" {
		l.t.Roles = append(l.t.Roles, r)
	}
}

// permissions decodes a role's or user's permissions, each of which its API must define.
func (l *loader) permissions(f field) []Permission {
	var out []Permission
	l.items(f, "permissions ({permission_name, resource_server_identifier})", func(g field) {
		var name, api text
		l.fields(g, permissionSchema, func(h field) {
			switch h.key {
			case "permission_name":
				name = l.text(h)
			case "resource_server_identifier":
				api = l.text(h)
			}
		})
		if name.value == "" || api.value == "" {
			return
		}
		a, ok := l.t.apisByID[api.value]
		if !ok {
			l.errorf(api.node, api.path, "no API has the identifier %q; APIs: %s", api.value, l.apiList())
			return
		}
		if !a.HasScope(name.value) {
			l.errorf(name.node, name.path, "API %q defines no permission %q; it defines: %s", a.Identifier, name.value, scopeList(a))
			return
		}
		out = append(out, Permission{Name: name.value, API: api.value})
	})
	return out
}

// grant decodes one `clientGrants:` item.
func (l *loader) grant(f field) {
	g := &ClientGrant{}
	var client, audience text
	var scopes []text
	l.fields(f, grantSchema, func(h field) {
		switch h.key {
		case "client_id":
			client = l.text(h)
		case "audience":
			audience = l.text(h)
		case "scope":
			scopes, _ = l.stringList(h, "permissions")
		}
	})
	if client.value != "" {
		// As the Deploy CLI does, client_id may name the client instead.
		c, ok := l.t.clientsByID[client.value]
		if !ok {
			c, ok = l.clientsByName[client.value]
		}
		if ok {
			g.ClientID = c.ClientID
		} else {
			l.errorf(client.node, client.path, "no client has the client_id or name %q; clients: %s", client.value, l.clientList())
		}
	}
	var a *API
	if audience.value != "" {
		var ok bool
		if a, ok = l.t.apisByID[audience.value]; ok {
			g.Audience = a.Identifier
		} else {
			l.errorf(audience.node, audience.path, "no API has the identifier %q; APIs: %s", audience.value, l.apiList())
		}
	}
	g.Scope = []string{}
	for _, s := range scopes {
		if a != nil && !a.HasScope(s.value) {
			l.errorf(s.node, s.path, "API %q defines no permission %q; it defines: %s", a.Identifier, s.value, scopeList(a))
			continue
		}
		g.Scope = append(g.Scope, s.value)
	}
	if g.ClientID == "" || g.Audience == "" {
		return
	}
	if _, dup := l.t.Grant(g.ClientID, g.Audience); dup {
		l.errorf(f.node, f.path, "duplicate grant: client %q already has a grant for %q", g.ClientID, g.Audience)
		return
	}
	l.t.Grants = append(l.t.Grants, g)
}
