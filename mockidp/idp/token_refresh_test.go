package idp

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/store"
)

// refreshForm is a refresh by demo-web (client_secret_post), plus extra parameters.
func refreshForm(rt string, kv ...string) string {
	return form(append([]string{"grant_type", "refresh_token", "client_id", "demo-web", "client_secret", "demo-web-secret",
		"refresh_token", rt}, kv...)...)
}

// aliceOffline logs alice in with the password grant and offline_access.
func aliceOffline(t *testing.T, s *apiServer) TokenResponse {
	t.Helper()
	resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password",
		"audience", "https://api.example.com", "scope", "openid profile offline_access read:protected")))
	require.NotEmpty(t, resp.RefreshToken)
	return resp
}

// userinfoStatus is the status /userinfo gives an access token.
func (s *apiServer) userinfoStatus(t *testing.T, at string) int {
	t.Helper()
	return s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+at).Code
}

// TestRefreshRotation: each refresh returns a new refresh token and ID token; the old one is
// spent, and presenting it again revokes the whole family (S28).
func TestRefreshRotation(t *testing.T) {
	s := newAPIServer(t)
	first := aliceOffline(t, s)
	rt1 := first.RefreshToken

	s.Clock().Advance(time.Minute)
	second := tokenOK(t, s.post(t, "/oauth/token", refreshForm(rt1, "redirect_uri", "http://ignored.example")))
	rt2 := second.RefreshToken
	require.NotEmpty(t, rt2)
	assert.NotEqual(t, rt1, rt2)
	assert.Equal(t, "openid profile offline_access read:protected", second.Scope)
	require.NotEmpty(t, second.IDToken)
	assert.NotEqual(t, first.IDToken, second.IDToken)
	id := s.claimsOf(t, second.IDToken)
	assert.Equal(t, unix(testStart.Add(time.Minute)), id["iat"])
	at := s.claimsOf(t, second.AccessToken)
	assert.NotContains(t, at, "gty", "Auth0 does not document gty after a refresh; none is set")
	assert.Equal(t, []any{"read:protected"}, at["permissions"])
	assert.Equal(t, http.StatusOK, s.userinfoStatus(t, second.AccessToken))

	// RT1 again: reuse. It fails, and the family (RT2 and what it minted) is revoked.
	assertError(t, s.post(t, "/oauth/token", refreshForm(rt1)), 403, "invalid_grant", "Unknown or invalid refresh token.")
	assertError(t, s.post(t, "/oauth/token", refreshForm(rt2)), 403, "invalid_grant", "Unknown or invalid refresh token.")
	assert.Equal(t, http.StatusUnauthorized, s.userinfoStatus(t, second.AccessToken))
	assert.Equal(t, http.StatusUnauthorized, s.userinfoStatus(t, first.AccessToken))

	t.Run("another family is untouched", func(t *testing.T) {
		other := aliceOffline(t, s)
		tokenOK(t, s.post(t, "/oauth/token", refreshForm(other.RefreshToken)))
	})
}

func TestRefreshErrors(t *testing.T) {
	s := newAPIServer(t)
	live := aliceOffline(t, s)
	tests := []struct {
		name        string
		body        string
		status      int
		code        string
		description string
	}{
		{"missing refresh_token", form("grant_type", "refresh_token", "client_id", "demo-web", "client_secret", "demo-web-secret"), 400, "invalid_request", "Missing required parameter: refresh_token"},
		{"unknown refresh token", refreshForm("nope"), 403, "invalid_grant", "Unknown or invalid refresh token."},
		{"another client's token (S29)", form("grant_type", "refresh_token", "client_id", "demo-spa", "refresh_token", live.RefreshToken), 403, "invalid_grant", "Unknown or invalid refresh token."},
		{"wider scope (S29)", refreshForm(live.RefreshToken, "scope", "openid email"), 400, "invalid_scope", "The requested scope exceeds the scope granted by the refresh token: email"},
		{"an access token as refresh token", refreshForm(live.AccessToken), 403, "invalid_grant", "Unknown or invalid refresh token."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, s.post(t, "/oauth/token", tt.body), tt.status, tt.code, tt.description)
		})
	}
	t.Run("neither the other client nor the wider scope spent the token", func(t *testing.T) {
		tokenOK(t, s.post(t, "/oauth/token", refreshForm(live.RefreshToken)))
	})
}

