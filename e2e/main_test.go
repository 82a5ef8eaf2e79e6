package e2e

import (
	"flag"
	"os"
	"testing"
)

// Opt-in rewrites of committed files from what the tests observe. Each also reads an
// environment variable, so `go test ./...` (which refuses flags unknown to other packages) can
// set it.
var (
	updateDocs   = flag.Bool("update-docs", false, "rewrite the README's screenshots in docs/ (or E2E_UPDATE_DOCS=1)")
	updateReadme = flag.Bool("update-readme", false, "rewrite the README's SDK matrix from the SDK results (or E2E_UPDATE_README=1)")
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	RemoveBuilds()
	os.Exit(code)
}

// envFlag reports whether a boolean environment variable is set to 1 (or true).
func envFlag(name string) bool {
	v := os.Getenv(name)
	return v == "1" || v == "true"
}

// required reports whether a missing tool fails the test instead of skipping it: CI sets these,
// a newcomer's machine may lack Chromium or Node.
func required(name string) bool { return envFlag(name) }

// skipOrFail skips for a newcomer, fails where the environment variable makes the tool required.
func skipOrFail(t *testing.T, requiredBy, format string, args ...any) {
	t.Helper()
	if required(requiredBy) {
		t.Fatalf(format+" (required: %s=1)", append(args, requiredBy)...)
	}
	t.Skipf(format+" (set %s=1 to make this a failure)", append(args, requiredBy)...)
}
