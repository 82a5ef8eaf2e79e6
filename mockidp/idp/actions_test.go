package idp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// syncBuffer collects a Server's JSON log, which concurrent requests write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records are the log records whose msg is msg.
func (b *syncBuffer) records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(b.buf.Bytes()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(line, &rec))
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// bound is an Action's code bound to a trigger, in the order given.
type bound struct{ trigger, code string }

// actionServer serves a tenant with the Actions given, as the Deploy CLI lays them out
// (actions/<name>/code.js), each with the secret GREETING: the default tenant when base is "",
// else base, which may name the default tenant's key, tenant-key.pem.
func actionServer(t testing.TB, timeout time.Duration, base string, actions ...bound) (*apiServer, *syncBuffer) {
	t.Helper()
	if base == "" {
		data, err := fs.ReadFile(fixtures.FS, fixtures.DefaultTenant)
		require.NoError(t, err)
		base = string(data)
	}
	key, err := fs.ReadFile(fixtures.FS, "tenant-key.pem")
	require.NoError(t, err)
	fsys := fstest.MapFS{"tenant-key.pem": {Data: key}}
	doc := []string{base, "actions:"}
	triggers := map[string][]string{}
	for i, a := range actions {
		name := fmt.Sprintf("action-%d", i)
		fsys["actions/"+name+"/code.js"] = &fstest.MapFile{Data: []byte(a.code)}
		version, _ := tenant.TriggerVersion(a.trigger)
		doc = append(doc, "  - name: "+name, "    code: ./actions/"+name+"/code.js",
			"    secrets: [{name: GREETING, value: hello}]",
			fmt.Sprintf("    supported_triggers: [{id: %s, version: %s}]", a.trigger, version))
		triggers[a.trigger] = append(triggers[a.trigger], "    - action_name: "+name)
	}
	doc = append(doc, "triggers:")
	for trigger, lines := range triggers {
		doc = append(doc, "  "+trigger+":")
		doc = append(doc, lines...)
	}
	fsys["tenant.yaml"] = &fstest.MapFile{Data: []byte(strings.Join(doc, "\n") + "\n")}
	ten, err := tenant.Load(fsys, "tenant.yaml")
	require.NoError(t, err)
	logs := &syncBuffer{}
	s, err := New(Config{Issuer: testIssuer, Tenant: ten, Now: func() time.Time { return testStart }, ActionTimeout: timeout,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	require.NoError(t, err)
	return &apiServer{Server: s}, logs
}

func postLogin(code string) bound { return bound{tenant.TriggerPostLogin, code} }

// passwordGrant is demo-web's password grant for alice, to the demo API.
func (s *apiServer) passwordGrant(t testing.TB, kv ...string) (w interface {
	Result() *http.Response
}, body map[string]any) {
	t.Helper()
	v := url.Values{}
	for pair := range slices.Chunk(append([]string{"grant_type", "password", "client_id", webClient,
		"client_secret", "demo-web-secret", "username", "alice@example.com", "password", "alice-password",
		"scope", "openid profile offline_access", "audience", "https://api.example.com"}, kv...), 2) {
		v.Set(pair[0], pair[1])
	}
	rec := s.post(t, "/oauth/token", v.Encode())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	return rec, body
}

// The QA tenant's Actions, the ones Auth0's documentation and community show most, through the
// real login page and token endpoint.
func TestQATenantActions(t *testing.T) {
	s := newAPIServerFor(t, fixtures.FS, fixtures.QATenant)
	qa := func(kv ...string) string {
		return spaAuthorize(testIssuer, append([]string{"client_id", "qa-spa", "audience", "https://orders.example.com"}, kv...)...)
	}
	redeem := func(code string) TokenResponse {
		return tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", "qa-spa",
			"code", code, "code_verifier", testVerifier, "redirect_uri", spaCallback)))
	}

	b := newBrowser(t, s)
	tok := redeem(codeOf(t, b.login(qa(), "carol@example.com", "carol-password"), spaCallback, spaState))
	id, access := s.claimsOf(t, tok.IDToken), s.claimsOf(t, tok.AccessToken)
	assert.Equal(t, []any{"Order Manager"}, id["https://example.com/roles"], "roles into the ID token")
	assert.Equal(t, []any{"Order Manager"}, access["https://example.com/roles"], "roles into the access token")
	assert.Equal(t, "enterprise", id["https://example.com/plan"], "app_metadata into the ID token")
	assert.Equal(t, "dark", id["https://example.com/theme"], "user_metadata into the ID token")
	assert.Equal(t, "gold", access["https://example.com/support_tier"], "a secret in a claim")
	assert.NotContains(t, id, "https://example.com/support_tier", "set on the access token only")
	assert.Equal(t, "fulfilment", id["https://example.com/team"], "the user's own claims stay")

	t.Run("silent authentication runs them again", func(t *testing.T) {
		silent := redeem(codeOf(t, b.get(qa("prompt", "none")), spaCallback, spaState))
		assert.Equal(t, []any{"Order Manager"}, s.claimsOf(t, silent.AccessToken)["https://example.com/roles"])
	})
	t.Run("refresh runs them again", func(t *testing.T) {
		require.NotEmpty(t, tok.RefreshToken)
		w := s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", "qa-spa", "refresh_token", tok.RefreshToken))
		refreshed := tokenOK(t, w)
		assert.Equal(t, "enterprise", s.claimsOf(t, refreshed.IDToken)["https://example.com/plan"])
		assert.Equal(t, "gold", s.claimsOf(t, refreshed.AccessToken)["https://example.com/support_tier"])
	})
	t.Run("deny on app_metadata", func(t *testing.T) {
		fb := newBrowser(t, s)
		p := fb.login(qa(), "frank@example.com", "frank-password")
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		assert.Equal(t, spaCallback+"?error=access_denied&error_description=Account+suspended%3A+frank%40example.com&state="+url.QueryEscape(spaState),
			p.Location.String())
		// The denied login leaves no session behind.
		code, _ := errorOf(t, fb.get(qa("prompt", "none")), spaCallback)
		assert.Equal(t, "login_required", code)
	})
	t.Run("M2M claim from client metadata", func(t *testing.T) {
		m2m := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "client_credentials", "audience", "https://orders.example.com"),
			"Authorization", basic("qa-m2m", "qa-m2m-secret")))
		claims := s.claimsOf(t, m2m.AccessToken)
		assert.Equal(t, "acme-logistics", claims["https://example.com/partner_id"])
		assert.NotContains(t, claims, "https://example.com/roles", "post-login does not run for clients")
	})
}

