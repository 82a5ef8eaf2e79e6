package tenant_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// The Prepare methods are the rules the tenant file and the Management API share. These tests
// call them as a Management API would: on an item decoded from a request, against the loaded
// default tenant, whose items no longer have a line to be named by.

const demoAPI = "https://api.example.com"

func demoTenant(t *testing.T) *tenant.Tenant {
	t.Helper()
	tn, err := tenant.Load(fixtures.FS, fixtures.DefaultTenant)
	require.NoError(t, err)
	return tn
}

// problems are the item's problems as "field: message".
func problems(errs tenant.FieldErrors) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func TestPrepareUser(t *testing.T) {
	t.Run("defaults, then the tenant finds the user", func(t *testing.T) {
		tn := demoTenant(t)
		u := &tenant.User{Email: "Carol.Jones@example.com", Password: "p", Roles: []string{"Reader"}}
		require.Empty(t, tn.PrepareUser(u))
		assert.Equal(t, "auth0|Carol.Jones", u.UserID)
		assert.Equal(t, "Carol.Jones@example.com", u.Name)
		assert.Equal(t, "Carol.Jones", u.Nickname)
		assert.True(t, strings.HasPrefix(u.Picture, "data:image/svg+xml,"), u.Picture)
		assert.Equal(t, tenant.DefaultConnection, u.Connection)
		assert.Equal(t, fixedTime, u.CreatedAt)
		assert.Equal(t, fixedTime, u.UpdatedAt)
		reader, _ := tn.Role("Reader")
		require.Len(t, u.Roles, 1)
		assert.Equal(t, reader.ID, u.Roles[0], "a role named alone becomes the tenant's id")
		assert.Equal(t, []string{"read:protected"}, tn.PermissionsFor(u, demoAPI))

		tn.AddUser(u)
		got, ok := tn.User("auth0|Carol.Jones")
		require.True(t, ok)
		assert.Same(t, u, got)
		got, ok = tn.UserByLogin("carol.jones@EXAMPLE.com")
		require.True(t, ok)
		assert.Same(t, u, got)
		assert.Equal(t, []string{
			`email: user_id "auth0|Carol.Jones", made from the email "Carol.Jones@example.com", is already taken by another user; set user_id`,
			`email: "Carol.Jones@example.com" is already the email or username of another user (compared ignoring case)`,
		}, problems(tn.PrepareUser(&tenant.User{Email: u.Email, Password: "p"})), "a user added is one the next must not repeat")
	})

	t.Run("a username, a provider and set values are kept", func(t *testing.T) {
		tn := demoTenant(t)
		created := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		u := &tenant.User{UserID: "google-oauth2|42", Username: "dana", Password: "p", Name: "Dana Scully", Nickname: "ds",
			Picture: "https://example.com/d.png", CreatedAt: created}
		require.Empty(t, tn.PrepareUser(u))
		assert.Equal(t, "google-oauth2|42", u.UserID)
		assert.Equal(t, "Dana Scully", u.Name)
		assert.Equal(t, "ds", u.Nickname)
		assert.Equal(t, "https://example.com/d.png", u.Picture)
		assert.Equal(t, created, u.CreatedAt)
		assert.Equal(t, fixedTime, u.UpdatedAt)
	})

	tests := []struct {
		name string
		user tenant.User
		want []string
	}{
		{"no login", tenant.User{Password: "p"}, []string{"email: required: an email or a username, for the user to log in with"}},
		{"no password", tenant.User{Email: "new@example.com"},
			[]string{"password: required: the login page checks it, so every user needs one (it is test data, kept in plain text)"}},
		{"repeated email, ignoring case", tenant.User{UserID: "new", Email: "ALICE@example.com", Password: "p"},
			[]string{`email: "ALICE@example.com" is already the email or username of another user (compared ignoring case)`}},
		{"repeated user_id", tenant.User{UserID: "alice", Email: "new@example.com", Password: "p"},
			[]string{`user_id: duplicate user_id "auth0|alice"`}},
		{"user_id made from a username that is taken", tenant.User{Username: "bob", Password: "p"},
			[]string{`username: user_id "auth0|bob", made from the username "bob", is already taken by another user; set user_id`}},
		{"user_id without a provider", tenant.User{UserID: "|x", Email: "new@example.com", Password: "p"},
			[]string{`user_id: "|x" must be provider|id, like auth0|alice, or an id alone (auth0| is added)`}},
		{"field values", tenant.User{Email: "not-an-email", Username: "a name", Password: "p", PhoneNumber: "555", Picture: "/me.png"},
			[]string{
				`email: "not-an-email" is not an email address like alice@example.com`,
				`username: "a name" must not contain @ or spaces (an @ would make it look like an email)`,
				`picture: "/me.png" must be an absolute URL with a scheme and a host, like https://app.example.com/callback (or a data:image/ URI)`,
				`phone_number: "555" must be in E.164 form: +, country code and number, digits only, like +14155550100`,
			}},
		{"roles", tenant.User{Email: "new@example.com", Password: "p", Roles: []string{"Reader", "Admin", "Reader"}},
			[]string{`roles[1]: no role is named "Admin"; roles: Reader`, `roles[2]: role "Reader" is listed twice`}},
		{"permissions", tenant.User{Email: "new@example.com", Password: "p", Permissions: []tenant.Permission{
			{Name: "read:protected", API: "https://nope.example.com"}, {Name: "write:protected", API: demoAPI}, {API: demoAPI}}},
			[]string{
				`permissions[0].resource_server_identifier: no API has the identifier "https://nope.example.com"; APIs: https://api.example.com`,
				`permissions[1].permission_name: API "https://api.example.com" defines no permission "write:protected"; it defines: read:protected`,
				`permissions[2].permission_name: required: a permission (scope) the API defines`,
			}},
		{"connection", tenant.User{Email: "new@example.com", Password: "p", Connection: "Corp"},
			[]string{`connection: no connection is named "Corp"; connections: Username-Password-Authentication`}},
		{"claims", tenant.User{Email: "new@example.com", Password: "p", Claims: map[string]any{"groups": 1, "": 2, "https://example.com/ok": 3}},
			[]string{"claims: claim names must not be empty", "claims.groups: " + tenant.CheckClaim("groups").Error()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := demoTenant(t)
			u := tt.user
			assert.Equal(t, tt.want, problems(tn.PrepareUser(&u)))
		})
	}
}

