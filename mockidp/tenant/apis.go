package tenant

import (
	"strings"
	"time"
)

// Auth0's defaults for an API's access-token lifetimes.
const (
	defaultAPITokenLifetime = 86400 * time.Second
	defaultWebTokenLifetime = 7200 * time.Second
)

// maxAPITokenLifetime bounds token_lifetime, in seconds (30 days), as Auth0's Management API does.
const maxAPITokenLifetime = 2592000

var (
	dialects  = []string{DialectAccessToken, DialectAccessTokenAuthz, DialectRFC9068, DialectRFC9068Authz}
	apiSchema = newSchema("API",
		[]string{"name", "identifier", "scopes", "enforce_policies", "token_dialect", "token_lifetime",
			"token_lifetime_for_web", "allow_offline_access", "signing_alg", "skip_consent_for_verifiable_first_party_clients"},
		map[string]string{"identifier": "the API's audience, like https://api.example.com"},
		"id", "signing_secret", "verificationLocation", "options", "is_system", "client", "consent_policy",
		"authorization_details", "token_encryption", "proof_of_possession", "subject_type_authorization")
	scopeSchema = newSchema("scope", []string{"value", "description"},
		map[string]string{"value": "the permission's name, like read:messages"})
)

// api decodes one `resourceServers:` item.
func (l *loader) api(f field) {
	a := &API{
		TokenDialect:  DialectAccessToken,
		TokenLifetime: defaultAPITokenLifetime,
	}
	var dialect, webLifetime field
	l.fields(f, apiSchema, func(g field) {
		switch g.key {
		case "name":
			l.name(g, &a.Name)
		case "identifier":
			if l.name(g, &a.Identifier) && l.unique("API identifier", a.Identifier, g) {
				l.t.apisByID[a.Identifier] = a
			}
		case "scopes":
			l.items(g, "scopes ({value, description})", func(h field) { l.scope(h, a) })
		case "enforce_policies":
			l.boolean(g, &a.EnforcePolicies)
		case "token_dialect":
			dialect = g
			l.enum(g, dialects, &a.TokenDialect)
		case "token_lifetime":
			l.seconds(g, 1, maxAPITokenLifetime, &a.TokenLifetime)
		case "token_lifetime_for_web":
			webLifetime = g
		case "allow_offline_access":
			l.boolean(g, &a.AllowOfflineAccess)
		case "signing_alg":
			var alg string
			if l.str(g, &alg) && alg != "RS256" {
				l.errorf(g.node, g.path, "%q is not supported; allowed: RS256 (the emulator signs with the tenant's RSA key)", alg)
			}
		case "skip_consent_for_verifiable_first_party_clients":
			var skip bool // the emulator shows no consent screen
			l.boolean(g, &skip)
		}
	})
	if a.Name == "" {
		a.Name = a.Identifier
	}
	// Auth0 puts permissions in tokens only for APIs with RBAC on.
	if strings.HasSuffix(a.TokenDialect, "_authz") && !a.EnforcePolicies {
		l.errorf(dialect.node, dialect.path, "%s adds permissions to tokens only with RBAC; set enforce_policies: true, or use %s",
			a.TokenDialect, strings.TrimSuffix(a.TokenDialect, "_authz"))
	}
	a.TokenLifetimeForWeb = min(defaultWebTokenLifetime, a.TokenLifetime)
	l.seconds(webLifetime, 1, int64(a.TokenLifetime/time.Second), &a.TokenLifetimeForWeb)
	if a.Identifier != "" {
		l.t.APIs = append(l.t.APIs, a)
	}
}

func (l *loader) scope(f field, a *API) {
	var s Scope
	l.fields(f, scopeSchema, func(g field) {
		switch g.key {
		case "value":
			if !l.name(g, &s.Value) {
				return
			}
			if strings.ContainsFunc(s.Value, func(r rune) bool { return r == ' ' || r == '\t' }) {
				l.errorf(g.node, g.path, "%q must not contain spaces: scopes are space-separated in requests", s.Value)
				s.Value = ""
				return
			}
			if a.HasScope(s.Value) {
				l.errorf(g.node, g.path, "duplicate scope %q; this API already defines it", s.Value)
				s.Value = ""
			}
		case "description":
			l.str(g, &s.Description)
		}
	})
	if s.Value != "" {
		a.Scopes = append(a.Scopes, s)
	}
}