func TestActionsOrderAndProtocol(t *testing.T) {
	s, logs := actionServer(t, 0, "",
		postLogin(`exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('tier', 'silver');
  api.accessToken.setCustomClaim('https://example.com/order', ['first']);
  console.log('first ran for', event.user.email);
};`),
		postLogin(`exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/order', ['first', 'second']);
  api.accessToken.setCustomClaim('https://example.com/tier', event.user.app_metadata.tier);
  api.idToken.setCustomClaim('https://example.com/protocol', event.transaction.protocol);
  api.idToken.setCustomClaim('https://example.com/logins', event.stats.logins_count);
  api.accessToken.addScope('read:extra');
  api.accessToken.removeScope('profile');
};`),
	)
	check := func(t *testing.T, tok TokenResponse, protocol string) {
		t.Helper()
		access, id := s.claimsOf(t, tok.AccessToken), s.claimsOf(t, tok.IDToken)
		assert.Equal(t, []any{"first", "second"}, access["https://example.com/order"], "the later Action's claim wins")
		assert.Equal(t, "silver", access["https://example.com/tier"], "the later Action sees the earlier one's metadata")
		assert.Equal(t, protocol, id["https://example.com/protocol"])
		assert.Contains(t, strings.Fields(access["scope"].(string)), "read:extra")
		assert.NotContains(t, strings.Fields(access["scope"].(string)), "profile")
		assert.Equal(t, access["scope"], tok.Scope)
		assert.Equal(t, "Alice Example", id["name"], "the ID token keeps the profile scope")
	}
	_, tok := s.loginTokens(t)
	check(t, tok, "oidc-basic-profile")
	assert.Equal(t, 1.0, s.claimsOf(t, tok.IDToken)["https://example.com/logins"])

	refreshed := tokenOK(t, s.refresh(t, tok.RefreshToken))
	check(t, refreshed, "oauth2-refresh-token")
	assert.Equal(t, 1.0, s.claimsOf(t, refreshed.IDToken)["https://example.com/logins"], "a refresh is no login")

	_, body := s.passwordGrant(t)
	check(t, TokenResponse{AccessToken: body["access_token"].(string), IDToken: body["id_token"].(string), Scope: body["scope"].(string)}, "oauth2-password")

	runs := logs.records(t, "action run")
	require.Len(t, runs, 6)
	for i, rec := range runs {
		assert.Equal(t, fmt.Sprintf("action-%d", i%2), rec["action"])
		assert.Equal(t, "post-login", rec["trigger"])
		assert.Equal(t, "success", rec["outcome"])
		assert.Contains(t, rec, "duration")
	}
	// The journal shows the runs with the request that ran them: here the password grant.
	last := s.Requests(RequestFilter{Path: "/oauth/token", Limit: 1})
	require.Len(t, last, 1)
	require.Len(t, last[0].Actions, 2)
	for i, run := range last[0].Actions {
		assert.Equal(t, fmt.Sprintf("action-%d", i), run.Name)
		assert.Equal(t, "post-login", run.Trigger)
		assert.Equal(t, "success", run.Outcome)
		assert.NotEmpty(t, run.Duration)
	}

	consoleLines := logs.records(t, "first ran for alice@example.com")
	require.Len(t, consoleLines, 3)
	assert.Equal(t, "action-0", consoleLines[0]["action"])
}

