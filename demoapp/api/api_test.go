package api

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testIssuer   = "https://tenant.example.com/"
	testAudience = "https://api.example.com"
	testKID      = "test-key"
)

var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// app is the demo app against a test JWKS, reached through JWKSURI as in a container network,
// with its log captured.
type app struct {
	e    *echo.Echo
	log  *bytes.Buffer
	jwks *httptest.Server
}

func newApp(t *testing.T) *app {
	t.Helper()
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &signingKey().PublicKey, KeyID: testKID, Algorithm: "RS256", Use: "sig"},
	}})
	require.NoError(t, err)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(jwks.Close)

	var log bytes.Buffer
	e, err := New(Config{
		Issuer:   testIssuer,
		Audience: testAudience,
		ClientID: "demo-spa",
		JWKSURI:  jwks.URL,
		Logger:   slog.New(slog.NewTextHandler(&syncWriter{w: &log}, nil)),
	})
	require.NoError(t, err)
	return &app{e: e, log: &log, jwks: jwks}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (a *app) do(method, target, authorization string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	return rec
}

type accessClaims struct {
	jwt.Claims
	Permissions []string `json:"permissions,omitempty"`
}

func token(t *testing.T, edit func(*accessClaims)) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signingKey()},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), testKID))
	require.NoError(t, err)
	now := time.Now()
	c := accessClaims{
		Claims: jwt.Claims{
			Issuer:   testIssuer,
			Subject:  "auth0|alice",
			Audience: jwt.Audience{testAudience, testIssuer + "userinfo"},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(time.Hour)),
		},
		Permissions: []string{"read:protected"},
	}
	if edit != nil {
		edit(&c)
	}
	raw, err := jwt.Signed(signer).Claims(c).Serialize()
	require.NoError(t, err)
	return raw
}

func TestOpenEndpoint(t *testing.T) {
	a := newApp(t)
	for _, auth := range []string{"", "Bearer not-a-token"} {
		rec := a.do(http.MethodGet, "/api/open", auth)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.JSONEq(t, `{"message":"Open Endpoint"}`, rec.Body.String())
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	}
}

func TestGuardedEndpoints(t *testing.T) {
	a := newApp(t)
	noPermission := token(t, func(c *accessClaims) { c.Permissions = nil })
	cases := []struct {
		name, path, auth string
		status           int
		body, challenge  string
	}{
		{
			name: "members, no token", path: "/api/members-only",
			status: 401, challenge: `Bearer realm="api"`,
			body: `{"error":"unauthorized","error_description":"No authorization token was found"}`,
		},
		{
			name: "protected, no token", path: "/api/protected",
			status: 401, challenge: `Bearer realm="api"`,
			body: `{"error":"unauthorized","error_description":"No authorization token was found"}`,
		},
		{
			name: "members, valid token", path: "/api/members-only", auth: "Bearer " + token(t, nil),
			status: 200, body: `{"message":"Members Only Endpoint"}`,
		},
		{
			name: "members, valid token without the permission", path: "/api/members-only", auth: "Bearer " + noPermission,
			status: 200, body: `{"message":"Members Only Endpoint"}`,
		},
		{
			name: "protected, valid token with the permission", path: "/api/protected", auth: "bearer " + token(t, nil),
			status: 200, body: `{"message":"Protected Endpoint"}`,
		},
		{
			name: "protected, valid token without the permission", path: "/api/protected", auth: "Bearer " + noPermission,
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", scope="read:protected"`,
			body: `{"error":"insufficient_scope","error_description":"The access token lacks a required permission"}`,
		},
		{
			name: "protected, permission only in scope", path: "/api/protected",
			auth:   "Bearer " + tokenWithScope(t, "openid read:protected"),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", scope="read:protected"`,
			body: `{"error":"insufficient_scope","error_description":"The access token lacks a required permission"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.do(http.MethodGet, tc.path, tc.auth)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.JSONEq(t, tc.body, rec.Body.String())
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}

func tokenWithScope(t *testing.T, scope string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signingKey()},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), testKID))
	require.NoError(t, err)
	raw, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": testIssuer, "aud": testAudience, "sub": "auth0|bob",
		"exp": time.Now().Add(time.Hour).Unix(), "scope": scope,
	}).Serialize()
	require.NoError(t, err)
	return raw
}

func TestBadTokens(t *testing.T) {
	a := newApp(t)
	cases := map[string]string{
		"garbage":         "Bearer abc",
		"expired":         "Bearer " + token(t, func(c *accessClaims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour)) }),
		"other audience":  "Bearer " + token(t, func(c *accessClaims) { c.Audience = jwt.Audience{"https://other.example.com"} }),
		"issuer no slash": "Bearer " + token(t, func(c *accessClaims) { c.Issuer = strings.TrimSuffix(testIssuer, "/") }),
	}
	for name, auth := range cases {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/api/members-only", "/api/protected"} {
				rec := a.do(http.MethodGet, path, auth)
				require.Equal(t, http.StatusUnauthorized, rec.Code)
				assert.Regexp(t, `^Bearer realm="api", error="invalid_token", error_description="[^"\\]+"$`, rec.Header().Get("WWW-Authenticate"))
				var body map[string]string
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
				assert.Equal(t, "invalid_token", body["error"])
				assert.NotEmpty(t, body["error_description"])
			}
		})
	}
	t.Run("malformed request", func(t *testing.T) {
		rec := a.do(http.MethodGet, "/api/members-only", "Bearer a b")
		require.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_request"`)
	})
}