func TestPrepareClient(t *testing.T) {
	t.Run("Auth0's defaults", func(t *testing.T) {
		tests := []struct {
			appType tenant.AppType
			secret  string
			method  tenant.AuthMethod
			grants  []string
		}{
			{tenant.AppSPA, "", tenant.AuthNone, []string{"authorization_code", "implicit", "refresh_token"}},
			{tenant.AppNative, "", tenant.AuthNone, []string{"authorization_code", "implicit", "refresh_token"}},
			{tenant.AppRegularWeb, "s", tenant.AuthPost, []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}},
			{tenant.AppNonInteractive, "s", tenant.AuthPost, []string{"client_credentials"}},
		}
		for _, tt := range tests {
			t.Run(string(tt.appType), func(t *testing.T) {
				tn := demoTenant(t)
				c := &tenant.Client{Name: "New", ClientID: "new", ClientSecret: tt.secret, AppType: tt.appType,
					RefreshToken: tenant.RefreshTokenPolicy{Rotating: true}}
				require.Empty(t, tn.PrepareClient(c))
				assert.Equal(t, tt.method, c.TokenEndpointAuthMethod)
				assert.Equal(t, tt.grants, c.GrantTypes)
				assert.Equal(t, 36000*time.Second, c.IDTokenLifetime)
				assert.Equal(t, tenant.RefreshTokenPolicy{Rotating: true, Lifetime: 30 * 24 * time.Hour, IdleLifetime: 15 * 24 * time.Hour}, c.RefreshToken)

				tn.AddClient(c)
				got, ok := tn.Client("new")
				require.True(t, ok)
				assert.Same(t, c, got)
			})
		}
	})

	spa := func(edit func(*tenant.Client)) tenant.Client {
		c := tenant.Client{Name: "New", ClientID: "new", AppType: tenant.AppSPA}
		edit(&c)
		return c
	}
	tests := []struct {
		name   string
		client tenant.Client
		want   []string
	}{
		{"nothing given", tenant.Client{}, []string{
			"name: required: the application's name, unique in the tenant (client grants may refer to it)",
			"client_id: required: a fixed id for the application, like demo-spa (the emulator cannot make one up: apps are configured with it)",
			"app_type: required: one of spa, native, regular_web, non_interactive",
		}},
		{"repeated name and client_id", spa(func(c *tenant.Client) { c.Name, c.ClientID = "Demo SPA", "demo-spa" }),
			[]string{`name: duplicate client name "Demo SPA"`, `client_id: duplicate client_id "demo-spa"`}},
		{"names with spaces around", spa(func(c *tenant.Client) { c.ClientID = " new" }),
			[]string{`client_id: must not start or end with spaces: " new"`}},
		{"unknown app_type", spa(func(c *tenant.Client) { c.AppType = "web" }),
			[]string{`app_type: unknown app_type "web"; allowed: spa, native, regular_web, non_interactive`}},
		{"unknown auth method", spa(func(c *tenant.Client) { c.TokenEndpointAuthMethod = "private_key_jwt" }),
			[]string{`token_endpoint_auth_method: unknown token_endpoint_auth_method "private_key_jwt"; allowed: none, client_secret_post, client_secret_basic`}},
		{"a secret is required", spa(func(c *tenant.Client) { c.TokenEndpointAuthMethod = tenant.AuthBasic }),
			[]string{"client_secret: required with token_endpoint_auth_method client_secret_basic; for a client without a secret set token_endpoint_auth_method: none"}},
		{"grant types", spa(func(c *tenant.Client) { c.GrantTypes = []string{"client_credentials", "magic"} }), []string{
			`grant_types[1]: unknown grant type "magic"; allowed: authorization_code, implicit, refresh_token, client_credentials, password, ` +
				"http://auth0.com/oauth/grant-type/password-realm, http://auth0.com/oauth/grant-type/mfa-oob, http://auth0.com/oauth/grant-type/mfa-otp, " +
				"http://auth0.com/oauth/grant-type/mfa-recovery-code, http://auth0.com/oauth/grant-type/passwordless/otp, " +
				"urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange, urn:openid:params:grant-type:ciba, " +
				"urn:okta:params:oauth:grant-type:webauthn, urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
			"grant_types: client_credentials needs a client that authenticates; remove it, or set token_endpoint_auth_method to client_secret_post or client_secret_basic",
		}},
		{"URLs", spa(func(c *tenant.Client) {
			c.Callbacks = []string{"https://app.example.com/cb", "myapp://cb"}
			c.WebOrigins = []string{"https://app.example.com/"}
		}), []string{
			`callbacks[1]: "myapp://cb": scheme "myapp" is allowed only for native apps; use http or https`,
			`web_origins[0]: "https://app.example.com/" must be an origin, scheme://host[:port], with no path (not even "/"), query or fragment`,
		}},
		{"lifetimes out of range", spa(func(c *tenant.Client) {
			c.IDTokenLifetime = -time.Second
			c.RefreshToken = tenant.RefreshTokenPolicy{Lifetime: time.Hour, IdleLifetime: 2 * time.Hour, Leeway: 6 * 365 * 24 * time.Hour}
		}), []string{
			"jwt_configuration.lifetime_in_seconds: must be a whole number from 1 to 2592000, got the integer -1",
			"refresh_token.idle_token_lifetime: must not be longer than token_lifetime (3600 s)",
			"refresh_token.leeway: must be a whole number from 0 to 157788000, got the integer 189216000",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			assert.Equal(t, tt.want, problems(demoTenant(t).PrepareClient(&c)))
		})
	}

	t.Run("infinite refresh lifetimes pass", func(t *testing.T) {
		c := spa(func(c *tenant.Client) {
			c.RefreshToken = tenant.RefreshTokenPolicy{Lifetime: time.Hour, IdleLifetime: tenant.Forever}
		})
		require.Empty(t, demoTenant(t).PrepareClient(&c))
		assert.Equal(t, tenant.Forever, c.RefreshToken.IdleLifetime)
	})
}