// Failures refuse the login as Auth0 does, at the login page and at the token endpoint, and the
// log names the Action, the line and the message.
func TestActionFailures(t *testing.T) {
	tests := []struct {
		name string
		code string
		// description is the error_description the application gets.
		description string
		line        float64
		message     string
	}{
		{
			name:        "throws",
			code:        "exports.onExecutePostLogin = async (event, api) => {\n  throw new Error('no access for ' + event.user.email);\n};",
			description: "Error: no access for alice@example.com", line: 2, message: "Error: no access for alice@example.com",
		},
		{
			name:        "a promise that never settles",
			code:        "exports.onExecutePostLogin = async () => {\n  await new Promise(() => {});\n};",
			description: "the handler's promise never settled: nothing is left to run that could settle the promise onExecutePostLogin returned (the emulator has no timers or I/O)",
		},
		{
			name:        "an api method the emulator lacks",
			code:        "exports.onExecutePostLogin = async (event, api) => {\n  api.multifactor.enable('any');\n};",
			description: "not emulated: api.multifactor.enable", line: 2, message: "not emulated: api.multifactor.enable",
		},
		{
			name:        "a missing secret",
			code:        "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('https://example.com/key', event.secrets.API_KEY.slice(0, 4));\n};",
			description: "TypeError: Cannot read property 'slice' of undefined or null", line: 2, message: "TypeError: Cannot read property 'slice' of undefined or null",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := actionServer(t, 0, "", postLogin(tt.code))
			b := newBrowser(t, s)
			p := b.login(spaAuthorize(testIssuer), "alice@example.com", "alice-password")
			require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
			q := p.Location.Query()
			assert.Equal(t, "access_denied", q.Get("error"))
			assert.Equal(t, tt.description, q.Get("error_description"))
			assert.Equal(t, spaState, q.Get("state"))
			assert.Empty(t, q.Get("code"))

			w, body := s.passwordGrant(t)
			assert.Equal(t, http.StatusForbidden, w.Result().StatusCode)
			assert.Equal(t, map[string]any{"error": "access_denied", "error_description": tt.description}, body)

			failures := logs.records(t, "action failed")
			require.Len(t, failures, 2)
			assert.Equal(t, "action-0", failures[0]["action"])
			assert.Equal(t, "actions/action-0/code.js", failures[0]["file"])
			assert.Equal(t, tt.line, failures[0]["line"])
			if tt.message != "" {
				assert.Equal(t, tt.message, failures[0]["message"])
			}
			runs := logs.records(t, "action run")
			require.Len(t, runs, 2)
			assert.Equal(t, "failed", runs[0]["outcome"])
		})
	}
}

