package tenant_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// wantError is one expected problem: its position, field and words its message must contain
// (what is wrong and what is allowed).
type wantError struct {
	line, col int
	field     string
	says      []string
}

// errorCases are tenant files Load must refuse, with every problem it must report. They also
// seed FuzzLoad.
var errorCases = []struct {
	name string
	yaml string
	want []wantError
}{
	// YAML and file shape.
	{
		name: "empty file",
		yaml: "",
		want: []wantError{{1, 1, "", []string{"the file is empty", "tenant, clients, resourceServers"}}},
	},
	{
		name: "comments only",
		yaml: "# nothing here\n",
		want: []wantError{{1, 1, "", []string{"the file is empty"}}},
	},
	{
		name: "document with no content",
		yaml: "---\n",
		want: []wantError{{1, 1, "", []string{"the file is empty"}}},
	},
	{
		name: "not YAML: bad indentation",
		yaml: lines("clients:", "  - name: A", "    app_type: spa", "   client_id: a"),
		// The parser names the line where the broken list starts.
		want: []wantError{{2, 0, "", []string{"not valid YAML: did not find expected '-' indicator"}}},
	},
	{
		name: "not YAML: unclosed flow list",
		yaml: lines("tenant:", "  friendly_name: T", "clients: [", "roles: []"),
		want: []wantError{{3, 0, "", []string{"not valid YAML", "did not find expected"}}},
	},
	{
		name: "not YAML: unknown alias",
		yaml: lines("clients:", "  - name: A", "    callbacks: *urls"),
		want: []wantError{{3, 16, "", []string{"not valid YAML", "*urls refers to no anchor"}}},
	},
	{
		name: "binary data",
		yaml: "clients: []\n\x00\x01\x02",
		want: []wantError{{2, 1, "", []string{"not a YAML text file", "U+0000"}}},
	},
	{
		name: "invalid UTF-8",
		yaml: "tenant:\n  friendly_name: caf\xe9\n",
		want: []wantError{{2, 21, "", []string{"not a YAML text file", "0xe9 is not UTF-8"}}},
	},
	{
		name: "top level is a list",
		yaml: lines("- clients", "- roles"),
		want: []wantError{{1, 1, "", []string{"the top level must be a mapping of sections", "clients, resourceServers"}}},
	},
	{
		name: "two documents",
		yaml: lines("clients: []", "---", "roles: []"),
		want: []wantError{{2, 1, "", []string{"a second YAML document starts here"}}},
	},
	{
		name: "unknown section close to a known one",
		yaml: lines("client:", "  - name: A"),
		want: []wantError{{1, 1, "client", []string{`unknown section "client"; did you mean "clients"?`}}},
	},
	{
		name: "unknown section",
		yaml: lines("widgets: []"),
		want: []wantError{{1, 1, "widgets", []string{`unknown section "widgets"`,
			"allowed: tenant, clients, resourceServers, roles, clientGrants, connections, databases, users, actions, triggers, tenantless",
			"other Auth0 sections are accepted and ignored"}}},
	},
	{
		name: "unknown fields",
		yaml: lines(
			"clients:",
			"  - name: A",
			"    client_id: a",
			"    app_type: spa",
			"    callback: [http://localhost]",
			"    colour: blue",
			"tenantless:",
			"  signing_key: []",
		),
		want: []wantError{
			{5, 5, "clients[0].callback", []string{`unknown client field "callback"; did you mean "callbacks"?`}},
			{6, 5, "clients[0].colour", []string{`unknown client field "colour"`, "allowed: name, client_id, client_secret, app_type"}},
			{8, 3, "tenantless.signing_key", []string{`unknown tenantless field "signing_key"; did you mean "signing_keys"?`}},
		},
	},
	{
		name: "duplicate and merge keys",
		yaml: lines(
			"clients:",
			"  - name: A",
			"    name: B",
			"    client_id: a",
			"    app_type: spa",
			"  - <<: {name: C}",
			"    client_id: c",
			"    app_type: spa",
		),
		want: []wantError{
			{3, 5, "clients[0].name", []string{"duplicate key; it is first set at line 2"}},
			{6, 5, "clients[1]", []string{"merge keys (<<) are not supported"}},
			{6, 5, "clients[1].name", []string{"required"}},
		},
	},

	// Wrong types.
	{
		name: "a number for a list of URLs",
		yaml: lines("clients:", "  - name: A", "    client_id: a", "    app_type: spa", "    callbacks: 5"),
		want: []wantError{{5, 16, "clients[0].callbacks", []string{"must be a list of URLs, got the integer 5"}}},
	},
	{
		name: "a string for a boolean",
		yaml: lines("resourceServers:", "  - identifier: https://api.test", `    enforce_policies: "yes"`),
		want: []wantError{{3, 23, "resourceServers[0].enforce_policies", []string{`must be true or false, got the string "yes"`}}},
	},
	{
		name: "a number for a string",
		yaml: lines("clients:", "  - name: 2024", "    client_id: a", "    app_type: spa"),
		want: []wantError{{2, 11, "clients[0].name", []string{"must be a string, got the integer 2024", `quote it: "2024"`}}},
	},
	{
		name: "a mapping for a list section",
		yaml: lines("clients: {}"),
		want: []wantError{{1, 10, "clients", []string{"must be a list of clients, got a mapping"}}},
	},
	{
		name: "a string for an item",
		yaml: lines("roles:", "  - Reader"),
		want: []wantError{{2, 5, "roles[0]", []string{`must be a mapping of role fields, got the string "Reader"`}}},
	},
	{
		name: "lifetimes out of range",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"    token_lifetime: 0",
			"    token_lifetime_for_web: 90000",
			"clients:",
			"  - name: A",
			"    client_id: a",
			"    app_type: spa",
			"    jwt_configuration: {lifetime_in_seconds: \"long\"}",
		),
		want: []wantError{
			{3, 21, "resourceServers[0].token_lifetime", []string{"must be a whole number from 1 to 2592000, got the integer 0"}},
			{4, 29, "resourceServers[0].token_lifetime_for_web", []string{"must be a whole number from 1 to 86400"}},
			{9, 46, "clients[0].jwt_configuration.lifetime_in_seconds", []string{"must be a whole number from 1 to 2592000", `the string "long"`}},
		},
	},
	{
		name: "tenant settings",
		yaml: lines(
			"tenant:",
			"  session_lifetime: 0",
			"  idle_session_lifetime: 2",
			"  idle_session_lifetime_in_minutes: 30",
			"  oidc_logout:",
			`    rp_logout_end_session_endpoint_discovery: "no"`,
			"tenantless:",
			"  login_user_picker: 1",
		),
		want: []wantError{
			{2, 21, "tenant.session_lifetime", []string{"must be a number greater than 0 and at most 8760"}},
			{4, 37, "tenant.idle_session_lifetime_in_minutes", []string{"set idle_session_lifetime or idle_session_lifetime_in_minutes, not both"}},
			{6, 47, "tenant.oidc_logout.rp_logout_end_session_endpoint_discovery", []string{"must be true or false"}},
			{8, 22, "tenantless.login_user_picker", []string{"must be true or false, got the integer 1"}},
		},
	},
	{
		name: "free-form values",
		yaml: lines(
			"users:",
			"  - email: u@example.com",
			"    password: p",
			"    app_metadata: [1, 2]",
			"    user_metadata: {avatar: !!binary aGk=, 7: seven}",
		),
		want: []wantError{
			{4, 19, "users[0].app_metadata", []string{"must be a mapping, got a list"}},
			{5, 29, "users[0].user_metadata.avatar", []string{"must be a string, number, boolean, list or mapping (a JSON value)"}},
			{5, 44, "users[0].user_metadata", []string{"keys must be strings, got the integer 7"}},
		},
	},

	// Missing fields and unknown values.
	{
		name: "client without required fields",
		yaml: lines("clients:", "  - client_secret: s"),
		want: []wantError{
			{2, 5, "clients[0].name", []string{"required: the application's name"}},
			{2, 5, "clients[0].client_id", []string{"required: a fixed id for the application"}},
			{2, 5, "clients[0].app_type", []string{"required: one of spa, native, regular_web, non_interactive"}},
		},
	},
	{
		name: "API without identifier",
		yaml: lines("resourceServers:", "  - name: X"),
		want: []wantError{{2, 5, "resourceServers[0].identifier", []string{"required: the API's audience, like https://api.example.com"}}},
	},
	{
		name: "connection without strategy, database with another",
		yaml: lines("connections:", "  - name: corp", "databases:", "  - {name: X, strategy: google-oauth2}"),
		want: []wantError{
			{2, 5, "connections[0].strategy", []string{"required: the identity provider"}},
			{4, 25, "databases[0].strategy", []string{"a database connection's strategy is auth0"}},
		},
	},
	{
		name: "unknown enumerated values",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"    token_dialect: jwt",
			"clients:",
			"  - name: A",
			"    client_id: a",
			"    app_type: web",
			"    token_endpoint_auth_method: private_key_jwt",
			"    grant_types: [authorization_code, magic]",
		),
		want: []wantError{
			{3, 20, "resourceServers[0].token_dialect", []string{`unknown token_dialect "jwt"; allowed: access_token, access_token_authz, rfc9068_profile, rfc9068_profile_authz`}},
			{7, 15, "clients[0].app_type", []string{`unknown app_type "web"; allowed: spa, native, regular_web, non_interactive`}},
			{8, 33, "clients[0].token_endpoint_auth_method", []string{`unknown token_endpoint_auth_method "private_key_jwt"; allowed: none, client_secret_post, client_secret_basic`}},
			{9, 39, "clients[0].grant_types[1]", []string{`unknown grant type "magic"; allowed: authorization_code, implicit, refresh_token, client_credentials, password, http://auth0.com/oauth/grant-type/password-realm`}},
		},
	},
	{
		name: "signing algorithms other than RS256",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"    signing_alg: HS256",
			"clients:",
			"  - {name: A, client_id: a, app_type: spa, jwt_configuration: {alg: PS256}}",
		),
		want: []wantError{
			{3, 18, "resourceServers[0].signing_alg", []string{`"HS256" is not supported; allowed: RS256`}},
			{5, 69, "clients[0].jwt_configuration.alg", []string{`"PS256" is not supported; allowed: RS256`}},
		},
	},
	{
		name: "permissions in tokens without RBAC",
		yaml: lines("resourceServers:", "  - identifier: https://api.test", "    token_dialect: access_token_authz"),
		want: []wantError{{3, 20, "resourceServers[0].token_dialect", []string{"adds permissions to tokens only with RBAC; set enforce_policies: true, or use access_token"}}},
	},
	{
		name: "scopes",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"    scopes:",
			"      - value: read:a",
			"      - value: read:a",
			"      - value: read a",
			"      - description: no value",
		),
		want: []wantError{
			{5, 16, "resourceServers[0].scopes[1].value", []string{`duplicate scope "read:a"`}},
			{6, 16, "resourceServers[0].scopes[2].value", []string{`"read a" must not contain spaces`}},
			{7, 9, "resourceServers[0].scopes[3].value", []string{"required: the permission's name"}},
		},
	},

	// Clients.
	{
		name: "secret required unless the method is none",
		yaml: lines("clients:", "  - {name: W, client_id: w, app_type: regular_web}", "  - {name: B, client_id: b, app_type: spa, token_endpoint_auth_method: client_secret_basic}"),
		want: []wantError{
			{2, 5, "clients[0].client_secret", []string{"required with token_endpoint_auth_method client_secret_post", "token_endpoint_auth_method: none"}},
			{3, 5, "clients[1].client_secret", []string{"required with token_endpoint_auth_method client_secret_basic"}},
		},
	},
	{
		name: "client credentials for a public client",
		yaml: lines("clients:", "  - {name: S, client_id: s, app_type: spa, grant_types: [client_credentials]}"),
		want: []wantError{{2, 57, "clients[0].grant_types", []string{"client_credentials needs a client that authenticates", "client_secret_post"}}},
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
			"      expiration_type: non-expiring",
			"  - name: T",
			"    client_id: t",
			"    app_type: spa",
			"    refresh_token:",
			"      token_lifetime: 3600",
			"      idle_token_lifetime: 7200",
			"      rotation_type: sometimes",
		),
		want: []wantError{
			{7, 24, "clients[0].refresh_token.expiration_type", []string{"rotating refresh tokens must expire"}},
			{13, 28, "clients[1].refresh_token.idle_token_lifetime", []string{"must not be longer than token_lifetime (3600 s)"}},
			{14, 22, "clients[1].refresh_token.rotation_type", []string{`unknown rotation_type "sometimes"; allowed: rotating, non-rotating`}},
		},
	},
	{
		name: "callback and origin URLs",
		yaml: lines(
			"clients:",
			"  - name: S",
			"    client_id: s",
			"    app_type: spa",
			"    callbacks:",
			"      - /callback",
			"      - https://app.example.com/cb#frag",
			"      - com.example.app://callback",
			"      - https://*.example.com/cb",
			`    allowed_logout_urls: ["https://", " https://app.example.com"]`,
			`    web_origins: [https://app.example.com/, "https://*.example.com", http://localhost:3000]`,
			`    allowed_origins: [https://a.*.example.com, "https://app.example.com?x"]`,
			"  - name: N",
			"    client_id: n",
			"    app_type: native",
			"    callbacks: [com.example.app://callback, myapp:/callback]",
		),
		want: []wantError{
			{6, 9, "clients[0].callbacks[0]", []string{`"/callback" must be an absolute URL with a scheme and a host`}},
			{7, 9, "clients[0].callbacks[1]", []string{"must not contain a fragment"}},
			{8, 9, "clients[0].callbacks[2]", []string{`scheme "com.example.app" is allowed only for native apps; use http or https`}},
			{9, 9, "clients[0].callbacks[3]", []string{"wildcards are not supported here", "list each URL"}},
			{10, 27, "clients[0].allowed_logout_urls[0]", []string{`"https://" must have a host`}},
			{10, 39, "clients[0].allowed_logout_urls[1]", []string{"no surrounding spaces"}},
			{11, 19, "clients[0].web_origins[0]", []string{`must be an origin, scheme://host[:port], with no path (not even "/")`}},
			{12, 23, "clients[0].allowed_origins[0]", []string{"a wildcard is allowed only as the first label of the host, like https://*.example.com"}},
			{12, 48, "clients[0].allowed_origins[1]", []string{"must be an origin"}},
			{16, 45, "clients[1].callbacks[1]", []string{`"myapp:/callback" must have a host`}},
		},
	},
	{
		name: "duplicate names and ids",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"  - identifier: https://api.test",
			"roles:",
			"  - name: Reader",
			"  - name: Reader",
			"clients:",
			"  - {name: A, client_id: a, app_type: spa}",
			"  - {name: A, client_id: a, app_type: spa}",
			"databases: [{name: X}, {name: X}]",
		),
		want: []wantError{
			{3, 17, "resourceServers[1].identifier", []string{`duplicate API identifier "https://api.test"; the first is at line 2`}},
			{6, 11, "roles[1].name", []string{`duplicate role name "Reader"; the first is at line 5`}},
			{9, 12, "clients[1].name", []string{`duplicate client name "A"; the first is at line 8`}},
			{9, 26, "clients[1].client_id", []string{`duplicate client_id "a"; the first is at line 8`}},
			{10, 31, "databases[1].name", []string{`duplicate connection name "X"; the first is at line 10`}},
		},
	},

	// References.
	{
		name: "client grants",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"    scopes:",
			"      - value: read:a",
			"clients:",
			"  - {name: M, client_id: m, client_secret: s, app_type: non_interactive}",
			"clientGrants:",
			"  - client_id: nobody",
			"    audience: https://api.test",
			"    scope: [read:a, write:a]",
			"  - client_id: M",
			"    audience: https://other.test",
			"    scope: []",
			"  - {client_id: m, audience: https://api.test, scope: [read:a]}",
			"  - {client_id: M, audience: https://api.test, scope: []}",
			"  - {client_id: m}",
		),
		want: []wantError{
			{8, 16, "clientGrants[0].client_id", []string{`no client has the client_id or name "nobody"; clients: m (M)`}},
			{10, 21, "clientGrants[0].scope[1]", []string{`API "https://api.test" defines no permission "write:a"; it defines: read:a`}},
			{12, 15, "clientGrants[1].audience", []string{`no API has the identifier "https://other.test"; APIs: https://api.test`}},
			{15, 5, "clientGrants[3]", []string{`duplicate grant: client "m" already has a grant for "https://api.test"`}},
			{16, 5, "clientGrants[4].audience", []string{"required: the identifier of an API in resourceServers"}},
			{16, 5, "clientGrants[4].scope", []string{"required: a list of permissions the API defines"}},
		},
	},
	{
		name: "permissions, roles and connections",
		yaml: lines(
			"resourceServers:",
			"  - identifier: https://api.test",
			"    scopes: [{value: read:a}]",
			"roles:",
			"  - name: R",
			"    permissions:",
			"      - permission_name: write:a",
			"        resource_server_identifier: https://api.test",
			"      - permission_name: read:a",
			"        resource_server_identifier: https://nope.test",
			"      - permission_name: read:a",
			"users:",
			"  - email: u@example.com",
			"    password: p",
			"    roles: [R, Admin, R]",
			"    connection: Corporate",
			"    permissions:",
			"      - {permission_name: delete:a, resource_server_identifier: https://api.test}",
		),
		want: []wantError{
			{7, 26, "roles[0].permissions[0].permission_name", []string{`API "https://api.test" defines no permission "write:a"; it defines: read:a`}},
			{10, 37, "roles[0].permissions[1].resource_server_identifier", []string{`no API has the identifier "https://nope.test"; APIs: https://api.test`}},
			{11, 9, "roles[0].permissions[2].resource_server_identifier", []string{"required: the identifier of an API in resourceServers"}},
			{15, 16, "users[0].roles[1]", []string{`no role is named "Admin"; roles: R`}},
			{15, 23, "users[0].roles[2]", []string{`role "R" is listed twice`}},
			{16, 17, "users[0].connection", []string{`no connection is named "Corporate"; connections: Username-Password-Authentication`}},
			{18, 27, "users[0].permissions[0].permission_name", []string{`API "https://api.test" defines no permission "delete:a"; it defines: read:a`}},
		},
	},
	{
		name: "users default to a connection the tenant lacks",
		yaml: lines("databases:", "  - name: Staff", "users:", "  - email: u@example.com", "    password: p"),
		want: []wantError{{4, 5, "users[0].connection", []string{"users without a connection are in Username-Password-Authentication, which this tenant does not define; set connection to one of: Staff"}}},
	},
	{
		name: "default audience that is no API",
		yaml: lines("tenant:", "  default_audience: https://nope.test", "resourceServers:", "  - identifier: https://api.test"),
		want: []wantError{{2, 21, "tenant.default_audience", []string{`no API has the identifier "https://nope.test"; APIs: https://api.test`}}},
	},

	// Users.
	{
		name: "users need a login and a password",
		yaml: lines(
			"users:",
			"  - name: Nobody",
			"    password: p",
			"  - email: nopass@example.com",
			"  - email: empty@example.com",
			`    password: ""`,
			"  - email: number@example.com",
			"    password: 123456",
		),
		want: []wantError{
			{2, 5, "users[0].email", []string{"required: an email or a username, for the user to log in with"}},
			{4, 5, "users[1].password", []string{"required: the login page checks it, so every user needs one"}},
			{6, 15, "users[2].password", []string{"must not be empty: the login page checks it"}},
			{8, 15, "users[3].password", []string{"must be a string, got the integer 123456", `quote it: "123456"`}},
		},
	},
	{
		name: "duplicate users",
		yaml: lines(
			"users:",
			"  - {user_id: alice, email: alice@example.com, password: p}",
			"  - {user_id: auth0|alice, email: ALICE@example.com, password: p}",
			"  - {email: bob@example.com, password: p}",
			"  - {email: bob@other.example, password: p}",
			"  - {username: carol, password: p}",
			"  - {username: CAROL, password: p, user_id: carol2}",
		),
		want: []wantError{
			{3, 15, "users[1].user_id", []string{`duplicate user_id "auth0|alice"; the first is at line 2`}},
			{3, 35, "users[1].email", []string{`"ALICE@example.com" is already the email or username of the user at line 2 (compared ignoring case)`}},
			{5, 13, "users[3].email", []string{`user_id "auth0|bob", made from the email "bob@other.example", is already taken by the user at line 4; set user_id`}},
			{7, 16, "users[5].username", []string{`"CAROL" is already the email or username of the user at line 6`}},
		},
	},
	{
		name: "user field values",
		yaml: lines(
			"users:",
			"  - email: not-an-email",
			"    username: bad name",
			"    password: p",
			"    phone_number: 555-0100",
			"    created_at: yesterday",
			"    picture: /me.png",
			`  - {user_id: "|x", email: x@example.com, password: p}`,
		),
		want: []wantError{
			{2, 12, "users[0].email", []string{`"not-an-email" is not an email address like alice@example.com`}},
			{3, 15, "users[0].username", []string{`"bad name" must not contain @ or spaces`}},
			{5, 19, "users[0].phone_number", []string{"must be in E.164 form", "+14155550100"}},
			{6, 17, "users[0].created_at", []string{"must be an RFC 3339 time like 2026-01-01T00:00:00Z"}},
			{7, 14, "users[0].picture", []string{"must be an absolute URL", "data:image/"}},
			{8, 15, "users[1].user_id", []string{`"|x" must be provider|id, like auth0|alice`}},
		},
	},
	{
		name: "custom claims",
		yaml: lines(
			"users:",
			"  - email: u@example.com",
			"    password: p",
			"    claims:",
			"      sub: someone-else",
			"      email: x@example.com",
			"      https://example.com/team: ok",
			"      https://tenant.auth0.com/x: y",
			"      https://example.com/nan: .nan",
		),
		want: []wantError{
			{5, 7, "users[0].claims.sub", []string{`"sub" is set by the emulator or reserved by Auth0; use a namespaced name like https://example.com/sub`}},
			{6, 7, "users[0].claims.email", []string{`"email" comes from the user's own fields; set the user's email instead`}},
			{8, 7, "users[0].claims.https://tenant.auth0.com/x", []string{"uses a namespace Auth0 reserves"}},
			{9, 32, "users[0].claims.https://example.com/nan", []string{"(a JSON value), got the number .nan"}},
		},
	},
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, fstest.MapFS{"tenant.yaml": {Data: []byte(tt.yaml)}}, "tenant.yaml", tt.want)
		})
	}
}