func TestPrepareAPI(t *testing.T) {
	t.Run("Auth0's defaults", func(t *testing.T) {
		tn := demoTenant(t)
		a := &tenant.API{Identifier: "https://new.example.com", TokenLifetime: time.Hour}
		require.Empty(t, tn.PrepareAPI(a))
		assert.Equal(t, &tenant.API{ID: "ab7b7044439d14476590c0fa", Name: "https://new.example.com", Identifier: "https://new.example.com",
			TokenDialect: tenant.DialectAccessToken, TokenLifetime: time.Hour, TokenLifetimeForWeb: time.Hour}, a)
		tn.AddAPI(a)
		got, ok := tn.API("https://new.example.com")
		require.True(t, ok)
		assert.Same(t, a, got)
	})

	tests := []struct {
		name string
		api  tenant.API
		want []string
	}{
		{"no identifier", tenant.API{}, []string{"identifier: required: the API's audience, like https://api.example.com"}},
		{"repeated identifier", tenant.API{Identifier: demoAPI}, []string{`identifier: duplicate API identifier "https://api.example.com"`}},
		{"scopes", tenant.API{Identifier: "https://new.example.com", Scopes: []tenant.Scope{{Value: "read"}, {Value: "read"}, {Value: "read all"}, {Description: "?"}}},
			[]string{
				`scopes[1].value: duplicate scope "read"; this API already defines it`,
				`scopes[2].value: "read all" must not contain spaces: scopes are space-separated in requests`,
				"scopes[3].value: required: the permission's name, like read:messages",
			}},
		{"dialects", tenant.API{Identifier: "https://new.example.com", TokenDialect: "jwt"},
			[]string{`token_dialect: unknown token_dialect "jwt"; allowed: access_token, access_token_authz, rfc9068_profile, rfc9068_profile_authz`}},
		{"permissions without RBAC", tenant.API{Identifier: "https://new.example.com", TokenDialect: tenant.DialectRFC9068Authz},
			[]string{"token_dialect: rfc9068_profile_authz adds permissions to tokens only with RBAC; set enforce_policies: true, or use rfc9068_profile"}},
		{"lifetime out of range", tenant.API{Identifier: "https://new.example.com", TokenLifetime: 31 * 24 * time.Hour},
			[]string{"token_lifetime: must be a whole number from 1 to 2592000, got the integer 2678400"}},
		{"web lifetime beyond the API's", tenant.API{Identifier: "https://new.example.com", TokenLifetime: time.Hour, TokenLifetimeForWeb: 2 * time.Hour},
			[]string{"token_lifetime_for_web: must be a whole number from 1 to 3600, got the integer 7200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.api
			assert.Equal(t, tt.want, problems(demoTenant(t).PrepareAPI(&a)))
		})
	}
}