func TestActionDenies(t *testing.T) {
	s, _ := actionServer(t, 0, "",
		postLogin("exports.onExecutePostLogin = async (event, api) => { api.access.deny('Suspended plan'); };"),
		bound{tenant.TriggerCredentialsExchange, "exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope', 'Not for partners'); };"},
	)
	t.Run("login page, form_post", func(t *testing.T) {
		p := newBrowser(t, s).login(spaAuthorize(testIssuer, "response_mode", "form_post"), "alice@example.com", "alice-password")
		assert.Equal(t, http.StatusOK, p.Status)
		fields := formFields(p.Body)
		assert.Equal(t, "access_denied", fields.Get("error"))
		assert.Equal(t, "Suspended plan", fields.Get("error_description"))
		assert.Equal(t, spaState, fields.Get("state"))
	})
	t.Run("password grant", func(t *testing.T) {
		w, body := s.passwordGrant(t)
		assert.Equal(t, http.StatusForbidden, w.Result().StatusCode)
		assert.Equal(t, map[string]any{"error": "access_denied", "error_description": "Suspended plan"}, body)
	})
	t.Run("password-realm grant", func(t *testing.T) {
		w, _ := s.passwordGrant(t, "grant_type", "http://auth0.com/oauth/grant-type/password-realm", "realm", tenant.DefaultConnection)
		assert.Equal(t, http.StatusForbidden, w.Result().StatusCode)
	})
	t.Run("client credentials, with the Action's code", func(t *testing.T) {
		w := s.post(t, "/oauth/token", form("grant_type", "client_credentials", "audience", "https://api.example.com"),
			"Authorization", basic("demo-m2m", "demo-m2m-secret"))
		assertError(t, w, http.StatusBadRequest, "invalid_scope", "Not for partners")
	})
}

// A code carries what the Actions asked for at the login: redeeming it runs nothing.
func TestActionsRunAtLoginNotAtExchange(t *testing.T) {
	s, logs := actionServer(t, 0, "", postLogin(`exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/at', event.request.hostname);
};`))
	b := newBrowser(t, s)
	code := codeOf(t, b.login(spaAuthorize(testIssuer), "alice@example.com", "alice-password"), spaCallback, spaState)
	require.Len(t, logs.records(t, "action run"), 1)
	tok := tokenOK(t, s.exchange(t, code))
	assert.Len(t, logs.records(t, "action run"), 1, "the exchange runs no Action")
	assert.Equal(t, "localhost", s.claimsOf(t, tok.AccessToken)["https://example.com/at"])
}

// The /authorize query reaches the Actions of a login completed on the login page, kept with the
// pending login, as it does one answered from the session at once.
func TestActionsSeeTheAuthorizeQuery(t *testing.T) {
	s, _ := actionServer(t, 0, "", postLogin(`exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/query', event.request.query);
  api.idToken.setCustomClaim('https://example.com/ui_locales', event.transaction.ui_locales);
};`))
	authorize := spaAuthorize(testIssuer, "ui_locales", "fr-CA en", "campaign", "spring", "login_hint", "alice@example.com")
	b := newBrowser(t, s)
	tests := []struct {
		name string
		get  func() page
	}{
		{"login page", func() page { return b.login(authorize, "alice@example.com", "alice-password") }},
		{"session", func() page { return b.get(authorize) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tokenOK(t, s.exchange(t, codeOf(t, tt.get(), spaCallback, spaState)))
			id := s.claimsOf(t, tok.IDToken)
			query, ok := id["https://example.com/query"].(map[string]any)
			require.True(t, ok, "%v", id)
			assert.Equal(t, "spring", query["campaign"])
			assert.Equal(t, spaState, query["state"])
			assert.Equal(t, "alice@example.com", query["login_hint"])
			assert.Equal(t, "fr-CA en", query["ui_locales"])
			assert.NotEmpty(t, query["nonce"])
			assert.Equal(t, []any{"fr-CA", "en"}, id["https://example.com/ui_locales"])
		})
	}
}

func TestActionClaimRules(t *testing.T) {
	s, logs := actionServer(t, 0, "",
		postLogin(`exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('permissions', ['admin']);
  api.idToken.setCustomClaim('email', 'mallory@example.com');
  api.accessToken.setCustomClaim('plain', 'private');
};`))
	_, tok := s.loginTokens(t)
	access, id := s.claimsOf(t, tok.AccessToken), s.claimsOf(t, tok.IDToken)
	assert.Equal(t, []any{"read:protected"}, access["permissions"], "a reserved claim is left out")
	assert.Equal(t, "alice@example.com", id["email"], "a standard claim is left out")
	assert.Equal(t, "private", access["plain"], "a non-namespaced claim is allowed on the tenant's own API")
	refused := logs.records(t, "custom claim refused")
	require.Len(t, refused, 2)
	assert.Equal(t, "permissions", refused[0]["claim"])
	assert.Equal(t, "action-0", refused[0]["action"])
	assert.Equal(t, "email", refused[1]["claim"])
}

