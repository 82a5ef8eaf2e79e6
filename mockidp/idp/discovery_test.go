package idp

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestDiscoveryDocument compares the whole document, member order included, with Auth0's (wire
// spec §1.1), for the default tenant at http://localhost:4000/.
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