func TestPrepareRole(t *testing.T) {
	t.Run("a new role", func(t *testing.T) {
		tn := demoTenant(t)
		r := &tenant.Role{Name: "Auditor", Permissions: []tenant.Permission{{Name: "read:protected", API: demoAPI}}}
		require.Empty(t, tn.PrepareRole(r))
		tn.AddRole(r)
		got, ok := tn.Role("Auditor")
		require.True(t, ok)
		assert.Same(t, r, got)
	})

	tests := []struct {
		name string
		role tenant.Role
		want []string
	}{
		{"no name", tenant.Role{}, []string{"name: required: the role's name, unique in the tenant (users refer to it)"}},
		{"repeated name", tenant.Role{Name: "Reader"}, []string{`name: duplicate role name "Reader"`}},
		{"a control character", tenant.Role{Name: "Read\ner"}, []string{`name: must not contain control characters: "Read\ner"`}},
		{"permissions", tenant.Role{Name: "New", Permissions: []tenant.Permission{{Name: "read:protected"}, {Name: "write", API: demoAPI}}},
			[]string{
				"permissions[0].resource_server_identifier: required: the identifier of an API in resourceServers",
				`permissions[1].permission_name: API "https://api.example.com" defines no permission "write"; it defines: read:protected`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.role
			assert.Equal(t, tt.want, problems(demoTenant(t).PrepareRole(&r)))
		})
	}
}

