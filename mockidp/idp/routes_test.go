package idp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
