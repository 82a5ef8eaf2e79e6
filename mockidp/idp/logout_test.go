package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/signing"
)

// assertLoggedIn asserts whether the browser still has a session, the way an application finds
// out: a silent authorization request.
func assertLoggedIn(t *testing.T, b *browser, want bool) {
	t.Helper()
	p := b.get(spaAuthorize(testIssuer, "prompt", "none"))
	if want {
		codeOf(t, p, spaCallback, spaState)
		return
	}
	code, desc := errorOf(t, p, spaCallback)
	assert.Equal(t, "login_required", code)
	assert.Equal(t, "Login required", desc)
}

// assertCookieCleared asserts that the answer deletes the session cookie.
func assertCookieCleared(t *testing.T, p page) {
	t.Helper()
	c := p.cookie(sessionCookie)
	require.NotNil(t, c, "the session cookie must be cleared")
	assert.Less(t, c.MaxAge, 0)
	assert.Equal(t, "/", c.Path)
}

// S35: a returnTo that is not listed byte for byte is an error page; nothing redirects and the
// session stays.
func TestLogoutV2Refused(t *testing.T) {
	notAllowed := func(returnTo string) string {
		return fmt.Sprintf(`invalid_request: The "returnTo" querystring parameter %q is not defined as a valid URL in "Allowed Logout URLs".`, returnTo)
	}
	logout := func(kv ...string) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return testIssuer + "v2/logout?" + q.Encode()
	}
	cases := []struct{ name, url, text string }{
		{"unlisted", logout("client_id", spaClient, "returnTo", "https://evil.example/"), notAllowed("https://evil.example/")},
		{"host suffix", logout("client_id", spaClient, "returnTo", "http://localhost:3000.evil.com"), notAllowed("http://localhost:3000.evil.com")},
		{"scheme-relative", logout("client_id", spaClient, "returnTo", "//evil.com"), notAllowed("//evil.com")},
		{"backslashes", logout("client_id", spaClient, "returnTo", `https:\\evil.com`), notAllowed(`https:\\evil.com`)},
		{"javascript", logout("client_id", spaClient, "returnTo", "javascript:alert(1)"), notAllowed("javascript:alert(1)")},
		{"query added", logout("client_id", spaClient, "returnTo", "http://localhost:3000/?next=x"), notAllowed("http://localhost:3000/?next=x")},
		{"another client's URL", logout("client_id", webClient, "returnTo", "http://localhost:3000/"), notAllowed("http://localhost:3000/")},
		{"no client and not in the tenant's list", logout("returnTo", "http://localhost:3000/"), notAllowed("http://localhost:3000/")},
		{"unknown client", logout("client_id", "nope", "returnTo", "http://localhost:3000/"), "invalid_request: Unknown client: nope"},
		{"repeated returnTo", logout("client_id", spaClient, "returnTo", "http://localhost:3000/", "returnTo", "https://evil.example/"),
			"Parameters 'client_id' and 'returnTo' must not be repeated."},
		{"unparseable query", testIssuer + "v2/logout?returnTo=%zz", "The query string could not be parsed."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			b := loggedIn(t, s)
			p := b.get(tc.url)
			assertErrorPage(t, p, http.StatusBadRequest, tc.text)
			assert.Nil(t, p.cookie(sessionCookie))
			assertLoggedIn(t, b, true)
		})
	}
}

