package e2e

// The live tenant through the real login page and token endpoint: every change made through the
// Management API reaches the next login, token, refresh and session.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// management calls the emulator's Management API as demo-mgmt does from a script.
type management struct {
	env   *Env
	c     *http.Client
	token string
}

func newManagement(t *testing.T, env *Env) *management {
	t.Helper()
	c := env.Client()
	r := postForm(t, c, env.IDPOrigin+"/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"demo-mgmt"}, "client_secret": {"demo-mgmt-secret"},
		"audience": {env.Issuer + "api/v2/"},
	})
	require.Equal(t, http.StatusOK, r.status, r.body)
	var tok tokenResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &tok))
	return &management{env: env, c: c, token: tok.AccessToken}
}

// call sends a request and returns its status and body; want is the status it must answer.
func (m *management) call(t *testing.T, method, path string, body any, want int) string {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, m.env.Issuer+"api/v2/"+strings.TrimPrefix(path, "/"), rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+m.token)
	req.Header.Set("Content-Type", "application/json")
	r := do(t, m.c, req)
	require.Equal(t, want, r.status, "%s %s: %s", method, path, r.body)
	return r.body
}

// session is one browser: its cookies, and the tokens of its last login.
type session struct {
	c      *http.Client
	tokens tokenResponse
}

const liveScope = spaScope + " offline_access"

// logIn logs u in through the login page, as the SPA does, and exchanges the code.
func logIn(t *testing.T, env *Env, u user) *session {
	t.Helper()
	s := &session{c: env.Client()}
	tx := newTransaction(t)
	page := authorizeToLogin(t, s.c, authorizeURL(env, tx, url.Values{"scope": {liveScope}}))
	code := callback(t, env, page.submit(t, s.c, u), tx)
	status, tok := exchange(t, env, s.c, code, tx.verifier)
	require.Equal(t, http.StatusOK, status, "code exchange: %s %s", tok.Error, tok.Description)
	require.NotEmpty(t, tok.RefreshToken)
	s.tokens = tok
	return s
}

// loginRefused checks that the login page answers u's credentials with an error, not a
// redirect to the application.
func loginRefused(t *testing.T, env *Env, u user) {
	t.Helper()
	c := env.Client()
	page := authorizeToLogin(t, c, authorizeURL(env, newTransaction(t), url.Values{"scope": {liveScope}}))
	r := page.submit(t, c, u)
	assert.NotContains(t, []int{http.StatusFound, http.StatusSeeOther}, r.status, "the login was let through")
	assert.Empty(t, r.header.Get("Location"))
}

// refresh exchanges the session's refresh token, keeping the new one.
func (s *session) refresh(t *testing.T, env *Env) (int, tokenResponse) {
	t.Helper()
	r := postForm(t, s.c, env.IDPOrigin+"/oauth/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {SPAClientID}, "refresh_token": {s.tokens.RefreshToken},
	})
	var tok tokenResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &tok), r.body)
	if r.status == http.StatusOK {
		s.tokens.RefreshToken = tok.RefreshToken
	}
	return r.status, tok
}

// silent asks /authorize with prompt=none in the session's browser: whether its SSO session
// still logs it in.
func (s *session) silent(t *testing.T, env *Env) url.Values {
	t.Helper()
	r := get(t, s.c, authorizeURL(env, newTransaction(t), url.Values{"prompt": {"none"}}))
	require.Equal(t, http.StatusFound, r.status, r.body)
	return r.location(t).Query()
}

func permissions(t *testing.T, accessToken string) []any {
	t.Helper()
	perms, ok := jwtClaims(t, accessToken)["permissions"].([]any)
	require.True(t, ok, "no permissions claim")
	return perms
}