func TestLoadSigningKeyErrors(t *testing.T) {
	pkcs8 := readFixture(t, "tenant-key.pem")
	rsa1024, err := os.ReadFile("testdata/rsa-1024.pem")
	require.NoError(t, err)
	ec, err := os.ReadFile("testdata/ec-p256.pem")
	require.NoError(t, err)
	const want = "an RSA private key in PEM form, PKCS#1 (BEGIN RSA PRIVATE KEY) or PKCS#8 (BEGIN PRIVATE KEY), of 2048 to 8192 bits"

	tests := []struct {
		name  string
		files map[string][]byte
		want  []wantError
	}{
		{
			name:  "missing file",
			files: map[string][]byte{},
			want:  []wantError{{3, 13, "tenantless.signing_keys[0].file", []string{`signing key file not found: looked for "conf/key.pem"`}}},
		},
		{
			name:  "not PEM",
			files: map[string][]byte{"conf/key.pem": []byte("hello\n")},
			want:  []wantError{{3, 13, "tenantless.signing_keys[0].file", []string{"conf/key.pem holds no private key; expected " + want}}},
		},
		{
			name:  "EC key",
			files: map[string][]byte{"conf/key.pem": ec},
			want:  []wantError{{3, 13, "tenantless.signing_keys[0].file", []string{`holds a "EC PRIVATE KEY" block; tokens are signed with RS256`, want}}},
		},
		{
			name:  "1024-bit key",
			files: map[string][]byte{"conf/key.pem": rsa1024},
			want:  []wantError{{3, 13, "tenantless.signing_keys[0].file", []string{"holds a 1024-bit RSA key; expected " + want}}},
		},
		{
			name:  "two keys in one file",
			files: map[string][]byte{"conf/key.pem": append(append([]byte{}, pkcs8...), pkcs8...)},
			want:  []wantError{{3, 13, "tenantless.signing_keys[0].file", []string{"holds more than one private key; put one key in each file"}}},
		},
		{
			name: "corrupt key",
			files: map[string][]byte{"conf/key.pem": []byte(
				"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")},
			want: []wantError{{3, 13, "tenantless.signing_keys[0].file", []string{"holds a PKCS#1 key that does not parse"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"conf/tenant.yaml": {Data: []byte(lines("tenantless:", "  signing_keys:", "    - file: key.pem"))}}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: data}
			}
			assertErrors(t, fsys, "conf/tenant.yaml", tt.want)
		})
	}

	t.Run("paths outside the tenant's directory", func(t *testing.T) {
		fsys := fstest.MapFS{
			"tenant.yaml": {Data: []byte(lines("tenantless:", "  signing_keys:", "    - file: ../key.pem", "    - file: /etc/key.pem", `    - {file: 'keys\key.pem'}`))},
		}
		assertErrors(t, fsys, "tenant.yaml", []wantError{
			{3, 13, "tenantless.signing_keys[0].file", []string{`"../key.pem" must be a relative path with forward slashes, inside the tenant file's directory`}},
			{4, 13, "tenantless.signing_keys[1].file", []string{`"/etc/key.pem" must be a relative path`}},
			{5, 14, "tenantless.signing_keys[2].file", []string{`"keys\\key.pem" must be a relative path with forward slashes`}},
		})
	})

	t.Run("the same key twice", func(t *testing.T) {
		fsys := fstest.MapFS{
			"tenant.yaml": {Data: []byte(lines("tenantless:", "  signing_keys: [{file: a.pem}, {file: b.pem}]"))},
			"a.pem":       {Data: pkcs8},
			"b.pem":       {Data: pkcs8},
		}
		assertErrors(t, fsys, "tenant.yaml", []wantError{
			{2, 40, "tenantless.signing_keys[1].file", []string{"b.pem holds the same key as signing key 0"}},
		})
	})
}

