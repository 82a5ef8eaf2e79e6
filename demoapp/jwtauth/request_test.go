package jwtauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A1, A2: no credentials for us → 401 with a bare challenge (RFC 6750 §3.1), and no JWKS traffic.
func TestNoBearerCredentials(t *testing.T) {
	f := newFixture(t)
	cases := map[string][]string{
		"A1 no Authorization header": nil,
		"A2 Basic":                   {"Basic dXNlcjpwYXNz"},
		"A2 unknown scheme":          {"Token abc.def.ghi"},
		"A2 Digest":                  {`Digest username="alice"`},
		"A2 scheme glued to token":   {"Bearerabc.def.ghi"},
		"A2 tab instead of space":    {"Bearer\tabc.def.ghi"},
		"A2 empty header":            {""},
	}
	for name, headers := range cases {
		t.Run(name, func(t *testing.T) {
			rec := f.get("/members", headers...)
			require.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.JSONEq(t, `{"error":"unauthorized","error_description":"No authorization token was found"}`, rec.Body.String())
		})
	}
	assert.Zero(t, f.jwks.Hits())
}

// A3: RFC 9110 §11.1 auth schemes are case-insensitive.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		t.Run(scheme, func(t *testing.T) {
			rec := f.get("/members", scheme+" "+token)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.JSONEq(t, `{"sub":"auth0|alice"}`, rec.Body.String())
		})
	}
	t.Run("several spaces after the scheme", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, f.get("/members", "Bearer   "+token).Code)
	})
}

// A4: malformed Bearer credentials → 400 invalid_request.
func TestMalformedBearerCredentials(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	cases := map[string][]string{
		"scheme only":          {"Bearer"},
		"empty token":          {"Bearer "},
		"two tokens":           {"Bearer a b"},
		"two valid tokens":     {"Bearer " + token + " " + token},
		"comma list":           {"Bearer " + token + ",Bearer " + token},
		"token with tab":       {"Bearer a\tb"},
		"two headers":          {bearer(token), bearer(token)},
		"bearer and basic":     {bearer(token), "Basic dXNlcjpwYXNz"},
		"two headers, one bad": {"Bearer x", bearer(token)},
	}
	for name, headers := range cases {
		t.Run(name, func(t *testing.T) {
			requireInvalidRequest(t, f.get("/members", headers...))
		})
	}
	assert.Zero(t, f.jwks.Hits())
}

func requireInvalidRequest(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	assert.Regexp(t, `^Bearer realm="api", error="invalid_request", error_description="[^"\\]+"$`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "invalid_request", decodeError(t, rec).Error)
}

// A5: only the header is read; a token elsewhere is ignored, and a token in two places is refused.
func TestTokenOutsideTheHeader(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	form := func(body string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		f.e.ServeHTTP(rec, req)
		return rec
	}

	t.Run("query only is ignored", func(t *testing.T) {
		rec := f.get("/members?access_token=" + url.QueryEscape(token))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
	})
	t.Run("form body only is ignored", func(t *testing.T) {
		rec := serve(form("access_token=" + url.QueryEscape(token)))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
	})
	t.Run("header and query", func(t *testing.T) {
		requireInvalidRequest(t, f.get("/members?access_token="+url.QueryEscape(token), bearer(token)))
	})
	t.Run("header and form body", func(t *testing.T) {
		req := form("access_token=" + url.QueryEscape(token))
		req.Header.Set("Authorization", bearer(token))
		requireInvalidRequest(t, serve(req))
	})
	t.Run("header and an unparsable form body", func(t *testing.T) {
		req := form("a=%zz")
		req.Header.Set("Authorization", bearer(token))
		requireInvalidRequest(t, serve(req))
	})
	t.Run("header and a form body without a token is fine", func(t *testing.T) {
		req := form("name=alice")
		req.Header.Set("Authorization", bearer(token))
		assert.Equal(t, http.StatusOK, serve(req).Code)
	})
}

// A29: the token length is capped before any parsing (the header cap is net/http's: see
// demoapp's server test for the 431).
func TestOversizedToken(t *testing.T) {
	f := newFixture(t)
	huge := f.token(t, func(_, c map[string]any) { c["pad"] = strings.Repeat("x", DefaultMaxTokenBytes) })
	rec := f.get("/members", bearer(huge))
	requireInvalidToken(t, rec)
	assert.Equal(t, string(errTokenTooLarge), decodeError(t, rec).Description)
	assert.Zero(t, f.jwks.Hits(), "no key lookup for an oversized token")

	small := newFixture(t, func(c *Config) { c.MaxTokenBytes = 100 })
	requireInvalidToken(t, small.get("/members", bearer(small.token(t, nil))))
}