// Access tokens for one of Auth0's own APIs carry namespaced custom claims only.
func TestActionClaimsOnAuth0APIs(t *testing.T) {
	const mgmt = testIssuer + "api/v2/"
	s, logs := actionServer(t, 0, strings.Join([]string{
		"tenantless:",
		"  signing_keys: [{file: tenant-key.pem}]",
		"resourceServers:",
		"  - {name: Orders, identifier: https://orders.example.com}",
		"clients:",
		"  - {name: M2M, client_id: m2m, client_secret: m2m-secret, app_type: non_interactive}",
		"clientGrants:",
		"  - {client_id: m2m, audience: https://orders.example.com, scope: []}",
		"  - {client_id: m2m, audience: '" + tenant.ManagementAudience + "', scope: []}",
	}, "\n"),
		bound{tenant.TriggerCredentialsExchange, `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('plain', 'private');
  api.accessToken.setCustomClaim('https://example.com/ns', 'public');
};`})
	for _, tt := range []struct {
		audience string
		plain    bool
	}{{"https://orders.example.com", true}, {mgmt, false}} {
		t.Run(tt.audience, func(t *testing.T) {
			tok := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "client_credentials", "audience", tt.audience),
				"Authorization", basic("m2m", "m2m-secret")))
			claims := s.claimsOf(t, tok.AccessToken)
			assert.Equal(t, "public", claims["https://example.com/ns"])
			if tt.plain {
				assert.Equal(t, "private", claims["plain"])
			} else {
				assert.NotContains(t, claims, "plain")
			}
		})
	}
	refused := logs.records(t, "custom claim refused")
	require.Len(t, refused, 1)
	assert.Equal(t, mgmt, refused[0]["audience"])
}

// An Action that never ends is stopped at the time limit while the server goes on answering,
// and leaves no goroutine behind.
func TestActionTimeLimit(t *testing.T) {
	s, logs := actionServer(t, 20*time.Millisecond, "", postLogin("exports.onExecutePostLogin = async () => {\n  for (;;) {}\n};"))
	before := runtime.NumGoroutine()

	started := make(chan struct{})
	done := make(chan map[string]any)
	go func() {
		close(started)
		_, body := s.passwordGrant(t)
		done <- body
	}()
	<-started
	// Meanwhile another request is answered.
	discovery := s.send(t, http.MethodGet, "/.well-known/openid-configuration", "", "")
	assert.Equal(t, http.StatusOK, discovery.Code)
	body := <-done
	assert.Equal(t, "access_denied", body["error"])
	assert.Equal(t, "the trigger's time limit was exceeded (20ms)", body["error_description"])
	failures := logs.records(t, "action failed")
	require.Len(t, failures, 1)
	assert.Equal(t, "action-0", failures[0]["action"])
	assert.Equal(t, "the trigger's time limit was exceeded (20ms)", failures[0]["message"])

	const logins = 100
	for range logins {
		p := newBrowser(t, s).login(spaAuthorize(testIssuer), "alice@example.com", "alice-password")
		require.Equal(t, "access_denied", p.Location.Query().Get("error"))
	}
	assert.Len(t, logs.records(t, "action failed"), logins+1)
	// Goroutines that end with a request may still be exiting; give them a bounded while.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before+2, "goroutines after %d stopped logins", logins)
}

// A thousand logins through two bound Actions keep memory flat: no runtime, event or cache
// entry outlives its login.
func TestActionLoginsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand logins")
	}
	s, _ := actionServer(t, 0, "",
		postLogin("exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/roles', event.authorization.roles); };"),
		postLogin("exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan || 'free'); };"),
	)
	login := func() {
		w, body := s.passwordGrant(t, "scope", "openid")
		require.Equal(t, http.StatusOK, w.Result().StatusCode, body)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range 100 {
		login()
	}
	before := heap()
	for range 1000 {
		login()
	}
	after := heap()
	// Each password grant keeps what the store keeps for any login (its access token's grant),
	// a few hundred bytes; a leaked runtime would be hundreds of kilobytes each.
	assert.Less(t, int64(after)-int64(before), int64(4<<20), "heap grew from %d to %d bytes over 1000 logins", before, after)
}
