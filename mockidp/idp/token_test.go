package idp

import "testing"

// TestTokenOrganization: organizations are not emulated, so a token request naming one is
// refused rather than answered with a token that lacks org_id
// (https://auth0.com/docs/manage-users/organizations/using-tokens).
func TestTokenOrganization(t *testing.T) {
	s := newAPIServer(t)
	const refused = "parameter organization is invalid: org_abc123 does not exist (the emulator has no organizations)"
	tests := []struct {
		name        string
		contentType string
		body        string
		headers     []string
	}{
		{"client_credentials", "application/x-www-form-urlencoded",
			form("grant_type", "client_credentials", "audience", "https://api.example.com", "organization", "org_abc123"),
			[]string{"Authorization", basic("demo-m2m", "demo-m2m-secret")}},
		{"client_credentials, JSON", "application/json",
			`{"grant_type":"client_credentials","client_id":"demo-m2m","client_secret":"demo-m2m-secret","audience":"https://api.example.com","organization":"org_abc123"}`, nil},
		{"password", "application/x-www-form-urlencoded",
			passwordForm("alice@example.com", "alice-password", "organization", "org_abc123"), nil},
		{"authorization_code", "application/x-www-form-urlencoded",
			form("grant_type", "authorization_code", "client_id", spaClient, "code", "x", "code_verifier", testVerifier, "organization", "org_abc123"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.send(t, "POST", "/oauth/token", tt.contentType, tt.body, tt.headers...)
			assertError(t, w, 400, "invalid_request", refused)
		})
	}
	t.Run("an organization that is not a string", func(t *testing.T) {
		w := s.send(t, "POST", "/oauth/token", "application/json",
			`{"grant_type":"client_credentials","client_id":"demo-m2m","client_secret":"demo-m2m-secret","audience":"https://api.example.com","organization":{"id":"org_abc123"}}`)
		assertError(t, w, 400, "invalid_request", "Parameter 'organization' must be a string")
	})
}
