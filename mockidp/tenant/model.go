package tenant

import (
	"slices"
	"strings"
	"time"
)

// AppType is an application's Management API `app_type`.
type AppType string

const (
	AppSPA            AppType = "spa"
	AppNative         AppType = "native"
	AppRegularWeb     AppType = "regular_web"
	AppNonInteractive AppType = "non_interactive"
)

// AuthMethod is a client's `token_endpoint_auth_method`.
type AuthMethod string

const (
	AuthNone  AuthMethod = "none"
	AuthPost  AuthMethod = "client_secret_post"
	AuthBasic AuthMethod = "client_secret_basic"
)

// Grant types as Auth0 names them in a client's `grant_types`.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantPasswordRealm     = "http://auth0.com/oauth/grant-type/password-realm"
	GrantImplicit          = "implicit"

	// The grant types of features the emulator does not have. A client may list them, so an
	// exported tenant loads; the token endpoint refuses them as a tenant without the feature does.
	GrantDeviceCode             = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange          = "urn:ietf:params:oauth:grant-type:token-exchange"
	GrantFederatedTokenExchange = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
	GrantMFAOTP                 = "http://auth0.com/oauth/grant-type/mfa-otp"
	GrantMFAOOB                 = "http://auth0.com/oauth/grant-type/mfa-oob"
	GrantMFARecoveryCode        = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
	GrantPasswordlessOTP        = "http://auth0.com/oauth/grant-type/passwordless/otp"
	GrantCIBA                   = "urn:openid:params:grant-type:ciba"
	GrantWebAuthn               = "urn:okta:params:oauth:grant-type:webauthn"
)

// Token dialects of a resource server (`token_dialect`).
const (
	DialectAccessToken      = "access_token"
	DialectAccessTokenAuthz = "access_token_authz"
	DialectRFC9068          = "rfc9068_profile"
	DialectRFC9068Authz     = "rfc9068_profile_authz"
)

// DefaultConnection is the database connection users belong to when they name none, and the one
// a tenant has when it lists no connections, as on a new Auth0 tenant.
const DefaultConnection = "Username-Password-Authentication"

// Forever is the lifetime of what Auth0 calls infinite (refresh_token.infinite_token_lifetime,
// expiration_type non-expiring): a hundred years, so expiry arithmetic needs no special case.
const Forever = 100 * 365 * 24 * time.Hour

// Tenant is a loaded and validated tenant: every application, API, role and user the emulator
// serves. Load builds it item by item with the Prepare and Add methods, which a Management API
// calls the same way; those change the tenant, so nothing may read it meanwhile. Lookups are safe
// for concurrent use.
type Tenant struct {
	Name        string // tenant.friendly_name, else the file's base name
	Settings    Settings
	Clients     []*Client
	APIs        []*API
	Roles       []*Role
	Grants      []*ClientGrant
	Connections []*Connection
	Users       []*User
	Actions     []*Action
	// Bindings are the Actions bound to each trigger the emulator runs, in the order they run.
	Bindings map[string][]Binding
	// SigningKeys are PEM-encoded RSA private keys; the first signs, the rest are published in
	// the JWKS only (the "next" key of an Auth0 tenant, or a key being rotated out).
	SigningKeys [][]byte
	// Warnings are messages for the log: sections the emulator accepts but does not model,
	// Actions that will not run, secrets without a value.
	Warnings []string

	// The lookups, which the Add methods alone fill.
	clientsByID       map[string]*Client
	clientsByName     map[string]*Client
	apisByID          map[string]*API
	usersByID         map[string]*User
	usersByName       map[string]*User // lower-cased email and username
	rolesByName       map[string]*Role
	connectionsByName map[string]*Connection
	actionsByName     map[string]*Action

	// origin is the line of the tenant file that defines an item's field ("" for the item), for
	// messages about a conflict with it; set while Load runs, so a Management API's messages
	// name no lines.
	origin func(item any, field string) int
}

// newTenant is an empty tenant with its lookups.
func newTenant(name string, settings Settings) *Tenant {
	return &Tenant{
		Name:              name,
		Settings:          settings,
		clientsByID:       map[string]*Client{},
		clientsByName:     map[string]*Client{},
		apisByID:          map[string]*API{},
		usersByID:         map[string]*User{},
		usersByName:       map[string]*User{},
		rolesByName:       map[string]*Role{},
		connectionsByName: map[string]*Connection{},
		actionsByName:     map[string]*Action{},
		Bindings:          map[string][]Binding{},
	}
}