// TestRefreshNarrowScope: a narrower scope shapes the new tokens, while the family keeps its
// scope (RFC 6749 §6).
func TestRefreshNarrowScope(t *testing.T) {
	s := newAPIServer(t)
	rt := aliceOffline(t, s).RefreshToken
	narrow := tokenOK(t, s.post(t, "/oauth/token", refreshForm(rt, "scope", "read:protected")))
	assert.Equal(t, "read:protected", narrow.Scope)
	assert.Empty(t, narrow.IDToken, "no openid, no ID token")
	require.NotEmpty(t, narrow.RefreshToken, "the family keeps offline_access")
	at := s.claimsOf(t, narrow.AccessToken)
	assert.Equal(t, "https://api.example.com", at["aud"])

	full := tokenOK(t, s.post(t, "/oauth/token", refreshForm(narrow.RefreshToken)))
	assert.Equal(t, "openid profile offline_access read:protected", full.Scope)
	assert.NotEmpty(t, full.IDToken)
}

// TestRefreshExpiry: a refresh token dies after its idle lifetime without use, and a family
// after its absolute lifetime whatever the use: Auth0's absolute lifetime is the family's
// ("a refresh token or refresh token family lifetime"), so rotation does not renew it. A
// non-rotating token is one token used again and again; each use moves its idle deadline.
func TestRefreshExpiry(t *testing.T) {
	const day = 24 * time.Hour
	nonRotating := `
resourceServers:
  - {name: API, identifier: https://api.example.com, allow_offline_access: true}
clients:
  - name: Web
    client_id: demo-web
    client_secret: demo-web-secret
    app_type: regular_web
    grant_types: [password, refresh_token]
    refresh_token: {rotation_type: non-rotating, token_lifetime: 2592000, idle_token_lifetime: 1296000}
users:
  - {email: alice@example.com, password: alice-password}
`
	type use struct {
		after time.Duration
		ok    bool
	}
	tests := []struct {
		name   string
		tenant string // "" for the default tenant (rotating, 30 days, 15 days idle)
		uses   []use
	}{
		{"rotating: unused past the idle lifetime", "", []use{{15*day + time.Second, false}}},
		{"rotating: used within the idle lifetime, until the family's absolute one", "", []use{
			{14 * day, true}, {14 * day, true}, {2*day - time.Second, true}, {time.Second, false},
		}},
		{"non-rotating: each use moves the idle deadline", nonRotating, []use{
			{14 * day, true}, {14 * day, true}, {2*day - time.Second, true}, {time.Second, false},
		}},
		{"non-rotating: unused past the idle lifetime", nonRotating, []use{{10 * day, true}, {15*day + time.Second, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAPIServer(t)
			if tt.tenant != "" {
				s = newAPIServerYAML(t, tt.tenant)
			}
			rt := aliceOffline(t, s).RefreshToken
			for i, u := range tt.uses {
				s.Clock().Advance(u.after)
				w := s.post(t, "/oauth/token", refreshForm(rt))
				if !u.ok {
					assertError(t, w, 403, "invalid_grant", "Unknown or invalid refresh token.")
					return
				}
				require.Equal(t, http.StatusOK, w.Code, "use %d: %s", i+1, w.Body)
				if next := tokenOK(t, w).RefreshToken; next != "" {
					rt = next
				}
			}
		})
	}
}

// TestRefreshNonRotating: a non-rotating client keeps its refresh token, which keeps working;
// the answer carries none (qa-native, fixtures/qa-tenant.yaml).
func TestRefreshNonRotating(t *testing.T) {
	s := newAPIServerFor(t, fixtures.FS, fixtures.QATenant)
	code := s.issueCode(t, store.AuthCode{ClientID: "qa-native", UserID: "auth0|carol", Scope: "openid offline_access read:orders",
		Audience: "https://orders.example.com", Challenge: testChallenge})
	first := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", "qa-native",
		"code", code, "code_verifier", testVerifier)))
	require.NotEmpty(t, first.RefreshToken)
	body := form("grant_type", "refresh_token", "client_id", "qa-native", "refresh_token", first.RefreshToken)
	for range 3 {
		resp := tokenOK(t, s.post(t, "/oauth/token", body))
		assert.Empty(t, resp.RefreshToken)
		assert.NotEmpty(t, resp.IDToken)
		assert.Equal(t, int64(3600), resp.ExpiresIn, "Orders API token_lifetime")
	}
}

