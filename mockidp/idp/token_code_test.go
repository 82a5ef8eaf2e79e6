package idp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/store"
)

// The PKCE pair of RFC 7636 Appendix B.
const (
	testVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	testChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

// issueCode stores a code as /authorize would and returns it; Grant and Expires default to a
// fresh grant and the code lifetime.
func (s *apiServer) issueCode(t testing.TB, ac store.AuthCode) string {
	t.Helper()
	code := randomString(32)
	ac.Code = code
	if ac.Grant == "" {
		ac.Grant = randomString(16)
	}
	if ac.Expires.IsZero() {
		ac.Expires = s.Clock().Now().Add(DefaultCodeLifetime)
	}
	require.NoError(t, s.store.PutCode(context.Background(), ac, s.Clock().Now()))
	return code
}

// spaCode is a code for demo-spa and alice with PKCE, as the SPA's login produces it.
func spaCode() store.AuthCode {
	return store.AuthCode{ClientID: "demo-spa", RedirectURI: "http://localhost:3000", Challenge: testChallenge,
		Scope: "openid profile email read:protected", Audience: "https://api.example.com", Nonce: "bm9uY2U=",
		UserID: "auth0|alice", SessionID: "sid-1", AuthTime: testStart.Add(-time.Minute)}
}

// spaRedeem is the SPA's code exchange (auth0-spa-js
// __tests__/Auth0Client/getTokenSilently.test.ts, "calls the token endpoint with the correct
// params").
func spaRedeem(code string, kv ...string) string {
	return form(append([]string{"grant_type", "authorization_code", "client_id", "demo-spa", "code", code,
		"redirect_uri", "http://localhost:3000", "code_verifier", testVerifier}, kv...)...)
}

func TestChallengeFixture(t *testing.T) {
	sum := sha256.Sum256([]byte(testVerifier))
	require.Equal(t, testChallenge, base64.RawURLEncoding.EncodeToString(sum[:]))
}

func TestAuthorizationCodeTokens(t *testing.T) {
	s := newAPIServer(t)
	resp := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, spaCode()))))
	assert.Equal(t, "openid profile email read:protected", resp.Scope)
	assert.Equal(t, int64(86400), resp.ExpiresIn)
	assert.Empty(t, resp.RefreshToken)
	assert.Equal(t, map[string]any{
		"iss":         "http://localhost:4000/",
		"sub":         "auth0|alice",
		"aud":         []any{"https://api.example.com", "http://localhost:4000/userinfo"},
		"azp":         "demo-spa",
		"scope":       "openid profile email read:protected",
		"permissions": []any{"read:protected"},
		"iat":         unix(testStart),
		"exp":         unix(testStart.Add(86400 * time.Second)),
	}, s.claimsOf(t, resp.AccessToken), "no gty for authorization_code")

	id := s.claimsOf(t, resp.IDToken)
	assert.Equal(t, "demo-spa", id["aud"])
	assert.Equal(t, "http://localhost:4000/", id["iss"])
	assert.Equal(t, "bm9uY2U=", id["nonce"])
	assert.Equal(t, "sid-1", id["sid"])
	assert.Equal(t, unix(testStart.Add(36000*time.Second)), id["exp"])
	assert.NotContains(t, id, "auth_time", "no max_age at /authorize")
	assert.Equal(t, "alice@example.com", id["email"])

	t.Run("max_age puts auth_time in the ID token", func(t *testing.T) {
		ac := spaCode()
		ac.MaxAge = true
		resp := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, ac))))
		assert.Equal(t, unix(testStart.Add(-time.Minute)), s.claimsOf(t, resp.IDToken)["auth_time"])
	})
	t.Run("API only: aud is a string", func(t *testing.T) {
		ac := spaCode()
		ac.Scope = "read:protected"
		resp := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, ac))))
		assert.Equal(t, "https://api.example.com", s.claimsOf(t, resp.AccessToken)["aud"])
		assert.Empty(t, resp.IDToken)
	})
	t.Run("bob's token has no permissions", func(t *testing.T) {
		ac := spaCode()
		ac.UserID = "auth0|bob"
		resp := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, ac))))
		at := s.claimsOf(t, resp.AccessToken)
		assert.Equal(t, []any{}, at["permissions"])
		assert.Equal(t, "openid profile email", at["scope"])
	})
	t.Run("confidential client with its secret, no PKCE", func(t *testing.T) {
		code := s.issueCode(t, store.AuthCode{ClientID: "demo-web", RedirectURI: "http://localhost:3000/callback", Scope: "openid offline_access",
			Audience: "https://api.example.com", UserID: "auth0|bob"})
		resp := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "authorization_code", "code", code,
			"redirect_uri", "http://localhost:3000/callback"), "Authorization", basic("demo-web", "demo-web-secret")))
		assert.NotEmpty(t, resp.RefreshToken)
	})
	t.Run("no redirect_uri at /authorize, none needed; one sent is ignored", func(t *testing.T) {
		ac := spaCode()
		ac.RedirectURI = ""
		tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, ac))))
	})
	t.Run("audience and scope at the token endpoint are ignored: the code's win", func(t *testing.T) {
		resp := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(s.issueCode(t, spaCode()),
			"audience", "https://other.example.com", "scope", "openid read:everything")))
		assert.Equal(t, "openid profile email read:protected", resp.Scope)
		at := s.claimsOf(t, resp.AccessToken)
		assert.Equal(t, []any{"https://api.example.com", "http://localhost:4000/userinfo"}, at["aud"])
		assert.Equal(t, "openid profile email read:protected", at["scope"])
	})
	t.Run("JSON body", func(t *testing.T) {
		code := s.issueCode(t, spaCode())
		w := s.send(t, http.MethodPost, "/oauth/token", "application/json",
			`{"grant_type":"authorization_code","client_id":"demo-spa","code":"`+code+`","redirect_uri":"http://localhost:3000","code_verifier":"`+testVerifier+`"}`)
		tokenOK(t, w)
	})
}