func TestPrepareGrant(t *testing.T) {
	t.Run("a client named by its name", func(t *testing.T) {
		tn := demoTenant(t)
		g := &tenant.ClientGrant{ClientID: "Demo Web", Audience: demoAPI, Scope: []string{"read:protected"}}
		require.Empty(t, tn.PrepareGrant(g))
		assert.Equal(t, "demo-web", g.ClientID)
		tn.AddGrant(g)
		got, ok := tn.Grant("demo-web", demoAPI)
		require.True(t, ok)
		assert.Same(t, g, got)
	})

	tests := []struct {
		name  string
		grant tenant.ClientGrant
		want  []string
	}{
		{"nothing given", tenant.ClientGrant{}, []string{
			"client_id: required: the client_id or the name of a client",
			"audience: required: the identifier of an API in resourceServers",
			"scope: required: a list of permissions the API defines (may be empty)",
		}},
		{"unknown client and API", tenant.ClientGrant{ClientID: "nobody", Audience: "https://nope.example.com", Scope: []string{}}, []string{
			`client_id: no client has the client_id or name "nobody"; clients: demo-spa (Demo SPA), demo-m2m (Demo M2M), demo-mgmt (Demo Management), demo-web (Demo Web)`,
			`audience: no API has the identifier "https://nope.example.com"; APIs: https://api.example.com`,
		}},
		{"a scope the API lacks", tenant.ClientGrant{ClientID: "demo-web", Audience: demoAPI, Scope: []string{"read:protected", "admin"}},
			[]string{`scope[1]: API "https://api.example.com" defines no permission "admin"; it defines: read:protected`}},
		{"a second grant for the API", tenant.ClientGrant{ClientID: "Demo M2M", Audience: demoAPI, Scope: []string{}},
			[]string{`duplicate grant: client "demo-m2m" already has a grant for "https://api.example.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.grant
			assert.Equal(t, tt.want, problems(demoTenant(t).PrepareGrant(&g)))
		})
	}
}

func TestFieldErrors(t *testing.T) {
	u := &tenant.User{UserID: "alice", Email: "alice@example.com"}
	errs := demoTenant(t).PrepareUser(u)
	assert.EqualError(t, errs, "password: required: the login page checks it, so every user needs one (it is test data, kept in plain text); "+
		`user_id: duplicate user_id "auth0|alice"; `+
		`email: "alice@example.com" is already the email or username of another user (compared ignoring case)`)
	assert.Equal(t, `duplicate grant: client "demo-m2m" already has a grant for "https://api.example.com"`,
		demoTenant(t).PrepareGrant(&tenant.ClientGrant{ClientID: "demo-m2m", Audience: demoAPI, Scope: []string{}}).Error(),
		"a problem with the item as a whole names no field")
}

// TestLoadPlacesProblems: the loader puts each problem the Prepare methods find at its field in
// the file, and leaves out what only follows from a value it refused itself.
func TestLoadPlacesProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []wantError
	}{
		{
			name: "a null in a list is no value",
			yaml: lines("clients:", "  - {name: S, client_id: s, app_type: spa, callbacks: [http://localhost:3000, ~], grant_types: [~]}"),
			want: []wantError{
				{2, 79, "clients[0].callbacks[1]", []string{"must be a string, got nothing (null)"}},
				{2, 97, "clients[0].grant_types[0]", []string{"must be a string, got nothing (null)"}},
			},
		},
		{
			name: "an empty value where one is required",
			yaml: lines(
				"resourceServers: [{identifier: https://api.test, scopes: [{value: read}]}]",
				"roles: [{name: R, permissions: [{permission_name: '', resource_server_identifier: https://api.test}]}]",
				`clientGrants: [{client_id: "", audience: "", scope: []}]`,
			),
			want: []wantError{
				{2, 51, "roles[0].permissions[0].permission_name", []string{"must not be empty: a permission (scope) the API defines"}},
				{3, 28, "clientGrants[0].client_id", []string{"must not be empty: the client_id or the name of a client"}},
				{3, 42, "clientGrants[0].audience", []string{"must not be empty: the identifier of an API in resourceServers"}},
			},
		},
		{
			name: "a refused value is not also missing",
			yaml: lines("users:", "  - email: [a@example.com]", "    password: p"),
			want: []wantError{{2, 12, "users[0].email", []string{"must be a string, got a list"}}},
		},
		{
			name: "an API with problems still answers for the scopes it has",
			yaml: lines(
				"resourceServers:",
				"  - identifier: https://api.test",
				"    scopes: [{value: read}, {value: read all}]",
				"    token_dialect: access_token_authz",
				"roles:",
				"  - name: R",
				"    permissions:",
				"      - {permission_name: read, resource_server_identifier: https://api.test}",
				"      - {permission_name: read all, resource_server_identifier: https://api.test}",
			),
			want: []wantError{
				{3, 37, "resourceServers[0].scopes[1].value", []string{`"read all" must not contain spaces`}},
				{4, 20, "resourceServers[0].token_dialect", []string{"adds permissions to tokens only with RBAC"}},
				{9, 27, "roles[0].permissions[1].permission_name", []string{`API "https://api.test" defines no permission "read all"; it defines: read`}},
			},
		},
		{
			name: "a repeat names the line of the first",
			yaml: lines(
				"clients:",
				"  - name: A",
				"    app_type: spa",
				"    client_id: a",
				"  - {name: B, client_id: a, app_type: spa}",
				"users:",
				"  - email: u@example.com",
				"    password: p",
				"  - {email: U@example.com, password: p, user_id: other}",
			),
			want: []wantError{
				{5, 26, "clients[1].client_id", []string{`duplicate client_id "a"; the first is at line 4`}},
				{9, 13, "users[1].email", []string{`"U@example.com" is already the email or username of the user at line 7 (compared ignoring case)`}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, fstest.MapFS{"tenant.yaml": {Data: []byte(tt.yaml)}}, "tenant.yaml", tt.want)
		})
	}
}