func TestLoadErrorLimits(t *testing.T) {
	t.Run("problems are capped", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("roles:\n")
		for range 150 {
			b.WriteString("  - description: no name\n")
		}
		_, err := tenant.Load(fstest.MapFS{"tenant.yaml": {Data: []byte(b.String())}}, "tenant.yaml")
		var errs tenant.Errors
		require.ErrorAs(t, err, &errs)
		require.Len(t, errs, 101)
		assert.Equal(t, 2, errs[0].Line)
		assert.Equal(t, 101, errs[99].Line, "the first problems by position are kept")
		assert.Equal(t, &tenant.Error{File: "tenant.yaml", Msg: "50 more problems not shown"}, errs[100])
	})

	t.Run("alias expansion is bounded", func(t *testing.T) {
		// Each level lists the previous one ten times: 10^8 values from a few lines.
		var b strings.Builder
		b.WriteString("users:\n  - email: u@example.com\n    password: p\n    app_metadata:\n      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
		for i := 1; i <= 8; i++ {
			fmt.Fprintf(&b, "      l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
		}
		start := time.Now()
		_, err := tenant.Load(fstest.MapFS{"tenant.yaml": {Data: []byte(b.String())}}, "tenant.yaml")
		var errs tenant.Errors
		require.ErrorAs(t, err, &errs)
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0].Msg, "the file expands to more than")
		assert.Less(t, time.Since(start), 30*time.Second)
	})

	t.Run("nesting is bounded", func(t *testing.T) {
		doc := "users:\n  - email: u@example.com\n    password: p\n    app_metadata: " +
			strings.Repeat("{a: ", 70) + "1" + strings.Repeat("}", 70) + "\n"
		assertErrors(t, fstest.MapFS{"tenant.yaml": {Data: []byte(doc)}}, "tenant.yaml", []wantError{
			{4, 279, "users[0].app_metadata" + strings.Repeat(".a", 65), []string{"nested deeper than 64 levels"}},
		})
	})
}

// assertErrors loads name from fsys and checks that it fails with exactly the wanted problems, in
// order.
func assertErrors(t *testing.T, fsys fstest.MapFS, name string, want []wantError) {
	t.Helper()
	tn, err := tenant.Load(fsys, name)
	require.Error(t, err)
	assert.Nil(t, tn)
	var errs tenant.Errors
	require.True(t, errors.As(err, &errs), "want tenant.Errors, got %T: %v", err, err)
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = fmt.Sprintf("%d:%d %s", e.Line, e.Column, e.Field)
		assert.Equal(t, name, e.File)
	}
	wantPos := make([]string, len(want))
	for i, w := range want {
		wantPos[i] = fmt.Sprintf("%d:%d %s", w.line, w.col, w.field)
	}
	require.Equal(t, wantPos, got, "positions and fields of:\n%v", err)
	for i, w := range want {
		for _, s := range w.says {
			assert.Contains(t, errs[i].Msg, s, "message %d", i)
		}
		prefix := fmt.Sprintf("%s:%d:", name, w.line)
		assert.True(t, strings.HasPrefix(errs[i].Error(), prefix), "%q starts with %q", errs[i].Error(), prefix)
	}
}