func TestAuthorizationCodeErrors(t *testing.T) {
	s := newAPIServer(t)
	const badCode = "Invalid authorization code"
	const badVerifier = "Failed to verify code verifier"
	noPKCE := spaCode()
	noPKCE.ClientID, noPKCE.Challenge, noPKCE.RedirectURI = "demo-web", "", "http://localhost:3000/callback"
	webRedeem := func(code string, kv ...string) string {
		return form(append([]string{"grant_type", "authorization_code", "client_id", "demo-web", "client_secret", "demo-web-secret",
			"code", code, "redirect_uri", "http://localhost:3000/callback"}, kv...)...)
	}
	publicNoPKCE := spaCode()
	publicNoPKCE.Challenge = ""
	blocked := spaCode()
	blocked.UserID = "auth0|blocked"
	tests := []struct {
		name        string
		code        store.AuthCode
		body        func(code string) string
		status      int
		errCode     string
		description string
	}{
		{"unknown code", spaCode(), func(string) string { return spaRedeem("nope") }, 403, "invalid_grant", badCode},
		{"missing code", spaCode(), func(string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code_verifier", testVerifier)
		}, 400, "invalid_request", "Missing required parameter: code"},
		{"another client's code (S21)", noPKCE, func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000/callback")
		}, 403, "invalid_grant", badCode},
		{"redirect_uri missing (S22)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "code_verifier", testVerifier)
		}, 403, "invalid_grant", badCode},
		{"redirect_uri with a trailing slash (S22)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "code_verifier", testVerifier, "redirect_uri", "http://localhost:3000/")
		}, 403, "invalid_grant", badCode},
		{"redirect_uri of another port (S22)", noPKCE, func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-web", "client_secret", "demo-web-secret", "code", c, "redirect_uri", "http://localhost:3001/callback")
		}, 403, "invalid_grant", badCode},
		{"wrong verifier (S12)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000",
				"code_verifier", strings.Repeat("a", 43))
		}, 403, "invalid_grant", badVerifier},
		{"missing verifier (S13)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000")
		}, 403, "invalid_grant", badVerifier},
		{"verifier of 42 characters (S17)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000", "code_verifier", testVerifier[:42])
		}, 403, "invalid_grant", badVerifier},
		{"verifier of 129 characters (S17)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000", "code_verifier", strings.Repeat("a", 129))
		}, 403, "invalid_grant", badVerifier},
		{"verifier with a bad character (S17)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000", "code_verifier", testVerifier[:42]+"+")
		}, 403, "invalid_grant", badVerifier},
		{"the challenge sent as verifier (plain)", spaCode(), func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000", "code_verifier", testChallenge)
		}, 403, "invalid_grant", badVerifier},
		{"verifier without a challenge (S14)", noPKCE, func(c string) string { return webRedeem(c, "code_verifier", testVerifier) }, 400, "invalid_request",
			"code_verifier was sent, but the authorization request had no code_challenge"},
		{"public client's code without a challenge", publicNoPKCE, func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-spa", "code", c, "redirect_uri", "http://localhost:3000")
		}, 403, "invalid_grant", badCode},
		{"blocked user", blocked, func(c string) string { return spaRedeem(c) }, 403, "invalid_grant", "user is blocked"},
		{"confidential client without its secret", noPKCE, func(c string) string {
			return form("grant_type", "authorization_code", "client_id", "demo-web", "code", c, "redirect_uri", "http://localhost:3000/callback")
		}, 401, "access_denied", "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := s.issueCode(t, tt.code)
			assertError(t, s.post(t, "/oauth/token", tt.body(code)), tt.status, tt.errCode, tt.description)
			if strings.Contains(tt.body(code), url.QueryEscape(code)) && tt.status != http.StatusUnauthorized {
				// The failed redemption spent the code: the right request now fails too.
				assertError(t, s.post(t, "/oauth/token", spaRedeem(code)), 403, "invalid_grant", badCode)
			}
		})
	}
}

