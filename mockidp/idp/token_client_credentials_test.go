package idp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tenant with a second API the M2M client has no grant for, and a default audience.
const ccTenant = `
tenant:
  default_audience: https://api.example.com
resourceServers:
  - name: API
    identifier: https://api.example.com
    scopes: [{value: read}, {value: write}, {value: admin}]
  - name: Other
    identifier: https://other.example.com
  - name: Empty
    identifier: https://empty.example.com
clients:
  - name: M2M
    client_id: m2m
    client_secret: m2m-secret
    app_type: non_interactive
clientGrants:
  - client_id: m2m
    audience: https://api.example.com
    scope: [read, write]
  - client_id: m2m
    audience: https://empty.example.com
    scope: []
`

func TestClientCredentialsToken(t *testing.T) {
	s := newAPIServer(t)
	w := s.post(t, "/oauth/token", ccForm)
	resp := tokenOK(t, w)
	assert.Equal(t, "Bearer", resp.TokenType)
	assert.Equal(t, int64(86400), resp.ExpiresIn)
	assert.Equal(t, "read:protected", resp.Scope)
	assert.Empty(t, resp.IDToken, "no ID token for a client")
	assert.Empty(t, resp.RefreshToken, "no refresh token for a client")
	assert.JSONEq(t, `{"access_token":"`+resp.AccessToken+`","token_type":"Bearer","expires_in":86400,"scope":"read:protected"}`, w.Body.String())

	// The claims of a real Auth0 client-credentials token (one is quoted in redpanda-data/redpanda,
	// src/v/security/tests/jwt_test.cc).
	assert.Equal(t, map[string]any{
		"iss":         "http://localhost:4000/",
		"sub":         "demo-m2m@clients",
		"aud":         "https://api.example.com",
		"azp":         "demo-m2m",
		"scope":       "read:protected",
		"gty":         "client-credentials",
		"permissions": []any{"read:protected"},
		"iat":         unix(testStart),
		"exp":         unix(testStart.Add(24 * time.Hour)),
	}, s.claimsOf(t, resp.AccessToken))
}

func TestClientCredentialsErrors(t *testing.T) {
	s := newAPIServerYAML(t, ccTenant)
	d := newAPIServer(t)
	auth := []string{"Authorization", basic("m2m", "m2m-secret")}
	tests := []struct {
		name        string
		server      *apiServer
		body        string
		status      int
		code        string
		description string
	}{
		{"no audience and no default audience", d, form("grant_type", "client_credentials"), 403, "access_denied",
			"No audience parameter was provided, and no default audience has been configured"},
		{"unknown audience", s, form("grant_type", "client_credentials", "audience", "https://nope.example.com"), 403, "access_denied",
			"Service not found: https://nope.example.com"},
		{"audience differing by a trailing slash", s, form("grant_type", "client_credentials", "audience", "https://api.example.com/"), 403, "access_denied",
			"Service not found: https://api.example.com/"},
		{"no client grant", s, form("grant_type", "client_credentials", "audience", "https://other.example.com"), 403, "access_denied",
			`Client is not authorized to access "https://other.example.com". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`},
		{"scope not granted", s, form("grant_type", "client_credentials", "scope", "read admin"), 403, "access_denied",
			"Client has not been granted scopes: admin"},
		{"several scopes not granted", s, form("grant_type", "client_credentials", "scope", "openid admin read delete"), 403, "access_denied",
			"Client has not been granted scopes: openid, admin, delete"},
		{"missing grant_type (S26)", s, form("audience", "https://api.example.com"), 400, "invalid_request",
			"Missing required parameter: grant_type"},
		{"unknown grant_type (S26)", s, form("grant_type", "foo"), 400, "unsupported_grant_type",
			"Unsupported grant type: foo"},
		{"device code is not emulated", s, form("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), 400, "unsupported_grant_type",
			"Unsupported grant type: urn:ietf:params:oauth:grant-type:device_code. The emulator does not support the device authorization flow."},
		{"grant type case matters", s, form("grant_type", "Client_Credentials"), 400, "unsupported_grant_type",
			"Unsupported grant type: Client_Credentials"},
		{"password not enabled (S26, S27)", s, form("grant_type", "password", "username", "a", "password", "b"), 403, "unauthorized_client",
			"Grant type 'password' not allowed for the client."},
		{"refresh_token not enabled (S27)", s, form("grant_type", "refresh_token", "refresh_token", "x"), 403, "unauthorized_client",
			"Grant type 'refresh_token' not allowed for the client."},
		{"authorization_code not enabled (S27)", s, form("grant_type", "authorization_code", "code", "x"), 403, "unauthorized_client",
			"Grant type 'authorization_code' not allowed for the client."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := auth
			if tt.server == d {
				h = []string{"Authorization", basic("demo-m2m", "demo-m2m-secret")}
			}
			w := tt.server.post(t, "/oauth/token", tt.body, h...)
			assertError(t, w, tt.status, tt.code, tt.description)
		})
	}
	t.Run("unauthorized_client carries error_uri", func(t *testing.T) {
		w := s.post(t, "/oauth/token", form("grant_type", "password"), auth...)
		assert.JSONEq(t, `{"error":"unauthorized_client","error_description":"Grant type 'password' not allowed for the client.","error_uri":"https://auth0.com/docs/clients/client-grant-types"}`, w.Body.String())
	})
}

func TestClientCredentialsScopes(t *testing.T) {
	s := newAPIServerYAML(t, ccTenant)
	auth := []string{"Authorization", basic("m2m", "m2m-secret")}
	tests := []struct {
		name, body, scope string
	}{
		{"default audience, all granted scopes", form("grant_type", "client_credentials"), "read write"},
		{"a subset, in the order asked", form("grant_type", "client_credentials", "scope", "write read"), "write read"},
		{"repeats dropped", form("grant_type", "client_credentials", "scope", "read  read"), "read"},
		{"a grant with no scopes", form("grant_type", "client_credentials", "audience", "https://empty.example.com"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tokenOK(t, s.post(t, "/oauth/token", tt.body, auth...))
			assert.Equal(t, tt.scope, resp.Scope)
			claims := s.claimsOf(t, resp.AccessToken)
			if tt.scope == "" {
				assert.NotContains(t, claims, "scope")
			} else {
				assert.Equal(t, tt.scope, claims["scope"])
			}
			assert.NotContains(t, claims, "permissions", "no RBAC on this API")
		})
	}
	t.Run("token from JSON body", func(t *testing.T) {
		w := s.send(t, "POST", "/oauth/token", "application/json", `{"grant_type":"client_credentials","client_id":"m2m","client_secret":"m2m-secret","scope":"read"}`)
		resp := tokenOK(t, w)
		require.Equal(t, "read", resp.Scope)
	})
}
