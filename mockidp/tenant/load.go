package tenant

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Auth0's defaults, applied when the file leaves a value out.
const (
	defaultIDTokenLifetime     = 36000 * time.Second
	defaultRefreshLifetime     = 2592000 * time.Second // 30 days
	defaultRefreshIdleLifetime = 1296000 * time.Second // 15 days
	defaultAPITokenLifetime    = 86400 * time.Second
	defaultWebTokenLifetime    = 7200 * time.Second
	defaultSessionLifetime     = 72 * time.Hour
)

// Bounds Auth0's Management API puts on lifetimes, in seconds.
const (
	maxAPITokenLifetime = 2592000   // resource server token_lifetime: 30 days
	maxIDTokenLifetime  = 2592000   // jwt_configuration.lifetime_in_seconds: 30 days
	maxRefreshLifetime  = 157788000 // refresh_token.token_lifetime: 5 years
	maxSessionHours     = 8760      // one year; Auth0's plans allow less
)

// defaultTimestamp is created_at and updated_at of users that set none: fixed, so tokens minted
// from the same tenant are the same from run to run.
var defaultTimestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const maxErrors = 100

var (
	appTypes    = []string{string(AppSPA), string(AppNative), string(AppRegularWeb), string(AppNonInteractive)}
	authMethods = []string{string(AuthNone), string(AuthPost), string(AuthBasic)}
	dialects    = []string{DialectAccessToken, DialectAccessTokenAuthz, DialectRFC9068, DialectRFC9068Authz}
	// grantTypes are the grant types Auth0 accepts in a client's grant_types, in the order
	// messages list them.
	grantTypes = []string{
		GrantAuthorizationCode, GrantImplicit, GrantRefreshToken, GrantClientCredentials, GrantPassword, GrantPasswordRealm,
		GrantMFAOOB, GrantMFAOTP, GrantMFARecoveryCode, GrantPasswordlessOTP, GrantDeviceCode, GrantTokenExchange,
		GrantCIBA, GrantWebAuthn, GrantFederatedTokenExchange,
	}
)

