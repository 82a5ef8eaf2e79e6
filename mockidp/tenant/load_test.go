package tenant_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

var fixedTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestLoadDefaultTenant(t *testing.T) {
	tn, err := tenant.Load(fixtures.FS, fixtures.DefaultTenant)
	require.NoError(t, err)

	const api = "https://api.example.com"
	t.Run("settings", func(t *testing.T) {
		assert.Equal(t, "Tenantless Demo", tn.Name)
		assert.Equal(t, tenant.Settings{
			FriendlyName:               "Tenantless Demo",
			SessionLifetime:            72 * time.Hour,
			IdleSessionLifetime:        72 * time.Hour,
			EndSessionDiscovery:        true,
			UserPicker:                 true,
			LogoutRevokesRefreshTokens: true,
		}, tn.Settings)
		assert.Empty(t, tn.Warnings)
	})

	t.Run("API", func(t *testing.T) {
		want := &tenant.API{
			ID:                  "137b9e5e4e13211ce3487cb1", // made from the identifier, the same at every load
			Name:                "Demo API",
			Identifier:          api,
			Scopes:              []tenant.Scope{{Value: "read:protected", Description: "Read the protected endpoint's message"}},
			EnforcePolicies:     true,
			TokenDialect:        tenant.DialectAccessTokenAuthz,
			TokenLifetime:       86400 * time.Second,
			TokenLifetimeForWeb: 7200 * time.Second,
			AllowOfflineAccess:  true,
		}
		assert.Equal(t, []*tenant.API{want}, tn.APIs())
		got, ok := tn.API(api)
		require.True(t, ok)
		assert.Same(t, tn.APIs()[0], got)
		assert.True(t, got.PermissionsInToken())
		_, ok = tn.API(api + "/")
		assert.False(t, ok, "API identifiers match exactly")
	})

	t.Run("clients", func(t *testing.T) {
		rotating := tenant.RefreshTokenPolicy{Rotating: true, Lifetime: 2592000 * time.Second, IdleLifetime: 1296000 * time.Second}
		want := []*tenant.Client{
			{
				Name:                    "Demo SPA",
				ClientID:                "demo-spa",
				AppType:                 tenant.AppSPA,
				TokenEndpointAuthMethod: tenant.AuthNone,
				GrantTypes:              []string{tenant.GrantAuthorizationCode, tenant.GrantRefreshToken},
				Callbacks:               []string{"http://localhost:3000", "http://localhost:3000/"},
				AllowedLogoutURLs:       []string{"http://localhost:3000", "http://localhost:3000/"},
				WebOrigins:              []string{"http://localhost:3000"},
				AllowedOrigins:          []string{"http://localhost:3000"},
				IDTokenLifetime:         36000 * time.Second,
				RefreshToken:            rotating,
			},
			{
				Name:                    "Demo M2M",
				ClientID:                "demo-m2m",
				ClientSecret:            "demo-m2m-secret",
				AppType:                 tenant.AppNonInteractive,
				TokenEndpointAuthMethod: tenant.AuthPost,
				GrantTypes:              []string{tenant.GrantClientCredentials},
				IDTokenLifetime:         36000 * time.Second,
				RefreshToken:            rotating,
			},
			{
				Name:                    "Demo Management",
				ClientID:                "demo-mgmt",
				ClientSecret:            "demo-mgmt-secret",
				AppType:                 tenant.AppNonInteractive,
				TokenEndpointAuthMethod: tenant.AuthPost,
				GrantTypes:              []string{tenant.GrantClientCredentials},
				IDTokenLifetime:         36000 * time.Second,
				RefreshToken:            rotating,
			},
			{
				Name:                    "Demo Web",
				ClientID:                "demo-web",
				ClientSecret:            "demo-web-secret",
				AppType:                 tenant.AppRegularWeb,
				TokenEndpointAuthMethod: tenant.AuthPost,
				GrantTypes: []string{tenant.GrantAuthorizationCode, tenant.GrantRefreshToken, tenant.GrantPassword,
					tenant.GrantPasswordRealm},
				Callbacks:         []string{"http://localhost:3000/callback"},
				AllowedLogoutURLs: []string{"http://localhost:3000"},
				IDTokenLifetime:   36000 * time.Second,
				RefreshToken:      rotating,
			},
		}
		assert.Equal(t, want, tn.Clients())
		for _, c := range tn.Clients() {
			got, ok := tn.Client(c.ClientID)
			require.True(t, ok, c.ClientID)
			assert.Same(t, c, got)
		}
		spa, _ := tn.Client("demo-spa")
		assert.True(t, spa.Public())
		m2m, _ := tn.Client("demo-m2m")
		assert.False(t, m2m.Public())
		_, ok := tn.Client("Demo SPA")
		assert.False(t, ok, "Client looks up client_id, not names")
	})

	t.Run("grants", func(t *testing.T) {
		grants := tn.Grants()
		require.Len(t, grants, 2)
		assert.Equal(t, &tenant.ClientGrant{ID: "cgr_b4076287d1d9b5e3", ClientID: "demo-m2m", Audience: api, Scope: []string{"read:protected"}}, grants[0])
		assert.Equal(t, "demo-mgmt", grants[1].ClientID)
		assert.Equal(t, tenant.ManagementAudience, grants[1].Audience, "until the tenant is served")
		assert.Equal(t, tenant.ManagementScopes, grants[1].Scope, "every scope the emulator serves")
		g, ok := tn.Grant("demo-m2m", api)
		require.True(t, ok)
		assert.Same(t, tn.Grants()[0], g)
		_, ok = tn.Grant("demo-spa", api)
		assert.False(t, ok)
	})

	t.Run("roles and connections", func(t *testing.T) {
		reader := &tenant.Role{ID: "rol_d8554253f56d58e8", Name: "Reader", Description: "May read the protected endpoint",
			Permissions: []tenant.Permission{{Name: "read:protected", API: api}}}
		assert.Equal(t, []*tenant.Role{reader}, tn.Roles())
		r, ok := tn.Role("Reader")
		require.True(t, ok)
		assert.Same(t, tn.Roles()[0], r)
		_, ok = tn.Role("reader")
		assert.False(t, ok, "role names match exactly")
		assert.Equal(t, []*tenant.Connection{{Name: tenant.DefaultConnection, Strategy: "auth0"}}, tn.Connections())
	})

	t.Run("users", func(t *testing.T) {
		tests := []struct {
			id, email, password, name, given, family, nickname, initials string
			blocked                                                      bool
			roles, permissions                                           []string
		}{
			{"auth0|alice", "alice@example.com", "alice-password", "Alice Example", "Alice", "Example", "alice", "AE", false, []string{"Reader"}, []string{"read:protected"}},
			{"auth0|bob", "bob@example.com", "bob-password", "Bob Example", "Bob", "Example", "bob", "BE", false, []string{}, nil},
			{"auth0|blocked", "blocked@example.com", "blocked-password", "Blocked User", "", "", "blocked", "BU", true, []string{}, nil},
		}
		require.Len(t, tn.Users(), len(tests))
		for i, tt := range tests {
			t.Run(tt.email, func(t *testing.T) {
				u := tn.Users()[i]
				assert.Equal(t, tt.id, u.UserID)
				assert.Equal(t, tt.email, u.Email)
				assert.True(t, u.EmailVerified)
				assert.Equal(t, tt.password, u.Password)
				assert.Equal(t, tt.name, u.Name)
				assert.Equal(t, tt.given, u.GivenName)
				assert.Equal(t, tt.family, u.FamilyName)
				assert.Equal(t, tt.nickname, u.Nickname)
				assert.Equal(t, tt.blocked, u.Blocked)
				assert.Equal(t, tenant.DefaultConnection, u.Connection)
				assert.Equal(t, tt.roles, tn.RoleNames(u))
				assert.Equal(t, tt.permissions, tn.PermissionsFor(u, api))
				assert.Empty(t, tn.PermissionsFor(u, "https://other.example.com"))
				assert.Empty(t, u.Username)
				assert.Equal(t, fixedTime, u.CreatedAt)
				assert.Equal(t, fixedTime, u.UpdatedAt)
				assertAvatar(t, u, tt.initials)

				got, ok := tn.User(tt.id)
				require.True(t, ok)
				assert.Same(t, u, got)
				got, ok = tn.UserByLogin(strings.ToUpper(tt.email))
				require.True(t, ok, "logins are found ignoring case")
				assert.Same(t, u, got)
			})
		}
		_, ok := tn.User("alice")
		assert.False(t, ok, "User wants the full user_id")
		_, ok = tn.UserByLogin("carol@example.com")
		assert.False(t, ok)
	})

	t.Run("signing key", func(t *testing.T) {
		require.Len(t, tn.SigningKeys, 1)
		key := parseKey(t, tn.SigningKeys[0])
		assert.Equal(t, 2048, key.N.BitLen())
		file, err := fs.ReadFile(fixtures.FS, "tenant-key.pem")
		require.NoError(t, err)
		assert.Equal(t, string(file), string(tn.SigningKeys[0]), "a file holding only the key is kept as it is")
	})
}

