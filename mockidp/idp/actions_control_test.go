package idp

import (
	"fmt"
	"net/http"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// versionAction is a post-login Action putting its version and the login count into the
// access token.
func versionAction(version string) string {
	return fmt.Sprintf(`exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/version', %q);
  api.accessToken.setCustomClaim('https://example.com/logins', event.stats.logins_count);
};`, version)
}

// setAction writes the code file of the Action the tenant file binds.
func (f *tenantFiles) setAction(code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fsys["actions/version/code.js"] = &fstest.MapFile{Data: []byte(code)}
}

// TestControlReloadRunsTheNewActions: a reload or reset compiles the tenant's Actions again and
// the next login runs the new code; a code issued before keeps what the old code gave it;
// Actions that do not compile refuse the reload, and the running Actions stay.
func TestControlReloadRunsTheNewActions(t *testing.T) {
	s, files := newControlServer(t, nil)
	files.setAction(versionAction("v1"))
	files.edit(t, "users:\n", `actions:
  - name: version
    code: ./actions/version/code.js
    supported_triggers: [{id: post-login, version: v3}]
triggers:
  post-login:
    - action_name: version
users:
`)
	reload := func(t *testing.T, path string, status int) map[string]any {
		t.Helper()
		return decode[map[string]any](t, s.control(t, http.MethodPost, path, ""), status)
	}
	login := func(t *testing.T) map[string]any {
		t.Helper()
		return s.claimsOf(t, s.passwordLogin(t, "alice@example.com", "alice-password").AccessToken)
	}

	assert.NotContains(t, login(t), "https://example.com/version", "the tenant started without Actions")
	reload(t, "/tenantless/reload", http.StatusOK)
	assert.Equal(t, "v1", login(t)["https://example.com/version"], "a reload binds the new Action")

	b := newBrowser(t, s)
	pending := codeOf(t, b.login(spaAuthorize(testIssuer), "alice@example.com", "alice-password"), spaCallback, spaState)
	files.setAction(versionAction("v2"))
	reload(t, "/tenantless/reload", http.StatusOK)
	assert.Equal(t, "v2", login(t)["https://example.com/version"], "a reload runs the edited code")
	assert.Equal(t, "v1", s.claimsOf(t, tokenOK(t, s.exchange(t, pending)).AccessToken)["https://example.com/version"],
		"a code keeps what the Actions of its login asked for")

	files.setAction("exports.onExecutePostLogin = async (event, api) => {\n  api.accessToken.setCustomClaim('x', ;\n};\n")
	refused := reload(t, "/tenantless/reload", http.StatusUnprocessableEntity)
	assert.Equal(t, "invalid_tenant", refused["error"])
	problems, _ := refused["problems"].([]any)
	require.Len(t, problems, 1)
	assert.Regexp(t, `^actions/version/code\.js:2:\d+: action "version": SyntaxError: `, problems[0])
	claims := login(t)
	assert.Equal(t, "v2", claims["https://example.com/version"], "a refused reload keeps the running Actions")
	assert.Equal(t, 4.0, claims["https://example.com/logins"])

	files.setAction(versionAction("v3"))
	reload(t, "/tenantless/reset", http.StatusOK)
	claims = login(t)
	assert.Equal(t, "v3", claims["https://example.com/version"], "a reset runs the file's Actions")
	assert.Equal(t, 1.0, claims["https://example.com/logins"], "a reset starts the login counts again")
}
