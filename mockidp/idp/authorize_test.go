package idp

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/store"
)

// oddTenant has what the default tenant lacks: a callback with a query, a wildcard web origin,
// a native app's callback that would run script, and names that would be markup if a page did
// not escape them.
const oddTenant = `
tenant:
  friendly_name: Odd <b>Tenant</b>
clients:
  - name: <script>alert("app")</script>
    client_id: odd-app
    app_type: spa
    token_endpoint_auth_method: none
    grant_types: [authorization_code]
    callbacks:
      - http://localhost:3000/cb?tenant=a&x=1
      - https://app.example.com/cb
    web_origins: ["https://*.example.com"]
    allowed_logout_urls: ["https://app.example.com/bye?from=idp"]
  - name: Native
    client_id: native-app
    app_type: native
    token_endpoint_auth_method: none
    grant_types: [authorization_code]
    callbacks: ["javascript://localhost/%0Aalert(1)"]
users:
  - user_id: auth0|carol
    email: carol@example.com
    password: carol-password
    name: <img src=x onerror=alert(1)>
`

// loggedIn returns a browser holding a session of alice's on the default tenant.
func loggedIn(t *testing.T, s *apiServer) *browser {
	t.Helper()
	b := newBrowser(t, s)
	codeOf(t, b.login(spaAuthorize(testIssuer), "alice@example.com", "alice-password"), spaCallback, spaState)
	return b
}

// S1–S4, S7 (repeated redirect_uri), S40: until client_id and redirect_uri are trusted, errors
// are a page and never a redirect.
func TestAuthorizeUntrustedTarget(t *testing.T) {
	web := func(redirectURI string, kv ...string) string {
		return spaAuthorize(testIssuer, append([]string{"client_id", webClient, "redirect_uri", redirectURI,
			"code_challenge", "", "code_challenge_method", ""}, kv...)...)
	}
	mismatch := "unauthorized_client: Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs."
	cases := []struct {
		name, url, text string
	}{
		{"S1 unknown client", spaAuthorize(testIssuer, "client_id", "nope"), "invalid_request: Unknown client: nope"},
		{"missing client_id", spaAuthorize(testIssuer, "client_id", ""), "Missing required parameter: client_id"},
		{"S7 repeated client_id", spaAuthorize(testIssuer) + "&client_id=" + spaClient, "Parameter 'client_id' must not be repeated."},
		{"S2 unregistered redirect_uri", web("https://evil.example/callback"), mismatch},
		{"S4 redirect_uri omitted", web(""), "Missing required parameter: redirect_uri"},
		{"S7 repeated redirect_uri", web(webCallback) + "&redirect_uri=" + url.QueryEscape(webCallback), "Parameter 'redirect_uri' must not be repeated."},
		{"S3 dot segments", web("http://localhost:3000/callback/../evil"), mismatch},
		{"S3 host suffix", web("http://localhost:3000/callback.evil.com"), mismatch},
		{"S3 user info", web("http://localhost:3000@evil.com/callback"), mismatch},
		{"S3 query added", web(webCallback + "?next=/admin"), mismatch},
		{"S3 trailing slash", web(webCallback + "/"), mismatch},
		{"S3 path case", web("http://localhost:3000/Callback"), mismatch},
		{"S3 fragment", web(webCallback + "#frag"), mismatch},
		{"S3 port", web("http://localhost:3001/callback"), mismatch},
		{"S3 https instead of http", web("https://localhost:3000/callback"), mismatch},
		{"S3 encoded slash", web("http://localhost:3000%2Fcallback"), mismatch},
		{"S3 double encoding", web(url.QueryEscape(webCallback)), mismatch},
		{"S3 host case", web("http://LOCALHOST:3000/callback"), mismatch},
		{"S40 script in client_id", spaAuthorize(testIssuer, "client_id", `<script>alert(1)</script>`), `Unknown client: <script>alert(1)</script>`},
		{"S40 script in redirect_uri", web(`http://localhost:3000/"><script>alert(1)</script>`), mismatch},
		{"unparseable query", testIssuer + "authorize?client_id=" + spaClient + "&redirect_uri=%zz", "The query string could not be parsed."},
		{"state over its bound, not echoed", spaAuthorize(testIssuer, "state", strings.Repeat("s", maxStateBytes+1)),
			"Parameter 'state' is too long: at most 2048 bytes."},
		{"web_message to an origin not in Allowed Web Origins", web(webCallback, "response_mode", "web_message"),
			"The origin http://localhost:3000 of the redirect_uri is not in the application's Allowed Web Origins"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			p := newBrowser(t, s).get(tc.url)
			assertErrorPage(t, p, http.StatusBadRequest, tc.text)
			assert.NotContains(t, p.Body, "<script>alert", "reflected markup must be escaped")
			assert.Empty(t, p.Cookies)
		})
	}
}