func TestLoadQATenant(t *testing.T) {
	tn, err := tenant.Load(fixtures.FS, fixtures.QATenant)
	require.NoError(t, err)

	const orders, billing = "https://orders.example.com", "https://billing.example.com"
	t.Run("settings and warnings", func(t *testing.T) {
		assert.Equal(t, "Tenantless QA", tn.Name)
		assert.Equal(t, tenant.Settings{
			FriendlyName:               "Tenantless QA",
			DefaultAudience:            orders,
			SessionLifetime:            8 * time.Hour,
			IdleSessionLifetime:        2 * time.Hour,
			EndSessionDiscovery:        true,
			UserPicker:                 true,
			LogoutRevokesRefreshTokens: false,
			AllowedLogoutURLs:          []string{"http://localhost:3000"},
		}, tn.Settings)
		assert.Equal(t, []string{"qa-tenant.yaml: sections not modelled, ignored: pages"}, tn.Warnings)
	})

	t.Run("APIs", func(t *testing.T) {
		o, ok := tn.API(orders)
		require.True(t, ok)
		assert.Equal(t, "Orders API", o.Name)
		assert.Equal(t, []tenant.Scope{
			{Value: "read:orders", Description: "See orders"},
			{Value: "create:orders", Description: "Place orders"},
			{Value: "cancel:orders", Description: "Cancel orders"},
		}, o.Scopes)
		assert.True(t, o.PermissionsInToken())
		assert.Equal(t, time.Hour, o.TokenLifetime)
		assert.Equal(t, time.Hour, o.TokenLifetimeForWeb, "the web lifetime defaults to at most token_lifetime")
		assert.True(t, o.AllowOfflineAccess)

		b, ok := tn.API(billing)
		require.True(t, ok)
		assert.True(t, b.EnforcePolicies)
		assert.Equal(t, tenant.DialectAccessToken, b.TokenDialect)
		assert.False(t, b.PermissionsInToken(), "RBAC without permissions in the token")
		assert.Equal(t, 2*time.Hour, b.TokenLifetime)
		assert.Equal(t, 15*time.Minute, b.TokenLifetimeForWeb)
		assert.False(t, b.AllowOfflineAccess)
	})

	t.Run("clients", func(t *testing.T) {
		spa, ok := tn.Client("qa-spa")
		require.True(t, ok)
		assert.Equal(t, []string{tenant.GrantAuthorizationCode, tenant.GrantImplicit, tenant.GrantRefreshToken}, spa.GrantTypes,
			"Auth0's default grant types for a SPA")
		assert.Equal(t, tenant.AuthNone, spa.TokenEndpointAuthMethod)
		assert.Equal(t, time.Hour, spa.IDTokenLifetime)

		native, ok := tn.Client("qa-native")
		require.True(t, ok)
		assert.Equal(t, tenant.AuthNone, native.TokenEndpointAuthMethod)
		assert.Equal(t, []string{"com.example.qa://callback"}, native.Callbacks)
		assert.Equal(t, []string{"com.example.qa://logout"}, native.AllowedLogoutURLs)
		assert.Equal(t, tenant.RefreshTokenPolicy{Rotating: false, Lifetime: tenant.Forever, IdleLifetime: tenant.Forever}, native.RefreshToken)

		m2m, ok := tn.Client("qa-m2m")
		require.True(t, ok)
		assert.Equal(t, tenant.AuthBasic, m2m.TokenEndpointAuthMethod)
		assert.Equal(t, "qa-m2m-secret", m2m.ClientSecret)
		assert.Equal(t, []string{tenant.GrantClientCredentials}, m2m.GrantTypes)
		assert.True(t, m2m.AllowsGrant(tenant.GrantClientCredentials))
		assert.False(t, m2m.AllowsGrant(tenant.GrantPassword))
	})

	t.Run("grants", func(t *testing.T) {
		assert.Equal(t, []*tenant.ClientGrant{
			{ID: "cgr_2a5c675f6339bc49", ClientID: "qa-m2m", Audience: orders, Scope: []string{"read:orders", "create:orders"}},
			{ID: "cgr_6f299167932d6a8c", ClientID: "qa-m2m", Audience: billing, Scope: []string{"read:invoices"}},
		}, tn.Grants(), "a grant naming the client by name resolves to its client_id")
	})

	t.Run("connections", func(t *testing.T) {
		assert.Equal(t, []*tenant.Connection{
			{Name: tenant.DefaultConnection, Strategy: "auth0"},
			{Name: "QA-Contractors", Strategy: "auth0"},
		}, tn.Connections())
	})

	t.Run("users", func(t *testing.T) {
		tests := []struct {
			id                 string
			roles              []string
			orders, billing    []string
			connection, name   string
			claims, app, userM map[string]any
		}{
			{
				id: "auth0|carol", roles: []string{"Order Manager"},
				orders:     []string{"cancel:orders", "create:orders", "read:orders"},
				billing:    []string{"read:invoices"},
				connection: tenant.DefaultConnection, name: "Carol Manager",
				claims: map[string]any{"https://example.com/team": "fulfilment", "https://example.com/employee_id": int64(1042)},
				app:    map[string]any{"plan": "enterprise", "region": "eu"},
				userM:  map[string]any{"theme": "dark"},
			},
			{
				id: "auth0|dave", roles: []string{"Order Viewer", "Billing Admin"},
				orders:     []string{"read:orders"},
				billing:    []string{"pay:invoices", "read:invoices"},
				connection: tenant.DefaultConnection, name: "dave@example.com",
				claims: map[string]any{"https://example.com/team": "finance", "https://example.com/flags": []any{"beta", "reports"}},
			},
			{
				id: "auth0|erin", roles: []string{},
				connection: "QA-Contractors", name: "erin@contractor.example",
			},
			{
				id: "auth0|frank", roles: []string{"Order Viewer"}, orders: []string{"read:orders"},
				connection: tenant.DefaultConnection, name: "frank@example.com",
				app: map[string]any{"suspended": true},
			},
		}
		require.Len(t, tn.Users(), len(tests))
		for i, tt := range tests {
			t.Run(tt.id, func(t *testing.T) {
				u := tn.Users()[i]
				assert.Equal(t, tt.id, u.UserID)
				assert.Equal(t, tt.roles, tn.RoleNames(u))
				assert.Equal(t, tt.orders, tn.PermissionsFor(u, orders))
				assert.Equal(t, tt.billing, tn.PermissionsFor(u, billing))
				assert.Equal(t, tt.connection, u.Connection)
				assert.Equal(t, tt.name, u.Name)
				assert.Equal(t, tt.claims, u.Claims)
				assert.Equal(t, tt.app, u.AppMetadata)
				assert.Equal(t, tt.userM, u.UserMetadata)
			})
		}
		carol, dave, erin := tn.Users()[0], tn.Users()[1], tn.Users()[2]
		assert.Equal(t, "Carol", carol.GivenName)
		assert.Equal(t, "Manager", carol.FamilyName)
		assert.Equal(t, "en-GB", carol.Locale)
		assert.Equal(t, "carol", carol.Nickname)
		assertAvatar(t, carol, "CM")

		assert.Equal(t, "dave", dave.Username)
		assert.Equal(t, "+14155550100", dave.PhoneNumber)
		assert.True(t, dave.PhoneVerified)
		assert.Equal(t, time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC), dave.CreatedAt)
		assert.Equal(t, time.Date(2025, 7, 15, 12, 0, 0, 0, time.UTC), dave.UpdatedAt)
		assertAvatar(t, dave, "DV")
		got, ok := tn.UserByLogin("Dave")
		require.True(t, ok, "a username logs in too")
		assert.Same(t, dave, got)

		assert.False(t, erin.EmailVerified)
		assert.Equal(t, "erin", erin.Nickname)
		assert.Nil(t, erin.Claims)
	})

	t.Run("signing key", func(t *testing.T) {
		require.Len(t, tn.SigningKeys, 1)
		block, _ := pem.Decode(tn.SigningKeys[0])
		require.NotNil(t, block)
		assert.Equal(t, "RSA PRIVATE KEY", block.Type, "a PKCS#1 key stays PKCS#1")
		assert.Equal(t, 2048, parseKey(t, tn.SigningKeys[0]).N.BitLen())
	})
}

