package idp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// passwordForm is a password grant by demo-web (client_secret_post), plus extra parameters.
func passwordForm(username, password string, kv ...string) string {
	return form(append([]string{"grant_type", "password", "client_id", "demo-web", "client_secret", "demo-web-secret",
		"username", username, "password", password}, kv...)...)
}

func TestPasswordGrantClaims(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		name        string
		user        string
		scope       string
		wantScope   string
		permissions []any
	}{
		{"alice holds read:protected", "alice@example.com", "openid profile email read:protected", "openid profile email read:protected", []any{"read:protected"}},
		{"bob asks for it and does not get it", "bob@example.com", "openid profile email read:protected", "openid profile email", []any{}},
		{"scope asked for in another order", "alice@example.com", "read:protected openid", "read:protected openid", []any{"read:protected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm(tt.user, tt.user[:len(tt.user)-len("@example.com")]+"-password",
				"audience", "https://api.example.com", "scope", tt.scope)))
			assert.Equal(t, tt.wantScope, resp.Scope)
			assert.Empty(t, resp.RefreshToken, "no offline_access asked for")
			sub := "auth0|" + tt.user[:len(tt.user)-len("@example.com")]
			assert.Equal(t, map[string]any{
				"iss":         "http://localhost:4000/",
				"sub":         sub,
				"aud":         []any{"https://api.example.com", "http://localhost:4000/userinfo"},
				"azp":         "demo-web",
				"scope":       tt.wantScope,
				"gty":         "password",
				"permissions": tt.permissions,
				"iat":         unix(testStart),
				"exp":         unix(testStart.Add(86400 * time.Second)),
			}, s.claimsOf(t, resp.AccessToken))
			id := s.claimsOf(t, resp.IDToken)
			assert.Equal(t, "demo-web", id["aud"])
			assert.Equal(t, sub, id["sub"])
			assert.Equal(t, 36000.0, id["exp"].(float64)-id["iat"].(float64))
			assert.NotContains(t, id, "sid", "no session behind a password grant")
			assert.NotContains(t, id, "nonce")
		})
	}
}

func TestPasswordGrantProfileClaims(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		scope   string
		present []string
		absent  []string
	}{
		{"openid", []string{"sub"}, []string{"name", "nickname", "email", "email_verified", "updated_at"}},
		{"openid profile", []string{"name", "given_name", "family_name", "nickname", "picture", "updated_at"}, []string{"email", "email_verified"}},
		{"openid email", []string{"email", "email_verified"}, []string{"name", "nickname", "picture"}},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password", "scope", tt.scope)))
			id := s.claimsOf(t, resp.IDToken)
			for _, k := range tt.present {
				assert.Contains(t, id, k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, id, k)
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("ALICE@example.com", "alice-password", "scope", "openid profile email")))
		id := s.claimsOf(t, resp.IDToken)
		assert.Equal(t, "Alice Example", id["name"])
		assert.Equal(t, "alice", id["nickname"])
		assert.Equal(t, "alice@example.com", id["email"])
		assert.Equal(t, true, id["email_verified"])
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, id["updated_at"])
	})
}

func TestPasswordGrantWithoutAudience(t *testing.T) {
	s := newAPIServer(t)
	resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password", "scope", "openid read:protected")))
	assert.Equal(t, "openid", resp.Scope, "API scopes need an audience")
	assert.Len(t, resp.AccessToken, 32, "opaque access token (24 random bytes)")
	assert.NotContains(t, resp.AccessToken, ".")
	assert.NotEmpty(t, resp.IDToken)
}

