package e2e

import (
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTenantFor(t *testing.T) {
	fsys, err := TenantFor("http://localhost:41234")
	require.NoError(t, err)
	data, err := fs.ReadFile(fsys, "tenant.yaml")
	require.NoError(t, err)
	assert.NotContains(t, string(data), FixtureAppOrigin)
	assert.Contains(t, string(data), "- http://localhost:41234/\n", "the callback with a slash keeps its slash")
	assert.Contains(t, string(data), "http://localhost:41234/callback", "demo-web's callback path is kept")
	_, err = fs.Stat(fsys, "tenant-key.pem")
	assert.NoError(t, err, "the signing key the tenant names comes along")

	t.Run("origin prefix of a longer port is left alone", func(t *testing.T) {
		src := fstest.MapFS{"t.yaml": {Data: []byte("a: http://localhost:3000\nb: http://localhost:30001\n")}}
		got, err := Tenant{FS: src, File: "t.yaml"}.For("http://localhost:9")
		require.NoError(t, err)
		data, _ := fs.ReadFile(got.FS, "t.yaml")
		assert.Equal(t, "a: http://localhost:9\nb: http://localhost:30001\n", string(data))
	})
	t.Run("a tenant without the origin is an error", func(t *testing.T) {
		src := fstest.MapFS{"t.yaml": {Data: []byte("clients: []\n")}}
		_, err := Tenant{FS: src, File: "t.yaml"}.For("http://localhost:9")
		assert.ErrorContains(t, err, "does not mention")
	})
	for _, bad := range []string{"localhost:9", "http://localhost:9/", "", "http://"} {
		t.Run("bad origin "+bad, func(t *testing.T) {
			_, err := TenantFor(bad)
			assert.Error(t, err)
		})
	}
}

func TestInterpolate(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for in, want := range map[string]string{
		"plain":                   "plain",
		"${SET}":                  "v",
		"$SET/x":                  "v/x",
		"${UNSET:-/fixtures/t.y}": "/fixtures/t.y",
		"${EMPTY:-d}":             "d",
		"${EMPTY-d}":              "",
		"${UNSET-d}":              "d",
		"${SET:-d}":               "v",
		"$$SET":                   "$SET",
	} {
		got, err := interpolate(in, lookup)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := interpolate("${X:?must be set}", lookup)
	assert.Error(t, err, "a form the harness does not implement is refused, not guessed")
}

func TestAddrRewrite(t *testing.T) {
	a := &addrMap{services: map[string]servicePorts{
		"mockidp": {container: 4000, published: 4400, local: 51000},
		"demoapp": {container: 3000, published: 3000, local: 52000},
	}}
	for _, c := range []struct {
		self, in, want, err string
	}{
		{"mockidp", "0.0.0.0:4000", "127.0.0.1:51000", ""},
		{"mockidp", "http://localhost:4400/", "http://localhost:51000/", ""},               // the issuer: published port
		{"mockidp", "http://127.0.0.1:4000/healthz", "http://127.0.0.1:51000/healthz", ""}, // own container port
		{"demoapp", "http://localhost:4400/", "http://localhost:51000/", ""},               // the issuer, from the app
		{"demoapp", "http://mockidp:4000/.well-known/jwks.json", "http://127.0.0.1:51000/.well-known/jwks.json", ""},
		{"demoapp", "http://127.0.0.1:3000/api/open", "http://127.0.0.1:52000/api/open", ""}, // its own healthcheck
		{"demoapp", "https://api.example.com", "https://api.example.com", ""},                // not an address of ours
		{"demoapp", "demo-spa", "demo-spa", ""},
		{"mockidp", "/fixtures/tenant.yaml", "/fixtures/tenant.yaml", ""},
		{"demoapp", "http://mockidp:4400/", "", "listens on 4000"},           // the published port is not reachable in the network
		{"demoapp", "http://localhost:4000/", "", "no service is published"}, // inside demoapp, nothing there
		{"demoapp", "http://mockidp/", "", "listens on 4000"},
	} {
		got, err := a.rewrite(c.self, c.in)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, "%s in %s", c.in, c.self)
			continue
		}
		require.NoError(t, err, "%s in %s", c.in, c.self)
		assert.Equal(t, c.want, got, "%s in %s", c.in, c.self)
	}
}

func TestMapPath(t *testing.T) {
	vols := []volumeCopy{{target: "/fixtures", dir: "/tmp/x"}}
	got, err := mapPath("/fixtures/qa/tenant.yaml", vols)
	require.NoError(t, err)
	assert.Equal(t, "/tmp/x/qa/tenant.yaml", got)
	_, err = mapPath("/etc/tenant.yaml", vols)
	assert.ErrorContains(t, err, "outside every volume")
	_, err = mapPath("/fixtures/../etc/passwd", vols)
	assert.Error(t, err)
	got, err = mapPath("/fixtures", vols)
	require.NoError(t, err)
	assert.Equal(t, "/tmp/x", got, "the mount point itself")
	_, err = mapPath("/fixtures-other/t.yaml", vols)
	assert.ErrorContains(t, err, "outside every volume", "a sibling that shares the prefix")
	got, err = mapPath("relative", vols)
	require.NoError(t, err)
	assert.Equal(t, "relative", got)
}

// A named volume is one directory that every service mounting it shares, and must be declared.
func TestPlanNamedVolumes(t *testing.T) {
	root, err := moduleRoot()
	require.NoError(t, err)
	load := func(t *testing.T) *Compose {
		c, err := LoadCompose(filepath.Join(root, ComposeHTTPSFile))
		require.NoError(t, err)
		return c
	}
	t.Run("shared", func(t *testing.T) {
		plan, err := planProcesses(load(t), root, t.TempDir())
		require.NoError(t, err)
		caDir := plan.procs[ServiceIDP].env["MOCKIDP_CA_DIR"]
		assert.DirExists(t, caDir)
		assert.Equal(t, filepath.Join(caDir, "ca.pem"), plan.procs[ServiceApp].env["SSL_CERT_FILE"], "the demo app reads the emulator's CA directory")
		assert.Equal(t, filepath.Join(caDir, "ca.pem"), plan.caFile)
	})
	t.Run("undeclared", func(t *testing.T) {
		c := load(t)
		c.Volumes = nil
		_, err := planProcesses(c, root, t.TempDir())
		assert.ErrorContains(t, err, `"ca" is not declared under the top-level volumes`)
	})
	t.Run("https without a CA directory", func(t *testing.T) {
		c := load(t)
		delete(c.Services[ServiceIDP].Environment, "MOCKIDP_CA_DIR")
		_, err := planProcesses(c, root, t.TempDir())
		assert.ErrorContains(t, err, "an https issuer needs MOCKIDP_CA_DIR")
	})
}