// TestLoadDefaults loads a tenant that leaves everything out it may, and checks Auth0's defaults.
func TestLoadDefaults(t *testing.T) {
	tn := mustLoad(t, fstest.MapFS{"conf/minimal.yml": {Data: []byte(lines(
		"resourceServers:",
		"  - identifier: https://api.test",
		"    token_lifetime: 600",
		"clients:",
		"  - {name: S, client_id: s, app_type: spa}",
		"  - {name: N, client_id: n, app_type: native}",
		"  - {name: W, client_id: w, client_secret: x, app_type: regular_web}",
		"  - {name: M, client_id: m, client_secret: x, app_type: non_interactive}",
		"  - {name: P, client_id: p, app_type: regular_web, token_endpoint_auth_method: none}",
		"  - name: R",
		"    client_id: r",
		"    app_type: spa",
		"    refresh_token: {rotation_type: non-rotating, token_lifetime: 3600}",
		"users:",
		"  - {email: Zoe.Smith@Example.com, password: p}",
		"  - {username: yuri, password: p}",
		"  - {user_id: google-oauth2|123, email: g@example.com, password: p}",
	))}}, "conf/minimal.yml")

	t.Run("tenant", func(t *testing.T) {
		assert.Equal(t, "minimal", tn.Name, "without friendly_name the tenant is named after its file")
		assert.Equal(t, tenant.Settings{
			SessionLifetime:            72 * time.Hour,
			IdleSessionLifetime:        72 * time.Hour,
			EndSessionDiscovery:        true,
			UserPicker:                 true,
			LogoutRevokesRefreshTokens: true,
		}, tn.Settings)
		assert.Empty(t, tn.SigningKeys)
		assert.Empty(t, tn.Warnings)
		assert.Equal(t, []*tenant.Connection{{Name: tenant.DefaultConnection, Strategy: "auth0"}}, tn.Connections())
	})

	t.Run("API", func(t *testing.T) {
		assert.Equal(t, []*tenant.API{{
			ID:                  "048a0d93c15285c5f67c826c",
			Name:                "https://api.test",
			Identifier:          "https://api.test",
			TokenDialect:        tenant.DialectAccessToken,
			TokenLifetime:       600 * time.Second,
			TokenLifetimeForWeb: 600 * time.Second,
		}}, tn.APIs())
	})

	t.Run("clients", func(t *testing.T) {
		tests := []struct {
			id     string
			method tenant.AuthMethod
			grants []string
		}{
			{"s", tenant.AuthNone, []string{"authorization_code", "implicit", "refresh_token"}},
			{"n", tenant.AuthNone, []string{"authorization_code", "implicit", "refresh_token"}},
			{"w", tenant.AuthPost, []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}},
			{"m", tenant.AuthPost, []string{"client_credentials"}},
			{"p", tenant.AuthNone, []string{"authorization_code", "implicit", "refresh_token"}},
		}
		for _, tt := range tests {
			t.Run(tt.id, func(t *testing.T) {
				c, ok := tn.Client(tt.id)
				require.True(t, ok)
				assert.Equal(t, tt.method, c.TokenEndpointAuthMethod)
				assert.Equal(t, tt.grants, c.GrantTypes)
				assert.Equal(t, 36000*time.Second, c.IDTokenLifetime)
				assert.Equal(t, tenant.RefreshTokenPolicy{Rotating: true, Lifetime: 30 * 24 * time.Hour, IdleLifetime: 15 * 24 * time.Hour}, c.RefreshToken)
				assert.Nil(t, c.Callbacks)
				assert.Nil(t, c.WebOrigins)
			})
		}
		r, ok := tn.Client("r")
		require.True(t, ok)
		assert.Equal(t, tenant.RefreshTokenPolicy{Rotating: false, Lifetime: time.Hour, IdleLifetime: time.Hour}, r.RefreshToken,
			"the default idle lifetime never outlasts a shorter lifetime")
	})

	t.Run("users", func(t *testing.T) {
		tests := []struct {
			id, login, name, nickname, email, username, initials string
		}{
			{"auth0|Zoe.Smith", "zoe.smith@example.com", "Zoe.Smith@Example.com", "Zoe.Smith", "Zoe.Smith@Example.com", "", "ZS"},
			{"auth0|yuri", "YURI", "yuri", "yuri", "", "yuri", "Y"},
			{"google-oauth2|123", "g@example.com", "g@example.com", "g", "g@example.com", "", "G"},
		}
		for _, tt := range tests {
			t.Run(tt.id, func(t *testing.T) {
				u, ok := tn.User(tt.id)
				require.True(t, ok)
				got, ok := tn.UserByLogin(tt.login)
				require.True(t, ok)
				assert.Same(t, u, got)
				assert.Equal(t, tt.name, u.Name)
				assert.Equal(t, tt.nickname, u.Nickname)
				assert.Equal(t, tt.email, u.Email)
				assert.Equal(t, tt.username, u.Username)
				assert.False(t, u.EmailVerified)
				assert.False(t, u.Blocked)
				assert.Equal(t, tenant.DefaultConnection, u.Connection)
				assert.Equal(t, fixedTime, u.CreatedAt)
				assert.Equal(t, fixedTime, u.UpdatedAt)
				assert.Empty(t, u.Roles)
				assertAvatar(t, u, tt.initials)
			})
		}
	})
}

