package idp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requests lists the journal through the control API.
func (s *apiServer) requests(t testing.TB, query string) []JournalEntry {
	t.Helper()
	return decode[requestList](t, s.control(t, http.MethodGet, "/tenantless/requests"+query, ""), http.StatusOK).Requests
}

// TestJournal: requests to the Authentication API are listed newest first with what they sent
// and how they were answered; the control API's own requests and the health check are not.
func TestJournal(t *testing.T) {
	s, _ := newControlServer(t, nil)
	s.send(t, http.MethodGet, "/authorize?client_id=demo-spa&redirect_uri="+url.QueryEscape("http://localhost:3000")+
		"&response_type=code&prompt=none&audience=https%3A%2F%2Fapi.example.com&scope=openid&scope=email&state=xyz", "", "",
		"Origin", "http://localhost:3000")
	s.Clock().Advance(time.Minute)
	s.post(t, "/oauth/token", form("grant_type", "client_credentials", "audience", "https://api.example.com"),
		"Authorization", basic("demo-m2m", "demo-m2m-secret"), "Auth0-Client", "eyJuYW1lIjoidGVzdCJ9")
	s.send(t, http.MethodPost, "/oauth/token", "application/json", `{"grant_type":"password","username":"bob@example.com","password":"nope","client_id":"demo-web","client_secret":"demo-web-secret","extra":{"n":1,"password":"deep"}}`)
	s.send(t, http.MethodGet, "/healthz", "", "")
	s.control(t, http.MethodGet, "/tenantless/clock", "")

	got := s.requests(t, "")
	require.Len(t, got, 3)
	assert.Equal(t, JournalEntry{
		Time: testStart.Add(time.Minute), Method: "POST", Path: "/oauth/token",
		Form: map[string]any{"grant_type": "password", "username": "bob@example.com", "password": Masked,
			"client_id": "demo-web", "client_secret": Masked, "extra": map[string]any{"n": float64(1), "password": Masked}},
		Headers: map[string]string{"content-type": "application/json"},
		Status:  http.StatusForbidden, Error: "invalid_grant", ClientID: "demo-web", User: "bob@example.com",
	}, got[0])
	assert.Equal(t, JournalEntry{
		Time: testStart.Add(time.Minute), Method: "POST", Path: "/oauth/token",
		Form:    map[string]any{"grant_type": "client_credentials", "audience": "https://api.example.com"},
		Headers: map[string]string{"authorization": "Basic " + Masked, "content-type": "application/x-www-form-urlencoded", "auth0-client": "eyJuYW1lIjoidGVzdCJ9"},
		Status:  http.StatusOK, ClientID: "demo-m2m",
	}, got[1])
	assert.Equal(t, JournalEntry{
		Time: testStart, Method: "GET", Path: "/authorize",
		Query: map[string]any{"client_id": "demo-spa", "redirect_uri": "http://localhost:3000", "response_type": "code",
			"prompt": "none", "audience": "https://api.example.com", "scope": []any{"openid", "email"}, "state": "xyz"},
		Headers: map[string]string{"origin": "http://localhost:3000"},
		Status:  http.StatusFound, Error: "invalid_request", ClientID: "demo-spa",
	}, got[2], "a repeated parameter is listed with all its values")

	assert.Len(t, s.requests(t, "?path=/oauth/token"), 2)
	assert.Len(t, s.requests(t, "?path=/oauth/token&limit=1"), 1)
	assert.Equal(t, "invalid_grant", s.requests(t, "?path=/oauth/token&limit=1")[0].Error, "the newest")
	assert.Len(t, s.requests(t, "?method=get"), 1)
	assert.Empty(t, s.requests(t, "?path=/userinfo"))

	w := s.control(t, http.MethodDelete, "/tenantless/requests", "")
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Empty(t, s.requests(t, ""))
	assert.JSONEq(t, `{"requests":[]}`, s.control(t, http.MethodGet, "/tenantless/requests", "").Body.String())
}

// TestJournalBounded: the journal keeps the newest JournalSize requests, and clips long values.
func TestJournalBounded(t *testing.T) {
	s, _ := newControlServer(t, func(c *Config) { c.JournalSize = 3 })
	for i := range 5 {
		s.send(t, http.MethodGet, fmt.Sprintf("/userinfo?n=%d", i), "", "")
	}
	got := s.requests(t, "")
	require.Len(t, got, 3)
	for i, e := range got {
		assert.Equal(t, fmt.Sprint(4-i), e.Query["n"])
	}
	long := strings.Repeat("é", maxJournalValue)
	s.send(t, http.MethodGet, "/userinfo?v="+url.QueryEscape(long), "", "")
	v := s.requests(t, "?limit=1")[0].Query["v"].(string)
	assert.LessOrEqual(t, len(v), maxJournalValue+len("…"))
	assert.True(t, strings.HasSuffix(v, "é…"), "cut on a rune boundary")
}

