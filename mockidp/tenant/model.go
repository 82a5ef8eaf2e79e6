package tenant

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// Tenant is a live tenant: every application, API, role, client grant, connection and user the
// emulator serves. Load builds it from a tenant file item by item with the Prepare and Add
// methods; the Create, Update and Delete methods (live.go) change it afterwards, as a Management
// API does, through the same rules. Its items are never changed once added: a write publishes a
// new item in the place of the old one, so a reader holding an item sees it whole. Every method
// is safe for concurrent use.
type Tenant struct {
	Name     string // tenant.friendly_name, else the file's base name
	Settings Settings
	// Actions and Bindings are the tenant file's: only the loader adds to them, and the
	// Management API does not change them, so they are read without the lock.
	Actions []*Action
	// Bindings are the Actions bound to each trigger the emulator runs, in the order they run.
	Bindings map[string][]Binding
	// SigningKeys are PEM-encoded RSA private keys; the first signs, the rest are published in
	// the JWKS only (the "next" key of an Auth0 tenant, or a key being rotated out).
	SigningKeys [][]byte
	// Warnings are messages for the log: sections the emulator accepts but does not model,
	// Actions that will not run, secrets without a value.
	Warnings []string

	// mu guards the items and their lookups: a write holds it to swap one item, so a reader
	// sees the tenant before or after the write.
	mu          sync.RWMutex
	clients     ordered[*Client]      // by client_id
	apis        ordered[*API]         // by identifier
	roles       ordered[*Role]        // by id
	grants      ordered[*ClientGrant] // by id
	connections ordered[*Connection]  // by name
	users       ordered[*User]        // by user_id

	clientsByName map[string]*Client
	apisByID      map[string]*API         // by the Management API's id
	usersByName   map[string]*User        // lower-cased email and username
	rolesByName   map[string]*Role        //
	grantsByPair  map[string]*ClientGrant // client_id and audience, grantPair
	actionsByName map[string]*Action      // filled by the loader alone, like Actions
	// management is the system API, which APIs does not list.
	management *API
	// clientsVersion counts the writes to applications, for what is derived from all of them.
	clientsVersion atomic.Uint64

	// origin is the line of the tenant file that defines an item's field ("" for the item), for
	// messages about a conflict with it; set while Load runs, so a Management API's messages
	// name no lines.
	origin func(item any, field string) int
}

// newTenant is an empty tenant with the Management API.
func newTenant(name string, settings Settings) *Tenant {
	t := &Tenant{Name: name, Settings: settings}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	return t
}

// init makes the lookups of a tenant that has none, so that a Tenant literal is an empty
// tenant. Writers call it under the lock.
func (t *Tenant) init() {
	if t.management != nil {
		return
	}
	t.clients = newOrdered[*Client]()
	t.apis = newOrdered[*API]()
	t.roles = newOrdered[*Role]()
	t.grants = newOrdered[*ClientGrant]()
	t.connections = newOrdered[*Connection]()
	t.users = newOrdered[*User]()
	t.clientsByName = map[string]*Client{}
	t.apisByID = map[string]*API{}
	t.usersByName = map[string]*User{}
	t.rolesByName = map[string]*Role{}
	t.grantsByPair = map[string]*ClientGrant{}
	t.actionsByName = map[string]*Action{}
	if t.Bindings == nil {
		t.Bindings = map[string][]Binding{}
	}
	t.management = managementAPI()
	t.prepareAPI(t.management, nil)
	t.apis.add(t.management.Identifier, t.management)
	t.apisByID[t.management.ID] = t.management
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
	// ID is the Management API's id of the resource server; PrepareAPI makes one from the
	// identifier when none is given.
	ID         string
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
	// System marks the Management API every tenant has (is_system), which no write may change.
	System bool
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
	// ID is the Management API's id ("rol_" and 16 characters); PrepareRole makes one from the
	// name when none is given, so a tenant file's roles keep their ids across restarts.
	ID          string
	Name        string
	Description string
	Permissions []Permission
}

// ClientGrant authorises a client to get tokens for an API (`clientGrants:` item).
type ClientGrant struct {
	// ID is the Management API's id ("cgr_" and 16 characters); PrepareGrant makes one from the
	// client and audience when none is given.
	ID       string
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
	// Roles are the ids of the user's roles. A tenant file names its roles: PrepareUser takes a
	// role's id or name and keeps the id. Tenant.RoleNames and Tenant.PermissionsFor resolve them
	// when read, so that a change to a role reaches its users' next tokens, and a deleted role
	// leaves them.
	Roles        []string
	Permissions  []Permission // direct permissions, besides those of the roles
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// Claims are custom claims added to the user's ID and access tokens, as an Action's
	// setCustomClaim would.
	Claims    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AddAPI appends a resource server, which PrepareAPI has passed, and indexes it by identifier.
// An identifier another API already holds stays that API's, as does every key below.
func (t *Tenant) AddAPI(a *API) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.apis.add(a.Identifier, a)
	indexBy(t.apisByID, a.ID, a)
}