// Pending logins keep the request's parameters, so an oversized one is refused before anything
// is stored.
func TestAuthorizeQueryTooLong(t *testing.T) {
	s := newAPIServer(t)
	p := newBrowser(t, s).get(spaAuthorize(testIssuer, "state", strings.Repeat("s", maxAuthorizeQuery)))
	assertErrorPage(t, p, http.StatusRequestURITooLong, "The request is too long.")
	assert.Empty(t, p.Cookies)

	long := spaAuthorize(testIssuer, "state", strings.Repeat("s", maxStateBytes), "nonce", strings.Repeat("n", maxNonceBytes),
		"login_hint", strings.Repeat("h", store.MaxIdentifierBytes))
	assert.Equal(t, http.StatusFound, newBrowser(t, s).get(long).Status, "every parameter at its bound still works")
}

// A registered callback whose scheme runs script is never redirected to.
func TestAuthorizeScriptCallback(t *testing.T) {
	s := newAPIServerYAML(t, oddTenant)
	p := newBrowser(t, s).get(spaAuthorize(testIssuer, "client_id", "native-app", "redirect_uri", "javascript://localhost/%0Aalert(1)", "audience", ""))
	assertErrorPage(t, p, http.StatusBadRequest, "The redirect_uri scheme is not allowed.")
}