func TestPasswordGrantErrors(t *testing.T) {
	s := newAPIServer(t)
	realm := func(user, pass, realm string) string {
		return form("grant_type", "http://auth0.com/oauth/grant-type/password-realm", "client_id", "demo-web",
			"client_secret", "demo-web-secret", "username", user, "password", pass, "realm", realm)
	}
	tests := []struct {
		name        string
		body        string
		status      int
		code        string
		description string
	}{
		{"wrong password", passwordForm("alice@example.com", "nope"), 403, "invalid_grant", "Wrong email or password."},
		{"unknown user", passwordForm("nobody@example.com", "alice-password"), 403, "invalid_grant", "Wrong email or password."},
		{"another user's password", passwordForm("alice@example.com", "bob-password"), 403, "invalid_grant", "Wrong email or password."},
		{"password differing in case", passwordForm("alice@example.com", "ALICE-PASSWORD"), 403, "invalid_grant", "Wrong email or password."},
		{"blocked user, right password", passwordForm("blocked@example.com", "blocked-password"), 401, "unauthorized", "user is blocked"},
		{"blocked user, wrong password", passwordForm("blocked@example.com", "x"), 403, "invalid_grant", "Wrong email or password."},
		{"missing username", form("grant_type", "password", "client_id", "demo-web", "client_secret", "demo-web-secret", "password", "x"), 400, "invalid_request", "Missing required parameter: username"},
		{"missing password", form("grant_type", "password", "client_id", "demo-web", "client_secret", "demo-web-secret", "username", "x"), 400, "invalid_request", "Missing required parameter: password"},
		{"unknown audience", passwordForm("alice@example.com", "alice-password", "audience", "https://nope"), 403, "access_denied", "Service not found: https://nope"},
		{"realm missing", form("grant_type", "http://auth0.com/oauth/grant-type/password-realm", "client_id", "demo-web", "client_secret", "demo-web-secret", "username", "alice@example.com", "password", "alice-password"), 400, "invalid_request", "Missing required parameter: realm"},
		{"realm unknown", realm("alice@example.com", "alice-password", "Nope"), 400, "invalid_request", "Unknown realm: Nope"},
		{"realm, wrong password", realm("alice@example.com", "x", "Username-Password-Authentication"), 403, "invalid_grant", "Wrong email or password."},
		{"public client may not", form("grant_type", "password", "client_id", "demo-spa", "username", "alice@example.com", "password", "alice-password"), 403, "unauthorized_client", "Grant type 'password' not allowed for the client."},
		{"bad client secret", form("grant_type", "password", "client_id", "demo-web", "client_secret", "x", "username", "alice@example.com", "password", "alice-password"), 401, "access_denied", "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, s.post(t, "/oauth/token", tt.body), tt.status, tt.code, tt.description)
		})
	}
	t.Run("realm, right connection", func(t *testing.T) {
		resp := tokenOK(t, s.post(t, "/oauth/token", realm("alice@example.com", "alice-password", "Username-Password-Authentication")))
		assert.NotEmpty(t, resp.AccessToken)
	})
}

// TestPasswordGrantNoEnumeration: an unknown user and a wrong password get byte-identical
// answers (S44).
func TestPasswordGrantNoEnumeration(t *testing.T) {
	s := newAPIServer(t)
	unknown := s.post(t, "/oauth/token", passwordForm("nobody@example.com", "x"))
	wrong := s.post(t, "/oauth/token", passwordForm("alice@example.com", "x"))
	assert.Equal(t, unknown.Code, wrong.Code)
	assert.Equal(t, unknown.Body.String(), wrong.Body.String())
	assert.Equal(t, unknown.Header(), wrong.Header())
}

// TestPasswordGrantRealmOtherConnection: a user of another connection is "wrong email or
// password" in this realm.
func TestPasswordGrantRealmOtherConnection(t *testing.T) {
	s := newAPIServerYAML(t, otherRealmTenant)
	body := func(realm string) string {
		return form("grant_type", "http://auth0.com/oauth/grant-type/password-realm", "client_id", "web", "client_secret", "web-secret",
			"username", "erin@example.com", "password", "erin-password", "realm", realm)
	}
	assertError(t, s.post(t, "/oauth/token", body("Username-Password-Authentication")), 403, "invalid_grant", "Wrong email or password.")
	tokenOK(t, s.post(t, "/oauth/token", body("Contractors")))
	w := s.post(t, "/oauth/token", form("grant_type", "password", "client_id", "web", "client_secret", "web-secret", "username", "erin@example.com", "password", "erin-password"))
	assertError(t, w, 403, "unauthorized_client", "Grant type 'password' not allowed for the client.")
}

