package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/localca"
)

// Bounds of the Node suite: installing its packages, and running it.
const (
	npmCITimeout   = 5 * time.Minute
	npmTestTimeout = 4 * time.Minute
	minNodeMajor   = 20 // e2e/sdk/package.json's engines
)

// runNodeSuite runs one npm script of e2e/sdk (the real Auth0 JavaScript SDKs) against env with
// the variables its README names, plus extraEnv, and returns the rows it wrote to SDK_RESULTS,
// each marked with the scheme of env's issuer. Without Node or Chromium it skips on a newcomer's
// machine and fails where E2E_REQUIRE_NODE / E2E_REQUIRE_BROWSER are set.
func runNodeSuite(t *testing.T, env *Env, script string, extraEnv ...string) []sdkResult {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNPM := exec.LookPath("npm")
	if errNode != nil || errNPM != nil {
		skipOrFail(t, "E2E_REQUIRE_NODE", "Node.js %d+ with npm is not on PATH", minNodeMajor)
	}
	if major, err := nodeMajor(t, node); err != nil || major < minNodeMajor {
		skipOrFail(t, "E2E_REQUIRE_NODE", "Node.js %d+ is needed (e2e/sdk/package.json), found %d (%v)", minNodeMajor, major, err)
	}
	chromium := chromiumOrSkip(t)

	root, err := moduleRoot()
	require.NoError(t, err)
	dir := filepath.Join(root, "e2e", "sdk")
	nodeModules.Lock()
	if stale, why := nodeModulesStale(dir); stale {
		t.Logf("npm ci in %s: %s", dir, why)
		if err := runLogged(t, npmCITimeout, dir, nil, npm, "ci", "--no-audit", "--no-fund"); err != nil {
			nodeModules.Unlock()
			t.Fatal(err)
		}
	}
	nodeModules.Unlock()

	results := filepath.Join(t.TempDir(), "sdk-results.json")
	start := time.Now()
	err = runLogged(t, npmTestTimeout, dir, append([]string{
		"MOCKIDP_DOMAIN=" + env.IDPOrigin,
		"DEMOAPP_URL=" + env.AppOrigin,
		"CHROME_PATH=" + chromium,
		"SDK_RESULTS=" + results,
	}, extraEnv...), npm, "run", script)
	t.Logf("npm run %s: %d ms", script, time.Since(start).Milliseconds())
	if err != nil {
		t.Errorf("npm run %s in %s: %v (its output is above)", script, dir, err)
	}

	data, err := os.ReadFile(results)
	require.NoError(t, err, "the suite wrote no results to SDK_RESULTS")
	var rows []sdkResult
	require.NoError(t, json.Unmarshal(data, &rows), "SDK_RESULTS: %s", data)
	require.NotEmpty(t, rows, "SDK_RESULTS is empty")
	scheme := strings.SplitN(env.Issuer, ":", 2)[0]
	for i, r := range rows {
		rows[i].Issuer = scheme
		if !r.OK {
			t.Errorf("%s %s over %s: flow %q failed", r.SDK, r.Version, scheme, r.Flow)
		}
	}
	return rows
}

// nodeModules keeps two suites from installing e2e/sdk's packages at once.
var nodeModules sync.Mutex

// The https SDK suite's emulator: @auth0/nextjs-auth0 drops the port from its domain and refuses
// localhost and IP addresses, so it is served on port 443 under a name in the reserved .test
// domain, which the suite maps to loopback itself (MOCKIDP_ADDRESS) rather than in /etc/hosts.
const (
	sdkHTTPSHost    = "tenant.tenantless.test"
	sdkHTTPSAddress = "127.0.0.1"
	sdkHTTPSListen  = "127.0.0.1:443"
)

