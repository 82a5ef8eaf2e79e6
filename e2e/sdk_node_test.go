package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bounds of the Node suite: installing its packages, and running it.
const (
	npmCITimeout   = 5 * time.Minute
	npmTestTimeout = 4 * time.Minute
	minNodeMajor   = 20 // e2e/sdk/package.json's engines
)

// runNodeSuite runs e2e/sdk (the real Auth0 JavaScript SDKs) against env with the variables its
// README names, and returns the rows it wrote to SDK_RESULTS. Without Node or Chromium it skips
// on a newcomer's machine and fails where E2E_REQUIRE_NODE / E2E_REQUIRE_BROWSER are set.
func runNodeSuite(t *testing.T, env *Env) []sdkResult {
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
	if stale, why := nodeModulesStale(dir); stale {
		t.Logf("npm ci in %s: %s", dir, why)
		runLogged(t, npmCITimeout, dir, nil, npm, "ci", "--no-audit", "--no-fund")
	}

	results := filepath.Join(t.TempDir(), "sdk-results.json")
	start := time.Now()
	err = runLogged(t, npmTestTimeout, dir, []string{
		"MOCKIDP_DOMAIN=" + env.IDPOrigin,
		"DEMOAPP_URL=" + env.AppOrigin,
		"CHROME_PATH=" + chromium,
		"SDK_RESULTS=" + results,
	}, npm, "test")
	t.Logf("npm test: %d ms", time.Since(start).Milliseconds())
	if err != nil {
		t.Errorf("npm test in %s: %v (its output is above)", dir, err)
	}

	data, err := os.ReadFile(results)
	require.NoError(t, err, "the suite wrote no results to SDK_RESULTS")
	var rows []sdkResult
	require.NoError(t, json.Unmarshal(data, &rows), "SDK_RESULTS: %s", data)
	require.NotEmpty(t, rows, "SDK_RESULTS is empty")
	for _, r := range rows {
		if !r.OK {
			t.Errorf("%s %s: flow %q failed", r.SDK, r.Version, r.Flow)
		}
	}
	return rows
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