// S36: logout redirects to a listed returnTo, or the client's first Allowed Logout URL, clears
// the cookie and ends the session, so the next prompt=none gets login_required.
func TestLogoutV2(t *testing.T) {
	cases := []struct {
		name  string
		query string
		want  string // Location; "" for the logged-out page
	}{
		{"listed returnTo", "client_id=demo-spa&returnTo=" + url.QueryEscape("http://localhost:3000/"), "http://localhost:3000/"},
		{"no returnTo: first allowed URL", "client_id=demo-spa", "http://localhost:3000"},
		{"federated flag", "client_id=demo-spa&returnTo=" + url.QueryEscape("http://localhost:3000") + "&federated", "http://localhost:3000"},
		{"auth0-spa-js telemetry", "client_id=demo-spa&returnTo=" + url.QueryEscape("http://localhost:3000") + "&auth0Client=eyJ9", "http://localhost:3000"},
		{"no client, no returnTo", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			b := loggedIn(t, s)
			p := b.get(testIssuer + "v2/logout?" + tc.query)
			assertCookieCleared(t, p)
			if tc.want == "" {
				require.Equal(t, http.StatusOK, p.Status)
				assertPageHeaders(t, p)
				assert.Contains(t, p.Body, "You are logged out")
			} else {
				require.Equal(t, http.StatusFound, p.Status)
				assert.Equal(t, tc.want, p.Location.String())
				assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
			}
			assertLoggedIn(t, b, false)
			assert.Zero(t, s.liveSessions(t))
		})
	}

	t.Run("tenant-level Allowed Logout URLs without a client", func(t *testing.T) {
		s := newAPIServer(t)
		s.tenant.Settings.AllowedLogoutURLs = []string{"https://status.example.com/"}
		b := loggedIn(t, s)
		p := b.get(testIssuer + "v2/logout?returnTo=" + url.QueryEscape("https://status.example.com/"))
		require.Equal(t, http.StatusFound, p.Status)
		assert.Equal(t, "https://status.example.com/", p.Location.String())
		assertLoggedIn(t, b, false)
	})

	t.Run("without a session", func(t *testing.T) {
		s := newAPIServer(t)
		p := newBrowser(t, s).get(testIssuer + "v2/logout?client_id=demo-spa")
		require.Equal(t, http.StatusFound, p.Status)
		assertCookieCleared(t, p)
	})
}

// Logout revokes the session's refresh tokens unless the tenant keeps them.
func TestLogoutRefreshTokens(t *testing.T) {
	for _, revoke := range []bool{true, false} {
		t.Run(fmt.Sprintf("logout_revokes_refresh_tokens=%v", revoke), func(t *testing.T) {
			s := newAPIServer(t)
			s.tenant.Settings.LogoutRevokesRefreshTokens = revoke
			b, tokens := s.loginTokens(t)
			require.NotEmpty(t, tokens.RefreshToken)
			b.get(testIssuer + "v2/logout?client_id=demo-spa")
			w := s.refresh(t, tokens.RefreshToken)
			if revoke {
				assertError(t, w, http.StatusForbidden, "invalid_grant")
			} else {
				assert.NotEmpty(t, tokenOK(t, w).IDToken)
			}
		})
	}
}