func TestLoadAccepts(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, tn *tenant.Tenant)
	}{
		{
			name: "aliases",
			yaml: lines(
				"clients:",
				"  - name: A",
				"    client_id: a",
				"    app_type: spa",
				"    callbacks: &urls [http://localhost:3000]",
				"    web_origins: *urls",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				c, _ := tn.Client("a")
				assert.Equal(t, []string{"http://localhost:3000"}, c.WebOrigins)
			},
		},
		{
			name: "origin wildcards and custom schemes for native apps",
			yaml: lines(
				"clients:",
				"  - name: A",
				"    client_id: a",
				"    app_type: native",
				"    callbacks: [com.example.app://callback, \"https://app.example.com/cb?x=1\"]",
				"    allowed_origins: [capacitor://localhost, \"https://*.example.com\", http://localhost:8080]",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				c, _ := tn.Client("a")
				assert.Equal(t, []string{"com.example.app://callback", "https://app.example.com/cb?x=1"}, c.Callbacks)
				assert.Equal(t, []string{"capacitor://localhost", "https://*.example.com", "http://localhost:8080"}, c.AllowedOrigins)
			},
		},
		{
			name: "explicit empty lists stay empty",
			yaml: lines(
				"clients:",
				"  - {name: M, client_id: m, client_secret: s, app_type: non_interactive, grant_types: []}",
				"connections: []",
				"databases: [{name: Staff}]",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				c, _ := tn.Client("m")
				assert.Equal(t, []string{}, c.GrantTypes)
				assert.Equal(t, []*tenant.Connection{{Name: "Staff", Strategy: "auth0"}}, tn.Connections())
			},
		},
		{
			name: "null values are left out",
			yaml: lines(
				"tenant:",
				"  friendly_name:",
				"  oidc_logout: ~",
				"clients:",
				"  - {name: S, client_id: s, app_type: spa, callbacks: null, grant_types: ~}",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				assert.Equal(t, "tenant", tn.Name)
				c, _ := tn.Client("s")
				assert.Nil(t, c.Callbacks)
				assert.Equal(t, []string{"authorization_code", "implicit", "refresh_token"}, c.GrantTypes)
			},
		},
		{
			name: "tenant switches",
			yaml: lines(
				"tenant:",
				"  session_lifetime_in_minutes: 90",
				"  idle_session_lifetime: 0.5",
				"  oidc_logout:",
				"    rp_logout_end_session_endpoint_discovery: false",
				"tenantless:",
				"  login_user_picker: false",
				"  logout_revokes_refresh_tokens: false",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				assert.Equal(t, tenant.Settings{SessionLifetime: 90 * time.Minute, IdleSessionLifetime: 30 * time.Minute}, tn.Settings)
			},
		},
		{
			name: "refresh token policy",
			yaml: lines(
				"clients:",
				"  - name: S",
				"    client_id: s",
				"    app_type: spa",
				"    refresh_token:",
				"      rotation_type: rotating",
				"      expiration_type: expiring",
				"      token_lifetime: 86400",
				"      idle_token_lifetime: 3600",
				"      leeway: 10",
				"      infinite_token_lifetime: false",
				"      infinite_idle_token_lifetime: true",
				"      policies: []",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				c, _ := tn.Client("s")
				assert.Equal(t, tenant.RefreshTokenPolicy{Rotating: true, Lifetime: 24 * time.Hour, IdleLifetime: tenant.Forever, Leeway: 10 * time.Second}, c.RefreshToken)
			},
		},
		{
			name: "Auth0 fields the emulator ignores",
			yaml: lines(
				"tenant: {friendly_name: T, support_email: help@example.com, flags: {enable_client_connections: false}}",
				"resourceServers: [{identifier: https://api.test, signing_alg: RS256, skip_consent_for_verifiable_first_party_clients: true, options: {}}]",
				"clients:",
				"  - name: S",
				"    client_id: s",
				"    app_type: spa",
				"    description: A test app",
				"    logo_uri: https://example.com/logo.png",
				"    is_first_party: true",
				"    oidc_conformant: true",
				"    cross_origin_auth: false",
				"    sso: false",
				"    custom_login_page_on: true",
				"    sso_disabled: false",
				"    native_social_login: {apple: {enabled: false}}",
				"    jwt_configuration: {alg: RS256, lifetime_in_seconds: 600, secret_encoded: false}",
				"    client_metadata: {team: qa}",
				"connections: [{name: google, strategy: google-oauth2, enabled_clients: [S], options: {scope: [email]}}]",
				"users: [{email: u@example.com, password: p, connection: google, verify_email: false}]",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				c, _ := tn.Client("s")
				assert.Equal(t, 10*time.Minute, c.IDTokenLifetime)
				assert.Equal(t, "google", tn.Users()[0].Connection)
				assert.Empty(t, tn.Warnings, "ignored fields are silent; only ignored sections warn")
			},
		},
		{
			name: "a picture may be set",
			yaml: lines(
				"users:",
				"  - {email: a@example.com, password: p, picture: https://example.com/a.png}",
				"  - {email: b@example.com, password: p, picture: \"data:image/png;base64,iVBORw0KGgo=\"}",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				assert.Equal(t, "https://example.com/a.png", tn.Users()[0].Picture)
				assert.Equal(t, "data:image/png;base64,iVBORw0KGgo=", tn.Users()[1].Picture)
			},
		},
		{
			name: "a trailing empty document",
			yaml: "clients: []\n---\n",
			check: func(t *testing.T, tn *tenant.Tenant) {
				assert.Empty(t, tn.Clients())
			},
		},
		{
			name: "guardian sections warn",
			yaml: lines(
				"guardianSomethingNew: {}",
				"emailTemplates: []",
				"prompts: {universal_login_experience: new}",
			),
			check: func(t *testing.T, tn *tenant.Tenant) {
				assert.Equal(t, []string{"tenant.yaml: sections not modelled, ignored: emailTemplates, guardianSomethingNew, prompts"}, tn.Warnings)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustLoad(t, fstest.MapFS{"tenant.yaml": {Data: []byte(tt.yaml)}}, "tenant.yaml"))
		})
	}
}