func TestKeysUnavailable(t *testing.T) {
	a := newApp(t)
	a.jwks.Close()
	rec := a.do(http.MethodGet, "/api/protected", "Bearer "+token(t, nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), `"temporarily_unavailable"`)
}

func TestAuthConfig(t *testing.T) {
	e, err := New(Config{Issuer: "http://localhost:4000/", Audience: "https://api.example.com", ClientID: "demo-spa"})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth_config.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"domain":"http://localhost:4000","issuer":"http://localhost:4000/","clientId":"demo-spa","audience":"https://api.example.com"}`, rec.Body.String())
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

func TestFrontEnd(t *testing.T) {
	a := newApp(t)
	cases := map[string]struct {
		contentType string
		contains    []string
	}{
		"/": {"text/html; charset=utf-8", []string{
			`id="login"`, `id="logout"`, `id="profile"`, `id="profile-name"`, `id="profile-email"`,
			`id="profile-picture"`, `id="call-open"`, `id="call-members"`, `id="call-protected"`,
			`id="result-status"`, `id="result-body"`, `id="error"`, `data-state="loading"`,
			`<script type="module" src="/app.js">`,
		}},
		"/app.js":    {"text/javascript; charset=utf-8", []string{"response_mode", "code_challenge_method"}},
		"/style.css": {"text/css; charset=utf-8", []string{"[hidden]"}},
	}
	for path, tc := range cases {
		t.Run(path, func(t *testing.T) {
			rec := a.do(http.MethodGet, path, "")
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tc.contentType, rec.Header().Get("Content-Type"))
			for _, s := range tc.contains {
				assert.Contains(t, rec.Body.String(), s)
			}
			assert.NotContains(t, rec.Body.String(), "//cdn", "no external resources")
		})
	}
}

// The Content-Security-Policy is derived from the issuer: the page may fetch from it (the token
// endpoint, the reachability probe), frame it (silent authentication) and show images from it (the
// emulator's pictures) or from any https host (Auth0's: Gravatar, cdn.auth0.com, Google's), and
// nothing else. The same headers go out on every response, errors included.
func TestSecurityHeaders(t *testing.T) {
	cases := map[string]struct{ issuer, origin string }{
		"emulator":         {"http://localhost:4000/", "http://localhost:4000"},
		"Auth0 tenant":     {"https://dev-abc.us.auth0.com/", "https://dev-abc.us.auth0.com"},
		"custom domain":    {"https://login.example.com/", "https://login.example.com"},
		"issuer with port": {"http://127.0.0.1:8443/", "http://127.0.0.1:8443"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := New(Config{Issuer: tc.issuer, Audience: testAudience, ClientID: "demo-spa",
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			require.NoError(t, err)
			want := "default-src 'none'; script-src 'self'; style-src 'self'; " +
				"img-src 'self' data: https: " + tc.origin + "; " +
				"connect-src 'self' " + tc.origin + "; " +
				"frame-src " + tc.origin + "; " +
				"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
			for _, path := range []string{"/", "/app.js", "/auth_config.json", "/api/open", "/api/protected", "/nowhere"} {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				h := rec.Header()
				assert.Equal(t, want, h.Get("Content-Security-Policy"), path)
				assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), path)
				assert.Equal(t, "DENY", h.Get("X-Frame-Options"), path)
				assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), path)
				assert.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"), path)
				assert.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"), path)
			}
		})
	}
}

func TestErrorsAreJSON(t *testing.T) {
	a := newApp(t)
	t.Run("unknown route", func(t *testing.T) {
		rec := a.do(http.MethodGet, "/api/nothing", "")
		require.Equal(t, http.StatusNotFound, rec.Code)
		assert.JSONEq(t, `{"error":"not_found","error_description":"Not Found"}`, rec.Body.String())
	})
	t.Run("wrong method", func(t *testing.T) {
		rec := a.do(http.MethodDelete, "/auth_config.json", "")
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		assert.JSONEq(t, `{"error":"method_not_allowed","error_description":"Method Not Allowed"}`, rec.Body.String())
	})
	t.Run("body over the limit", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/open", strings.NewReader(strings.Repeat("x", 65<<10)))
		rec := httptest.NewRecorder()
		a.e.ServeHTTP(rec, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		assert.JSONEq(t, `{"error":"request_too_large","error_description":"Request Entity Too Large"}`, rec.Body.String())
	})
	t.Run("panic", func(t *testing.T) {
		a.e.GET("/boom", func(echo.Context) error { panic("kaboom") })
		rec := a.do(http.MethodGet, "/boom", "")
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.JSONEq(t, `{"error":"server_error","error_description":"Internal Server Error"}`, rec.Body.String())
		assert.NotContains(t, rec.Body.String(), "kaboom")
		assert.Contains(t, a.log.String(), "kaboom", "the cause is in the log")
	})
}

// One access-log line per request, with method, path, status and latency, and never a token or
// the login callback's code and state: not from the header, not from a query string.
func TestAccessLog(t *testing.T) {
	a := newApp(t)
	valid := token(t, nil)
	expired := token(t, func(c *accessClaims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour)) })
	const code, state = "Sp1ceC0deFromTheIdP", "St4teOfThisTab"
	requests := []struct{ target, auth, path string }{
		{"/api/open", "", "/api/open"},
		{"/api/protected", "Bearer " + valid, "/api/protected"},
		{"/api/protected", "Bearer " + expired, "/api/protected"},
		{"/api/members-only?access_token=" + valid, "", "/api/members-only"},
		{"/api/members-only?access_token=" + valid, "Bearer " + valid, "/api/members-only"},
		{"/?code=" + code + "&state=" + state + "&iss=https%3A%2F%2Ftenant.example.com%2F", "", "/"},
		{"/?error=access_denied&error_description=" + code + "&state=" + state, "", "/"},
	}
	for _, r := range requests {
		a.do(http.MethodGet, r.target, r.auth)
	}

	lines := strings.Split(strings.TrimSpace(a.log.String()), "\n")
	require.Len(t, lines, len(requests))
	secrets := []string{code, state}
	for _, tok := range []string{valid, expired} {
		secrets = append(secrets, strings.Split(tok, ".")...)
	}
	for i, line := range lines {
		assert.Regexp(t, `^time=\S+ level=INFO msg=request method=GET path=\S+ status=\d{3} latency=\S+ remote=\S+( error=.*)?$`, line)
		assert.Contains(t, line, " path="+requests[i].path+" ", "the path, without its query")
		for _, secret := range secrets {
			assert.NotContains(t, line, secret)
		}
	}
	assert.Contains(t, lines[2], "status=401")
	assert.Contains(t, lines[2], "has expired", "the reason a token was refused is logged")
	assert.Contains(t, lines[4], "status=400")
	assert.Contains(t, lines[5], "status=200")
}

// Every route answers HEAD as it answers GET, a wrong method on an existing path is 405 with
// Allow (an API path included), and an unknown path is a 404 JSON error. Error answers are never
// cached.
func TestMethods(t *testing.T) {
	a := newApp(t)
	srv := httptest.NewServer(a.e)
	t.Cleanup(srv.Close)
	notFound := `{"error":"not_found","error_description":"Not Found"}`
	notAllowed := `{"error":"method_not_allowed","error_description":"Method Not Allowed"}`
	cases := []struct {
		method, path string
		status       int
		allow, body  string
		challenge    string
	}{
		{method: "HEAD", path: "/", status: 200},
		{method: "HEAD", path: "/app.js", status: 200},
		{method: "HEAD", path: "/auth_config.json", status: 200},
		{method: "HEAD", path: "/api/open", status: 200},
		{method: "HEAD", path: "/api/protected", status: 401, challenge: `Bearer realm="api"`},
		{method: "HEAD", path: "/api/nothing", status: 404},
		{method: "OPTIONS", path: "/", status: 204, allow: "OPTIONS, GET, HEAD"},
		{method: "OPTIONS", path: "/api/members-only", status: 204, allow: "OPTIONS, GET, HEAD"},
		{method: "OPTIONS", path: "/api/nothing", status: 404, body: notFound},
		{method: "POST", path: "/", status: 405, allow: "OPTIONS, GET, HEAD", body: notAllowed},
		{method: "POST", path: "/api/open", status: 405, allow: "OPTIONS, GET, HEAD", body: notAllowed},
		{method: "DELETE", path: "/api/protected", status: 405, allow: "OPTIONS, GET, HEAD", body: notAllowed},
		{method: "POST", path: "/api/nothing", status: 404, body: notFound},
		{method: "GET", path: "/api/nothing", status: 404, body: notFound},
		{method: "GET", path: "/nowhere", status: 404, body: notFound},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			require.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.allow, resp.Header.Get("Allow"))
			assert.Equal(t, tc.challenge, resp.Header.Get("WWW-Authenticate"))
			if tc.body == "" {
				assert.Empty(t, body)
			} else {
				assert.JSONEq(t, tc.body, string(body))
			}
			if tc.status >= 400 {
				assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			}
			if tc.method == http.MethodHead && tc.status == http.StatusOK {
				get := a.do(http.MethodGet, tc.path, "")
				assert.Equal(t, get.Header().Get("Content-Type"), resp.Header.Get("Content-Type"))
				assert.Equal(t, get.Header().Get("Cache-Control"), resp.Header.Get("Cache-Control"))
			}
		})
	}
}
