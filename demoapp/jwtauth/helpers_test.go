package jwtauth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/idptest"
)

const (
	testIssuer   = "https://tenant.example.com/"
	testAudience = "https://api.example.com"
	victimKID    = "k1"
	rotatedKID   = "k2"
)

var (
	rsaKeysMu sync.Mutex
	rsaKeys   = map[string]*rsa.PrivateKey{}
)

// rsaKey returns a 2048-bit key generated once per test binary for each name.
func rsaKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	rsaKeysMu.Lock()
	defer rsaKeysMu.Unlock()
	if k, ok := rsaKeys[name]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaKeys[name] = k
	return k
}

// jwksServer is a JWKS endpoint (or an attacker's server) that counts every request it gets.
type jwksServer struct {
	*httptest.Server
	hits    atomic.Int64
	mu      sync.Mutex
	respond http.HandlerFunc
}

func newJWKSServer(t testing.TB) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.respond = func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "nothing published", http.StatusNotFound) }
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		respond := s.respond
		s.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setResponse(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = h
}

// publish serves a JWKS document with the given keys and Cache-Control header.
func (s *jwksServer) publish(t testing.TB, cacheControl string, keys ...jose.JSONWebKey) {
	t.Helper()
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	require.NoError(t, err)
	s.setResponse(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		_, _ = w.Write(body)
	})
}

func (s *jwksServer) Hits() int64 { return s.hits.Load() }

func jwk(key *rsa.PrivateKey, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// signRaw signs the exact header and payload text given, so tests can send JSON that no
// well-behaved library would produce (duplicate members, odd types).
func signRaw(t testing.TB, key *rsa.PrivateKey, hash crypto.Hash, header, payload string) string {
	t.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	h := hash.New()
	h.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, hash, h.Sum(nil))
	require.NoError(t, err)
	return input + "." + b64(sig)
}

// fixture is a Validator against a test JWKS that publishes the victim key as k1, and an Echo
// app with routes for each middleware combination.
type fixture struct {
	clock *idptest.Clock // stands still until a test moves it: nothing sleeps
	jwks  *jwksServer
	v     *Validator
	e     *echo.Echo
}

func newFixture(t testing.TB, configure ...func(*Config)) *fixture {
	t.Helper()
	f := &fixture{clock: idptest.NewClock(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)), jwks: newJWKSServer(t)}
	f.jwks.publish(t, "", jwk(rsaKey(t, "victim"), victimKID))
	cfg := Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: f.jwks.URL, Now: f.clock.Now}
	for _, c := range configure {
		c(&cfg)
	}
	v, err := New(cfg)
	require.NoError(t, err)
	f.v = v

	f.e = echo.New()
	subject := func(c echo.Context) error {
		claims, ok := ClaimsFrom(c)
		if !ok {
			return echo.NewHTTPError(http.StatusInternalServerError, "no claims")
		}
		return c.JSON(http.StatusOK, map[string]string{"sub": claims.Subject})
	}
	f.e.GET("/members", subject, Middleware(v))
	f.e.POST("/members", subject, Middleware(v))
	f.e.GET("/protected", subject, Middleware(v), RequirePermissions("read:protected"))
	f.e.GET("/messages", subject, Middleware(v), RequirePermissions("read:messages"))
	f.e.GET("/scoped", subject, Middleware(v), RequireScopes("read:messages"))
	return f
}

// claims are those of an Auth0 access token for the API, requested with openid.
func (f *fixture) claims() map[string]any {
	now := f.clock.Now()
	return map[string]any{
		"iss":         testIssuer,
		"sub":         "auth0|alice",
		"aud":         []string{testAudience, testIssuer + "userinfo"},
		"azp":         "demo-spa",
		"iat":         now.Unix(),
		"exp":         now.Add(time.Hour).Unix(),
		"scope":       "openid profile email",
		"permissions": []string{"read:protected"},
	}
}

// token signs the fixture's claims with the victim key after edit has changed header or claims.
func (f *fixture) token(t testing.TB, edit func(header, claims map[string]any)) string {
	t.Helper()
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": victimKID}
	claims := f.claims()
	if edit != nil {
		edit(header, claims)
	}
	return signRaw(t, rsaKey(t, "victim"), crypto.SHA256, mustJSON(t, header), mustJSON(t, claims))
}

// get sends a request through the Echo app with the given Authorization header values.
func (f *fixture) get(path string, authorization ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

func bearer(token string) string { return "Bearer " + token }

type wireError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func decodeError(t testing.TB, rec *httptest.ResponseRecorder) wireError {
	t.Helper()
	var body wireError
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "body %q", rec.Body.String())
	return body
}

// requireInvalidToken asserts the RFC 6750 answer to a bad token.
func requireInvalidToken(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, rec.Code, "body %s", rec.Body)
	require.Regexp(t, `^Bearer realm="api", error="invalid_token", error_description="[^"\\]+"$`, rec.Header().Get("WWW-Authenticate"))
	body := decodeError(t, rec)
	require.Equal(t, "invalid_token", body.Error)
	require.NotEmpty(t, body.Description)
}