func TestLoadSigningKeys(t *testing.T) {
	pkcs8 := readFixture(t, "tenant-key.pem")
	pkcs1 := readFixture(t, "qa-tenant-key.pem")
	t.Run("several keys, relative to the tenant's directory", func(t *testing.T) {
		tn := mustLoad(t, fstest.MapFS{
			"conf/tenant.yaml":      {Data: []byte("tenantless:\n  signing_keys: [{file: keys/current.pem}, {file: next.pem}]\n")},
			"conf/keys/current.pem": {Data: pkcs1},
			"conf/next.pem":         {Data: append([]byte("a comment before the key\n"), pkcs8...)},
		}, "conf/tenant.yaml")
		require.Len(t, tn.SigningKeys, 2)
		assert.Equal(t, string(pkcs1), string(tn.SigningKeys[0]))
		assert.Equal(t, string(pkcs8), string(tn.SigningKeys[1]), "only the key block is kept")
	})
}

func TestLoadFileErrors(t *testing.T) {
	t.Run("missing tenant file", func(t *testing.T) {
		_, err := tenant.Load(fstest.MapFS{}, "tenant.yaml")
		require.ErrorIs(t, err, fs.ErrNotExist)
		var errs tenant.Errors
		assert.False(t, errors.As(err, &errs), "a file that cannot be read has no position")
	})
	t.Run("too large", func(t *testing.T) {
		_, err := tenant.Load(fstest.MapFS{"tenant.yaml": {Data: make([]byte, 5<<20)}}, "tenant.yaml")
		require.ErrorContains(t, err, "larger than")
	})
}