// TestRefreshLeeway: within the client's reuse interval a rotated token may be exchanged again
// (a retry after a lost answer); after it, that is reuse.
func TestRefreshLeeway(t *testing.T) {
	s := newAPIServerYAML(t, `
resourceServers:
  - name: API
    identifier: https://api.example.com
    allow_offline_access: true
clients:
  - name: Web
    client_id: web
    client_secret: web-secret
    app_type: regular_web
    grant_types: [password, refresh_token]
    refresh_token:
      rotation_type: rotating
      leeway: 30
users:
  - email: u@example.com
    password: u-password
`)
	login := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "password", "client_id", "web", "client_secret", "web-secret",
		"username", "u@example.com", "password", "u-password", "scope", "offline_access", "audience", "https://api.example.com")))
	refresh := func(rt string) *TokenResponse {
		w := s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", "web", "client_secret", "web-secret", "refresh_token", rt))
		if w.Code != http.StatusOK {
			return nil
		}
		resp := tokenOK(t, w)
		return &resp
	}
	rt1 := login.RefreshToken
	rt2 := refresh(rt1)
	require.NotNil(t, rt2)
	s.Clock().Advance(29 * time.Second)
	rt3 := refresh(rt1)
	require.NotNil(t, rt3, "within the leeway")
	assert.NotEqual(t, rt2.RefreshToken, rt3.RefreshToken)
	s.Clock().Advance(time.Second)
	assert.Nil(t, refresh(rt1), "past the leeway: reuse")
	assert.Nil(t, refresh(rt2.RefreshToken), "the family is revoked")
	assert.Nil(t, refresh(rt3.RefreshToken), "the family is revoked")
}

func TestRefreshSessionAndUser(t *testing.T) {
	s := newAPIServer(t)
	s.putSession(t, store.Session{ID: "sess-1", UserID: "auth0|alice", AuthTime: testStart,
		Expires: testStart.Add(72 * time.Hour), IdleExpires: testStart.Add(time.Hour)})
	code := s.issueCode(t, store.AuthCode{ClientID: "demo-spa", UserID: "auth0|alice", SessionID: "sess-1",
		Scope: "openid offline_access", Audience: "https://api.example.com", Challenge: testChallenge})
	login := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", "demo-spa",
		"code", code, "code_verifier", testVerifier)))
	spa := func(rt string) string {
		return form("grant_type", "refresh_token", "client_id", "demo-spa", "refresh_token", rt)
	}

	resp := tokenOK(t, s.post(t, "/oauth/token", spa(login.RefreshToken)))
	assert.Equal(t, "sess-1", s.claimsOf(t, resp.IDToken)["sid"], "session alive")

	s.Clock().Advance(59 * time.Minute)
	resp = tokenOK(t, s.post(t, "/oauth/token", spa(resp.RefreshToken)))
	assert.Equal(t, "sess-1", s.claimsOf(t, resp.IDToken)["sid"])
	s.Clock().Advance(2 * time.Minute)
	resp = tokenOK(t, s.post(t, "/oauth/token", spa(resp.RefreshToken)))
	assert.NotContains(t, s.claimsOf(t, resp.IDToken), "sid", "the refresh grant does not keep the session alive")

	t.Run("logout that revokes tokens (S29)", func(t *testing.T) {
		s.putSession(t, store.Session{ID: "sess-2", UserID: "auth0|alice", AuthTime: s.Clock().Now(),
			Expires: s.Clock().Now().Add(time.Hour), IdleExpires: s.Clock().Now().Add(time.Hour)})
		code := s.issueCode(t, store.AuthCode{ClientID: "demo-spa", UserID: "auth0|alice", SessionID: "sess-2",
			Scope: "openid offline_access", Audience: "https://api.example.com", Challenge: testChallenge})
		rt := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", "demo-spa",
			"code", code, "code_verifier", testVerifier))).RefreshToken
		require.NoError(t, s.store.EndSession(context.Background(), "sess-2", true))
		assertError(t, s.post(t, "/oauth/token", spa(rt)), 403, "invalid_grant", "Unknown or invalid refresh token.")
	})
	t.Run("blocked user", func(t *testing.T) {
		s.putRefresh(t, store.RefreshToken{Token: "blocked-rt", ClientID: "demo-spa", UserID: "auth0|blocked", Scope: "openid offline_access",
			Grant: "g-blocked", Expires: s.Clock().Now().Add(time.Hour), IdleExpires: s.Clock().Now().Add(time.Hour)})
		assertError(t, s.post(t, "/oauth/token", spa("blocked-rt")), 403, "invalid_grant", "user is blocked")
	})
	t.Run("opaque family", func(t *testing.T) {
		s.putRefresh(t, store.RefreshToken{Token: "opaque-rt", ClientID: "demo-spa", UserID: "auth0|bob", Scope: "openid offline_access",
			Grant: "g-opaque", Expires: s.Clock().Now().Add(time.Hour), IdleExpires: s.Clock().Now().Add(time.Hour)})
		resp := tokenOK(t, s.post(t, "/oauth/token", spa("opaque-rt")))
		assert.False(t, strings.Contains(resp.AccessToken, "."), "no audience: opaque access token")
		assert.Equal(t, http.StatusOK, s.userinfoStatus(t, resp.AccessToken))
	})
}