// startSDKHTTPS runs the emulator over https as a developer would for an SDK that only speaks
// https to a domain, https://tenant.tenantless.test on port 443 with a fresh local CA, and the
// demo app against it trusting that CA through SSL_CERT_FILE, both as processes. It returns the
// environment and the variables the Node suite needs to trust the CA and reach the name. Port 443
// needs root (as in CI) or CAP_NET_BIND_SERVICE; without it the suite is skipped, or fails where
// E2E_REQUIRE_NODE is set.
func startSDKHTTPS(t *testing.T) (*Env, []string) {
	t.Helper()
	ln, err := net.Listen("tcp", sdkHTTPSListen)
	if err != nil {
		skipOrFail(t, "E2E_REQUIRE_NODE", "the https SDK suite serves the emulator on %s, as @auth0/nextjs-auth0 allows no port: %v "+
			"(run as root, or lower net.ipv4.ip_unprivileged_port_start)", sdkHTTPSListen, err)
	}
	require.NoError(t, ln.Close())
	root, err := moduleRoot()
	require.NoError(t, err)
	bins := buildPrograms(t, root)

	appPort, err := freePort()
	require.NoError(t, err)
	appOrigin := "http://" + net.JoinHostPort("localhost", strconv.Itoa(appPort))
	ten, err := DefaultTenant().For(appOrigin)
	require.NoError(t, err)
	tenantDir, caDir := t.TempDir(), t.TempDir()
	require.NoError(t, os.CopyFS(tenantDir, ten.FS))
	issuer := "https://" + sdkHTTPSHost + "/"
	caFile := localca.CertPath(caDir)

	startProcess(t, &process{
		service: ServiceIDP,
		argv:    []string{bins["mockidp"], "--addr", sdkHTTPSListen, "--issuer", issuer, "--tenant", filepath.Join(tenantDir, ten.File)},
		env:     map[string]string{"MOCKIDP_CA_DIR": caDir},
		health:  []string{bins["mockidp"], "healthcheck", "--url", "https://" + sdkHTTPSListen + "/healthz"},
	})
	appAddr := net.JoinHostPort(sdkHTTPSAddress, strconv.Itoa(appPort))
	startProcess(t, &process{
		service: ServiceApp,
		argv:    []string{bins["demoapp"]},
		env: map[string]string{
			"DEMOAPP_ADDR": appAddr,
			"ISSUER":       issuer,
			"AUDIENCE":     Audience,
			"CLIENT_ID":    SPAClientID,
			// The back channel by address: Go knows nothing of the suite's name.
			"JWKS_URI":      "https://" + sdkHTTPSListen + "/.well-known/jwks.json",
			"SSL_CERT_FILE": caFile,
		},
		health: []string{bins["mockidp"], "healthcheck", "--url", "http://" + appAddr + "/api/open"},
	})
	env := &Env{
		Kind:      KindProcesses,
		Issuer:    issuer,
		IDPOrigin: strings.TrimSuffix(issuer, "/"),
		AppOrigin: appOrigin,
		JWKSURI:   "https://" + sdkHTTPSListen + "/.well-known/jwks.json",
		Tenant:    ten,
		CAFile:    caFile,
	}
	require.NoError(t, env.trustCA(), "the local CA")
	t.Cleanup(env.transport.CloseIdleConnections)
	return env, []string{
		"MOCKIDP_ADDRESS=" + sdkHTTPSAddress,
		"NODE_EXTRA_CA_CERTS=" + caFile,
		"BROWSER_HOME=" + nssHome(t, caFile),
	}
}

func nodeMajor(t *testing.T, node string) (int, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`^v(\d+)\.`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("node --version said %q", out)
	}
	return strconv.Atoi(string(m[1]))
}

// nodeModulesStale reports whether node_modules needs `npm ci`: missing, or installed from an
// older package-lock.json. npm writes node_modules/.package-lock.json on every install.
func nodeModulesStale(dir string) (bool, string) {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return true, "no package-lock.json"
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return true, "node_modules is not installed"
	}
	if installed.ModTime().Before(lock.ModTime()) {
		return true, "node_modules is older than package-lock.json"
	}
	return false, ""
}

// runLogged runs a command in dir with extra environment, streaming its output into the test
// log (shown with -v, or when the test fails), bounded by timeout.
func runLogged(t *testing.T, timeout time.Duration, dir string, extraEnv []string, name string, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	w := &testWriter{w: t.Output()}
	defer w.shut()
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = 5 * time.Second // a child holding the output open must not hang the test
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: no result within %v", name, strings.Join(args, " "), timeout)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}
