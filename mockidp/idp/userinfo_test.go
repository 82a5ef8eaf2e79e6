package idp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/store"
)

func TestUserinfo(t *testing.T) {
	s := newAPIServer(t)
	resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password",
		"audience", "https://api.example.com", "scope", "openid email")))
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
			t.Run(method+" "+scheme, func(t *testing.T) {
				w := s.send(t, method, "/userinfo", "", "", "Authorization", scheme+" "+resp.AccessToken)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
				assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
				assert.JSONEq(t, `{"sub":"auth0|alice","email":"alice@example.com","email_verified":true}`, w.Body.String())
			})
		}
	}
	t.Run("profile scope", func(t *testing.T) {
		resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("bob@example.com", "bob-password", "scope", "openid profile")))
		w := s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+resp.AccessToken)
		require.Equal(t, http.StatusOK, w.Code)
		var claims map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &claims))
		assert.Equal(t, "auth0|bob", claims["sub"])
		assert.Equal(t, "Bob Example", claims["name"])
		assert.Equal(t, "bob", claims["nickname"])
		for _, k := range []string{"iss", "aud", "iat", "exp", "email"} {
			assert.NotContains(t, claims, k)
		}
	})
	t.Run("opaque token without audience works here only", func(t *testing.T) {
		resp := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password", "scope", "openid email")))
		require.NotContains(t, resp.AccessToken, ".")
		w := s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+resp.AccessToken)
		require.Equal(t, http.StatusOK, w.Code)
		assert.JSONEq(t, `{"sub":"auth0|alice","email":"alice@example.com","email_verified":true}`, w.Body.String())
	})
}

func TestUserinfoCustomClaims(t *testing.T) {
	s := newAPIServerFor(t, fixtures.FS, fixtures.QATenant)
	resp := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", "qa-spa",
		"code", s.issueCode(t, store.AuthCode{ClientID: "qa-spa", UserID: "auth0|carol", Scope: "openid profile", Challenge: testChallenge,
			Audience: "https://orders.example.com"}), "code_verifier", testVerifier)))
	w := s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+resp.AccessToken)
	require.Equal(t, http.StatusOK, w.Code)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &claims))
	assert.Equal(t, "fulfilment", claims["https://example.com/team"])
	assert.Equal(t, 1042.0, claims["https://example.com/employee_id"])
}

func TestUserinfoBadTokens(t *testing.T) {
	s := newAPIServer(t)
	withOpenID := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password",
		"audience", "https://api.example.com", "scope", "openid"))).AccessToken
	apiOnly := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password",
		"audience", "https://api.example.com"))).AccessToken
	idToken := tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password", "scope", "openid"))).IDToken
	m2m := tokenOK(t, s.post(t, "/oauth/token", ccForm)).AccessToken

	foreignKeys, err := signing.Generate("localhost")
	require.NoError(t, err)
	claims := s.claimsOf(t, withOpenID)
	foreign, err := foreignKeys.Sign(claims)
	require.NoError(t, err)
	otherIssuer := func(iss string) string {
		c := s.claimsOf(t, withOpenID)
		c["iss"] = iss
		tok, err := s.keys.Sign(c)
		require.NoError(t, err)
		return tok
	}
	noExp := func() string {
		c := s.claimsOf(t, withOpenID)
		delete(c, "exp")
		tok, err := s.keys.Sign(c)
		require.NoError(t, err)
		return tok
	}()
	without := func(claim string) string {
		c := s.claimsOf(t, withOpenID)
		delete(c, claim)
		tok, err := s.keys.Sign(c)
		require.NoError(t, err)
		return tok
	}
	ghost := func() string {
		c := s.claimsOf(t, withOpenID)
		c["sub"] = "auth0|ghost"
		tok, err := s.keys.Sign(c)
		require.NoError(t, err)
		return tok
	}()
	blocked := func() string {
		c := s.claimsOf(t, withOpenID)
		c["sub"] = "auth0|blocked"
		tok, err := s.keys.Sign(c)
		require.NoError(t, err)
		return tok
	}()
	parts := strings.Split(withOpenID, ".")
	tampered := parts[0] + "." + parts[1][:10] + "A" + parts[1][11:] + "." + parts[2]

	invalid := `Bearer error="invalid_token", error_description="The access token is invalid"`
	tests := []struct {
		name      string
		authz     []string
		challenge string
	}{
		{"no token (S34)", nil, "Bearer"},
		{"basic scheme", []string{basic("demo-m2m", "demo-m2m-secret")}, "Bearer"},
		{"empty bearer", []string{"Bearer "}, invalid},
		{"bearer with two tokens", []string{"Bearer a b"}, invalid},
		{"two headers", []string{"Bearer " + withOpenID, "Bearer " + withOpenID}, invalid},
		{"garbage", []string{"Bearer not-a-token"}, invalid},
		{"three dots of garbage", []string{"Bearer a.b.c"}, invalid},
		{"oversized", []string{"Bearer " + strings.Repeat("a", maxAccessTokenLen+1)}, invalid},
		{"signed by a foreign key (S34)", []string{"Bearer " + foreign}, invalid},
		{"tampered payload", []string{"Bearer " + tampered}, invalid},
		{"issuer without trailing slash", []string{"Bearer " + otherIssuer("http://localhost:4000")}, invalid},
		{"another issuer", []string{"Bearer " + otherIssuer("https://evil.example/")}, invalid},
		{"no exp", []string{"Bearer " + noExp}, `Bearer error="invalid_token", error_description="The access token expired"`},
		{"no iss (absent is not valid)", []string{"Bearer " + without("iss")}, invalid},
		{"no sub", []string{"Bearer " + without("sub")}, invalid},
		{"no aud", []string{"Bearer " + without("aud")}, `Bearer error="invalid_token", error_description="The access token is not valid for /userinfo"`},
		{"API-only audience", []string{"Bearer " + apiOnly}, `Bearer error="invalid_token", error_description="The access token is not valid for /userinfo"`},
		{"machine-to-machine token", []string{"Bearer " + m2m}, `Bearer error="invalid_token", error_description="The access token is not valid for /userinfo"`},
		{"ID token as access token", []string{"Bearer " + idToken}, `Bearer error="invalid_token", error_description="The access token is not valid for /userinfo"`},
		{"unknown user", []string{"Bearer " + ghost}, `Bearer error="invalid_token", error_description="The user of the access token does not exist or is blocked"`},
		{"blocked user", []string{"Bearer " + blocked}, `Bearer error="invalid_token", error_description="The user of the access token does not exist or is blocked"`},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				var h []string
				for _, v := range tt.authz {
					h = append(h, "Authorization", v)
				}
				w := s.send(t, method, "/userinfo", "", "", h...)
				assert.Equal(t, http.StatusUnauthorized, w.Code)
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
				assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
				var body map[string]string
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
				assert.NotEmpty(t, body["error"])
			})
		}
	}
	t.Run("expired (S34)", func(t *testing.T) {
		s.Clock().Advance(24 * time.Hour)
		w := s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+withOpenID)
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Equal(t, `Bearer error="invalid_token", error_description="The access token expired"`, w.Header().Get("WWW-Authenticate"))
	})
	t.Run("token in the form body is not read", func(t *testing.T) {
		w := s.post(t, "/userinfo", form("access_token", withOpenID))
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Equal(t, "Bearer", w.Header().Get("WWW-Authenticate"))
	})
	t.Run("other methods", func(t *testing.T) {
		w := s.send(t, http.MethodDelete, "/userinfo", "", "")
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
		assert.Equal(t, "GET, POST", w.Header().Get("Allow"))
	})
}
