package e2e

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkResult is one row of e2e/sdk's SDK_RESULTS file, and of the Go flows.
type sdkResult struct {
	SDK     string `json:"sdk"`
	Version string `json:"version"`
	Flow    string `json:"flow"`
	OK      bool   `json:"ok"`
	// Issuer is the scheme of the emulator's issuer the flow ran against; the tests set it.
	Issuer string `json:"-"`
}

// TestSDKCompatibility runs the real SDKs against one emulator and demo app: the Go SDKs here,
// the Node suite in e2e/sdk; then the SDKs that only speak https to a domain (and auth0-spa-js
// once more) against an https emulator; then checks that the README's SDK matrix says what they
// just did.
func TestSDKCompatibility(t *testing.T) {
	env := StartInProcess(t, DefaultTenant())
	versions := goModVersions(t)

	var results []sdkResult
	complete := true
	for _, c := range goSDKCases {
		ran := false
		ok := t.Run(c.module+"/"+c.flow, func(t *testing.T) {
			ran = true
			c.run(t, env)
		})
		complete = complete && ran
		results = append(results, sdkResult{SDK: c.module, Version: versions[c.module], Flow: c.flow, OK: ran && ok, Issuer: "http"})
	}

	var nodeResults []sdkResult
	ran := false
	t.Run("node", func(t *testing.T) {
		nodeResults = runNodeSuite(t, env, "test", "MOCKIDP_QA_DOMAIN="+startQAEmulator(t, env.AppOrigin))
		ran = nodeResults != nil
	})
	complete = complete && ran
	results = append(results, nodeResults...)

	var httpsResults []sdkResult
	ran = false
	t.Run("node over https", func(t *testing.T) {
		httpsEnv, extra := startSDKHTTPS(t)
		httpsResults = runNodeSuite(t, httpsEnv, "test:https", extra...)
		ran = httpsResults != nil
	})
	complete = complete && ran
	results = append(results, httpsResults...)

	t.Run("README matrix", func(t *testing.T) {
		if !complete {
			t.Skip("not every SDK flow ran (a -run filter, or Node or Chromium missing), so the matrix cannot be checked")
		}
		checkReadmeMatrix(t, results)
	})
}

// goModVersions reads the required versions from go.mod: what the build used, since go.mod
// lists every module of the build.
func goModVersions(t *testing.T) map[string]string {
	t.Helper()
	root, err := moduleRoot()
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:require\s+)?(\S+)\s+(v\S+)`).FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = m[2]
	}
	for _, mod := range []string{modJWTMiddleware, modOIDC, modOAuth2} {
		require.NotEmpty(t, out[mod], "go.mod does not require %s", mod)
	}
	return out
}

// The README section the matrix lives in, between its markers.
const (
	matrixStart   = "<!-- sdk-matrix:start -->"
	matrixEnd     = "<!-- sdk-matrix:end -->"
	matrixHeading = "## SDK compatibility"
)

// sdkRuntime says where each SDK runs, for the table's readers; the default is Node.
var sdkRuntime = map[string]string{
	"@auth0/auth0-spa-js":       "browser (Chromium)",
	"@auth0/nextjs-auth0":       "Node (its middleware, getSession and getAccessToken; no Next.js server)",
	"express-oauth2-jwt-bearer": "Node",
	modJWTMiddleware:            "Go",
	modOIDC:                     "Go",
	modOAuth2:                   "Go",
}

// renderMatrix is the table: one row per SDK and issuer scheme (sorted by name, http first),
// flows in the order the tests declare them.
func renderMatrix(results []sdkResult) string {
	type row struct {
		sdk, issuer, version string
		passed, failed       []string
	}
	var rows []*row
	bySDK := map[string]*row{}
	for _, r := range results {
		key := r.SDK + " " + r.Issuer
		rw := bySDK[key]
		if rw == nil {
			rw = &row{sdk: r.SDK, issuer: r.Issuer, version: r.Version}
			bySDK[key] = rw
			rows = append(rows, rw)
		}
		if r.OK {
			rw.passed = append(rw.passed, r.Flow)
		} else {
			rw.failed = append(rw.failed, r.Flow)
		}
	}
	slices.SortStableFunc(rows, func(a, b *row) int {
		return cmp.Or(strings.Compare(a.sdk, b.sdk), strings.Compare(a.issuer, b.issuer))
	})
	cell := func(flows []string) string {
		if len(flows) == 0 {
			return "—"
		}
		return strings.ReplaceAll(strings.Join(flows, ", "), "|", `\|`)
	}
	var b strings.Builder
	b.WriteString("| SDK | runs in | issuer | version | flows that pass | flows that fail |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range rows {
		rt := sdkRuntime[r.sdk]
		if rt == "" {
			rt = "Node"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.sdk, rt, r.issuer, r.version, cell(r.passed), cell(r.failed))
	}
	return b.String()
}

// checkReadmeMatrix compares the README's table with the results, or rewrites it with
// -update-readme (E2E_UPDATE_README=1). A README without the section gets it appended.
func checkReadmeMatrix(t *testing.T, results []sdkResult) {
	root, err := moduleRoot()
	require.NoError(t, err)
	file := filepath.Join(root, "README.md")
	want := renderMatrix(results)
	data, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	readme := string(data)
	before, rest, found := strings.Cut(readme, matrixStart+"\n")
	got, after, found2 := strings.Cut(rest, matrixEnd)
	update := *updateReadme || envFlag("E2E_UPDATE_README")
	if !found || !found2 {
		if !update {
			t.Fatalf("%s has no SDK matrix between %s and %s; run with -update-readme to add it:\n%s", file, matrixStart, matrixEnd, want)
		}
		if readme != "" && !strings.HasSuffix(readme, "\n") {
			readme += "\n"
		}
		section := matrixHeading + "\n\n" + matrixIntro + "\n\n" + matrixStart + "\n" + want + matrixEnd + "\n"
		if readme != "" {
			section = "\n" + section
		}
		require.NoError(t, os.WriteFile(file, []byte(readme+section), 0o644))
		t.Logf("added the SDK matrix to %s", file)
		return
	}
	if got == want {
		return
	}
	if update {
		require.NoError(t, os.WriteFile(file, []byte(before+matrixStart+"\n"+want+matrixEnd+after), 0o644))
		t.Logf("rewrote the SDK matrix in %s", file)
		return
	}
	assert.Equal(t, want, got, "%s's SDK matrix is not what the SDK tests just did; rerun with -update-readme (or E2E_UPDATE_README=1) to rewrite it", file)
}

// matrixIntro is the text a new section starts with.
const matrixIntro = "The real SDKs run against the emulator and the demo app in `go test ./e2e` " +
	"(`TestSDKCompatibility`; the Node ones in `e2e/sdk`). The table between the markers is generated " +
	"by that test, which fails when it no longer matches: `go test ./e2e -run TestSDKCompatibility -update-readme` rewrites it."
