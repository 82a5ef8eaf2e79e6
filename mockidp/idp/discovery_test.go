package idp

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/signing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// TestDiscoveryDocument compares the whole document, member order included, with Auth0's (see
// discoveryDocument), for the default tenant at http://localhost:4000/.
func TestDiscoveryDocument(t *testing.T) {
	s := newAPIServer(t)
	w := s.send(t, http.MethodGet, "/.well-known/openid-configuration", "", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, w.Body.Bytes(), "", "  "))
	golden(t, "discovery.json", indented.Bytes())

	var doc map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.Equal(t, "http://localhost:4000/", doc["issuer"], "S43: exact, with the trailing slash")
	assert.Equal(t, "http://localhost:4000/oidc/logout", doc["end_session_endpoint"])
	assert.NotContains(t, doc, "authorization_response_iss_parameter_supported", "/authorize sends no iss")

	t.Run("HEAD", func(t *testing.T) {
		w := s.send(t, http.MethodHead, "/.well-known/openid-configuration", "", "")
		assert.Equal(t, http.StatusOK, w.Code)
	})
	t.Run("POST", func(t *testing.T) {
		w := s.send(t, http.MethodPost, "/.well-known/openid-configuration", "", "")
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
		assert.Equal(t, "GET", w.Header().Get("Allow"))
	})
}

func TestDiscoveryEndSessionToggle(t *testing.T) {
	s := newAPIServerYAML(t, `
tenant:
  oidc_logout:
    rp_logout_end_session_endpoint_discovery: false
`)
	w := s.send(t, http.MethodGet, "/.well-known/openid-configuration", "", "")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.NotContains(t, doc, "end_session_endpoint")
	assert.Contains(t, doc, "backchannel_authentication_endpoint")
}

// TestJWKS: the key set is published as is, public members only (S43).
func TestJWKS(t *testing.T) {
	s := newAPIServer(t)
	w := s.send(t, http.MethodGet, "/.well-known/jwks.json", "", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, string(s.keys.JWKS()), w.Body.String())
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	require.Len(t, doc.Keys, 1)
	k := doc.Keys[0]
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		assert.NotContains(t, k, private)
	}
	assert.Equal(t, "RSA", k["kty"])
	assert.Equal(t, "sig", k["use"])
	assert.Equal(t, "RS256", k["alg"])
	assert.Equal(t, s.keys.KID(), k["kid"])
}

// TestKeyRotation: rotating keys publishes the new kid first while the old key stays listed, so
// tokens signed before the rotation keep verifying at /userinfo and against the JWKS, and new
// tokens carry the new kid.
func TestKeyRotation(t *testing.T) {
	oldPEM, err := fs.ReadFile(fixtures.FS, "tenant-key.pem")
	require.NoError(t, err)
	newPEM, err := fs.ReadFile(fixtures.FS, "qa-tenant-key.pem")
	require.NoError(t, err)
	before := newAPIServer(t)
	old := tokenOK(t, before.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password",
		"audience", "https://api.example.com", "scope", "openid")))

	keys, err := signing.New("localhost", newPEM, oldPEM)
	require.NoError(t, err)
	srv, err := New(Config{Issuer: testIssuer, Tenant: before.tenant, Keys: keys, Now: before.Clock().Now})
	require.NoError(t, err)
	after := &apiServer{Server: srv}

	w := after.send(t, http.MethodGet, "/.well-known/jwks.json", "", "")
	var jwks struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &jwks))
	require.Len(t, jwks.Keys, 2)
	assert.Equal(t, keys.KID(), jwks.Keys[0].KID, "the new key signs and comes first")
	assert.Equal(t, before.keys.KID(), jwks.Keys[1].KID, "the old key stays listed")
	assert.NotEqual(t, jwks.Keys[0].KID, jwks.Keys[1].KID)

	assert.Equal(t, http.StatusOK, after.userinfoStatus(t, old.AccessToken), "a token of the old key")
	fresh := tokenOK(t, after.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password",
		"audience", "https://api.example.com", "scope", "openid")))
	for _, tok := range []string{fresh.AccessToken, fresh.IDToken} {
		parsed, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		require.NoError(t, err)
		assert.Equal(t, keys.KID(), parsed.Signatures[0].Protected.KeyID)
	}
	assert.Equal(t, http.StatusOK, after.userinfoStatus(t, fresh.AccessToken))
	assert.Equal(t, http.StatusUnauthorized, before.userinfoStatus(t, fresh.AccessToken), "unknown to a server without the new key")
}
