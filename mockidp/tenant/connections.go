package tenant

var (
	connectionFields = []string{"id", "display_name", "options", "enabled_clients", "realms", "metadata",
		"is_domain_connection", "show_as_button", "authentication", "connected_accounts", "provisioning_ticket_url"}
	connectionSchema = newSchema("connection", []string{"name", "strategy"},
		map[string]string{
			"name":     "the connection's name",
			"strategy": "the identity provider, like auth0 or google-oauth2",
		},
		connectionFields...)
	databaseSchema = newSchema("database", []string{"name", "strategy"},
		map[string]string{"name": "the connection's name, like " + DefaultConnection},
		connectionFields...)
)

// connectionSections decodes `connections:` and `databases:`. A tenant that lists neither has the
// one database connection a new Auth0 tenant has.
func (l *loader) connectionSections(connections, databases field) {
	if connections.absent() && databases.absent() {
		l.t.AddConnection(&Connection{Name: DefaultConnection, Strategy: "auth0"})
		return
	}
	l.items(connections, "connections", func(f field) { l.connection(f, connectionSchema) })
	l.items(databases, "database connections", func(f field) { l.connection(f, databaseSchema) })
}

func (l *loader) connection(f field, s *schema) {
	c := &Connection{}
	if s == databaseSchema {
		c.Strategy = "auth0"
	}
	l.begin(f, c)
	l.fields(f, s, func(g field) {
		switch g.key {
		case "name":
			l.name(g, &c.Name)
		case "strategy":
			if l.name(g, &c.Strategy) && s == databaseSchema && c.Strategy != "auth0" {
				l.errorf(g.node, g.path, "a database connection's strategy is auth0; list %q connections under connections:", c.Strategy)
			}
		}
	})
	var errs FieldErrors
	if other, dup := l.t.Connection(c.Name); dup {
		errs.add("name", "duplicate connection name %q%s", c.Name, l.t.firstAt(other, "name"))
	}
	l.place(errs)
	if c.Name != "" && len(errs) == 0 {
		l.t.AddConnection(c)
	}
}
