package idp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
)

func TestMintToken(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		name string
		req  MintRequest
		want map[string]any
	}{
		{"user by email, defaults", MintRequest{User: "alice@example.com"}, map[string]any{
			"iss": "http://localhost:4000/", "sub": "auth0|alice", "aud": "https://api.example.com", "azp": "demo-spa",
			"scope": "read:protected", "permissions": []any{"read:protected"},
			"iat": unix(testStart), "exp": unix(testStart.Add(24 * time.Hour)),
		}},
		{"user by id, client, scope, lifetime, claims", MintRequest{User: "auth0|bob", ClientID: "demo-web", Scope: "openid read:protected",
			ExpiresIn: 5 * time.Minute, Claims: map[string]any{"https://example.com/role": "tester", "n": 3.0}}, map[string]any{
			"iss": "http://localhost:4000/", "sub": "auth0|bob", "aud": []any{"https://api.example.com", "http://localhost:4000/userinfo"},
			"azp": "demo-web", "scope": "openid", "permissions": []any{}, "https://example.com/role": "tester", "n": 3.0,
			"iat": unix(testStart), "exp": unix(testStart.Add(5 * time.Minute)),
		}},
		{"machine, defaults", MintRequest{}, map[string]any{
			"iss": "http://localhost:4000/", "sub": "demo-m2m@clients", "aud": "https://api.example.com", "azp": "demo-m2m",
			"scope": "read:protected", "permissions": []any{"read:protected"}, "gty": "client-credentials",
			"iat": unix(testStart), "exp": unix(testStart.Add(24 * time.Hour)),
		}},
		{"machine, named", MintRequest{ClientID: "demo-m2m", Audience: "https://api.example.com", Scope: "read:protected"}, map[string]any{
			"iss": "http://localhost:4000/", "sub": "demo-m2m@clients", "aud": "https://api.example.com", "azp": "demo-m2m",
			"scope": "read:protected", "permissions": []any{"read:protected"}, "gty": "client-credentials",
			"iat": unix(testStart), "exp": unix(testStart.Add(24 * time.Hour)),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.MintToken(tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.claimsOf(t, resp.AccessToken))
			assert.Empty(t, resp.RefreshToken)
			assert.Equal(t, "Bearer", resp.TokenType)
		})
	}
	t.Run("openid gives an ID token", func(t *testing.T) {
		resp, err := s.MintToken(MintRequest{User: "alice@example.com", Scope: "openid profile"})
		require.NoError(t, err)
		assert.Equal(t, "demo-spa", s.claimsOf(t, resp.IDToken)["aud"])
		assert.Equal(t, int64(86400), resp.ExpiresIn)
	})
}

func TestMintTokenErrors(t *testing.T) {
	s := newAPIServer(t)
	qa := newAPIServerFor(t, fixtures.FS, fixtures.QATenant)
	multi := newAPIServerYAML(t, `
resourceServers:
  - {name: A, identifier: https://a.example.com}
  - {name: B, identifier: https://b.example.com}
clients:
  - {name: M, client_id: m, client_secret: s, app_type: non_interactive}
clientGrants:
  - {client_id: m, audience: https://a.example.com, scope: []}
  - {client_id: m, audience: https://b.example.com, scope: []}
users:
  - {email: u@example.com, password: p}
`)
	tests := []struct {
		name   string
		server *apiServer
		req    MintRequest
		err    string
	}{
		{"unknown user", s, MintRequest{User: "nobody"}, `idp: no user "nobody" in tenant "Tenantless Demo"`},
		{"blocked user", s, MintRequest{User: "blocked@example.com"}, `idp: user "blocked@example.com" is blocked`},
		{"unknown client", s, MintRequest{User: "alice@example.com", ClientID: "nope"}, `idp: no client "nope" in tenant "Tenantless Demo"`},
		{"unknown audience", s, MintRequest{Audience: "https://nope"}, `idp: no API "https://nope" in tenant "Tenantless Demo"`},
		{"public client as machine", s, MintRequest{ClientID: "demo-spa"}, `idp: client "demo-spa" is public (no secret) and cannot get machine-to-machine tokens`},
		{"client without a grant", s, MintRequest{ClientID: "demo-web"}, `idp: client "demo-web" has no client grant for "https://api.example.com"`},
		{"scope not granted", s, MintRequest{ClientID: "demo-m2m", Scope: "write"}, `idp: client "demo-m2m" has not been granted scope "write" on "https://api.example.com"`},
		{"restricted claim", s, MintRequest{User: "alice@example.com", Claims: map[string]any{"sub": "x"}},
			`idp: claims: "sub" is set by the emulator or reserved by Auth0; use a namespaced name like https://example.com/sub`},
		{"permissions claim", s, MintRequest{Claims: map[string]any{"permissions": []string{"x"}}},
			`idp: claims: "permissions" is set by the emulator or reserved by Auth0; use a namespaced name like https://example.com/permissions`},
		{"several refused claims: the first by name", s, MintRequest{Claims: map[string]any{"sub": "x", "groups": "y", "https://example.com/ok": 1}},
			`idp: claims: "groups" is set by the emulator or reserved by Auth0; use a namespaced name like https://example.com/groups`},
		{"negative lifetime", s, MintRequest{ExpiresIn: -time.Second}, "idp: ExpiresIn must not be negative"},
		{"several APIs for a user", multi, MintRequest{User: "u@example.com", ClientID: "m"}, `idp: tenant "tenant" has several APIs and no default audience; name one`},
		{"several grants for a client", multi, MintRequest{ClientID: "m"}, `idp: tenant "tenant" has several APIs and no default audience; name one`},
		{"no client for a user", multi, MintRequest{User: "u@example.com", Audience: "https://a.example.com"}, `idp: tenant "tenant" has no client allowed the authorization_code grant; name one`},
		{"no client with a grant", qa, MintRequest{Audience: "https://nope.example.com"}, `idp: no API "https://nope.example.com" in tenant "Tenantless QA"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.server.MintToken(tt.req)
			assert.EqualError(t, err, tt.err)
		})
	}
	t.Run("QA tenant: default audience and its grant", func(t *testing.T) {
		resp, err := qa.MintToken(MintRequest{})
		require.NoError(t, err)
		c := qa.claimsOf(t, resp.AccessToken)
		assert.Equal(t, "qa-m2m@clients", c["sub"])
		assert.Equal(t, "https://orders.example.com", c["aud"])
		assert.Equal(t, "read:orders create:orders", c["scope"])
	})
	t.Run("QA tenant: a user's custom claims", func(t *testing.T) {
		resp, err := qa.MintToken(MintRequest{User: "carol@example.com", Audience: "https://billing.example.com"})
		require.NoError(t, err)
		c := qa.claimsOf(t, resp.AccessToken)
		assert.Equal(t, "fulfilment", c["https://example.com/team"])
		assert.Equal(t, "read:invoices", c["scope"], "RBAC cuts the API's scopes to carol's")
		assert.NotContains(t, c, "permissions", "token_dialect access_token")
		assert.Equal(t, 7200.0, c["exp"].(float64)-c["iat"].(float64))
	})
}
