package idptest

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
)

// verify checks a token against the running server's discovery document and JWKS.
func verify(t *testing.T, s *Server, token, audience string, now func() time.Time) *oidc.IDToken {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), s.Client())
	provider, err := oidc.NewProvider(ctx, s.Issuer())
	require.NoError(t, err)
	tok, err := provider.Verifier(&oidc.Config{ClientID: audience, Now: now}).Verify(ctx, token)
	require.NoError(t, err)
	return tok
}

func TestNew(t *testing.T) {
	s := New(t)
	assert.Equal(t, s.URL+"/", s.Issuer())
	assert.Equal(t, s.URL, s.Domain())
	resp, err := s.Client().Get(s.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	t.Run("UserToken", func(t *testing.T) {
		tok := verify(t, s, s.UserToken(t, "alice@example.com", "https://api.example.com", "read:protected"), "https://api.example.com", nil)
		assert.Equal(t, "auth0|alice", tok.Subject)
		var c struct {
			Permissions []string `json:"permissions"`
			Scope       string   `json:"scope"`
		}
		require.NoError(t, tok.Claims(&c))
		assert.Equal(t, []string{"read:protected"}, c.Permissions)
		assert.Equal(t, "read:protected", c.Scope)
	})
	t.Run("UserToken without scopes", func(t *testing.T) {
		tok := verify(t, s, s.UserToken(t, "bob@example.com", ""), "https://api.example.com", nil)
		assert.Equal(t, "auth0|bob", tok.Subject)
	})
	t.Run("ClientToken", func(t *testing.T) {
		tok := verify(t, s, s.ClientToken(t, "demo-m2m", "https://api.example.com"), "https://api.example.com", nil)
		assert.Equal(t, "demo-m2m@clients", tok.Subject)
	})
	t.Run("Token with an ID token", func(t *testing.T) {
		resp := s.Token(t, idp.MintRequest{User: "alice@example.com", Scope: "openid profile"})
		tok := verify(t, s, resp.IDToken, "demo-spa", nil)
		assert.Equal(t, "auth0|alice", tok.Subject)
	})
}

func TestNewClosesWithTheTest(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		url = New(t).URL
	})
	_, err := http.Get(url + "/healthz")
	assert.Error(t, err)
}

func TestOptions(t *testing.T) {
	t.Run("WithTenant and WithClock", func(t *testing.T) {
		at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		now := func() time.Time { return at }
		s := New(t, WithTenant(fixtures.FS, fixtures.QATenant), WithClock(now))
		tok := verify(t, s, s.ClientToken(t, "qa-m2m", "https://billing.example.com"), "https://billing.example.com", now)
		assert.Equal(t, at, tok.IssuedAt.UTC())
		assert.Equal(t, 2*time.Hour, tok.Expiry.Sub(tok.IssuedAt))
	})
	t.Run("WithTenantFile, keyless", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "t.yaml")
		require.NoError(t, os.WriteFile(path, []byte("resourceServers:\n  - {name: A, identifier: https://a.example.com}\n"+
			"users:\n  - {email: u@example.com, password: p}\nclients:\n  - {name: W, client_id: w, client_secret: s, app_type: regular_web}\n"), 0o644))
		s := New(t, WithTenantFile(path))
		tok := verify(t, s, s.UserToken(t, "u@example.com", ""), "https://a.example.com", nil)
		assert.Equal(t, "auth0|u", tok.Subject)
	})
	t.Run("bad tenant", func(t *testing.T) {
		_, err := Start(WithTenant(fstest.MapFS{"t.yaml": {Data: []byte("clients: 3\n")}}, "t.yaml"))
		assert.ErrorContains(t, err, "t.yaml:1:10: clients:")
	})
	t.Run("missing tenant file", func(t *testing.T) {
		_, err := Start(WithTenantFile(filepath.Join(t.TempDir(), "none.yaml")))
		assert.ErrorContains(t, err, "none.yaml")
	})
}
