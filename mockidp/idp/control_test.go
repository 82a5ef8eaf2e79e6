package idp

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
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

// tenantFiles is a tenant file a test edits between reloads: the default tenant and its key.
type tenantFiles struct {
	mu   sync.Mutex
	fsys fstest.MapFS
}

func newTenantFiles(t testing.TB) *tenantFiles {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{fixtures.DefaultTenant, "tenant-key.pem"} {
		b, err := fs.ReadFile(fixtures.FS, name)
		require.NoError(t, err)
		fsys[name] = &fstest.MapFile{Data: b}
	}
	return &tenantFiles{fsys: fsys}
}

// edit replaces old with new in the tenant file.
func (f *tenantFiles) edit(t testing.TB, old, new string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	file := f.fsys[fixtures.DefaultTenant]
	require.Contains(t, string(file.Data), old)
	f.fsys[fixtures.DefaultTenant] = &fstest.MapFile{Data: []byte(strings.Replace(string(file.Data), old, new, 1))}
}

func (f *tenantFiles) load() (*tenant.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return tenant.Load(f.fsys, fixtures.DefaultTenant)
}

// carol is a user the tests add to the default tenant by editing its file.
const carol = `users:
  - user_id: auth0|carol
    email: carol@example.com
    password: carol-password
`

// newControlServer serves the default tenant from files the test may edit, with the control
// API configured by cfg.
func newControlServer(t testing.TB, configure func(*Config)) (*apiServer, *tenantFiles) {
	t.Helper()
	files := newTenantFiles(t)
	ten, err := files.load()
	require.NoError(t, err)
	cfg := Config{Issuer: testIssuer, Tenant: ten, Now: func() time.Time { return testStart }, Reload: files.load}
	if configure != nil {
		configure(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return &apiServer{Server: s}, files
}

// control sends a control request with a JSON body ("" for none).
func (s *apiServer) control(t testing.TB, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	return s.send(t, method, path, contentType, body, headers...)
}

// decode asserts a JSON answer with status and decodes it into a value of type T.
func decode[T any](t testing.TB, w *httptest.ResponseRecorder, status int) T {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), w.Body.String())
	return v
}