func TestAuthorizationCodeExpiry(t *testing.T) {
	s := newAPIServer(t)
	live := s.issueCode(t, spaCode())
	expired := s.issueCode(t, spaCode())
	s.Clock().Advance(DefaultCodeLifetime - time.Second)
	tokenOK(t, s.post(t, "/oauth/token", spaRedeem(live)))
	s.Clock().Advance(time.Second)
	assertError(t, s.post(t, "/oauth/token", spaRedeem(expired)), 403, "invalid_grant", "Invalid authorization code")
}

// TestAuthorizationCodeReuse: a second redemption fails and revokes what the first one minted
// (RFC 6749 §4.1.2, S18), at once or later.
func TestAuthorizationCodeReuse(t *testing.T) {
	for _, wait := range []time.Duration{0, 30 * time.Second} {
		t.Run(wait.String(), func(t *testing.T) {
			s := newAPIServer(t)
			ac := spaCode()
			ac.Scope = "openid offline_access"
			code := s.issueCode(t, ac)
			first := tokenOK(t, s.post(t, "/oauth/token", spaRedeem(code)))
			require.Equal(t, http.StatusOK, s.userinfoStatus(t, first.AccessToken))
			s.Clock().Advance(wait)
			assertError(t, s.post(t, "/oauth/token", spaRedeem(code)), 403, "invalid_grant", "Invalid authorization code")
			assert.Equal(t, http.StatusUnauthorized, s.userinfoStatus(t, first.AccessToken))
			assertError(t, s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", "demo-spa",
				"refresh_token", first.RefreshToken)), 403, "invalid_grant", "Unknown or invalid refresh token.")
		})
	}
}

// TestAuthorizationCodeConcurrentRedemption: of 20 parallel redemptions of one code, exactly one
// succeeds (S19; run with -race).
func TestAuthorizationCodeConcurrentRedemption(t *testing.T) {
	s := newAPIServer(t)
	code := s.issueCode(t, spaCode())
	const n = 20
	statuses := make([]int, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			statuses[i] = s.post(t, "/oauth/token", spaRedeem(code)).Code
		})
	}
	start.Done()
	done.Wait()
	ok := 0
	for _, st := range statuses {
		if st == http.StatusOK {
			ok++
		} else {
			assert.Equal(t, http.StatusForbidden, st)
		}
	}
	assert.Equal(t, 1, ok, "statuses: %v", statuses)
}