var (
	sectionSchema = func() *schema {
		s := newSchema("tenant file",
			[]string{"tenant", "clients", "resourceServers", "roles", "clientGrants", "connections", "databases", "users", "tenantless"},
			nil,
			// Auth0 Deploy CLI sections the emulator does not model.
			"actions", "actionModules", "attackProtection", "branding", "connectionProfiles", "customDomains",
			"emailProvider", "emailTemplates", "eventStreams", "flows", "flowVaultConnections", "forms", "hooks",
			"logStreams", "migrations", "networkACLs", "organizations", "pages", "phoneProviders", "phoneTemplates",
			"prompts", "riskAssessment", "rules", "rulesConfigs", "selfServiceProfiles", "supplementalSignals",
			"themes", "tokenExchangeProfiles", "triggers", "userAttributeProfiles",
			"guardianFactors", "guardianFactorProviders", "guardianFactorTemplates", "guardianPhoneFactorMessageTypes",
			"guardianPhoneFactorSelectedProvider", "guardianPolicies")
		s.noun = "section"
		s.ignoredPrefix = "guardian"
		return s
	}()
	tenantSchema = newSchema("tenant",
		[]string{"friendly_name", "default_audience", "session_lifetime", "idle_session_lifetime",
			"session_lifetime_in_minutes", "idle_session_lifetime_in_minutes", "allowed_logout_urls", "oidc_logout"},
		nil,
		"picture_url", "support_email", "support_url", "enabled_locales", "flags", "sandbox_version",
		"sandbox_versions_available", "default_directory", "default_redirection_uri", "error_page", "guardian_mfa_page",
		"change_password", "device_flow", "universal_login", "session_cookie", "sessions", "ephemeral_session_lifetime",
		"idle_ephemeral_session_lifetime", "customize_mfa_in_postlogin_action", "allow_organization_name_in_authentication_api",
		"acr_values_supported", "mtls", "pushed_authorization_requests_supported",
		"authorization_response_iss_parameter_supported", "default_token_quota",
		"skip_non_verifiable_callback_uri_confirmation_prompt", "resource_parameter_profile", "enable_client_connections",
		"phone_consolidated_experience")
	oidcLogoutSchema = newSchema("oidc_logout", []string{"rp_logout_end_session_endpoint_discovery"}, nil)
	tenantlessSchema = newSchema("tenantless",
		[]string{"signing_keys", "login_user_picker", "logout_revokes_refresh_tokens"}, nil)
	signingKeySchema = newSchema("signing key", []string{"file"},
		map[string]string{"file": "a PEM file, relative to the tenant file's directory"})
	apiSchema = newSchema("API",
		[]string{"name", "identifier", "scopes", "enforce_policies", "token_dialect", "token_lifetime",
			"token_lifetime_for_web", "allow_offline_access", "signing_alg", "skip_consent_for_verifiable_first_party_clients"},
		map[string]string{"identifier": "the API's audience, like https://api.example.com"},
		"id", "signing_secret", "verificationLocation", "options", "is_system", "client", "consent_policy",
		"authorization_details", "token_encryption", "proof_of_possession", "subject_type_authorization")
	scopeSchema = newSchema("scope", []string{"value", "description"},
		map[string]string{"value": "the permission's name, like read:messages"})
	clientSchema = newSchema("client",
		[]string{"name", "client_id", "client_secret", "app_type", "token_endpoint_auth_method", "grant_types",
			"callbacks", "allowed_logout_urls", "web_origins", "allowed_origins", "jwt_configuration", "refresh_token",
			"description", "logo_uri", "is_first_party", "oidc_conformant", "cross_origin_auth", "sso",
			"custom_login_page_on"},
		map[string]string{
			"name":      "the application's name, unique in the tenant (client grants may refer to it)",
			"client_id": "a fixed id for the application, like demo-spa (the emulator cannot make one up: apps are configured with it)",
			"app_type":  "one of " + strings.Join(appTypes, ", "),
		},
		"client_aliases", "allowed_clients", "oidc_logout", "oidc_backchannel_logout", "signing_keys", "encryption_key",
		"sso_disabled", "cross_origin_loc", "cross_origin_authentication", "custom_login_page",
		"custom_login_page_preview", "form_template", "addons", "client_metadata", "mobile", "initiate_login_uri",
		"native_social_login", "organization_usage", "organization_require_behavior", "organization_discovery_methods",
		"client_authentication_methods", "require_pushed_authorization_requests", "require_proof_of_possession",
		"signed_request_object", "compliance_level", "default_organization", "is_token_endpoint_ip_header_trusted",
		"callback_url_template", "tenant", "global", "owners", "token_quota", "session_transfer", "par_request_expiry",
		"token_exchange", "resource_server_identifier", "skip_non_verifiable_callback_uri_confirmation_prompt",
		"express_configuration", "async_approval_notification_channels")
	jwtSchema = newSchema("jwt_configuration", []string{"lifetime_in_seconds", "alg"}, nil,
		"secret_encoded", "scopes")
	refreshSchema = newSchema("refresh_token",
		[]string{"rotation_type", "expiration_type", "token_lifetime", "idle_token_lifetime", "leeway",
			"infinite_token_lifetime", "infinite_idle_token_lifetime"},
		nil, "policies")
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
	userSchema = newSchema("user",
		[]string{"user_id", "email", "email_verified", "username", "name", "given_name", "family_name", "nickname",
			"picture", "locale", "phone_number", "phone_verified", "password", "blocked", "connection", "roles",
			"permissions", "app_metadata", "user_metadata", "claims", "created_at", "updated_at"},
		map[string]string{"password": "the login page checks it, so every user needs one (it is test data, kept in plain text)"},
		"verify_email", "identities", "logins_count", "last_login", "last_ip", "last_password_reset", "multifactor")
)

// Load reads the tenant file name from fsys: an Auth0 Deploy CLI tenant.yaml plus `users:` and a
// `tenantless:` section. It resolves references, applies Auth0's defaults and validates
// everything; signing key files are read from fsys, relative to the tenant file's directory.
//
// Problems in the file are returned together as Errors, each naming file, line, column and field.
// Other errors (the file cannot be read) wrap the fs error.
func Load(fsys fs.FS, name string) (*Tenant, error) {
	data, err := readFile(fsys, name, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	l := &loader{
		fsys:          fsys,
		file:          name,
		seen:          map[string]int{},
		logins:        map[string]int{},
		clientsByName: map[string]*Client{},
		connections:   map[string]*Connection{},
	}
	t := l.load(data)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b *Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		if n := len(l.errs); n > maxErrors {
			l.errs = append(l.errs[:maxErrors], &Error{File: name, Msg: fmt.Sprintf("%d more problems not shown", n-maxErrors)})
		}
		return nil, l.errs
	}
	return t, nil
}