// S5, S7 (repeated state), S15, S16 and the other bad parameters: once client and redirect URI
// are trusted, errors go back to the redirect URI with the state.
func TestAuthorizeErrorsRedirect(t *testing.T) {
	cases := []struct {
		name      string
		url       string
		code      string
		desc      string
		wantState bool
	}{
		{"S5 response_type missing", spaAuthorize(testIssuer, "response_type", ""), "invalid_request", "Missing required parameter: response_type", true},
		{"S5 response_type token (implicit)", spaAuthorize(testIssuer, "response_type", "token"), "unsupported_response_type", "Unsupported response type: token", true},
		{"S5 response_type hybrid", spaAuthorize(testIssuer, "response_type", "code id_token"), "unsupported_response_type", "Unsupported response type: code id_token", true},
		{"S7 repeated state", spaAuthorize(testIssuer) + "&state=other", "invalid_request", "Parameter 'state' must not be repeated.", false},
		{"S7 repeated scope", spaAuthorize(testIssuer) + "&scope=openid", "invalid_request", "Parameter 'scope' must not be repeated.", true},
		{"S15 public client without code_challenge", spaAuthorize(testIssuer, "code_challenge", "", "code_challenge_method", ""), "invalid_request",
			"PKCE required: public clients must send code_challenge with code_challenge_method=S256.", true},
		{"S16 plain method", spaAuthorize(testIssuer, "code_challenge", testVerifier, "code_challenge_method", "plain"), "invalid_request",
			"Unsupported code_challenge_method: only S256 is supported.", true},
		{"S16 no method means plain", spaAuthorize(testIssuer, "code_challenge_method", ""), "invalid_request",
			"Unsupported code_challenge_method: only S256 is supported.", true},
		{"S16 unknown method", spaAuthorize(testIssuer, "code_challenge_method", "S512"), "invalid_request",
			"Unsupported code_challenge_method: only S256 is supported.", true},
		{"method without challenge", spaAuthorize(testIssuer, "code_challenge", ""), "invalid_request", "Missing required parameter: code_challenge", true},
		{"challenge too short", spaAuthorize(testIssuer, "code_challenge", testChallenge[:42]), "invalid_request",
			"Invalid code_challenge: expected 43 base64url characters (S256).", true},
		{"challenge with padding alphabet", spaAuthorize(testIssuer, "code_challenge", testChallenge[:42]+"="), "invalid_request",
			"Invalid code_challenge: expected 43 base64url characters (S256).", true},
		{"unknown audience", spaAuthorize(testIssuer, "audience", "https://nope.example.com"), "access_denied", "Service not found: https://nope.example.com", true},
		{"unsupported response_mode", spaAuthorize(testIssuer, "response_mode", "jwt"), "invalid_request", "Unsupported response_mode: jwt", true},
		{"prompt none with login", spaAuthorize(testIssuer, "prompt", "none login"), "invalid_request",
			"The prompt value 'none' must not be combined with other values.", true},
		{"unknown prompt", spaAuthorize(testIssuer, "prompt", "bogus"), "invalid_request", "Unsupported prompt value: bogus", true},
		{"negative max_age", spaAuthorize(testIssuer, "max_age", "-1"), "invalid_request", "Invalid max_age: expected a number of seconds.", true},
		{"max_age not a number", spaAuthorize(testIssuer, "max_age", "1h"), "invalid_request", "Invalid max_age: expected a number of seconds.", true},
		{"organization (not emulated, so no token without org_id)", spaAuthorize(testIssuer, "organization", "org_abc123"), "invalid_request",
			"parameter organization is invalid: org_abc123 does not exist (the emulator has no organizations)", true},
		{"organization by name", spaAuthorize(testIssuer, "organization", "acme"), "invalid_request",
			"parameter organization is invalid: acme does not exist (the emulator has no organizations)", true},
		{"invitation", spaAuthorize(testIssuer, "invitation", "inv_1"), "invalid_request",
			"parameter invitation is invalid: inv_1 does not exist (the emulator has no organizations)", true},
		{"repeated organization", spaAuthorize(testIssuer) + "&organization=org_a&organization=org_b", "invalid_request",
			"Parameter 'organization' must not be repeated.", true},
		{"request object (discovery lists it, as Auth0's does)", spaAuthorize(testIssuer, "request", "eyJhbGciOiJub25lIn0.e30."), "request_not_supported",
			"The emulator does not support request objects (the request parameter).", true},
		{"nonce over its bound", spaAuthorize(testIssuer, "nonce", strings.Repeat("n", maxNonceBytes+1)), "invalid_request",
			"Parameter 'nonce' is too long: at most 2048 bytes.", true},
		{"scope over its bound", spaAuthorize(testIssuer, "scope", "openid "+strings.Repeat("s", maxScopeBytes)), "invalid_request",
			"Parameter 'scope' is too long: at most 2048 bytes.", true},
		{"login_hint over its bound", spaAuthorize(testIssuer, "login_hint", strings.Repeat("h", store.MaxIdentifierBytes+1)), "invalid_request",
			"Parameter 'login_hint' is too long: at most 512 bytes.", true},
		{"request_uri", spaAuthorize(testIssuer, "request_uri", "https://app.example.com/request.jwt"), "request_uri_not_supported",
			"The emulator does not support the request_uri parameter.", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			p := newBrowser(t, s).get(tc.url)
			code, desc := errorOf(t, p, spaCallback)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.desc, desc)
			q := p.Location.Query()
			if tc.wantState {
				assert.Equal(t, spaState, q.Get("state"))
			} else {
				assert.NotContains(t, q, "state")
			}
			assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
		})
	}

	t.Run("client without the authorization_code grant", func(t *testing.T) {
		s := newAPIServerYAML(t, strings.Replace(oddTenant, "grant_types: [authorization_code]", "grant_types: [implicit]", 1))
		p := newBrowser(t, s).get(spaAuthorize(testIssuer, "client_id", "odd-app", "redirect_uri", "https://app.example.com/cb", "audience", ""))
		code, desc := errorOf(t, p, "https://app.example.com/cb")
		assert.Equal(t, "unauthorized_client", code)
		assert.Equal(t, "Grant type 'authorization_code' not allowed for the client.", desc)
	})
}

// S6: unknown parameters, such as auth0Client and custom ones, change nothing.
func TestAuthorizeUnknownParameters(t *testing.T) {
	s := newAPIServer(t)
	b := newBrowser(t, s)
	login := b.login(spaAuthorize(testIssuer, "extra", "foobar", "connection", "Username-Password-Authentication"),
		"alice@example.com", "alice-password")
	codeOf(t, login, spaCallback, spaState)
	codeOf(t, b.get(spaAuthorize(testIssuer, "extra", "foobar", "ui_locales", "fr")), spaCallback, spaState)
}