func TestErrorsFormat(t *testing.T) {
	errs := tenant.Errors{
		{File: "t.yaml", Line: 3, Column: 7, Field: "clients[0].app_type", Msg: "unknown"},
		{File: "t.yaml", Line: 9, Msg: "not valid YAML: x"},
		{File: "t.yaml", Msg: "2 more problems not shown"},
	}
	assert.Equal(t, "t.yaml:3:7: clients[0].app_type: unknown\nt.yaml:9: not valid YAML: x\nt.yaml: 2 more problems not shown", errs.Error())
	var e *tenant.Error
	require.ErrorAs(t, error(errs), &e)
	assert.Same(t, errs[0], e)
}

func mustLoad(t *testing.T, fsys fs.FS, name string) *tenant.Tenant {
	t.Helper()
	tn, err := tenant.Load(fsys, name)
	require.NoError(t, err)
	require.NotNil(t, tn)
	return tn
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(fixtures.FS, name)
	require.NoError(t, err)
	return data
}

func parseKey(t *testing.T, data []byte) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	if block.Type == "RSA PRIVATE KEY" {
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		require.NoError(t, err)
		return key
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	require.IsType(t, &rsa.PrivateKey{}, key)
	return key.(*rsa.PrivateKey)
}

// assertAvatar checks a default picture: an SVG data URI with the user's initials.
func assertAvatar(t *testing.T, u *tenant.User, initials string) {
	t.Helper()
	svg, ok := strings.CutPrefix(u.Picture, "data:image/svg+xml,")
	require.True(t, ok, u.Picture)
	assert.NotContains(t, svg, " ", "the data URI is URL-encoded")
	assert.NotContains(t, svg, "#", "a # would end the data URI")
	svg, err := url.PathUnescape(svg)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`), svg)
	assert.Contains(t, svg, ">"+initials+"</text>")
}