// readFile reads at most limit bytes of a file.
func readFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}

// loader holds the state of one Load: the tenant being built and the problems found so far.
type loader struct {
	fsys   fs.FS
	file   string
	errs   Errors
	visits int
	t      *Tenant
	// seen maps a kind and value that must be unique to the line it first appears on.
	seen map[string]int
	// logins maps lower-cased emails and usernames to the line of the user they belong to.
	logins        map[string]int
	clientsByName map[string]*Client
	connections   map[string]*Connection
}

func (l *loader) load(data []byte) *Tenant {
	root := l.parse(data)
	if root == nil {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "", "the top level must be a mapping of sections (%s), got %s",
			strings.Join(sectionSchema.modelled, ", "), describe(root))
		return nil
	}
	l.t = &Tenant{
		Name: strings.TrimSuffix(path.Base(l.file), path.Ext(l.file)),
		Settings: Settings{
			SessionLifetime:            defaultSessionLifetime,
			IdleSessionLifetime:        defaultSessionLifetime,
			EndSessionDiscovery:        true,
			UserPicker:                 true,
			LogoutRevokesRefreshTokens: true,
		},
		clientsByID: map[string]*Client{},
		apisByID:    map[string]*API{},
		usersByID:   map[string]*User{},
		usersByName: map[string]*User{},
		rolesByName: map[string]*Role{},
	}

	sections := map[string]field{}
	skipped := l.fields(field{node: root}, sectionSchema, func(f field) { sections[f.key] = f })
	if len(skipped) > 0 {
		slices.Sort(skipped)
		l.t.Warnings = append(l.t.Warnings, fmt.Sprintf("%s: sections not modelled, ignored: %s", l.file, strings.Join(skipped, ", ")))
	}
	// Sections may come in any order; decode them so that each refers only to decoded ones.
	section := func(key string) field {
		if f, ok := sections[key]; ok {
			return f
		}
		return field{key: key, path: key}
	}
	defaultAudience := l.settings(section("tenant"))
	l.tenantless(section("tenantless"))
	l.items(section("resourceServers"), "APIs (resource servers)", l.api)
	l.items(section("clients"), "clients", l.client)
	l.connectionSections(section("connections"), section("databases"))
	l.items(section("roles"), "roles", l.role)
	l.items(section("clientGrants"), "client grants", l.grant)
	l.items(section("users"), "users", l.user)
	if defaultAudience.value != "" {
		if _, ok := l.t.apisByID[defaultAudience.value]; !ok {
			l.errorf(defaultAudience.node, defaultAudience.path, "no API has the identifier %q; APIs: %s", defaultAudience.value, l.apiList())
		}
		l.t.Settings.DefaultAudience = defaultAudience.value
	}
	if l.t.Settings.FriendlyName != "" {
		l.t.Name = l.t.Settings.FriendlyName
	}
	return l.t
}