// AddClient appends an application, which PrepareClient has passed, and indexes it by client_id
// and by name.
func (t *Tenant) AddClient(c *Client) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.clients.add(c.ClientID, c)
	indexBy(t.clientsByName, c.Name, c)
	t.clientsVersion.Add(1)
}

// AddRole appends a role, which PrepareRole has passed, and indexes it by id and by name.
func (t *Tenant) AddRole(r *Role) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.roles.add(r.ID, r)
	indexBy(t.rolesByName, r.Name, r)
}

// AddGrant appends a client grant, which PrepareGrant has passed, and indexes it by id and by
// client and audience.
func (t *Tenant) AddGrant(g *ClientGrant) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.grants.add(g.ID, g)
	indexBy(t.grantsByPair, grantPair(g.ClientID, g.Audience), g)
}

// AddConnection appends a connection and indexes it by name.
func (t *Tenant) AddConnection(c *Connection) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.connections.add(c.Name, c)
}

// AddUser appends a user, which PrepareUser has passed, and indexes it by user_id and by
// lower-cased email and username.
func (t *Tenant) AddUser(u *User) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.users.add(u.UserID, u)
	indexBy(t.usersByName, strings.ToLower(u.Email), u)
	indexBy(t.usersByName, strings.ToLower(u.Username), u)
}

func indexBy[T any](m map[string]T, key string, item T) {
	if _, taken := m[key]; key != "" && !taken {
		m[key] = item
	}
}

func grantPair(clientID, audience string) string { return clientID + "\x00" + audience }

// Client looks an application up by client_id.
func (t *Tenant) Client(id string) (*Client, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.clients.get(id)
}

// API looks a resource server up by identifier (exact match).
func (t *Tenant) API(identifier string) (*API, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.apis.get(identifier)
}

// User looks a user up by user_id.
func (t *Tenant) User(id string) (*User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.users.get(id)
}

// UserByLogin looks a user up by email or username, case-insensitively, as Auth0's database
// connections do.
func (t *Tenant) UserByLogin(login string) (*User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u, ok := t.usersByName[strings.ToLower(login)]
	return u, ok
}

// Connection looks a connection up by name.
func (t *Tenant) Connection(name string) (*Connection, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.connections.get(name)
}

// Role looks a role up by name.
func (t *Tenant) Role(name string) (*Role, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.rolesByName[name]
	return r, ok
}

// Grant returns the client grant of a client for an audience.
func (t *Tenant) Grant(clientID, audience string) (*ClientGrant, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g, ok := t.grantsByPair[grantPair(clientID, audience)]
	return g, ok
}

// The listings: each a consistent snapshot, in the order the items were added.

// Clients lists the applications.
func (t *Tenant) Clients() []*Client { return list(t, &t.clients) }

// APIs lists the resource servers the tenant defines: all but the Management API.
func (t *Tenant) APIs() []*API {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.definedAPIs()
}

func (t *Tenant) definedAPIs() []*API {
	apis := t.apis.all()
	return slices.DeleteFunc(apis, func(a *API) bool { return a.System })
}

// Roles lists the roles.
func (t *Tenant) Roles() []*Role { return list(t, &t.roles) }

// Grants lists the client grants.
func (t *Tenant) Grants() []*ClientGrant { return list(t, &t.grants) }

// Connections lists the connections.
func (t *Tenant) Connections() []*Connection { return list(t, &t.connections) }

// Users lists the users.
func (t *Tenant) Users() []*User { return list(t, &t.users) }

// FirstUsers lists the first n users, at a cost that does not grow with the tenant.
func (t *Tenant) FirstUsers(n int) []*User {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.users.first(max(n, 0))
}

// UserCount is the number of users.
func (t *Tenant) UserCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.users.len()
}

// ClientsVersion changes whenever an application is added, changed or removed, so that what is
// derived from all of them (the origins CORS allows) is derived again only then.
func (t *Tenant) ClientsVersion() uint64 { return t.clientsVersion.Load() }

func list[T any](t *Tenant, o *ordered[T]) []T {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return o.all()
}

// RoleNames lists the names of the user's roles, in the order they were assigned; a role since
// deleted is left out.
func (t *Tenant) RoleNames(u *User) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(u.Roles))
	for _, id := range u.Roles {
		if r, ok := t.roles.get(id); ok {
			names = append(names, r.Name)
		}
	}
	return names
}

// PermissionsFor returns the user's permissions on one API, from the roles the tenant has now and
// direct grants, sorted and without duplicates.
func (t *Tenant) PermissionsFor(u *User, api string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	add := func(ps []Permission) {
		for _, p := range ps {
			if p.API == api {
				out = append(out, p.Name)
			}
		}
	}
	for _, id := range u.Roles {
		if r, ok := t.roles.get(id); ok {
			add(r.Permissions)
		}
	}
	add(u.Permissions)
	slices.Sort(out)
	return slices.Compact(out)
}
