package idp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdvertisedEndpointsAnswer: every endpoint the discovery document names answers a POST
// (or, for the pages, a GET) with something a client can read: its own answer, or a JSON
// protocol error. Never the router's plain-text 404, which auth0-spa-js would take for a
// network failure and retry.
func TestAdvertisedEndpointsAnswer(t *testing.T) {
	s := newAPIServer(t)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(s.discovery(), &doc))
	for name, v := range doc {
		raw, ok := v.(string)
		if !ok || name == "issuer" || !strings.HasPrefix(raw, testIssuer) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			u, err := url.Parse(raw)
			require.NoError(t, err)
			path := strings.ReplaceAll(u.Path, "%7BconnectionName%7D", "Username-Password-Authentication")
			path = strings.ReplaceAll(path, "{connectionName}", "Username-Password-Authentication")
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				w := s.send(t, method, path, "application/x-www-form-urlencoded", "")
				assert.NotEqual(t, http.StatusNotFound, w.Code, "%s %s: %s", method, path, w.Body)
				ct := w.Header().Get("Content-Type")
				if w.Code >= 400 && w.Code != http.StatusMethodNotAllowed {
					assert.True(t, strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/html"),
						"%s %s: %d %s", method, path, w.Code, ct)
				}
			}
		})
	}
}

// TestNotEmulatedEndpoints: what discovery advertises, as Auth0's document does, but the
// emulator does not serve answers 501 with a JSON error in the endpoint's own vocabulary and a
// description that says the emulator lacks it, so nobody mistakes it for a request mistake.
func TestNotEmulatedEndpoints(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		path, code, feature string
	}{
		{"/oauth/device/code", "unsupported_grant_type", "the device authorization flow"},
		{"/mfa/challenge", "unsupported_challenge_type", "multi-factor authentication"},
		{"/oidc/register", "invalid_request", "dynamic client registration"},
		{"/bc-authorize", "unsupported_grant_type", "client-initiated backchannel authentication (CIBA)"},
		{"/oauth/global-token-revocation/connection/Username-Password-Authentication", "invalid_request", "global token revocation"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := s.post(t, tt.path, form("client_id", spaClient, "scope", "openid"))
			assertError(t, w, http.StatusNotImplemented, tt.code, "The emulator does not support "+tt.feature+".")

			get := s.send(t, http.MethodGet, tt.path, "", "")
			assert.Equal(t, http.StatusMethodNotAllowed, get.Code)
			assert.Equal(t, "POST", get.Header().Get("Allow"))

			pre := s.send(t, http.MethodOptions, tt.path, "", "", "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST")
			assert.Equal(t, http.StatusNoContent, pre.Code)
			assert.Equal(t, "http://localhost:3000", pre.Header().Get("Access-Control-Allow-Origin"))
		})
	}
}

// TestNotEmulatedGrants: Auth0's grant types that the emulator does not serve get
// unsupported_grant_type, as an unknown one does, with Auth0's text plus what is missing.
func TestNotEmulatedGrants(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		grant, feature string
	}{
		{"urn:ietf:params:oauth:grant-type:device_code", "the device authorization flow"},
		{"urn:ietf:params:oauth:grant-type:token-exchange", "token exchange"},
		{"urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token", "token exchange"},
		{"http://auth0.com/oauth/grant-type/mfa-otp", "multi-factor authentication"},
		{"http://auth0.com/oauth/grant-type/mfa-oob", "multi-factor authentication"},
		{"http://auth0.com/oauth/grant-type/mfa-recovery-code", "multi-factor authentication"},
		{"http://auth0.com/oauth/grant-type/passwordless/otp", "passwordless login"},
		{"urn:openid:params:grant-type:ciba", "client-initiated backchannel authentication (CIBA)"},
		{"urn:okta:params:oauth:grant-type:webauthn", "passkeys"},
	}
	for _, tt := range tests {
		t.Run(tt.grant, func(t *testing.T) {
			w := s.post(t, "/oauth/token", form("grant_type", tt.grant, "client_id", "demo-web", "client_secret", "demo-web-secret"))
			assertError(t, w, http.StatusBadRequest, "unsupported_grant_type",
				"Unsupported grant type: "+tt.grant+". The emulator does not support "+tt.feature+".")
		})
	}
	t.Run("an unknown grant keeps Auth0's text", func(t *testing.T) {
		w := s.post(t, "/oauth/token", form("grant_type", "foo", "client_id", "demo-web", "client_secret", "demo-web-secret"))
		assertError(t, w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: foo")
	})
}
