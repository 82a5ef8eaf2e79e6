package mgmt_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	qa, err := tenant.Load(fixtures.FS, fixtures.QATenant)
	require.NoError(t, err)
	other, err := idp.New(idp.Config{Issuer: issuer, Tenant: qa, Now: func() time.Time { return start }})
	require.NoError(t, err)
	otherTenant, err := other.MintToken(idp.MintRequest{Audience: "https://orders.example.com"})
	require.NoError(t, err)
	apiToken, err := e.server.MintToken(idp.MintRequest{ClientID: "demo-m2m", Audience: "https://api.example.com"})
	require.NoError(t, err)
	forged, err := e.server.Keys().Sign(map[string]any{"iss": "https://evil.example.com/", "aud": audience,
		"exp": start.Add(time.Hour).Unix(), "scope": "read:users"})
	require.NoError(t, err)
	noExp, err := e.server.Keys().Sign(map[string]any{"iss": issuer, "aud": audience, "scope": "read:users"})
	require.NoError(t, err)

	const invalid = `{"statusCode":401,"error":"Unauthorized","message":"Invalid token","attributes":{"error":"Invalid token"}}`
	tests := []struct {
		name, header, want string
	}{
		{"no token", "", `{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`},
		{"not Bearer", "Basic ZGVtbzpzZWNyZXQ=", `{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`},
		{"malformed", "Bearer not.a.jwt", invalid},
		{"token from another tenant", "Bearer " + otherTenant.AccessToken, invalid},
		{"another issuer", "Bearer " + forged, invalid},
		{"no exp", "Bearer " + noExp, invalid},
		{"wrong audience", "Bearer " + apiToken.AccessToken,
			`{"statusCode":401,"error":"Unauthorized","message":"Bad audience: https://api.example.com","attributes":{"error":"Bad audience: https://api.example.com"}}`},
		{"scope missing", "Bearer " + e.token("create:users"),
			`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:users","errorCode":"insufficient_scope"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(http.MethodGet, "/api/v2/users", tt.header)
			w := serve(t, e, r)
			assertError(t, w, tt.want)
		})
	}

	t.Run("expired on the emulator's clock", func(t *testing.T) {
		tok := e.token("read:users")
		e.server.Clock().Advance(25 * time.Hour)
		defer e.server.Clock().Reset()
		w := e.call(http.MethodGet, "/api/v2/users", tok, nil)
		assertError(t, w, `{"statusCode":401,"error":"Unauthorized","message":"Expired token received for JSON Web Token validation","attributes":{"error":"Expired token received for JSON Web Token validation"}}`)
	})

	t.Run("the scope the endpoint needs is enough", func(t *testing.T) {
		w := e.call(http.MethodGet, "/api/v2/users", e.token("read:users"), nil)
		assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	})
}

func TestClientCredentialsForTheManagementAPI(t *testing.T) {
	e := newEnv(t)
	t.Run("a client without a grant is refused", func(t *testing.T) {
		_, err := e.server.MintToken(idp.MintRequest{ClientID: "demo-m2m", Audience: audience})
		assert.Error(t, err)
	})
	t.Run("the grant bounds the scope", func(t *testing.T) {
		_, err := e.server.MintToken(idp.MintRequest{ClientID: "demo-mgmt", Audience: audience, Scope: "read:users delete:tenants"})
		assert.Error(t, err)
	})
}

func TestNotServed(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, method, path, want string }{
		{"an Auth0 endpoint the emulator does not serve", http.MethodGet, "/api/v2/organizations",
			`{"statusCode":501,"error":"Not Implemented","message":"The emulator does not serve GET /api/v2/organizations of the Management API.","errorCode":"not_implemented"}`},
		{"a method Auth0 does not serve on a served path", http.MethodPut, "/api/v2/users/auth0|alice",
			`{"statusCode":501,"error":"Not Implemented","message":"The emulator does not serve PUT /api/v2/users/auth0|alice of the Management API.","errorCode":"not_implemented"}`},
		{"a path Auth0 does not have", http.MethodGet, "/api/v2/nope",
			`{"statusCode":404,"error":"Not Found","message":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, e.do(tt.method, tt.path, nil), tt.want)
		})
	}
	t.Run("a token first, as on Auth0", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, e.call(http.MethodGet, "/api/v2/organizations", "", nil).Code)
	})
}
