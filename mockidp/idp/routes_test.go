package idp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tenantless/tenantless/fixtures"
)

// TestUnknownPaths: a path the tenant does not serve answers a JSON 404 in the Authentication
// API's error shape, whatever the method, never the mux's plain text.
func TestUnknownPaths(t *testing.T) {
	const notFound = `{"error":"not_found","error_description":"Not Found: the tenant has no endpoint at this path"}` + "\n"
	tests := []struct{ name, method, path string }{
		{"root", http.MethodGet, "/"},
		{"unknown", http.MethodGet, "/nope"},
		{"near an endpoint", http.MethodPost, "/oauth/tokens"},
		{"trailing slash", http.MethodGet, "/authorize/"},
		{"below a document", http.MethodGet, "/.well-known/openid-configuration/extra"},
		{"an Auth0 page not emulated", http.MethodGet, "/u/signup"},
		{"a preflight", http.MethodOptions, "/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newLoggedServer(t, fixtures.FS, fixtures.DefaultTenant)
			w := s.send(t, tt.method, tt.path, "", "")
			assert.Equal(t, http.StatusNotFound, w.Code)
			assert.Equal(t, notFound, w.Body.String())
			assertTokenHeaders(t, w)
			assertCause(t, logs, "not_found", "Not Found: the tenant has no endpoint at this path")
		})
	}
}

// TestWrongMethods: every path the emulator serves, API or page, answers another method with a
// JSON 405 and the methods it serves in Allow; GET routes still serve HEAD.
func TestWrongMethods(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct{ method, path, allow string }{
		{http.MethodGet, "/oauth/token", "POST"},
		{http.MethodPut, "/userinfo", "GET, POST"},
		{http.MethodPost, "/.well-known/jwks.json", "GET"},
		{http.MethodPost, "/authorize", "GET"},
		{http.MethodOptions, "/authorize", "GET"},
		{http.MethodPut, "/u/login", "GET, POST"},
		{http.MethodPost, "/u/static/login.css", "GET"},
		{http.MethodPost, "/v2/logout", "GET"},
		{http.MethodDelete, "/oidc/logout", "GET, POST"},
		{http.MethodPost, "/healthz", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := s.send(t, tt.method, tt.path, "", "")
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			assert.Equal(t, tt.allow, w.Header().Get("Allow"))
			assert.Equal(t, `{"error":"invalid_request","error_description":"Method not allowed; use `+tt.allow+`"}`+"\n", w.Body.String())
			assertTokenHeaders(t, w)
		})
	}
	t.Run("HEAD of a GET route", func(t *testing.T) {
		w := s.send(t, http.MethodHead, "/healthz", "", "")
		assert.Equal(t, http.StatusOK, w.Code)
	})
}
