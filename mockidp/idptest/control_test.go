package idptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
)

// TestControls: the controls act on the running emulator; Reset reads the tenant file as it is
// now; an invalid fault or a broken file panics with what is wrong.
func TestControls(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{fixtures.DefaultTenant, "tenant-key.pem"} {
		b, err := fixtures.FS.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	path := filepath.Join(dir, fixtures.DefaultTenant)
	s := New(t, WithTenantFile(path))

	id := s.Fault(idp.Fault{Path: "/oauth/token", Status: 503, UntilRemoved: true})
	require.Len(t, s.Faults(), 1)
	assert.Equal(t, -1, s.Faults()[0].Remaining)
	assert.True(t, s.RemoveFault(id))
	assert.False(t, s.RemoveFault(id))
	assert.PanicsWithError(t, "idp: fault: path /nope is not an endpoint of the tenant", func() {
		s.Fault(idp.Fault{Path: "/nope", Status: 500})
	})

	s.ClientToken(t, "demo-m2m", "https://api.example.com")
	assert.Len(t, s.Requests(idp.RequestFilter{}), 0, "minted tokens are not requests")
	resp, err := s.Client().Get(s.Issuer() + ".well-known/jwks.json")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Len(t, s.Requests(idp.RequestFilter{Path: "/.well-known/jwks.json"}), 1)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), "users:\n",
		"users:\n  - {user_id: auth0|carol, email: carol@example.com, password: carol-password}\n", 1)), 0o644))
	s.Clock().Advance(time.Hour)
	s.Reset()
	assert.Zero(t, s.Clock().Offset())
	assert.Empty(t, s.Requests(idp.RequestFilter{}))
	assert.NotEmpty(t, s.UserToken(t, "carol@example.com", "https://api.example.com"))

	require.NoError(t, os.WriteFile(path, []byte("clients: [\n"), 0o644))
	assert.Error(t, s.Reload())
	assert.Panics(t, s.Reset)
	assert.NotEmpty(t, s.UserToken(t, "carol@example.com", "https://api.example.com"), "the running tenant stays")
}
