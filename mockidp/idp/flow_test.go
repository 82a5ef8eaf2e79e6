package idp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// The whole login as a regular client library does it: x/oauth2 builds the PKCE request and
// redeems the code, a cookie-jar browser goes through the real login form, go-oidc verifies the
// ID token from discovery and JWKS. Then silent renewal, refresh, and logout.
func TestBrowserFlowWithLibraries(t *testing.T) {
	s, provider, ctx := liveServer(t)
	issuer, clock := s.Issuer(), s.Clock()
	conf := oauth2.Config{
		ClientID:    spaClient,
		Endpoint:    oauth2.Endpoint{AuthURL: provider.Endpoint().AuthURL, TokenURL: provider.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: spaCallback,
		Scopes:      []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(spaState, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", spaNonce), oauth2.SetAuthURLParam("audience", "https://api.example.com"),
		oauth2.SetAuthURLParam("max_age", "3600"))

	b := newBrowserWith(t, http.DefaultTransport)
	code := codeOf(t, b.login(authURL, "alice@example.com", "alice-password"), spaCallback, spaState)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)

	idVerifier := provider.Verifier(&oidc.Config{ClientID: spaClient, Now: clock.Now})
	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := idVerifier.Verify(ctx, rawID)
	require.NoError(t, err)
	assert.Equal(t, spaNonce, idToken.Nonce)
	assert.Equal(t, "auth0|alice", idToken.Subject)
	var claims struct {
		SID      string `json:"sid"`
		AuthTime int64  `json:"auth_time"`
		Email    string `json:"email"`
	}
	require.NoError(t, idToken.Claims(&claims))
	u, err := url.Parse(issuer)
	require.NoError(t, err)
	var secret string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			secret = c.Value
		}
	}
	assert.Equal(t, sessionID(secret), claims.SID, "sid is the SSO session")
	assert.Equal(t, clock.Now().Unix(), claims.AuthTime)
	assert.Equal(t, "alice@example.com", claims.Email)

	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, "auth0|alice", info.Subject)

	// Silent renewal: auth0-spa-js's hidden iframe gets a code at once, for the same session.
	clock.Advance(time.Minute)
	silent := b.get(spaAuthorize(issuer, "response_mode", "web_message", "prompt", "none"))
	assertWebMessage(t, silent, "http://localhost:3000")
	assert.Contains(t, silent.Body, `response: {"code":"`)

	// Refresh: the answer carries a new ID token for the same session (auth0-spa-js needs one).
	refreshed, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.NoError(t, err)
	rawID, _ = refreshed.Extra("id_token").(string)
	idToken, err = idVerifier.Verify(ctx, rawID)
	require.NoError(t, err)
	require.NoError(t, idToken.Claims(&claims))
	assert.Equal(t, sessionID(secret), claims.SID)

	// Logout ends the session: the iframe now gets login_required.
	out := b.get(issuer + "v2/logout?client_id=demo-spa&returnTo=" + url.QueryEscape("http://localhost:3000/"))
	require.Equal(t, http.StatusFound, out.Status)
	silent = b.get(spaAuthorize(issuer, "response_mode", "web_message", "prompt", "none"))
	assert.Contains(t, silent.Body, `response: {"error":"login_required","error_description":"Login required","state":"`+spaState+`"}};`)
}