// S8: state comes back byte for byte on success and on error, whatever it holds; without one,
// none comes back.
func TestAuthorizeStateRoundTrip(t *testing.T) {
	states := map[string]string{
		"auth0-spa-js padded base64": spaState,
		"2 KiB":                      strings.Repeat("aB9+/=", 2048/6),
		"reserved characters":        "&=#+%?/ ;,",
		"unicode":                    "état ✓ 日本語 🎉",
		"markup":                     `"><script>alert(1)</script>`,
	}
	s := newAPIServer(t)
	b := loggedIn(t, s)
	anonymous := newBrowser(t, s)
	for name, state := range states {
		t.Run(name+", success", func(t *testing.T) {
			codeOf(t, b.get(spaAuthorize(testIssuer, "state", state)), spaCallback, state)
		})
		t.Run(name+", error", func(t *testing.T) {
			p := anonymous.get(spaAuthorize(testIssuer, "state", state, "prompt", "none"))
			code, _ := errorOf(t, p, spaCallback)
			assert.Equal(t, "login_required", code)
			assert.Equal(t, state, p.Location.Query().Get("state"))
		})
	}
	t.Run("no state", func(t *testing.T) {
		p := b.get(spaAuthorize(testIssuer, "state", ""))
		codeOf(t, p, spaCallback, "")
		assert.NotContains(t, p.Location.Query(), "state")
		p = anonymous.get(spaAuthorize(testIssuer, "state", "", "prompt", "none"))
		errorOf(t, p, spaCallback)
		assert.NotContains(t, p.Location.Query(), "state")
	})
}

// S10: the emulator answers as Auth0 does, without `iss` in the authorization response (a
// client defends against mix-up with the ID token's iss); discovery does not promise one.
func TestAuthorizeResponseHasNoIss(t *testing.T) {
	s := newAPIServer(t)
	b := loggedIn(t, s)
	p := b.get(spaAuthorize(testIssuer))
	codeOf(t, p, spaCallback, spaState)
	assert.NotContains(t, p.Location.Query(), "iss")

	d := newBrowser(t, s).get(testIssuer + ".well-known/openid-configuration")
	require.Equal(t, http.StatusOK, d.Status)
	assert.NotContains(t, d.Body, "authorization_response_iss_parameter_supported")
}

