package mgmt_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

const (
	issuer   = "http://localhost:4000/"
	audience = issuer + "api/v2/"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is the default tenant served with its Management API, on a clock tests move.
type env struct {
	t      *testing.T
	server *idp.Server
	tenant *tenant.Tenant
	all    string // a token with every scope the emulator serves
}

func newEnv(t *testing.T) *env { return newEnvOn(t, nil) }

// newEnvOn is newEnv on a store of the caller's; nil is the Server's own memory store.
func newEnvOn(t *testing.T, st store.Store) *env {
	t.Helper()
	ten, err := tenant.Load(fixtures.FS, fixtures.DefaultTenant)
	require.NoError(t, err)
	s, err := idp.New(idp.Config{Issuer: issuer, Tenant: ten, Store: st, Now: func() time.Time { return start }})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, server: s, tenant: ten}
	e.all = e.token(strings.Join(tenant.ManagementScopes, " "))
	return e
}

// token is demo-mgmt's access token for the Management API with scope.
func (e *env) token(scope string) string {
	e.t.Helper()
	tok, err := e.server.MintToken(idp.MintRequest{ClientID: "demo-mgmt", Audience: audience, Scope: scope})
	require.NoError(e.t, err)
	return tok.AccessToken
}

// call sends a request with the token given ("" for none) and a JSON body (nil for none).
func (e *env) call(method, path, token string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd *strings.Reader
	switch b := body.(type) {
	case nil:
		rd = strings.NewReader("")
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = strings.NewReader(string(data))
	}
	r := httptest.NewRequest(method, path, rd)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, r)
	assert.NotEmpty(e.t, w.Header().Get("X-RateLimit-Limit"), "rate-limit headers on every answer")
	assert.NotEmpty(e.t, w.Header().Get("X-RateLimit-Remaining"))
	assert.NotEmpty(e.t, w.Header().Get("X-RateLimit-Reset"))
	return w
}

// do is call with the token of every scope.
func (e *env) do(method, path string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.call(method, path, e.all, body)
}

// decode reads a JSON answer.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), w.Body.String())
	return v
}

// assertError checks an answer in the Management API's error shape.
func assertError(t *testing.T, w *httptest.ResponseRecorder, want string) {
	t.Helper()
	assert.JSONEq(t, want, w.Body.String())
	var body struct {
		StatusCode int `json:"statusCode"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	assert.Equal(t, body.StatusCode, w.Code)
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
}

func newRequest(method, path, authorization string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return r
}

func serve(t *testing.T, e *env, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, r)
	return w
}

func urlEncode(s string) string { return url.QueryEscape(s) }

// hiddenInputs are the hidden fields of the login page's form.
func hiddenInputs(t *testing.T, page string) url.Values {
	t.Helper()
	out := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		out.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	require.NotEmpty(t, out, "no hidden inputs on the login page")
	return out
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)

// postFormRequest turns r into the login form's POST from the page itself, with its cookies.
func postFormRequest(r *http.Request, form url.Values, cookies []*http.Cookie) *http.Request {
	p := httptest.NewRequest(http.MethodPost, r.URL.RequestURI(), strings.NewReader(form.Encode()))
	p.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		p.AddCookie(c)
	}
	return p
}