// S12–S14, S20–S22 through the real login: the code /authorize issues is bound to its client,
// redirect URI, PKCE challenge and 60 s, as the token endpoint reads it. (The token endpoint's
// own cases, with codes stored directly, are in token_code_test.go.)
func TestBrowserCodeBinding(t *testing.T) {
	spa := func(kv ...string) []string {
		return append([]string{"grant_type", "authorization_code", "client_id", spaClient, "redirect_uri", spaCallback, "code_verifier", testVerifier}, kv...)
	}
	web := []string{"client_id", webClient, "redirect_uri", webCallback, "code_challenge", "", "code_challenge_method", ""}
	cases := []struct {
		name      string
		authorize []string // changes to the SPA's /authorize request
		wait      time.Duration
		body      func(code string) []string
		status    int
		code      string
	}{
		{name: "S11 PKCE S256", body: func(c string) []string { return spa("code", c) }, status: http.StatusOK},
		{name: "S12 wrong verifier", body: func(c string) []string { return spa("code", c, "code_verifier", strings.Repeat("a", 43)) },
			status: http.StatusForbidden, code: "invalid_grant"},
		{name: "S13 verifier missing", body: func(c string) []string { return spa("code", c, "code_verifier", "") },
			status: http.StatusForbidden, code: "invalid_grant"},
		{name: "S20 code at 59 s", wait: 59 * time.Second, body: func(c string) []string { return spa("code", c) }, status: http.StatusOK},
		{name: "S20 code at 60 s", wait: 60 * time.Second, body: func(c string) []string { return spa("code", c) },
			status: http.StatusForbidden, code: "invalid_grant"},
		{name: "S21 the SPA's code redeemed by the web app", body: func(c string) []string {
			return []string{"grant_type", "authorization_code", "client_id", webClient, "client_secret", "demo-web-secret",
				"redirect_uri", spaCallback, "code_verifier", testVerifier, "code", c}
		}, status: http.StatusForbidden, code: "invalid_grant"},
		{name: "S22 other redirect_uri", body: func(c string) []string { return spa("code", c, "redirect_uri", "http://localhost:3000") },
			status: http.StatusForbidden, code: "invalid_grant"},
		{name: "S22 redirect_uri missing", body: func(c string) []string { return spa("code", c, "redirect_uri", "") },
			status: http.StatusForbidden, code: "invalid_grant"},
		{name: "confidential client, secret only", authorize: web, body: func(c string) []string {
			return []string{"grant_type", "authorization_code", "client_id", webClient, "client_secret", "demo-web-secret",
				"redirect_uri", webCallback, "code", c}
		}, status: http.StatusOK},
		{name: "S14 verifier without a challenge", authorize: web, body: func(c string) []string {
			return []string{"grant_type", "authorization_code", "client_id", webClient, "client_secret", "demo-web-secret",
				"redirect_uri", webCallback, "code_verifier", testVerifier, "code", c}
		}, status: http.StatusBadRequest, code: "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			authorize := spaAuthorize(testIssuer, tc.authorize...)
			u, err := url.Parse(authorize)
			require.NoError(t, err)
			code := codeOf(t, newBrowser(t, s).login(authorize, "alice@example.com", "alice-password"), u.Query().Get("redirect_uri"), spaState)
			s.Clock().Advance(tc.wait)
			w := s.post(t, "/oauth/token", formSet(tc.body(code)))
			if tc.status != http.StatusOK {
				assertError(t, w, tc.status, tc.code)
				return
			}
			resp := tokenOK(t, w)
			assert.NotEmpty(t, resp.IDToken, "every token response for a user carries an ID token")
			assert.NotEmpty(t, resp.RefreshToken)
		})
	}
}

// formSet encodes name, value pairs as a form body; a later pair replaces an earlier one of the
// same name, and an empty value leaves the parameter out.
func formSet(kv []string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}

// BenchmarkBrowserLogin is a whole login without a browser: /authorize, the login page, the
// form POST, the code, and the token exchange, in-process. It also reports its cost as a
// multiple of the raw RS256 signatures the login needs, access and ID token (login/raw): after
// the timed loop, logins and pairs of raw signatures alternate, so both see the same machine.
func BenchmarkBrowserLogin(b *testing.B) {
	s := newAPIServer(b)
	authorize := spaAuthorize(testIssuer)
	login := func() {
		code := codeOf(b, newBrowser(b, s).login(authorize, "alice@example.com", "alice-password"), spaCallback, spaState)
		if w := s.exchange(b, code); w.Code != http.StatusOK {
			b.Fatal(w.Body.String())
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		login()
	}

	reportRatio(b, s, login, 2, 200, "login/raw")
}

// BenchmarkRawSignatures is the floor of a login: the two raw RS256 signatures of its tokens.
func BenchmarkRawSignatures(b *testing.B) {
	key, digest := rawSignInput(newAPIServer(b))
	b.ReportAllocs()
	for b.Loop() {
		signRaw(b, key, digest)
		signRaw(b, key, digest)
	}
}