func TestLiveTenant(t *testing.T) {
	env := StartInProcess(t, DefaultTenant())
	m := newManagement(t, env)
	carol := user{"carol@example.com", "carol-password", "", "Carol"}

	t.Run("a user created with a password logs in at once", func(t *testing.T) {
		body := m.call(t, http.MethodPost, "users", map[string]any{
			"email": carol.email, "password": carol.password, "connection": "Username-Password-Authentication", "name": carol.name,
		}, http.StatusCreated)
		var created struct {
			UserID string `json:"user_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &created))
		s := logIn(t, env, carol)
		assert.Equal(t, created.UserID, jwtClaims(t, s.tokens.AccessToken)["sub"])
		assert.Empty(t, permissions(t, s.tokens.AccessToken))
	})

	t.Run("a role assigned shows in the next token's permissions", func(t *testing.T) {
		s := logIn(t, env, carol)
		reader := roleID(t, m, "Reader")
		m.call(t, http.MethodPost, "users/"+userID(t, m, carol.email)+"/roles", map[string]any{"roles": []string{reader}}, http.StatusNoContent)
		status, tok := s.refresh(t, env)
		require.Equal(t, http.StatusOK, status, tok.Description)
		assert.Equal(t, []any{"read:protected"}, permissions(t, tok.AccessToken), "after a refresh")
		assert.Equal(t, []any{"read:protected"}, permissions(t, logIn(t, env, carol).tokens.AccessToken), "after a login")
	})

	t.Run("a changed password refuses the old one", func(t *testing.T) {
		m.call(t, http.MethodPatch, "users/"+userID(t, m, carol.email), map[string]any{"password": "new-password"}, http.StatusOK)
		loginRefused(t, env, carol)
		logIn(t, env, user{carol.email, "new-password", "", carol.name})
		carol.password = "new-password"
	})

	t.Run("blocked refuses the next login and the next refresh; unblocked logs in again", func(t *testing.T) {
		s := logIn(t, env, carol)
		id := userID(t, m, carol.email)
		m.call(t, http.MethodPatch, "users/"+id, map[string]any{"blocked": true}, http.StatusOK)
		loginRefused(t, env, carol)
		status, tok := s.refresh(t, env)
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "invalid_grant", tok.Error)
		m.call(t, http.MethodPatch, "users/"+id, map[string]any{"blocked": false}, http.StatusOK)
		logIn(t, env, carol)
	})

	t.Run("a deleted role leaves its users' next tokens", func(t *testing.T) {
		s := logIn(t, env, alice)
		require.Equal(t, []any{"read:protected"}, permissions(t, s.tokens.AccessToken))
		m.call(t, http.MethodDelete, "roles/"+roleID(t, m, "Reader"), nil, http.StatusNoContent)
		status, tok := s.refresh(t, env)
		require.Equal(t, http.StatusOK, status, tok.Description)
		assert.Empty(t, permissions(t, tok.AccessToken))
	})

	t.Run("a deleted user's refresh tokens stop and its sessions end", func(t *testing.T) {
		s := logIn(t, env, bob)
		require.Empty(t, s.silent(t, env).Get("error"), "the session logs in silently before")
		m.call(t, http.MethodDelete, "users/auth0|bob", nil, http.StatusNoContent)
		status, tok := s.refresh(t, env)
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "invalid_grant", tok.Error)
		assert.Equal(t, "login_required", s.silent(t, env).Get("error"))
		loginRefused(t, env, bob)
	})
}

func userID(t *testing.T, m *management, email string) string {
	t.Helper()
	var users []struct {
		UserID string `json:"user_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(m.call(t, http.MethodGet, "users-by-email?email="+url.QueryEscape(email), nil, http.StatusOK)), &users))
	require.Len(t, users, 1)
	return users[0].UserID
}

func roleID(t *testing.T, m *management, name string) string {
	t.Helper()
	var roles []struct{ ID, Name string }
	require.NoError(t, json.Unmarshal([]byte(m.call(t, http.MethodGet, "roles?name_filter="+url.QueryEscape(name), nil, http.StatusOK)), &roles))
	require.Len(t, roles, 1)
	return roles[0].ID
}