// /oidc/logout: id_token_hint (verified; expired is fine), post_logout_redirect_uri, client_id
// or the hint's aud, state echoed, logout_hint = the hint's sid; by GET or form POST.
func TestOIDCLogout(t *testing.T) {
	endpoint := func(kv ...string) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return testIssuer + "oidc/logout?" + q.Encode()
	}

	t.Run("hint, redirect and state", func(t *testing.T) {
		s := newAPIServer(t)
		b, tokens := s.loginTokens(t)
		p := b.get(endpoint("id_token_hint", tokens.IDToken, "post_logout_redirect_uri", "http://localhost:3000/", "state", spaState))
		require.Equal(t, http.StatusFound, p.Status, p.Body)
		assert.Equal(t, "http://localhost:3000/?state="+url.QueryEscape(spaState), p.Location.String())
		assertCookieCleared(t, p)
		assertLoggedIn(t, b, false)
	})

	t.Run("form POST, expired hint, logout_hint", func(t *testing.T) {
		s := newAPIServer(t)
		b, tokens := s.loginTokens(t)
		sid := s.currentSessionOf(t, b)
		s.Clock().Advance(11 * time.Hour)
		p := b.post(testIssuer+"oidc/logout", url.Values{
			"id_token_hint": {tokens.IDToken}, "post_logout_redirect_uri": {"http://localhost:3000"},
			"client_id": {spaClient}, "logout_hint": {sid},
		}, "Origin", "http://localhost:3000", "Sec-Fetch-Site", "same-site")
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		assert.Equal(t, "http://localhost:3000", p.Location.String())
		assert.Zero(t, s.liveSessions(t))
	})

	t.Run("the hint's session ends without the cookie", func(t *testing.T) {
		s := newAPIServer(t)
		_, tokens := s.loginTokens(t)
		p := newBrowser(t, s).get(endpoint("id_token_hint", tokens.IDToken))
		require.Equal(t, http.StatusOK, p.Status)
		assert.Contains(t, p.Body, "You are logged out")
		assert.Zero(t, s.liveSessions(t))
		assertError(t, s.refresh(t, tokens.RefreshToken), http.StatusForbidden, "invalid_grant")
	})

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	foreign, err := signing.FromKeys("localhost", otherKey)
	require.NoError(t, err)

	// resignedHint edits the ID token's claims and signs them again with the tenant's own key,
	// so only the claim checks can refuse it.
	resignedHint := func(edit func(map[string]any)) func(*apiServer, TokenResponse, string) string {
		return func(s *apiServer, tok TokenResponse, _ string) string {
			claims := s.claimsOf(t, tok.IDToken)
			edit(claims)
			forged, err := s.keys.Sign(claims)
			require.NoError(t, err)
			return endpoint("id_token_hint", forged, "post_logout_redirect_uri", "http://localhost:3000/")
		}
	}

	cases := []struct {
		name string
		url  func(s *apiServer, tokens TokenResponse, sid string) string
		text string
	}{
		{"S37 modified hint", func(_ *apiServer, tok TokenResponse, _ string) string {
			return endpoint("id_token_hint", tamper(tok.IDToken), "post_logout_redirect_uri", "http://localhost:3000/")
		}, "The id_token_hint is not an ID token issued by this tenant."},
		{"S37 hint signed by a foreign key", func(s *apiServer, tok TokenResponse, _ string) string {
			forged, err := foreign.Sign(s.claimsOf(t, tok.IDToken))
			require.NoError(t, err)
			return endpoint("id_token_hint", forged, "post_logout_redirect_uri", "http://localhost:3000/")
		}, "The id_token_hint is not an ID token issued by this tenant."},
		{"hint of another issuer", resignedHint(func(c map[string]any) { c["iss"] = "https://other.example.com/" }), "The id_token_hint is not an ID token issued by this tenant."},
		{"hint without iss (absent is not valid)", resignedHint(func(c map[string]any) { delete(c, "iss") }), "The id_token_hint is not an ID token issued by this tenant."},
		{"hint without aud", resignedHint(func(c map[string]any) { delete(c, "aud") }), "The id_token_hint is not an ID token issued by this tenant."},
		{"client_id not the hint's audience", func(_ *apiServer, tok TokenResponse, _ string) string {
			return endpoint("id_token_hint", tok.IDToken, "client_id", webClient, "post_logout_redirect_uri", "http://localhost:3000")
		}, "The client_id does not match the id_token_hint's audience."},
		{"logout_hint not the hint's sid", func(_ *apiServer, tok TokenResponse, _ string) string {
			return endpoint("id_token_hint", tok.IDToken, "logout_hint", "other-session")
		}, "The logout_hint does not match the id_token_hint's session."},
		{"redirect without a client", func(_ *apiServer, _ TokenResponse, _ string) string {
			return endpoint("post_logout_redirect_uri", "http://localhost:3000/")
		}, "post_logout_redirect_uri needs a client_id or an id_token_hint that names the application."},
		{"unlisted redirect", func(_ *apiServer, tok TokenResponse, _ string) string {
			return endpoint("id_token_hint", tok.IDToken, "post_logout_redirect_uri", "https://evil.example/")
		}, `invalid_request: The "post_logout_redirect_uri" querystring parameter "https://evil.example/" is not defined as a valid URL in "Allowed Logout URLs".`},
		{"repeated parameter", func(_ *apiServer, tok TokenResponse, _ string) string {
			return endpoint("client_id", spaClient, "client_id", webClient)
		}, "Parameter 'client_id' must not be repeated."},
		{"unknown client", func(_ *apiServer, _ TokenResponse, _ string) string {
			return endpoint("client_id", "nope", "post_logout_redirect_uri", "http://localhost:3000/")
		}, "Unknown client: nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			b, tokens := s.loginTokens(t)
			p := b.get(tc.url(s, tokens, s.currentSessionOf(t, b)))
			assertErrorPage(t, p, http.StatusBadRequest, tc.text)
			assert.Nil(t, p.cookie(sessionCookie))
			assertLoggedIn(t, b, true)
		})
	}
}

// tamper changes a character in the middle of a JWT's payload, keeping the signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	mid := len(parts[1]) / 2
	c := byte('A')
	if parts[1][mid] == 'A' {
		c = 'B'
	}
	parts[1] = parts[1][:mid] + string(c) + parts[1][mid+1:]
	return strings.Join(parts, ".")
}