// A30: a valid token without the permission → 403 insufficient_scope naming what is required.
// Decision: "scope" does not count for RequirePermissions; RequireScopes reads it instead.
func TestMissingPermission(t *testing.T) {
	f := newFixture(t)
	cases := map[string]func(h, c map[string]any){
		"other permissions":       func(_, c map[string]any) { c["permissions"] = []string{"read:protected", "write:messages"} },
		"no permissions claim":    func(_, c map[string]any) { delete(c, "permissions") },
		"empty permissions":       func(_, c map[string]any) { c["permissions"] = []string{} },
		"only in scope":           func(_, c map[string]any) { c["scope"] = "openid read:messages"; delete(c, "permissions") },
		"case differs":            func(_, c map[string]any) { c["permissions"] = []string{"READ:MESSAGES"} },
		"prefix of another entry": func(_, c map[string]any) { c["permissions"] = []string{"read:messages:all"} },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			rec := f.get("/messages", bearer(f.token(t, edit)))
			require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
			assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="read:messages"`, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "insufficient_scope", decodeError(t, rec).Error)
		})
	}

	t.Run("granted", func(t *testing.T) {
		token := f.token(t, func(_, c map[string]any) { c["permissions"] = []string{"read:messages"} })
		assert.Equal(t, http.StatusOK, f.get("/messages", bearer(token)).Code)
	})
	t.Run("RequireScopes reads scope", func(t *testing.T) {
		token := f.token(t, func(_, c map[string]any) { c["scope"] = "openid read:messages"; delete(c, "permissions") })
		assert.Equal(t, http.StatusOK, f.get("/scoped", bearer(token)).Code)
	})
	t.Run("RequireScopes ignores permissions", func(t *testing.T) {
		token := f.token(t, func(_, c map[string]any) { c["permissions"] = []string{"read:messages"} })
		rec := f.get("/scoped", bearer(token))
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="read:messages"`, rec.Header().Get("WWW-Authenticate"))
	})
}

func TestRequireNeedsAllPermissions(t *testing.T) {
	f := newFixture(t)
	f.e.GET("/both", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) },
		Middleware(f.v), RequirePermissions("read:a", "read:b"))
	one := f.token(t, func(_, c map[string]any) { c["permissions"] = []string{"read:a"} })
	rec := f.get("/both", bearer(one))
	require.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="read:a read:b"`, rec.Header().Get("WWW-Authenticate"))

	both := f.token(t, func(_, c map[string]any) { c["permissions"] = []string{"read:b", "read:a"} })
	assert.Equal(t, http.StatusNoContent, f.get("/both", bearer(both)).Code)
}

// A31: a "permissions" claim of the wrong shape fails closed.
func TestMalformedPermissions(t *testing.T) {
	f := newFixture(t)
	for name, edit := range map[string]func(h, c map[string]any){
		"string":         func(_, c map[string]any) { c["permissions"] = "read:protected" },
		"numbers":        func(_, c map[string]any) { c["permissions"] = []int{1, 2} },
		"mixed":          func(_, c map[string]any) { c["permissions"] = []any{"read:protected", true} },
		"nested":         func(_, c map[string]any) { c["permissions"] = [][]string{{"read:protected"}} },
		"object":         func(_, c map[string]any) { c["permissions"] = map[string]bool{"read:protected": true} },
		"scope is array": func(_, c map[string]any) { c["scope"] = []string{"read:protected"} },
	} {
		t.Run(name, func(t *testing.T) {
			token := f.token(t, edit)
			rec := f.get("/protected", bearer(token))
			requireInvalidToken(t, rec)
			assert.Equal(t, string(errClaims), decodeError(t, rec).Description)
		})
	}
}

func TestRequireMisuse(t *testing.T) {
	assert.Panics(t, func() { RequirePermissions() })
	assert.Panics(t, func() { RequirePermissions("") })
	assert.Panics(t, func() { RequirePermissions("read messages") })
	assert.Panics(t, func() { RequirePermissions(`read"x`) })
	assert.Panics(t, func() { RequireScopes("read\\x") })

	// Without Middleware in front there are no claims: fail closed, loudly.
	e := echo.New()
	e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, RequirePermissions("read:protected"))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}