var (
	yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// parserProblem matches the problems the YAML parser (rather than its scanner) reports; it
	// numbers their lines from 0.
	parserProblem = regexp.MustCompile(`^(did not find expected|found undefined tag handle|found duplicate %|found incompatible YAML)`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// parse returns the root of the file's single YAML document, or nil after recording why not.
func (l *loader) parse(data []byte) (root *yaml.Node) {
	if line, col, msg := checkText(data); msg != "" {
		l.errs = append(l.errs, &Error{File: l.file, Line: line, Column: col, Msg: msg})
		return nil
	}
	defer func() {
		// The YAML parser is third-party code reading hostile input; whatever it does, Load
		// reports an error rather than crash the server.
		if r := recover(); r != nil {
			l.errs = append(l.errs, &Error{File: l.file, Line: 1, Msg: fmt.Sprintf("not valid YAML: the parser failed: %v", r)})
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.emptyFile()
		} else {
			l.syntaxError(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.syntaxError(data, err)
		return nil
	case len(next.Content) > 0 && next.Content[0].ShortTag() != "!!null":
		l.errorf(&next, "", "a second YAML document starts here; a tenant file holds one")
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		l.emptyFile()
		return nil
	}
	return deref(doc.Content[0])
}

func (l *loader) emptyFile() {
	l.errs = append(l.errs, &Error{File: l.file, Line: 1, Column: 1,
		Msg: "the file is empty; a tenant needs at least one section (" + strings.Join(sectionSchema.modelled, ", ") + ")"})
}

// syntaxError records a YAML parser error. The parser names a line but no column: for a parser
// problem the line where the broken block starts, counted from 0; none when that is the first line.
func (l *loader) syntaxError(data []byte, err error) {
	e := &Error{File: l.file, Line: 1, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = "not valid YAML: " + m[2]
		if parserProblem.MatchString(m[2]) {
			e.Line++
		}
	}
	if m := unknownAnchor.FindStringSubmatch(err.Error()); m != nil {
		e.Msg = fmt.Sprintf("not valid YAML: *%s refers to no anchor (&%s) defined before it", m[1], m[1])
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line = 1 + bytes.Count(data[:i], []byte("\n"))
			e.Column = 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i])
		}
	}
	l.errs = append(l.errs, e)
}

// unique records a value that must not repeat within kind, and reports a repeat.
func (l *loader) unique(kind, value string, f field) bool {
	key := kind + "\x00" + value
	if line, dup := l.seen[key]; dup {
		l.errorf(f.node, f.path, "duplicate %s %q; the first is at line %d", kind, value, line)
		return false
	}
	l.seen[key] = f.node.Line
	return true
}

// text is a string value with its position, kept for checks made after the whole item is read.
func (l *loader) text(f field) text {
	t := text{path: f.path, node: f.node}
	l.str(f, &t.value)
	return t
}

// urls returns the list f of URLs of kind, reporting each that is not one.
func (l *loader) urls(f field, kind urlKind, customSchemes bool) []string {
	list, ok := l.stringList(f, "URLs")
	if !ok {
		return nil
	}
	for _, u := range list {
		if msg := checkURL(u.value, kind, customSchemes); msg != "" {
			l.errorf(u.node, u.path, "%s", msg)
		}
	}
	return values(list)
}

// settings decodes the `tenant:` section and returns default_audience, checked once the APIs are known.
func (l *loader) settings(f field) (defaultAudience text) {
	if f.absent() {
		return text{}
	}
	s := &l.t.Settings
	var hours, idleHours, minutes, idleMinutes field
	l.fields(f, tenantSchema, func(g field) {
		switch g.key {
		case "friendly_name":
			l.name(g, &s.FriendlyName)
		case "default_audience":
			if l.name(g, &defaultAudience.value) {
				defaultAudience.path, defaultAudience.node = g.path, g.node
			}
		case "session_lifetime":
			hours = g
		case "idle_session_lifetime":
			idleHours = g
		case "session_lifetime_in_minutes":
			minutes = g
		case "idle_session_lifetime_in_minutes":
			idleMinutes = g
		case "allowed_logout_urls":
			s.AllowedLogoutURLs = l.urls(g, redirectURL, true)
		case "oidc_logout":
			if !g.absent() {
				l.fields(g, oidcLogoutSchema, func(h field) {
					l.boolean(h, &s.EndSessionDiscovery)
				})
			}
		}
	})
	l.lifetime(hours, minutes, &s.SessionLifetime)
	l.lifetime(idleHours, idleMinutes, &s.IdleSessionLifetime)
	return defaultAudience
}

// lifetime sets *dst from a number of hours or of minutes, of which the file may give one.
func (l *loader) lifetime(hours, minutes field, dst *time.Duration) {
	var v float64
	switch {
	case !hours.absent() && !minutes.absent():
		l.errorf(minutes.node, minutes.path, "set %s or %s, not both", hours.key, minutes.key)
	case l.number(hours, maxSessionHours, &v):
		*dst = time.Duration(v * float64(time.Hour))
	case l.number(minutes, maxSessionHours*60, &v):
		*dst = time.Duration(v * float64(time.Minute))
	}
}

// tenantless decodes the `tenantless:` section: what the emulator needs beyond Auth0's format.
func (l *loader) tenantless(f field) {
	if f.absent() {
		return
	}
	s := &l.t.Settings
	l.fields(f, tenantlessSchema, func(g field) {
		switch g.key {
		case "signing_keys":
			l.items(g, "signing keys ({file: key.pem})", l.signingKey)
		case "login_user_picker":
			l.boolean(g, &s.UserPicker)
		case "logout_revokes_refresh_tokens":
			l.boolean(g, &s.LogoutRevokesRefreshTokens)
		}
	})
}

// signingKey reads one `signing_keys:` entry's PEM file, relative to the tenant file's directory.
func (l *loader) signingKey(f field) {
	l.fields(f, signingKeySchema, func(g field) {
		var file string
		if !l.name(g, &file) {
			return
		}
		p := path.Join(path.Dir(l.file), file)
		if path.IsAbs(file) || strings.Contains(file, `\`) || !fs.ValidPath(p) {
			l.errorf(g.node, g.path, "%q must be a relative path with forward slashes, inside the tenant file's directory", file)
			return
		}
		data, err := readFile(l.fsys, p, 64<<10)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			l.errorf(g.node, g.path, "signing key file not found: looked for %q", p)
			return
		case err != nil:
			l.errorf(g.node, g.path, "cannot read signing key file %q: %v", p, err)
			return
		}
		key, problem := parseSigningKey(data)
		if problem != "" {
			l.errorf(g.node, g.path, "%s %s", p, problem)
			return
		}
		for i, other := range l.t.SigningKeys {
			if bytes.Equal(other, key) {
				l.errorf(g.node, g.path, "%s holds the same key as signing key %d; each key must differ", p, i)
				return
			}
		}
		l.t.SigningKeys = append(l.t.SigningKeys, key)
	})
}

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

// client decodes one `clients:` item.
func (l *loader) client(f field) {
	c := &Client{
		IDTokenLifetime: defaultIDTokenLifetime,
		RefreshToken: RefreshTokenPolicy{
			Rotating:     true,
			Lifetime:     defaultRefreshLifetime,
			IdleLifetime: defaultRefreshIdleLifetime,
		},
	}
	var method, grants, callbacks, logoutURLs, webOrigins, allowedOrigins field
	l.fields(f, clientSchema, func(g field) {
		switch g.key {
		case "name":
			if l.name(g, &c.Name) && l.unique("client name", c.Name, g) {
				l.clientsByName[c.Name] = c
			}
		case "client_id":
			if l.name(g, &c.ClientID) && l.unique("client_id", c.ClientID, g) {
				l.t.clientsByID[c.ClientID] = c
			}
		case "client_secret":
			l.str(g, &c.ClientSecret)
		case "app_type":
			l.enum(g, appTypes, (*string)(&c.AppType))
		case "token_endpoint_auth_method":
			method = g
			l.enum(g, authMethods, (*string)(&c.TokenEndpointAuthMethod))
		case "grant_types":
			grants = g
		case "callbacks":
			callbacks = g
		case "allowed_logout_urls":
			logoutURLs = g
		case "web_origins":
			webOrigins = g
		case "allowed_origins":
			allowedOrigins = g
		case "jwt_configuration":
			l.jwtConfiguration(g, c)
		case "refresh_token":
			l.refreshToken(g, &c.RefreshToken)
		case "description", "logo_uri":
			var s string
			l.str(g, &s)
		case "is_first_party", "oidc_conformant", "cross_origin_auth", "sso", "custom_login_page_on":
			var b bool
			l.boolean(g, &b)
		}
	})
	public := c.AppType == AppSPA || c.AppType == AppNative
	if method.absent() && c.AppType != "" {
		c.TokenEndpointAuthMethod = AuthPost
		if public {
			c.TokenEndpointAuthMethod = AuthNone
		}
	}
	if list, ok := l.stringList(grants, "grant types"); ok {
		c.GrantTypes = []string{}
		for _, g := range list {
			if !slices.Contains(grantTypes, g.value) {
				l.errorf(g.node, g.path, "unknown grant type %q; allowed: %s", g.value, strings.Join(grantTypes, ", "))
				continue
			}
			c.GrantTypes = append(c.GrantTypes, g.value)
		}
		// The client credentials grant authenticates the client alone (RFC 6749 §4.4), which a
		// client without a secret cannot do.
		if c.Public() && c.AllowsGrant(GrantClientCredentials) {
			l.errorf(grants.node, grants.path, "%s needs a client that authenticates; remove it, or set token_endpoint_auth_method to %s or %s",
				GrantClientCredentials, AuthPost, AuthBasic)
		}
	} else {
		c.GrantTypes = defaultGrants(c.AppType, c.Public())
	}
	if c.TokenEndpointAuthMethod != "" && !c.Public() && c.ClientSecret == "" {
		l.errorf(f.node, join(f.path, "client_secret"), "required with token_endpoint_auth_method %s; for a client without a secret set token_endpoint_auth_method: none",
			c.TokenEndpointAuthMethod)
	}
	native := c.AppType == AppNative
	c.Callbacks = l.urls(callbacks, redirectURL, native)
	c.AllowedLogoutURLs = l.urls(logoutURLs, redirectURL, native)
	c.WebOrigins = l.urls(webOrigins, originURL, native)
	c.AllowedOrigins = l.urls(allowedOrigins, originURL, native)
	l.t.Clients = append(l.t.Clients, c)
}

// defaultGrants are the grant types Auth0 gives a new client of each type. A client that cannot
// authenticate does not get client_credentials.
func defaultGrants(t AppType, public bool) []string {
	switch t {
	case AppSPA, AppNative:
		return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken}
	case AppRegularWeb:
		if public {
			return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken}
		}
		return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken, GrantClientCredentials}
	case AppNonInteractive:
		if public {
			return []string{}
		}
		return []string{GrantClientCredentials}
	}
	return nil
}

func (l *loader) jwtConfiguration(f field, c *Client) {
	if f.absent() {
		return
	}
	l.fields(f, jwtSchema, func(g field) {
		switch g.key {
		case "lifetime_in_seconds":
			l.seconds(g, 1, maxIDTokenLifetime, &c.IDTokenLifetime)
		case "alg":
			var alg string
			if l.str(g, &alg) && alg != "RS256" {
				l.errorf(g.node, g.path, "%q is not supported; allowed: RS256 (the emulator signs ID tokens with the tenant's RSA key)", alg)
			}
		}
	})
}

// refreshToken decodes a client's `refresh_token:` object.
func (l *loader) refreshToken(f field, p *RefreshTokenPolicy) {
	if f.absent() {
		return
	}
	rotation, expiration := "rotating", "expiring"
	var expirationField, idleField field
	var infinite, infiniteIdle bool
	l.fields(f, refreshSchema, func(g field) {
		switch g.key {
		case "rotation_type":
			l.enum(g, []string{"rotating", "non-rotating"}, &rotation)
		case "expiration_type":
			expirationField = g
			l.enum(g, []string{"expiring", "non-expiring"}, &expiration)
		case "token_lifetime":
			l.seconds(g, 1, maxRefreshLifetime, &p.Lifetime)
		case "idle_token_lifetime":
			idleField = g
			l.seconds(g, 1, maxRefreshLifetime, &p.IdleLifetime)
		case "leeway":
			l.seconds(g, 0, maxRefreshLifetime, &p.Leeway)
		case "infinite_token_lifetime":
			l.boolean(g, &infinite)
		case "infinite_idle_token_lifetime":
			l.boolean(g, &infiniteIdle)
		}
	})
	p.Rotating = rotation == "rotating"
	if expiration == "non-expiring" {
		if p.Rotating {
			l.errorf(expirationField.node, expirationField.path, "rotating refresh tokens must expire; set expiration_type: expiring, or rotation_type: non-rotating")
		}
		infinite, infiniteIdle = true, true
	}
	switch {
	case infinite || infiniteIdle || p.IdleLifetime <= p.Lifetime:
	case idleField.absent():
		p.IdleLifetime = p.Lifetime // the default idle lifetime never outlasts a shorter set lifetime
	default:
		l.errorf(idleField.node, idleField.path, "must not be longer than token_lifetime (%d s)", p.Lifetime/time.Second)
	}
	if infinite {
		p.Lifetime = Forever
	}
	if infiniteIdle {
		p.IdleLifetime = Forever
	}
}

// connectionSections decodes `connections:` and `databases:`. A tenant that lists neither has the
// one database connection a new Auth0 tenant has.
func (l *loader) connectionSections(connections, databases field) {
	if connections.absent() && databases.absent() {
		c := &Connection{Name: DefaultConnection, Strategy: "auth0"}
		l.t.Connections = append(l.t.Connections, c)
		l.connections[c.Name] = c
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
	var nameField field
	l.fields(f, s, func(g field) {
		switch g.key {
		case "name":
			nameField = g
			l.name(g, &c.Name)
		case "strategy":
			if l.name(g, &c.Strategy) && s == databaseSchema && c.Strategy != "auth0" {
				l.errorf(g.node, g.path, "a database connection's strategy is auth0; list %q connections under connections:", c.Strategy)
			}
		}
	})
	if c.Name != "" && l.unique("connection name", c.Name, nameField) {
		l.connections[c.Name] = c
		l.t.Connections = append(l.t.Connections, c)
	}
}

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

// user decodes one `users:` item.
func (l *loader) user(f field) {
	u := &User{Connection: DefaultConnection, CreatedAt: defaultTimestamp, UpdatedAt: defaultTimestamp}
	var id, email, username, connection text
	l.fields(f, userSchema, func(g field) {
		switch g.key {
		case "user_id":
			id = l.text(g)
		case "email":
			if email = l.text(g); email.value != "" {
				if msg := checkEmail(email.value); msg != "" {
					l.errorf(g.node, g.path, "%s", msg)
				}
			}
		case "username":
			if username = l.text(g); strings.ContainsAny(username.value, "@ \t") {
				l.errorf(g.node, g.path, "%q must not contain @ or spaces (an @ would make it look like an email)", username.value)
			}
		case "email_verified":
			l.boolean(g, &u.EmailVerified)
		case "name":
			l.str(g, &u.Name)
		case "given_name":
			l.str(g, &u.GivenName)
		case "family_name":
			l.str(g, &u.FamilyName)
		case "nickname":
			l.str(g, &u.Nickname)
		case "locale":
			l.str(g, &u.Locale)
		case "picture":
			if l.str(g, &u.Picture) && !strings.HasPrefix(u.Picture, "data:image/") {
				if msg := checkURL(u.Picture, redirectURL, false); msg != "" {
					l.errorf(g.node, g.path, "%s (or a data:image/ URI)", msg)
				}
			}
		case "phone_number":
			if l.str(g, &u.PhoneNumber) {
				if msg := checkPhone(u.PhoneNumber); msg != "" {
					l.errorf(g.node, g.path, "%s", msg)
				}
			}
		case "phone_verified":
			l.boolean(g, &u.PhoneVerified)
		case "password":
			if l.str(g, &u.Password) && u.Password == "" {
				l.errorf(g.node, g.path, "must not be empty: %s", userSchema.required["password"])
			}
		case "blocked":
			l.boolean(g, &u.Blocked)
		case "connection":
			connection = l.text(g)
		case "roles":
			u.Roles = l.userRoles(g)
		case "permissions":
			u.Permissions = l.permissions(g)
		case "app_metadata":
			u.AppMetadata, _ = l.object(g)
		case "user_metadata":
			u.UserMetadata, _ = l.object(g)
		case "claims":
			u.Claims = l.claims(g)
		case "created_at":
			l.timestamp(g, &u.CreatedAt)
		case "updated_at":
			l.timestamp(g, &u.UpdatedAt)
		}
	})
	u.Email, u.Username = email.value, username.value
	login := u.Email
	if login == "" {
		login = u.Username
	}
	if login == "" {
		l.errorf(f.node, join(f.path, "email"), "required: an email or a username, for the user to log in with")
		return
	}
	l.userID(f, u, id, email, username)
	if u.Name == "" {
		u.Name = login
	}
	if u.Nickname == "" {
		u.Nickname, _, _ = strings.Cut(login, "@")
	}
	if u.Picture == "" {
		u.Picture = avatar(u)
	}
	if connection.value != "" {
		u.Connection = connection.value
	}
	if _, ok := l.connections[u.Connection]; !ok {
		if connection.node == nil {
			l.errorf(f.node, join(f.path, "connection"), "users without a connection are in %s, which this tenant does not define; set connection to one of: %s",
				DefaultConnection, l.connectionList())
		} else {
			l.errorf(connection.node, connection.path, "no connection is named %q; connections: %s", u.Connection, l.connectionList())
		}
	}
	for _, t := range []text{email, username} {
		if t.value == "" {
			continue
		}
		key := strings.ToLower(t.value)
		if line, dup := l.logins[key]; dup {
			l.errorf(t.node, t.path, "%q is already the email or username of the user at line %d (compared ignoring case)", t.value, line)
			continue
		}
		l.logins[key] = f.node.Line
		l.t.usersByName[key] = u
	}
	l.t.Users = append(l.t.Users, u)
}

// userID sets u.UserID: user_id with Auth0's "auth0|" prefix added when it has no provider, or
// made from the email's local part (else the username) when the file gives none.
func (l *loader) userID(f field, u *User, id, email, username text) {
	at, source := id, ""
	switch {
	case id.value != "":
		u.UserID = id.value
	case email.value != "":
		local, _, _ := strings.Cut(email.value, "@")
		u.UserID, at, source = local, email, "email"
	default:
		u.UserID, at, source = username.value, username, "username"
	}
	provider, rest, found := strings.Cut(u.UserID, "|")
	switch {
	case !found:
		u.UserID = "auth0|" + u.UserID
	case provider == "" || rest == "":
		l.errorf(id.node, id.path, "%q must be provider|id, like auth0|alice, or an id alone (auth0| is added)", id.value)
		return
	}
	if line, dup := l.seen["user_id\x00"+u.UserID]; dup {
		msg := fmt.Sprintf("duplicate user_id %q; the first is at line %d", u.UserID, line)
		if source != "" {
			msg = fmt.Sprintf("user_id %q, made from the %s %q, is already taken by the user at line %d; set user_id", u.UserID, source, at.value, line)
		}
		l.errorf(at.node, at.path, "%s", msg)
		return
	}
	l.seen["user_id\x00"+u.UserID] = f.node.Line
	l.t.usersByID[u.UserID] = u
}

// userRoles resolves a user's role names.
func (l *loader) userRoles(f field) []*Role {
	names, _ := l.stringList(f, "role names")
	var roles []*Role
	for _, n := range names {
		r, ok := l.t.rolesByName[n.value]
		switch {
		case !ok:
			l.errorf(n.node, n.path, "no role is named %q; roles: %s", n.value, l.roleList())
		case slices.Contains(roles, r):
			l.errorf(n.node, n.path, "role %q is listed twice", n.value)
		default:
			roles = append(roles, r)
		}
	}
	return roles
}

// claims decodes a user's custom claims, refusing the names CheckClaim refuses.
func (l *loader) claims(f field) map[string]any {
	claims, ok := l.object(f)
	if claims == nil {
		return nil
	}
	for i := 0; i < len(f.node.Content); i += 2 {
		k := f.node.Content[i]
		if err := CheckClaim(k.Value); err != nil {
			path := f.path
			if k.Value != "" {
				path = join(f.path, k.Value)
			}
			l.errorf(k, path, "%s", err)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return claims
}

// timestamp sets *dst from an RFC 3339 time.
func (l *loader) timestamp(f field, dst *time.Time) {
	if f.absent() {
		return
	}
	tag := f.node.ShortTag()
	if f.node.Kind == yaml.ScalarNode && (tag == "!!str" || tag == "!!timestamp") {
		if t, err := time.Parse(time.RFC3339Nano, f.node.Value); err == nil {
			*dst = t.UTC()
			return
		}
	}
	l.errorf(f.node, f.path, "must be an RFC 3339 time like 2026-01-01T00:00:00Z, got %s", describe(f.node))
}

// The lists of what a tenant defines, for messages that name a missing item.
func (l *loader) apiList() string {
	return listOf(l.t.APIs, func(a *API) string { return a.Identifier })
}

func (l *loader) clientList() string {
	return listOf(l.t.Clients, func(c *Client) string { return fmt.Sprintf("%s (%s)", c.ClientID, c.Name) })
}

func (l *loader) roleList() string { return listOf(l.t.Roles, func(r *Role) string { return r.Name }) }

func (l *loader) connectionList() string {
	return listOf(l.t.Connections, func(c *Connection) string { return c.Name })
}

func scopeList(a *API) string { return listOf(a.Scopes, func(s Scope) string { return s.Value }) }

func listOf[T any](items []T, name func(T) string) string {
	if len(items) == 0 {
		return "none defined"
	}
	names := make([]string, len(items))
	for i, item := range items {
		names[i] = name(item)
	}
	return strings.Join(names, ", ")
}