// TestPasswordGrantLockout: after 10 consecutive failures the login is locked, even for the
// right password, for 15 minutes (S44).
func TestPasswordGrantLockout(t *testing.T) {
	s := newAPIServer(t)
	for i := range 10 {
		w := s.post(t, "/oauth/token", passwordForm("Alice@Example.com", "wrong"))
		require.Equal(t, 403, w.Code, "attempt %d", i+1)
	}
	locked := "Your account has been blocked after multiple consecutive login attempts."
	assertError(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password")), 429, "too_many_attempts", locked)
	assertError(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "wrong")), 429, "too_many_attempts", locked)
	tokenOK(t, s.post(t, "/oauth/token", passwordForm("bob@example.com", "bob-password")))

	s.Clock().Advance(15 * time.Minute)
	tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password")))

	t.Run("a success resets the count", func(t *testing.T) {
		for range 9 {
			s.post(t, "/oauth/token", passwordForm("bob@example.com", "wrong"))
		}
		tokenOK(t, s.post(t, "/oauth/token", passwordForm("bob@example.com", "bob-password")))
		for range 9 {
			s.post(t, "/oauth/token", passwordForm("bob@example.com", "wrong"))
		}
		tokenOK(t, s.post(t, "/oauth/token", passwordForm("bob@example.com", "bob-password")))
	})
	t.Run("unknown logins are counted too", func(t *testing.T) {
		for range 10 {
			s.post(t, "/oauth/token", passwordForm("ghost@example.com", "x"))
		}
		assertError(t, s.post(t, "/oauth/token", passwordForm("ghost@example.com", "x")), 429, "too_many_attempts")
	})
}

// TestLoginLockoutTiming: ten wrong passwords in a row lock the login for 15 minutes counted
// from the tenth, however long the ten took; attempts during the lock neither count nor extend
// it, and once it is over the count starts again (README; Auth0's brute-force protection counts
// consecutive failures, not failures per window).
func TestLoginLockoutTiming(t *testing.T) {
	type step struct {
		wait     time.Duration
		password string
		times    int // default 1
		status   int
	}
	wrong := func(n int) step { return step{password: "wrong", times: n, status: 403} }
	const locked, ok = 429, 200
	tests := []struct {
		name  string
		steps []step
	}{
		{"locked 15 minutes from the tenth failure", []step{
			wrong(9),
			{wait: 14 * time.Minute, password: "wrong", status: 403},
			{wait: 15*time.Minute - time.Second, password: "alice-password", status: locked},
			{wait: time.Second, password: "alice-password", status: ok},
		}},
		{"failures spread over an hour are still in a row", []step{
			{password: "wrong", status: 403},
			{wait: 20 * time.Minute, password: "wrong", times: 8, status: 403},
			{wait: time.Hour, password: "wrong", status: 403},
			{password: "alice-password", status: locked},
		}},
		{"attempts during the lock do not extend it", []step{
			wrong(10),
			{wait: 10 * time.Minute, password: "wrong", status: locked},
			{wait: 5 * time.Minute, password: "alice-password", status: ok},
		}},
		{"after the lock the count starts again", []step{
			wrong(10),
			{wait: 15 * time.Minute, password: "wrong", times: 9, status: 403},
			{password: "alice-password", status: ok},
		}},
		{"nine failures and a success lock nothing", []step{
			wrong(9),
			{password: "alice-password", status: ok},
			wrong(9),
			{password: "alice-password", status: ok},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAPIServer(t)
			for i, st := range tt.steps {
				s.Clock().Advance(st.wait)
				for n := range max(st.times, 1) {
					w := s.post(t, "/oauth/token", passwordForm("alice@example.com", st.password))
					require.Equal(t, st.status, w.Code, "step %d, attempt %d: %s", i+1, n+1, w.Body)
				}
			}
		})
	}
}
