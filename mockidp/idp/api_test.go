package idp

import (
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// The API tests run against the default tenant (fixtures/tenant.yaml) unless they say otherwise,
// at a fixed issuer, on a clock that stands still at testStart until a test moves it with
// Clock().Advance.
const testIssuer = "http://localhost:4000/"

// testStart is the clock's base; tokens minted at it carry iat = testStart.Unix().
var testStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// apiServer is a Server under test, with the helpers that drive it.
type apiServer struct {
	*Server
}

// newAPIServer serves the default tenant.
func newAPIServer(t testing.TB) *apiServer {
	return newAPIServerFor(t, fixtures.FS, fixtures.DefaultTenant)
}

// newAPIServerFor serves a tenant file with the keys it names; a tenant that names none is
// signed with the default tenant's key, which saves generating one per test.
func newAPIServerFor(t testing.TB, fsys fs.FS, name string) *apiServer {
	t.Helper()
	ten, err := tenant.Load(fsys, name)
	require.NoError(t, err)
	var keys *signing.KeySet
	if len(ten.SigningKeys) == 0 {
		pem, err := fs.ReadFile(fixtures.FS, "tenant-key.pem")
		require.NoError(t, err)
		keys, err = signing.New("localhost", pem)
		require.NoError(t, err)
	}
	s, err := New(Config{Issuer: testIssuer, Tenant: ten, Keys: keys, Now: func() time.Time { return testStart }})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	s.store = &recordingStore{Store: s.store, sessions: map[string]struct{}{}}
	return &apiServer{Server: s}
}

// newAPIServerYAML serves a tenant given inline.
func newAPIServerYAML(t testing.TB, yaml string) *apiServer {
	return newAPIServerFor(t, fstest.MapFS{"tenant.yaml": {Data: []byte(yaml)}}, "tenant.yaml")
}

// form encodes alternating names and values as a form body.
func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// post sends a form body to path.
func (s *apiServer) post(t testing.TB, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	return s.send(t, http.MethodPost, path, "application/x-www-form-urlencoded", body, headers...)
}

// send runs one request through the whole handler; headers alternate names and values.
func (s *apiServer) send(t testing.TB, method, path, contentType, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// basic is an Authorization header value for client_secret_basic, encoded per RFC 6749 §2.3.1.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// tokenOK asserts a 200 token response and decodes it.
func tokenOK(t testing.TB, w *httptest.ResponseRecorder) TokenResponse {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assertTokenHeaders(t, w)
	var resp TokenResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	return resp
}

// assertError asserts a protocol error answer: status, error code, and description when given.
func assertError(t testing.TB, w *httptest.ResponseRecorder, status int, code string, description ...string) {
	t.Helper()
	assert.Equal(t, status, w.Code, w.Body.String())
	assertTokenHeaders(t, w)
	var body map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
	assert.Equal(t, code, body["error"])
	if len(description) > 0 {
		assert.Equal(t, description[0], body["error_description"])
	}
}

// assertTokenHeaders checks what every token-endpoint answer and every JSON error carries (RFC
// 6749 §5.1), nosniff included.
func assertTokenHeaders(t testing.TB, w *httptest.ResponseRecorder) {
	t.Helper()
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
}

// claimsOf verifies a token with the server's keys and returns its claims.
func (s *apiServer) claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	var claims map[string]any
	require.NoError(t, s.keys.Verify(token, &claims))
	return claims
}

// unix is a time as a JSON-decoded NumericDate.
func unix(tm time.Time) float64 { return float64(tm.Unix()) }