// With a session, every response mode answers at once; without one, prompt=none answers
// login_required in the same mode and never shows a page.
func TestAuthorizeResponseModes(t *testing.T) {
	s := newAPIServer(t)
	b := loggedIn(t, s)
	anonymous := newBrowser(t, s)

	t.Run("query is the default", func(t *testing.T) {
		codeOf(t, b.get(spaAuthorize(testIssuer, "response_mode", "")), spaCallback, spaState)
	})

	t.Run("fragment", func(t *testing.T) {
		p := b.get(spaAuthorize(testIssuer, "response_mode", "fragment"))
		require.Equal(t, http.StatusFound, p.Status)
		assert.Empty(t, p.Location.RawQuery)
		frag, err := url.ParseQuery(p.Location.EscapedFragment())
		require.NoError(t, err)
		assert.NotEmpty(t, frag.Get("code"))
		assert.Equal(t, spaState, frag.Get("state"))

		p = anonymous.get(spaAuthorize(testIssuer, "response_mode", "fragment", "prompt", "none"))
		frag, err = url.ParseQuery(p.Location.EscapedFragment())
		require.NoError(t, err)
		assert.Equal(t, "login_required", frag.Get("error"))
		assert.Equal(t, spaState, frag.Get("state"))
	})

	t.Run("form_post", func(t *testing.T) {
		p := b.get(spaAuthorize(testIssuer, "response_mode", "form_post"))
		require.Equal(t, http.StatusOK, p.Status, p.Body)
		assert.Contains(t, p.Body, `<form method="post" action="http://localhost:3000/">`)
		fields := formFields(p.Body)
		assert.NotEmpty(t, fields.Get("code"))
		assert.Equal(t, spaState, fields.Get("state"))
		assert.Contains(t, p.Body, "<noscript>")
		csp := p.Header.Get("Content-Security-Policy")
		nonce := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
		require.Len(t, nonce, 2, csp)
		assert.Contains(t, p.Body, `<script nonce="`+nonce[1]+`">document.forms[0].submit();</script>`)
		assert.Contains(t, csp, "form-action http://localhost:3000;")
		assert.Contains(t, csp, "frame-ancestors 'none'")
		assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))

		p = anonymous.get(spaAuthorize(testIssuer, "response_mode", "form_post", "prompt", "none"))
		fields = formFields(p.Body)
		assert.Equal(t, "login_required", fields.Get("error"))
		assert.Equal(t, "Login required", fields.Get("error_description"))
		assert.Equal(t, spaState, fields.Get("state"))
	})

	t.Run("web_message, silent renewal from a hidden iframe", func(t *testing.T) {
		p := b.get(spaAuthorize(testIssuer, "response_mode", "web_message", "prompt", "none"))
		assertWebMessage(t, p, "http://localhost:3000")
		code := regexp.MustCompile(`response: \{"code":"([^"]+)","state":"` + regexp.QuoteMeta(spaState) + `"\}\};`).FindStringSubmatch(p.Body)
		require.Len(t, code, 2, p.Body)
	})

	t.Run("web_message without a session", func(t *testing.T) {
		p := anonymous.get(spaAuthorize(testIssuer, "response_mode", "web_message", "prompt", "none"))
		assertWebMessage(t, p, "http://localhost:3000")
		assert.Contains(t, p.Body, `response: {"error":"login_required","error_description":"Login required","state":"`+spaState+`"}};`)
		assert.Nil(t, p.cookie(loginCookie), "prompt=none starts no login")
	})

	t.Run("web_message JSON-escapes what it reflects", func(t *testing.T) {
		state := `</script><script>alert(1)</script>"+\`
		p := anonymous.get(spaAuthorize(testIssuer, "response_mode", "web_message", "prompt", "none", "state", state))
		assertWebMessage(t, p, "http://localhost:3000")
		assert.NotContains(t, p.Body, "</script><script>")
		assert.Contains(t, p.Body, `"state":"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\"+\\"`)
	})

	t.Run("web_message frameable by a wildcard web origin", func(t *testing.T) {
		odd := newAPIServerYAML(t, oddTenant)
		p := newBrowser(t, odd).get(spaAuthorize(testIssuer, "client_id", "odd-app", "redirect_uri", "https://app.example.com/cb",
			"audience", "", "response_mode", "web_message", "prompt", "none"))
		assertWebMessage(t, p, "https://app.example.com")
		assert.Contains(t, p.Header.Get("Content-Security-Policy"), "frame-ancestors https://*.example.com;")
	})

	t.Run("query merged into the redirect URI's own", func(t *testing.T) {
		odd := newAPIServerYAML(t, oddTenant)
		p := newBrowser(t, odd).get(spaAuthorize(testIssuer, "client_id", "odd-app", "redirect_uri", "http://localhost:3000/cb?tenant=a&x=1",
			"audience", "", "prompt", "none"))
		require.Equal(t, http.StatusFound, p.Status)
		assert.Equal(t, "http://localhost:3000/cb?tenant=a&x=1&error=login_required&error_description=Login+required&state="+url.QueryEscape(spaState),
			p.Location.String())
	})
}

// assertWebMessage checks Auth0's web_message page (see webMessagePage): frameable by the web
// origins only, posting to the redirect URI's origin, and running only its own script.
func assertWebMessage(t *testing.T, p page, origin string) {
	t.Helper()
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Equal(t, "text/html; charset=utf-8", p.Header.Get("Content-Type"))
	assert.Empty(t, p.Header.Get("X-Frame-Options"), "the page must be frameable by the application")
	csp := p.Header.Get("Content-Security-Policy")
	assert.NotContains(t, csp, "frame-ancestors 'none'")
	assert.Contains(t, csp, "frame-ancestors ")
	nonce := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
	require.Len(t, nonce, 2, csp)
	assert.Contains(t, p.Body, `<title>Authorization Response</title>`)
	assert.Contains(t, p.Body, `<script type="text/javascript" nonce="`+nonce[1]+`">`)
	assert.Contains(t, p.Body, `var targetOrigin = "`+origin+`";`)
	assert.Contains(t, p.Body, `var authorizationResponse = {type: "authorization_response", response: {`)
	assert.Contains(t, p.Body, `mainWin.postMessage(authorizationResponse, targetOrigin);`)
	assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
}

// prompt=login and max_age send a logged-in browser back to the login page; with prompt=none
// the same request answers login_required instead.
func TestAuthorizeReauthentication(t *testing.T) {
	s := newAPIServer(t)
	b := loggedIn(t, s)
	s.Clock().Advance(100 * time.Second)

	toLogin := func(t *testing.T, p page) {
		t.Helper()
		require.Equal(t, http.StatusFound, p.Status)
		assert.Equal(t, testIssuer+"u/login", p.Location.Scheme+"://"+p.Location.Host+p.Location.Path)
	}
	t.Run("prompt=login", func(t *testing.T) {
		toLogin(t, b.get(spaAuthorize(testIssuer, "prompt", "login")))
	})
	t.Run("max_age satisfied", func(t *testing.T) {
		codeOf(t, b.get(spaAuthorize(testIssuer, "max_age", "100")), spaCallback, spaState)
	})
	t.Run("max_age exceeded", func(t *testing.T) {
		toLogin(t, b.get(spaAuthorize(testIssuer, "max_age", "99")))
	})
	t.Run("max_age exceeded with prompt=none", func(t *testing.T) {
		code, desc := errorOf(t, b.get(spaAuthorize(testIssuer, "max_age", "99", "prompt", "none")), spaCallback)
		assert.Equal(t, "login_required", code)
		assert.Equal(t, "Login required", desc)
	})
	t.Run("prompt=consent and select_account are accepted", func(t *testing.T) {
		codeOf(t, b.get(spaAuthorize(testIssuer, "prompt", "consent select_account")), spaCallback, spaState)
	})
}

// The code carries what /authorize bound it to; the token endpoint checks and mints from it.
func TestAuthorizeCodeBinding(t *testing.T) {
	s := newAPIServer(t)
	b := newBrowser(t, s)
	p := b.login(spaAuthorize(testIssuer, "max_age", "600", "scope", "openid profile read:protected offline_access"), "alice@example.com", "alice-password")
	code := codeOf(t, p, spaCallback, spaState)
	sid := sessionID(p.cookie(sessionCookie).Value)

	c := s.takeCode(t, code)
	assert.Equal(t, store.AuthCode{
		Code: code, ClientID: spaClient, RedirectURI: spaCallback, Challenge: testChallenge,
		Scope: "openid profile read:protected offline_access", Audience: "https://api.example.com", Nonce: spaNonce,
		UserID: "auth0|alice", SessionID: sid, AuthTime: testStart, MaxAge: true,
		Expires: testStart.Add(DefaultCodeLifetime), Grant: c.Grant,
	}, c)
	assert.NotEmpty(t, c.Grant)

	// bob holds no permission on the API: with RBAC on, read:protected is not granted.
	p = newBrowser(t, s).login(spaAuthorize(testIssuer, "scope", "openid read:protected"), "bob@example.com", "bob-password")
	c = s.takeCode(t, codeOf(t, p, spaCallback, spaState))
	assert.Equal(t, "openid", c.Scope)
	assert.False(t, c.MaxAge)
}

// S40: what a page reflects from the tenant is escaped too.
func TestAuthorizePagesEscapeTenantValues(t *testing.T) {
	s := newAPIServerYAML(t, oddTenant)
	login, _, _ := newBrowser(t, s).openLogin(spaAuthorize(testIssuer, "client_id", "odd-app", "redirect_uri", "https://app.example.com/cb", "audience", ""))
	assert.NotContains(t, login.Body, `<script>alert("app")</script>`)
	assert.NotContains(t, login.Body, `<img src=x`)
	assert.NotContains(t, login.Body, `<b>Tenant</b>`)
	assert.Contains(t, login.Body, html.EscapeString(`<script>alert("app")</script>`))
	assert.Contains(t, login.Body, html.EscapeString(`<img src=x onerror=alert(1)>`))
}