// TestJournalRefuses: a query the journal does not know is a 400 that names it.
func TestJournalRefuses(t *testing.T) {
	s, _ := newControlServer(t, nil)
	tests := []struct{ name, query, description string }{
		{"unknown parameter", "?paths=/authorize", "Unknown parameter 'paths'; use path, method or limit"},
		{"limit not a number", "?limit=ten", `limit: "ten" is not a positive whole number`},
		{"limit zero", "?limit=0", `limit: "0" is not a positive whole number`},
		{"limit negative", "?limit=-1", `limit: "-1" is not a positive whole number`},
		{"repeated", "?path=/a&path=/b", "Parameter 'path' is repeated"},
		{"malformed", "?path=%zz", "The query string could not be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, s.control(t, http.MethodGet, "/tenantless/requests"+tt.query, ""), http.StatusBadRequest, "invalid_request", tt.description)
		})
	}
}

// TestJournalNeverHoldsSecrets sends every secret parameter to every endpoint, in the query, a
// form and a JSON body, with credentials in the Authorization header and cookies, then runs a
// real login, refresh, userinfo and revocation: none of the secrets may appear in the journal,
// and each must be listed as masked.
func TestJournalNeverHoldsSecrets(t *testing.T) {
	s, _ := newControlServer(t, nil)
	var secrets []string
	secret := func(name string) string {
		v := fmt.Sprintf("SECRET%03d-%s", len(secrets), name)
		secrets = append(secrets, v)
		return v
	}
	routes := []struct{ method, path string }{}
	for _, p := range []string{"/authorize", "/u/login", "/v2/logout", "/oidc/logout", "/userinfo", "/.well-known/jwks.json",
		"/.well-known/openid-configuration"} {
		routes = append(routes, struct{ method, path string }{http.MethodGet, p})
	}
	for _, p := range []string{"/oauth/token", "/oauth/revoke", "/userinfo", "/u/login", "/oidc/logout", "/oauth/device/code", "/mfa/challenge"} {
		routes = append(routes, struct{ method, path string }{http.MethodPost, p})
	}
	for _, rt := range routes {
		q, f := url.Values{}, url.Values{}
		js := map[string]string{}
		for name := range secretParams {
			q.Set(name, secret(name))
			f.Set(name, secret(name))
			js[name] = secret(name)
		}
		body, _ := json.Marshal(js)
		headers := []string{"Cookie", "tenantless_session=" + secret("cookie") + "; tenantless_login=" + secret("cookie")}
		s.send(t, rt.method, rt.path+"?"+q.Encode(), "application/x-www-form-urlencoded", f.Encode(),
			append(headers, "Authorization", basic("demo-web", secret("basic")))...)
		s.send(t, rt.method, rt.path+"?"+q.Encode(), "application/json", string(body),
			append(headers, "Authorization", "Bearer "+secret("bearer"))...)
	}

	tokens := s.passwordLogin(t, "alice@example.com", "alice-password")
	refreshed := tokenOK(t, s.refreshAt(t, tokens.RefreshToken))
	s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+refreshed.AccessToken)
	s.post(t, "/oauth/revoke", form("client_id", "demo-web", "client_secret", "demo-web-secret", "token", refreshed.RefreshToken))
	secrets = append(secrets, "alice-password", "demo-web-secret", tokens.AccessToken, tokens.RefreshToken, tokens.IDToken,
		refreshed.AccessToken, refreshed.RefreshToken)

	raw := s.control(t, http.MethodGet, "/tenantless/requests", "").Body.String()
	for _, v := range secrets {
		require.NotContains(t, raw, v)
	}
	entries := s.requests(t, "")
	require.Len(t, entries, 2*len(routes)+4)
	for _, e := range entries[4:] {
		for name := range secretParams {
			assert.Equal(t, Masked, e.Query[name], "%s %s query %s", e.Method, e.Path, name)
			assert.Equal(t, Masked, e.Form[name], "%s %s form %s", e.Method, e.Path, name)
		}
		assert.Equal(t, map[string]string{"tenantless_session": Masked, "tenantless_login": Masked}, e.Cookies)
		assert.Contains(t, []string{"Basic " + Masked, "Bearer " + Masked}, e.Headers["authorization"])
	}
}
