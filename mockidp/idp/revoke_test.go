package idp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRevoke(t *testing.T) {
	s := newAPIServer(t)
	login := aliceOffline(t, s)
	t.Run("another client cannot revoke it", func(t *testing.T) {
		w := s.send(t, http.MethodPost, "/oauth/revoke", "application/json", `{"client_id":"demo-spa","token":"`+login.RefreshToken+`"}`)
		assert.Equal(t, http.StatusOK, w.Code)
		tokenOK(t, s.post(t, "/oauth/token", refreshForm(login.RefreshToken, "scope", "openid")))
	})

	login = aliceOffline(t, s)
	w := s.post(t, "/oauth/revoke", form("client_id", "demo-web", "client_secret", "demo-web-secret",
		"token", login.RefreshToken, "token_type_hint", "refresh_token"))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assertError(t, s.post(t, "/oauth/token", refreshForm(login.RefreshToken)), 403, "invalid_grant", "Unknown or invalid refresh token.")
	assert.Equal(t, http.StatusUnauthorized, s.userinfoStatus(t, login.AccessToken), "the family's access tokens go too")

	tests := []struct {
		name        string
		contentType string
		body        string
		headers     []string
		status      int
		code        string
	}{
		{"unknown token: 200 all the same", "application/json", `{"client_id":"demo-spa","token":"nope"}`, nil, 200, ""},
		{"access token: 200, nothing revoked", "application/x-www-form-urlencoded", form("client_id", "demo-spa", "token", login.AccessToken), nil, 200, ""},
		{"basic auth", "application/x-www-form-urlencoded", form("token", "nope"), []string{"Authorization", basic("demo-web", "demo-web-secret")}, 200, ""},
		{"missing token", "application/json", `{"client_id":"demo-spa"}`, nil, 400, "invalid_request"},
		{"missing client", "application/json", `{"token":"x"}`, nil, 400, "invalid_request"},
		{"wrong secret", "application/x-www-form-urlencoded", form("client_id", "demo-web", "client_secret", "x", "token", "t"), nil, 401, "invalid_client"},
		{"unknown client", "application/json", `{"client_id":"nope","token":"t"}`, nil, 401, "invalid_client"},
		{"malformed body", "application/json", `{"token":`, nil, 400, "invalid_request"},
		{"other content type", "text/plain", `token=x`, nil, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.send(t, http.MethodPost, "/oauth/revoke", tt.contentType, tt.body, tt.headers...)
			if tt.status == http.StatusOK {
				assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Empty(t, w.Body.String())
				return
			}
			assertError(t, w, tt.status, tt.code)
		})
	}
	t.Run("GET", func(t *testing.T) {
		w := s.send(t, http.MethodGet, "/oauth/revoke", "", "")
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
		assert.Equal(t, "POST", w.Header().Get("Allow"))
	})
}