// A32: whatever is refused, the challenge holds only this package's constants: never a byte of
// the token. The kid and claims below carry a marker that must not come back.
func TestChallengeNeverEchoesTheToken(t *testing.T) {
	const marker = `MARKER"<script>\`
	f := newFixture(t)
	tokens := map[string]string{
		"unknown kid":    f.token(t, func(h, _ map[string]any) { h["kid"] = marker }),
		"wrong issuer":   f.token(t, func(_, c map[string]any) { c["iss"] = marker }),
		"wrong audience": f.token(t, func(_, c map[string]any) { c["aud"] = marker }),
		"alg":            f.token(t, func(h, _ map[string]any) { h["alg"] = marker }),
		"garbage":        marker,
		"missing perm":   f.token(t, func(_, c map[string]any) { c["permissions"] = []string{marker} }),
	}
	challenge := regexp.MustCompile(`^Bearer realm="api"(, error="(invalid_token|invalid_request|insufficient_scope)")?(, error_description="[ !#-\[\]-~]+")?(, scope="[!#-\[\]-~ ]+")?$`)
	for name, token := range tokens {
		t.Run(name, func(t *testing.T) {
			rec := f.get("/protected", bearer(token))
			require.GreaterOrEqual(t, rec.Code, 400)
			h := rec.Header().Get("WWW-Authenticate")
			assert.Regexp(t, challenge, h)
			assert.NotContains(t, h, "MARKER")
			assert.NotContains(t, rec.Body.String(), "MARKER")
		})
	}
}

// Every description that can reach a header is valid RFC 6750 error_description text.
func TestDescriptionsAreHeaderSafe(t *testing.T) {
	all := []tokenError{
		errTokenTooLarge, errMalformed, errAlgorithm, errHeader, errNoKeyID, errUnknownKey,
		errSignature, errClaims, errIssuer, errAudience, errNoExpiry, errExpired, errNotYetValid,
		errIssuedInFuture,
	}
	for _, e := range all {
		assert.Regexp(t, `^[ !#-\[\]-~]+$`, string(e))
		assert.ErrorIs(t, e, ErrInvalidToken)
	}
	for _, e := range []*authError{errNoToken, refusal(&keysUnavailableError{}), refusal(errExpired), invalidRequest("x")} {
		assert.Regexp(t, `^[ !#-\[\]-~]+$`, e.description)
	}
}

func TestClaimsReachTheHandler(t *testing.T) {
	f := newFixture(t)
	var seen *Claims
	f.e.GET("/claims", func(c echo.Context) error {
		claims, ok := ClaimsFrom(c)
		require.True(t, ok)
		seen = claims
		// A handler that scribbles on its claims must not change what the next request sees.
		claims.Permissions[0] = "write:everything"
		claims.Audience[0] = "https://other.example.com"
		*claims.Expiry = 0
		*claims.IssuedAt = 0
		return c.NoContent(http.StatusNoContent)
	}, Middleware(f.v))
	token := f.token(t, nil)
	for range 2 {
		require.Equal(t, http.StatusNoContent, f.get("/claims", bearer(token)).Code)
		require.NotNil(t, seen)
		assert.Equal(t, "auth0|alice", seen.Subject)
		assert.Equal(t, "demo-spa", seen.AuthorizedParty)
		assert.Equal(t, "openid profile email", seen.Scope)
		assert.True(t, seen.HasScope("profile"))
		assert.False(t, seen.HasScope("read:protected"))
	}
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)

	_, ok := ClaimsFrom(echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder()))
	assert.False(t, ok)
}

// The refusal is returned as well as written, so request loggers can record the reason; Echo's
// error handler must leave the written response alone.
func TestRefusalIsReturnedForLogs(t *testing.T) {
	f := newFixture(t)
	var logged error
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			logged = next(c)
			return logged
		}
	})
	e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, Middleware(f.v))
	token := f.token(t, func(_, c map[string]any) { c["exp"] = f.clock.Now().Add(-2 * time.Hour).Unix() })
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", bearer(token))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)

	requireInvalidToken(t, rec)
	require.ErrorIs(t, logged, ErrInvalidToken)
	assert.NotContains(t, logged.Error(), token[:20])
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "exactly one JSON document was written")
}