// Settings are tenant-wide switches: Auth0's tenant settings plus the few the emulator adds.
type Settings struct {
	FriendlyName string
	// DefaultAudience is tenant.default_audience: the API used when a request names none.
	DefaultAudience string
	// SessionLifetime is tenant.session_lifetime (hours in the file; Auth0's default 72 h).
	SessionLifetime time.Duration
	// IdleSessionLifetime is tenant.idle_session_lifetime (hours in the file; default 72 h).
	IdleSessionLifetime time.Duration
	// EndSessionDiscovery is oidc_logout.rp_logout_end_session_endpoint_discovery (default on):
	// whether discovery advertises end_session_endpoint.
	EndSessionDiscovery bool
	// UserPicker shows the tenant's users as one-click entries on the login page (default on;
	// tenantless.login_user_picker).
	UserPicker bool
	// LogoutRevokesRefreshTokens revokes a session's refresh tokens at logout (default on;
	// tenantless.logout_revokes_refresh_tokens).
	LogoutRevokesRefreshTokens bool
	// AllowedLogoutURLs is tenant.allowed_logout_urls: where /v2/logout may return to when the
	// request names no client.
	AllowedLogoutURLs []string
}

// Client is an application (`clients:` item).
type Client struct {
	Name                    string
	ClientID                string
	ClientSecret            string
	AppType                 AppType
	TokenEndpointAuthMethod AuthMethod
	GrantTypes              []string
	Callbacks               []string
	AllowedLogoutURLs       []string
	WebOrigins              []string
	AllowedOrigins          []string
	// IDTokenLifetime is jwt_configuration.lifetime_in_seconds (Auth0 default 36000 s).
	IDTokenLifetime time.Duration
	RefreshToken    RefreshTokenPolicy
	// Metadata is client_metadata, which Actions read as event.client.metadata.
	Metadata map[string]string
}

// RefreshTokenPolicy is a client's `refresh_token` object.
type RefreshTokenPolicy struct {
	// Rotating is rotation_type "rotating" (default for the emulator: every use issues a new
	// token and reuse of an old one revokes the family).
	Rotating bool
	// Lifetime is token_lifetime (default 30 days); IdleLifetime idle_token_lifetime (15 days).
	// Either is Forever when Auth0 would call it infinite.
	Lifetime     time.Duration
	IdleLifetime time.Duration
	// Leeway is the reuse interval: how long after a rotation the previous token may still be
	// exchanged without counting as reuse (leeway; default 0).
	Leeway time.Duration
}

// Public reports whether the client authenticates with no secret (SPAs, native apps).
func (c *Client) Public() bool { return c.TokenEndpointAuthMethod == AuthNone }