// TestRefreshAuthTime: an ID token from a refresh carries the auth_time of the login when
// /authorize had max_age, as the code exchange's did: auth0-spa-js configured with max_age rejects
// a refreshed ID token without it (auth0-spa-js src/jwt.ts, verify). The time is the login's, not
// the refresh's, because no one authenticated again.
func TestRefreshAuthTime(t *testing.T) {
	tests := []struct {
		name     string
		maxAge   bool
		authTime any
	}{
		{"max_age at /authorize", true, unix(testStart.Add(-time.Minute))},
		{"no max_age", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAPIServer(t)
			ac := spaCode()
			ac.Scope, ac.MaxAge = "openid offline_access", tt.maxAge
			login := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, ac))))
			require.NotEmpty(t, login.RefreshToken)
			assert.Equal(t, tt.authTime, s.claimsOf(t, login.IDToken)["auth_time"])

			rt := login.RefreshToken
			for range 2 {
				s.Clock().Advance(time.Hour)
				resp := tokenOK(t, s.refresh(t, rt))
				assert.Equal(t, tt.authTime, s.claimsOf(t, resp.IDToken)["auth_time"])
				rt = resp.RefreshToken
			}
		})
	}
}

// TestOfflineAccess: offline_access yields a refresh token only when the API allows offline access
// and the client has the refresh_token grant; otherwise it is dropped from the granted scope. Auth0
// requires Allow Offline Access on the API
// (https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens) but does not document
// what it does with the scope otherwise; the emulator drops it silently. Without an API (opaque
// token for /userinfo) the client's grant decides alone.
func TestOfflineAccess(t *testing.T) {
	s := newAPIServerYAML(t, `
resourceServers:
  - {name: Online, identifier: https://online.example.com, allow_offline_access: false}
  - {name: Offline, identifier: https://offline.example.com, allow_offline_access: true}
clients:
  - {name: With, client_id: with, client_secret: with-secret, app_type: regular_web, grant_types: [password, refresh_token]}
  - {name: Without, client_id: without, client_secret: without-secret, app_type: regular_web, grant_types: [password]}
users:
  - {email: u@example.com, password: u-password}
`)
	tests := []struct {
		name, client, audience string
		refresh                bool
	}{
		{"API allows, client has the grant", "with", "https://offline.example.com", true},
		{"API disallows offline access", "with", "https://online.example.com", false},
		{"client without the refresh_token grant", "without", "https://offline.example.com", false},
		{"no API, client has the grant", "with", "", true},
		{"no API, client without the grant", "without", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "password", "client_id", tt.client,
				"client_secret", tt.client+"-secret", "username", "u@example.com", "password", "u-password",
				"audience", tt.audience, "scope", "openid offline_access")))
			if tt.refresh {
				assert.NotEmpty(t, resp.RefreshToken)
				assert.Equal(t, "openid offline_access", resp.Scope)
			} else {
				assert.Empty(t, resp.RefreshToken)
				assert.Equal(t, "openid", resp.Scope)
			}
		})
	}
}
