package tenant

import (
	"cmp"
	"fmt"
	"slices"
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
		nil,
		"id", "signing_secret", "verificationLocation", "options", "is_system", "client", "consent_policy",
		"authorization_details", "token_encryption", "proof_of_possession", "subject_type_authorization")
	scopeSchema = newSchema("scope", []string{"value", "description"}, nil)
)

// api decodes one `resourceServers:` item.
func (l *loader) api(f field) {
	a := &API{}
	l.begin(f, a)
	var webLifetime field
	l.fields(f, apiSchema, func(g field) {
		switch g.key {
		case "name":
			l.name(g, &a.Name)
		case "identifier":
			l.name(g, &a.Identifier)
		case "scopes":
			l.items(g, "scopes ({value, description})", func(h field) { a.Scopes = append(a.Scopes, l.scope(h)) })
		case "enforce_policies":
			l.boolean(g, &a.EnforcePolicies)
		case "token_dialect":
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
	// The web lifetime is bounded by the API's, which may come after it in the file.
	l.seconds(webLifetime, 1, int64(cmp.Or(a.TokenLifetime, defaultAPITokenLifetime)/time.Second), &a.TokenLifetimeForWeb)
	errs := l.t.PrepareAPI(a)
	l.place(errs)
	if a.Identifier != "" {
		// An API with problems still serves to check what refers to it, with the scopes it has.
		var i int
		a.Scopes = slices.DeleteFunc(a.Scopes, func(Scope) bool {
			i++
			return errs.on(fmt.Sprintf("scopes[%d].value", i-1))
		})
		l.t.AddAPI(a)
	}
}

// scope decodes one of an API's `scopes:`.
func (l *loader) scope(f field) Scope {
	var s Scope
	l.fields(f, scopeSchema, func(g field) {
		switch g.key {
		case "value":
			l.name(g, &s.Value)
		case "description":
			l.str(g, &s.Description)
		}
	})
	return s
}

// PrepareAPI applies Auth0's defaults to a resource server and checks it, and its identifier's
// uniqueness, against the tenant.
func (t *Tenant) PrepareAPI(a *API) FieldErrors {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.prepareAPI(a, nil)
}

// prepareAPI is PrepareAPI for an API that is to replace old (nil for a new one).
func (t *Tenant) prepareAPI(a, old *API) FieldErrors {
	var errs FieldErrors
	if errs.key("identifier", a.Identifier, "the API's audience, like https://api.example.com") {
		if other, dup := t.apis.get(a.Identifier); dup && other != a && other != old {
			errs.conflict("identifier", "duplicate API identifier %q%s", a.Identifier, t.firstAt(other, "identifier"))
		} else if a.ID == "" {
			a.ID = derivedID("", a.Identifier, 24)
		}
	}
	if a.Name == "" {
		a.Name = a.Identifier
	} else if msg := checkName(a.Name); msg != "" {
		errs.add("name", "%s", msg)
	}
	checkScopes(&errs, a.Scopes)
	if a.TokenDialect == "" {
		a.TokenDialect = DialectAccessToken
	}
	if msg := checkEnum("token_dialect", a.TokenDialect, dialects); msg != "" {
		errs.add("token_dialect", "%s", msg)
	} else if strings.HasSuffix(a.TokenDialect, "_authz") && !a.EnforcePolicies {
		// Auth0 puts permissions in tokens only for APIs with RBAC on.
		errs.add("token_dialect", "%s adds permissions to tokens only with RBAC; set enforce_policies: true, or use %s",
			a.TokenDialect, strings.TrimSuffix(a.TokenDialect, "_authz"))
	}
	if a.TokenLifetime == 0 {
		a.TokenLifetime = defaultAPITokenLifetime
	}
	if !errs.seconds("token_lifetime", a.TokenLifetime, 1, maxAPITokenLifetime) {
		return errs
	}
	if a.TokenLifetimeForWeb == 0 {
		a.TokenLifetimeForWeb = min(defaultWebTokenLifetime, a.TokenLifetime)
	}
	errs.seconds("token_lifetime_for_web", a.TokenLifetimeForWeb, 1, int64(a.TokenLifetime/time.Second))
	return errs
}

// checkScopes checks an API's permissions: each named, without spaces, and defined once.
func checkScopes(errs *FieldErrors, scopes []Scope) {
	seen := map[string]bool{}
	for i, s := range scopes {
		field := fmt.Sprintf("scopes[%d].value", i)
		switch {
		case !errs.key(field, s.Value, "the permission's name, like read:messages"):
		case strings.ContainsFunc(s.Value, func(r rune) bool { return r == ' ' || r == '\t' }):
			errs.add(field, "%q must not contain spaces: scopes are space-separated in requests", s.Value)
		case seen[s.Value]:
			errs.add(field, "duplicate scope %q; this API already defines it", s.Value)
		default:
			seen[s.Value] = true
		}
	}
}