// AllowsGrant reports whether grant is in the client's grant_types.
func (c *Client) AllowsGrant(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// API is a resource server (`resourceServers:` item).
type API struct {
	Name       string
	Identifier string
	Scopes     []Scope
	// EnforcePolicies is RBAC on; with a dialect ending in _authz the access token carries
	// `permissions`.
	EnforcePolicies     bool
	TokenDialect        string
	TokenLifetime       time.Duration // default 86400 s
	TokenLifetimeForWeb time.Duration // implicit/hybrid flows; default 7200 s
	AllowOfflineAccess  bool
}

// PermissionsInToken reports whether tokens for this API carry a `permissions` claim.
func (a *API) PermissionsInToken() bool {
	return a.EnforcePolicies && (a.TokenDialect == DialectAccessTokenAuthz || a.TokenDialect == DialectRFC9068Authz)
}

// HasScope reports whether the API defines the permission.
func (a *API) HasScope(value string) bool {
	return slices.ContainsFunc(a.Scopes, func(s Scope) bool { return s.Value == value })
}

// Scope is a permission an API defines.
type Scope struct {
	Value       string
	Description string
}

// Permission is a permission of one API, as in a role's or user's `permissions` list.
type Permission struct {
	Name string // permission_name
	API  string // resource_server_identifier
}

// Role is a `roles:` item.
type Role struct {
	Name        string
	Description string
	Permissions []Permission
}

// ClientGrant authorises a client to get tokens for an API (`clientGrants:` item).
type ClientGrant struct {
	ClientID string // resolved from client_id, which may name the client as the Deploy CLI does
	Audience string
	Scope    []string
}

// Connection is a database connection users log in through.
type Connection struct {
	Name     string
	Strategy string
}

// User is a `users:` item: Management API user fields plus password, roles and custom claims.
type User struct {
	UserID        string // "auth0|alice"; a bare id gets the "auth0|" prefix
	Email         string
	EmailVerified bool
	Username      string
	Name          string // default: the email
	GivenName     string
	FamilyName    string
	Nickname      string // default: the email's local part
	Picture       string // default: a generated avatar (data URI), so pages work offline
	Locale        string
	PhoneNumber   string
	PhoneVerified bool
	Password      string
	Blocked       bool
	Connection    string // default: Username-Password-Authentication
	// Roles are the tenant's roles; PrepareUser resolves a role given by name alone
	// (&Role{Name: "Reader"}, as a tenant file or a request names it) to the tenant's.
	Roles        []*Role
	Permissions  []Permission // direct permissions, besides those of the roles
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// Claims are custom claims added to the user's ID and access tokens, as an Action's
	// setCustomClaim would.
	Claims    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RoleNames lists the user's role names in file order.
func (u *User) RoleNames() []string {
	names := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		names[i] = r.Name
	}
	return names
}

// PermissionsFor returns the user's permissions on one API, from roles and direct grants,
// sorted and without duplicates.
func (u *User) PermissionsFor(api string) []string {
	var out []string
	add := func(ps []Permission) {
		for _, p := range ps {
			if p.API == api {
				out = append(out, p.Name)
			}
		}
	}
	for _, r := range u.Roles {
		add(r.Permissions)
	}
	add(u.Permissions)
	slices.Sort(out)
	return slices.Compact(out)
}

// AddAPI appends a resource server, which PrepareAPI has passed, and indexes it by identifier.
// An identifier another API already holds stays that API's, as does every key below.
func (t *Tenant) AddAPI(a *API) {
	t.APIs = append(t.APIs, a)
	indexBy(t.apisByID, a.Identifier, a)
}

// AddClient appends an application, which PrepareClient has passed, and indexes it by client_id
// and by name.
func (t *Tenant) AddClient(c *Client) {
	t.Clients = append(t.Clients, c)
	indexBy(t.clientsByID, c.ClientID, c)
	indexBy(t.clientsByName, c.Name, c)
}

// AddRole appends a role, which PrepareRole has passed, and indexes it by name.
func (t *Tenant) AddRole(r *Role) {
	t.Roles = append(t.Roles, r)
	indexBy(t.rolesByName, r.Name, r)
}

// AddGrant appends a client grant, which PrepareGrant has passed.
func (t *Tenant) AddGrant(g *ClientGrant) { t.Grants = append(t.Grants, g) }

// AddConnection appends a connection and indexes it by name.
func (t *Tenant) AddConnection(c *Connection) {
	t.Connections = append(t.Connections, c)
	indexBy(t.connectionsByName, c.Name, c)
}

// AddUser appends a user, which PrepareUser has passed, and indexes it by user_id and by
// lower-cased email and username.
func (t *Tenant) AddUser(u *User) {
	t.Users = append(t.Users, u)
	indexBy(t.usersByID, u.UserID, u)
	indexBy(t.usersByName, strings.ToLower(u.Email), u)
	indexBy(t.usersByName, strings.ToLower(u.Username), u)
}

func indexBy[T any](m map[string]T, key string, item T) {
	if _, taken := m[key]; key != "" && !taken {
		m[key] = item
	}
}

// Client looks an application up by client_id.
func (t *Tenant) Client(id string) (*Client, bool) {
	c, ok := t.clientsByID[id]
	return c, ok
}

// API looks a resource server up by identifier (exact match).
func (t *Tenant) API(identifier string) (*API, bool) {
	a, ok := t.apisByID[identifier]
	return a, ok
}

// User looks a user up by user_id.
func (t *Tenant) User(id string) (*User, bool) {
	u, ok := t.usersByID[id]
	return u, ok
}

// UserByLogin looks a user up by email or username, case-insensitively, as Auth0's database
// connections do.
func (t *Tenant) UserByLogin(login string) (*User, bool) {
	u, ok := t.usersByName[strings.ToLower(login)]
	return u, ok
}

// Connection looks a connection up by name.
func (t *Tenant) Connection(name string) (*Connection, bool) {
	c, ok := t.connectionsByName[name]
	return c, ok
}

// Role looks a role up by name.
func (t *Tenant) Role(name string) (*Role, bool) {
	r, ok := t.rolesByName[name]
	return r, ok
}

// Grant returns the client grant of a client for an audience.
func (t *Tenant) Grant(clientID, audience string) (*ClientGrant, bool) {
	for _, g := range t.Grants {
		if g.ClientID == clientID && g.Audience == audience {
			return g, true
		}
	}
	return nil, false
}
