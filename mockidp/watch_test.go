package main

import (
	"encoding/json"
	"net/http"
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

// copyDefaultTenant writes the default tenant and its key into a directory and returns the
// tenant file's path.
func copyDefaultTenant(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{fixtures.DefaultTenant, "tenant-key.pem"} {
		b, err := fixtures.FS.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return filepath.Join(dir, fixtures.DefaultTenant)
}

// TestWatcher: the watcher sees the tenant file and the key file it names change, and a file
// the tenant does not name changes nothing.
func TestWatcher(t *testing.T) {
	path := copyDefaultTenant(t)
	em, err := newEmulator(idp.Config{Issuer: "http://localhost:4000/"}, tenantSource{path: path})
	require.NoError(t, err)
	dir := filepath.Dir(path)
	assert.ElementsMatch(t, []string{path, filepath.Join(dir, "tenant-key.pem")}, em.files())

	w := newWatcher(em.files)
	assert.False(t, w.changed())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.txt"), []byte("x"), 0o644))
	assert.False(t, w.changed(), "a file the tenant does not name")

	key := filepath.Join(dir, "tenant-key.pem")
	b, err := os.ReadFile(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(key, append(b, '\n'), 0o644))
	assert.True(t, w.changed(), "the key file grew")
	assert.False(t, w.changed(), "once per change")

	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(path, later, later))
	assert.True(t, w.changed(), "the tenant file was touched")

	require.NoError(t, os.Remove(key))
	assert.True(t, w.changed(), "the key file went")
}

// TestServeReload: SIGHUP-style reloads go through the emulator's source: an edited tenant
// file is served, a broken one refused with the running tenant kept.
func TestServeReload(t *testing.T) {
	path := copyDefaultTenant(t)
	em, err := newEmulator(idp.Config{Issuer: "http://localhost:4000/"}, tenantSource{path: path})
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), "users:\n",
		"users:\n  - {user_id: auth0|carol, email: carol@example.com, password: carol-password}\n", 1)), 0o644))
	require.NoError(t, em.server.Reload())
	assert.Len(t, em.server.Tenant().Users(), 4)

	require.NoError(t, os.WriteFile(path, []byte("clients: [\n"), 0o644))
	err = em.server.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+":")
	assert.Len(t, em.server.Tenant().Users(), 4)
}

// TestServeControlFlags: the start-up block says how the control API is served, and the flags
// turn it off or put it behind a token.
func TestServeControlFlags(t *testing.T) {
	get := func(t *testing.T, url, token string) *http.Response {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("open", func(t *testing.T) {
		s := startServe(t, envMap(), "--addr", "127.0.0.1:0")
		issuer := "http://localhost:4000/"
		assert.Contains(t, strings.Join(s.banner, "\n"), "control    "+issuer+"tenantless/ (open: set --control-token to require a token)")
		resp := get(t, "http://"+s.addr+"/tenantless/clock", "")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		var clock map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&clock))
		assert.Equal(t, "0s", clock["offset"])
	})
	t.Run("token from the environment", func(t *testing.T) {
		s := startServe(t, envMap("MOCKIDP_CONTROL_TOKEN", "tok"), "--addr", "127.0.0.1:0")
		assert.Contains(t, strings.Join(s.banner, "\n"), "tenantless/ (Bearer token required)")
		assert.NotContains(t, strings.Join(s.banner, "\n"), "tok)")
		assert.Equal(t, http.StatusUnauthorized, get(t, "http://"+s.addr+"/tenantless/clock", "").StatusCode)
		assert.Equal(t, http.StatusOK, get(t, "http://"+s.addr+"/tenantless/clock", "tok").StatusCode)
	})
	t.Run("off", func(t *testing.T) {
		s := startServe(t, envMap(), "--addr", "127.0.0.1:0", "--control=false")
		assert.Contains(t, strings.Join(s.banner, "\n"), "control    off (--control=false)")
		assert.Equal(t, http.StatusNotFound, get(t, "http://"+s.addr+"/tenantless/clock", "").StatusCode)
	})
	t.Run("off from the environment", func(t *testing.T) {
		s := startServe(t, envMap("MOCKIDP_CONTROL", "false"), "--addr", "127.0.0.1:0")
		assert.Equal(t, http.StatusNotFound, get(t, "http://"+s.addr+"/tenantless/clock", "").StatusCode)
	})
	t.Run("watch without a tenant file", func(t *testing.T) {
		code, _, stderr := runCmd(t, envMap(), "serve", "--watch")
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, "--watch needs --tenant")
	})
	t.Run("journal size", func(t *testing.T) {
		code, _, stderr := runCmd(t, envMap(), "serve", "--journal-size", "0")
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, "--journal-size 0: want a positive number")
	})
}