// TestControlAccess: the control API is open by default, answers 404 everywhere when turned
// off, and with a control token refuses requests without exactly that Bearer token.
func TestControlAccess(t *testing.T) {
	const token = "s3cret-control-token"
	tests := []struct {
		name      string
		configure func(*Config)
		auth      string
		status    int
		code      string
		challenge string
	}{
		{"open by default", nil, "", http.StatusOK, "", ""},
		{"open ignores a token", nil, "Bearer whatever", http.StatusOK, "", ""},
		{"turned off", func(c *Config) { c.ControlDisabled = true }, "", http.StatusNotFound, "not_found", ""},
		{"turned off with the token", func(c *Config) { c.ControlDisabled, c.ControlToken = true, token }, "Bearer " + token, http.StatusNotFound, "not_found", ""},
		{"token: right", func(c *Config) { c.ControlToken = token }, "Bearer " + token, http.StatusOK, "", ""},
		{"token: scheme in lower case", func(c *Config) { c.ControlToken = token }, "bearer " + token, http.StatusOK, "", ""},
		{"token: none", func(c *Config) { c.ControlToken = token }, "", http.StatusUnauthorized, "unauthorized", `Bearer realm="tenantless"`},
		{"token: empty", func(c *Config) { c.ControlToken = token }, "Bearer ", http.StatusUnauthorized, "unauthorized", `Bearer realm="tenantless"`},
		{"token: basic", func(c *Config) { c.ControlToken = token }, basic("a", token), http.StatusUnauthorized, "unauthorized", `Bearer realm="tenantless"`},
		{"token: wrong", func(c *Config) { c.ControlToken = token }, "Bearer " + token + "x", http.StatusUnauthorized, "invalid_token", `Bearer realm="tenantless", error="invalid_token"`},
		{"token: prefix", func(c *Config) { c.ControlToken = token }, "Bearer " + token[:5], http.StatusUnauthorized, "invalid_token", `Bearer realm="tenantless", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newControlServer(t, tt.configure)
			var headers []string
			if tt.auth != "" {
				headers = []string{"Authorization", tt.auth}
			}
			for _, req := range []struct{ method, path, body string }{
				{http.MethodGet, "/tenantless/clock", ""},
				{http.MethodPost, "/tenantless/clock", `{"advance":"1h"}`},
				{http.MethodPost, "/tenantless/reset", ""},
			} {
				w := s.control(t, req.method, req.path, req.body, headers...)
				if tt.code == "" {
					assert.Equal(t, tt.status, w.Code, "%s %s: %s", req.method, req.path, w.Body)
					continue
				}
				assertError(t, w, tt.status, tt.code)
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			}
			if tt.code != "" {
				assert.Zero(t, s.Clock().Offset(), "a refused request moves nothing")
			}
		})
	}
}

// TestControlUnknownPaths: paths and methods the control API lacks get the API's JSON 404 and
// 405.
func TestControlUnknownPaths(t *testing.T) {
	s, _ := newControlServer(t, nil)
	assertError(t, s.control(t, http.MethodGet, "/tenantless/", ""), http.StatusNotFound, "not_found")
	assertError(t, s.control(t, http.MethodGet, "/tenantless", ""), http.StatusNotFound, "not_found")
	assertError(t, s.control(t, http.MethodGet, "/tenantless/clocks", ""), http.StatusNotFound, "not_found")
	w := s.control(t, http.MethodPut, "/tenantless/clock", "")
	assertError(t, w, http.StatusMethodNotAllowed, "invalid_request")
	assert.Equal(t, "GET, POST", w.Header().Get("Allow"))
	w = s.control(t, http.MethodGet, "/tenantless/reset", "")
	assertError(t, w, http.StatusMethodNotAllowed, "invalid_request")
}

// TestControlClock: the clock reads and moves through the API, every answer in one shape.
func TestControlClock(t *testing.T) {
	s, _ := newControlServer(t, nil)
	st := decode[ClockState](t, s.control(t, http.MethodGet, "/tenantless/clock", ""), http.StatusOK)
	assert.Equal(t, ClockState{Now: testStart, Offset: "0s"}, st)

	st = decode[ClockState](t, s.control(t, http.MethodPost, "/tenantless/clock", `{"advance":"90m"}`), http.StatusOK)
	assert.Equal(t, ClockState{Now: testStart.Add(90 * time.Minute), Offset: "1h30m0s"}, st)
	assert.Equal(t, testStart.Add(90*time.Minute), s.Clock().Now())

	st = decode[ClockState](t, s.control(t, http.MethodPost, "/tenantless/clock", `{"advance":"0s"}`), http.StatusOK)
	assert.Equal(t, "1h30m0s", st.Offset, "advancing by nothing is allowed")

	st = decode[ClockState](t, s.control(t, http.MethodPost, "/tenantless/clock", `{"set":"2020-01-01T00:00:00Z"}`), http.StatusOK)
	want := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, ClockState{Now: want, Offset: want.Sub(testStart).String()}, st)

	st = decode[ClockState](t, s.control(t, http.MethodPost, "/tenantless/clock", `{"set":"2030-06-01T12:00:00+02:00"}`), http.StatusOK)
	assert.Equal(t, time.Date(2030, 6, 1, 10, 0, 0, 0, time.UTC), st.Now, "a zone is honoured; the answer is in UTC")

	st = decode[ClockState](t, s.control(t, http.MethodPost, "/tenantless/clock", `{"reset":true}`), http.StatusOK)
	assert.Equal(t, ClockState{Now: testStart, Offset: "0s"}, st)

	raw := s.control(t, http.MethodGet, "/tenantless/clock", "").Body.String()
	assert.JSONEq(t, `{"now":"2026-03-01T12:00:00Z","offset":"0s"}`, raw, "the wire shape")
}

// TestControlClockRefuses: a body the clock cannot act on is a 400 that says what is wrong, and
// leaves the clock where it was.
func TestControlClockRefuses(t *testing.T) {
	const exactlyOne = `Send exactly one of {"advance": "90m"}, {"set": "2030-01-01T00:00:00Z"} or {"reset": true}`
	tests := []struct {
		name, contentType, body string
		status                  int
		description             string
	}{
		{"no body", "application/json", "", 400, "The body is not a JSON object"},
		{"empty object", "application/json", `{}`, 400, exactlyOne},
		{"reset false", "application/json", `{"reset":false}`, 400, exactlyOne},
		{"two at once", "application/json", `{"advance":"1h","reset":true}`, 400, exactlyOne},
		{"advance and set", "application/json", `{"advance":"1h","set":"2030-01-01T00:00:00Z"}`, 400, exactlyOne},
		{"unknown member", "application/json", `{"advance":"1h","by":"me"}`, 400, `Unknown member "by"`},
		{"misspelt member", "application/json", `{"advanced":"1h"}`, 400, `Unknown member "advanced"`},
		{"negative duration", "application/json", `{"advance":"-90m"}`, 400,
			`advance: "-90m" is negative; durations must be zero or more (to move the clock back, set it)`},
		{"duration without unit", "application/json", `{"advance":"90"}`, 400, `advance: "90" is not a duration, such as "90m" or "1h30m"`},
		{"duration as a number", "application/json", `{"advance":90}`, 400, "advance: must be a string, not number"},
		{"unparseable time", "application/json", `{"set":"tomorrow"}`, 400, `set: "tomorrow" is not an RFC 3339 time, such as 2030-01-01T00:00:00Z`},
		{"time without zone", "application/json", `{"set":"2030-01-01T00:00:00"}`, 400, `set: "2030-01-01T00:00:00" is not an RFC 3339 time, such as 2030-01-01T00:00:00Z`},
		{"reset as a string", "application/json", `{"reset":"yes"}`, 400, "reset: must be true or false, not string"},
		{"an array", "application/json", `[]`, 400, "must be an object, not array"},
		{"trailing data", "application/json", `{"reset":true} {}`, 400, "The body must be one JSON object and nothing after it"},
		{"malformed", "application/json", `{"reset":`, 400, "The body is not a JSON object"},
		{"a form", "application/x-www-form-urlencoded", "advance=1h", 400, "Content-Type must be application/json"},
		{"no content type", "", `{"advance":"1h"}`, 400, "Content-Type must be application/json"},
		{"too large", "application/json", `{"set":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`, 413, "Request body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newControlServer(t, nil)
			s.Clock().Advance(time.Minute)
			w := s.send(t, http.MethodPost, "/tenantless/clock", tt.contentType, tt.body)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			var body map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Equal(t, "invalid_request", body["error"])
			assert.Contains(t, body["error_description"], tt.description)
			assert.Equal(t, time.Minute, s.Clock().Offset())
		})
	}
}

// passwordLogin gets tokens for a user through demo-web's password grant, a refresh token
// included.
func (s *apiServer) passwordLogin(t testing.TB, username, password string) TokenResponse {
	t.Helper()
	return tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "password", "client_id", "demo-web",
		"client_secret", "demo-web-secret", "username", username, "password", password,
		"audience", "https://api.example.com", "scope", "openid offline_access")))
}

// refreshAt redeems a refresh token at demo-web.
func (s *apiServer) refreshAt(t testing.TB, token string) *httptest.ResponseRecorder {
	t.Helper()
	return s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", "demo-web",
		"client_secret", "demo-web-secret", "refresh_token", token))
}

// TestControlReload: a reload serves the edited file from the next request on; tokens of users
// still in it keep working, those of a removed user stop.
func TestControlReload(t *testing.T) {
	s, files := newControlServer(t, nil)
	alice := s.passwordLogin(t, "alice@example.com", "alice-password")
	bob := s.passwordLogin(t, "bob@example.com", "bob-password")
	assertError(t, s.post(t, "/oauth/token", form("grant_type", "password", "client_id", "demo-web",
		"client_secret", "demo-web-secret", "username", "carol@example.com", "password", "carol-password")),
		http.StatusForbidden, "invalid_grant")

	files.edit(t, "users:\n", carol)
	files.edit(t, "  - user_id: auth0|bob\n", "  - user_id: auth0|robert\n")
	st := decode[tenantState](t, s.control(t, http.MethodPost, "/tenantless/reload", ""), http.StatusOK)
	assert.Equal(t, 4, st.Users)
	assert.Equal(t, []string{s.keys.KID()}, st.KeyIDs, "the file's key again")

	s.passwordLogin(t, "carol@example.com", "carol-password")
	alice = tokenOK(t, s.refreshAt(t, alice.RefreshToken))
	assert.NotEmpty(t, alice.AccessToken, "a user still in the tenant keeps her tokens")
	assertError(t, s.refreshAt(t, bob.RefreshToken), http.StatusForbidden, "invalid_grant")
	_, ok := s.Tenant().User("auth0|carol")
	assert.True(t, ok, "Server.Tenant is the tenant served now")
	_, err := s.MintToken(MintRequest{User: "carol@example.com", Audience: "https://api.example.com"})
	assert.NoError(t, err, "MintToken mints for the tenant served now")
}

// TestControlReloadRefuses: a file with errors is refused with its problems, and the running
// tenant stays; without a way to read the tenant again, reload is unavailable.
func TestControlReloadRefuses(t *testing.T) {
	s, files := newControlServer(t, nil)
	files.edit(t, "users:\n", "users:\n  - user_id: auth0|dup\n    email: alice@example.com\n    password: x\n")
	files.edit(t, "app_type: spa", "app_type: spaceship")
	body := decode[map[string]any](t, s.control(t, http.MethodPost, "/tenantless/reload", ""), http.StatusUnprocessableEntity)
	assert.Equal(t, "invalid_tenant", body["error"])
	assert.Equal(t, "The tenant did not load (2 problems); the running tenant is unchanged", body["error_description"])
	problems, _ := body["problems"].([]any)
	require.Len(t, problems, 2)
	assert.Regexp(t, `^tenant\.yaml:\d+:\d+: clients\[0\]\.app_type: `, problems[0])
	assert.Regexp(t, `^tenant\.yaml:\d+:\d+: users\[1\]\.email: `, problems[1])
	tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "client_credentials", "client_id", "demo-m2m",
		"client_secret", "demo-m2m-secret", "audience", "https://api.example.com")))
	assert.Len(t, s.Tenant().Users(), 3)

	assertError(t, s.control(t, http.MethodPost, "/tenantless/reload", `{"file":"x"}`), http.StatusBadRequest,
		"invalid_request", "This request takes no body")

	fixed, _ := newControlServer(t, func(c *Config) { c.Reload = nil })
	assertError(t, fixed.control(t, http.MethodPost, "/tenantless/reload", ""), http.StatusConflict, "reload_unavailable")
}

// TestControlReset: a reset ends sessions and tokens, puts the clock back on real time and the
// tenant back to its file; the tenant's tokens still verify, as the keys are the file's.
func TestControlReset(t *testing.T) {
	s, files := newControlServer(t, nil)
	alice := s.passwordLogin(t, "alice@example.com", "alice-password")
	s.Clock().Advance(time.Hour)
	files.edit(t, "users:\n", carol)

	st := decode[tenantState](t, s.control(t, http.MethodPost, "/tenantless/reset", ""), http.StatusOK)
	assert.Equal(t, tenantState{Tenant: s.tenant.Name, Clients: 4, Users: 4, APIs: 1, KeyIDs: []string{s.keys.KID()}}, st)
	assert.Zero(t, s.Clock().Offset())
	assertError(t, s.refreshAt(t, alice.RefreshToken), http.StatusForbidden, "invalid_grant")
	carolTokens := s.passwordLogin(t, "carol@example.com", "carol-password")
	s.claimsOf(t, carolTokens.AccessToken)

	files.edit(t, "app_type: spa", "app_type: spaceship")
	s.Clock().Advance(time.Hour)
	refused := decode[map[string]any](t, s.control(t, http.MethodPost, "/tenantless/reset", ""), http.StatusUnprocessableEntity)
	assert.Equal(t, "The tenant did not load (1 problem); the running tenant is unchanged", refused["error_description"])
	assert.Equal(t, time.Hour, s.Clock().Offset(), "a refused reset resets nothing")
	tokenOK(t, s.refreshAt(t, carolTokens.RefreshToken))
}

// TestControlResetWithoutReload: a Server given its tenant only resets to that tenant as it was
// given, without what was written to it since.
func TestControlResetWithoutReload(t *testing.T) {
	s, _ := newControlServer(t, func(c *Config) { c.Reload = nil })
	alice := s.passwordLogin(t, "alice@example.com", "alice-password")
	given := userIDs(s.Tenant().Users())
	require.Empty(t, s.Tenant().CreateUser(&tenant.User{UserID: "auth0|carol", Email: "carol@example.com", Password: "carol-password"}))
	decode[tenantState](t, s.control(t, http.MethodPost, "/tenantless/reset", ""), http.StatusOK)
	assertError(t, s.refreshAt(t, alice.RefreshToken), http.StatusForbidden, "invalid_grant")
	_, ok := s.Tenant().User("auth0|carol")
	assert.False(t, ok, "the user written after the start is gone")
	assert.Equal(t, given, userIDs(s.Tenant().Users()))
	s.passwordLogin(t, "alice@example.com", "alice-password")
}

func userIDs(users []*tenant.User) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.UserID
	}
	return ids
}

// TestControlResetUndoesManagementWrites: a user created through the Management API logs in,
// and is gone once the tenant is reset to its file.
func TestControlResetUndoesManagementWrites(t *testing.T) {
	s, _ := newControlServer(t, nil)
	mgmtToken := tokenOK(t, s.post(t, "/oauth/token", form("grant_type", "client_credentials", "client_id", "demo-mgmt",
		"client_secret", "demo-mgmt-secret", "audience", testIssuer+"api/v2/"))).AccessToken
	created := s.send(t, http.MethodPost, "/api/v2/users", "application/json",
		`{"connection":"Username-Password-Authentication","email":"dora@example.com","password":"dora-password-1"}`,
		"Authorization", "Bearer "+mgmtToken)
	require.Equal(t, http.StatusCreated, created.Code, created.Body.String())
	s.passwordLogin(t, "dora@example.com", "dora-password-1")

	decode[tenantState](t, s.control(t, http.MethodPost, "/tenantless/reset", ""), http.StatusOK)
	assertError(t, s.post(t, "/oauth/token", form("grant_type", "password", "client_id", "demo-web",
		"client_secret", "demo-web-secret", "username", "dora@example.com", "password", "dora-password-1")),
		http.StatusForbidden, "invalid_grant")
	_, found := s.current().tenant.UserByLogin("dora@example.com")
	assert.False(t, found, "the reset tenant is the file's")
}
