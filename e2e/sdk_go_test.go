package e2e

// The Go SDKs against the emulator, each used as its documentation says to use it with an Auth0
// tenant: go-jwt-middleware guarding an API, go-oidc and x/oauth2 as a server-side web app.
// Every flow here is a row of the README's SDK matrix (sdk_test.go runs them).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tenantless/tenantless/mockidp/idp"
)

// The Go modules in the matrix; their versions come from go.mod.
const (
	modJWTMiddleware = "github.com/auth0/go-jwt-middleware/v2"
	modOIDC          = "github.com/coreos/go-oidc/v3"
	modOAuth2        = "golang.org/x/oauth2"
)

// sdkCase is one flow of one SDK.
type sdkCase struct {
	module, flow string
	run          func(t *testing.T, env *Env)
}

// goSDKCases are the Go rows of the matrix, in the order the README lists them.
var goSDKCases = []sdkCase{
	{modJWTMiddleware, "user access token", testJWTMiddlewareUser},
	{modJWTMiddleware, "M2M access token", testJWTMiddlewareM2M},
	{modJWTMiddleware, "wrong audience", testJWTMiddlewareAudience},
	{modJWTMiddleware, "expired token", testJWTMiddlewareExpired},
	{modJWTMiddleware, "tampered token", testJWTMiddlewareTampered},
	{modOIDC, "discovery", testOIDCDiscovery},
	{modOIDC, "ID token verification", testOIDCIDToken},
	{modOIDC, "userinfo", testOIDCUserInfo},
	{modOAuth2, "authorization code with PKCE", testOAuth2Code},
	{modOAuth2, "refresh token", testOAuth2Refresh},
	{modOAuth2, "client credentials", testOAuth2ClientCredentials},
}

// --- go-jwt-middleware ----------------------------------------------------------------------

// apiClaims are the custom claims an Auth0 API reads with go-jwt-middleware (its README's
// CustomClaims example).
type apiClaims struct {
	Scope       string   `json:"scope"`
	Permissions []string `json:"permissions"`
}

func (c *apiClaims) Validate(context.Context) error { return nil }

// guardedAPI is an http.Handler protected the way go-jwt-middleware's README sets it up for an
// Auth0 API (the issuer with its trailing slash, RS256, the API identifier as audience, keys
// from the issuer's discovery document), answering with what it validated.
func guardedAPI(t *testing.T, env *Env, audience string) *httptest.Server {
	t.Helper()
	issuerURL, err := url.Parse(env.Issuer)
	require.NoError(t, err)
	provider := jwks.NewCachingProvider(issuerURL, 5*time.Minute)
	v, err := validator.New(provider.KeyFunc, validator.RS256, issuerURL.String(), []string{audience},
		validator.WithCustomClaims(func() validator.CustomClaims { return &apiClaims{} }),
		validator.WithAllowedClockSkew(time.Minute),
	)
	require.NoError(t, err)
	mw := jwtmiddleware.New(v.ValidateToken, jwtmiddleware.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		t.Logf("go-jwt-middleware refused a token: %v", err)
		jwtmiddleware.DefaultErrorHandler(w, r, err)
	}))
	srv := httptest.NewServer(mw.CheckJWT(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
		custom := claims.CustomClaims.(*apiClaims)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"sub": claims.RegisteredClaims.Subject, "permissions": custom.Permissions, "scope": custom.Scope,
		})
	})))
	t.Cleanup(srv.Close)
	return srv
}

type guardedAnswer struct {
	Sub         string   `json:"sub"`
	Permissions []string `json:"permissions"`
	Scope       string   `json:"scope"`
}

func callGuarded(t *testing.T, srv *httptest.Server, token string) (int, guardedAnswer) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	r := do(t, http.DefaultClient, req)
	var a guardedAnswer
	if r.status == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(r.body), &a), r.body)
	}
	return r.status, a
}

func testJWTMiddlewareUser(t *testing.T, env *Env) {
	srv := guardedAPI(t, env, Audience)
	tok, _ := spaLogin(t, env, env.Client(), alice)
	status, a := callGuarded(t, srv, tok.AccessToken)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, alice.sub, a.Sub)
	assert.Contains(t, a.Permissions, "read:protected")
	assert.Contains(t, a.Scope, "openid")
}

func testJWTMiddlewareM2M(t *testing.T, env *Env) {
	srv := guardedAPI(t, env, Audience)
	status, a := callGuarded(t, srv, m2mToken(t, env).AccessToken)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, m2mClientID+"@clients", a.Sub)
	assert.Equal(t, "read:protected", a.Scope)
}

func testJWTMiddlewareAudience(t *testing.T, env *Env) {
	tok, _ := spaLogin(t, env, env.Client(), alice)
	status, _ := callGuarded(t, guardedAPI(t, env, "https://other-api.example.com"), tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status, "a token for another API")
	status, _ = callGuarded(t, guardedAPI(t, env, Audience), tok.IDToken)
	assert.Equal(t, http.StatusUnauthorized, status, "an ID token is not an access token for the API (its aud is the client)")
}

func testJWTMiddlewareExpired(t *testing.T, env *Env) {
	require.NotNil(t, env.IDP, "needs the in-process harness to mint")
	srv := guardedAPI(t, env, Audience)
	req := idp.MintRequest{User: alice.email, ClientID: SPAClientID, Audience: Audience, ExpiresIn: time.Hour}

	fresh, err := env.IDP.MintToken(req)
	require.NoError(t, err)
	status, _ := callGuarded(t, srv, fresh.AccessToken)
	require.Equal(t, http.StatusOK, status, "control: the same token minted now is accepted")

	// The same tenant and issuer, so the same key, on a clock two hours back: its token expired
	// an hour ago, beyond the middleware's minute of leeway, with no waiting.
	past, err := idp.New(idp.Config{Issuer: env.Issuer, Tenant: env.IDP.Tenant(), Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, past.Close()) })
	expired, err := past.MintToken(req)
	require.NoError(t, err)
	status, _ = callGuarded(t, srv, expired.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status, "expired token")
}

func testJWTMiddlewareTampered(t *testing.T, env *Env) {
	srv := guardedAPI(t, env, Audience)
	tok, _ := spaLogin(t, env, env.Client(), bob)
	status, _ := callGuarded(t, srv, tamper(t, tok.AccessToken, "permissions", []string{"read:protected"}))
	assert.Equal(t, http.StatusUnauthorized, status, "bob granting himself read:protected")
}

// --- go-oidc and x/oauth2 -------------------------------------------------------------------

func newProvider(t *testing.T, env *Env) *oidc.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// NewProvider refuses a discovery document whose issuer differs from the URL by a byte.
	p, err := oidc.NewProvider(ctx, env.Issuer)
	require.NoError(t, err)
	return p
}

// webApp is the demo-web application configured as x/oauth2's README does it, with go-oidc's
// endpoints.
func webApp(env *Env, p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     webClientID,
		ClientSecret: webClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  env.AppOrigin + "/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}
}

// codeFlowResult is what a web app holds after its callback.
type codeFlowResult struct {
	token *oauth2.Token
	raw   string // the ID token
	nonce string
}

// webAppLogin runs the authorization code flow with PKCE of a server-side web app: the browser
// goes to AuthCodeURL, logs in on the emulator's page and comes back to the callback with a
// code, which the app exchanges with its secret and the PKCE verifier.
func webAppLogin(t *testing.T, env *Env, p *oidc.Provider, u user) codeFlowResult {
	t.Helper()
	cfg := webApp(env, p)
	state, nonce, verifier := randomString(t), randomString(t), oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("audience", Audience),
	)
	c := env.Client()
	r := authorizeToLogin(t, c, authURL).submit(t, c, u)
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, r.status, r.body)
	back := r.location(t)
	require.Equal(t, cfg.RedirectURL, back.Scheme+"://"+back.Host+back.Path)
	require.Equal(t, state, back.Query().Get("state"))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err, "code exchange")
	raw, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, raw, "no id_token in the token response")
	return codeFlowResult{token: tok, raw: raw, nonce: nonce}
}

func testOIDCDiscovery(t *testing.T, env *Env) {
	p := newProvider(t, env)
	assert.Equal(t, env.Issuer+"authorize", p.Endpoint().AuthURL)
	assert.Equal(t, env.Issuer+"oauth/token", p.Endpoint().TokenURL)
	assert.Equal(t, env.Issuer+"userinfo", p.UserInfoEndpoint())
	var doc struct {
		JWKSURI  string   `json:"jwks_uri"`
		Algs     []string `json:"id_token_signing_alg_values_supported"`
		EndSess  string   `json:"end_session_endpoint"`
		Response []string `json:"response_types_supported"`
	}
	require.NoError(t, p.Claims(&doc))
	assert.Equal(t, env.Issuer+".well-known/jwks.json", doc.JWKSURI)
	assert.Contains(t, doc.Algs, "RS256")
	assert.Contains(t, doc.Response, "code")
}

func testOIDCIDToken(t *testing.T, env *Env) {
	p := newProvider(t, env)
	res := webAppLogin(t, env, p, alice)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	id, err := p.Verifier(&oidc.Config{ClientID: webClientID}).Verify(ctx, res.raw)
	require.NoError(t, err)
	assert.Equal(t, res.nonce, id.Nonce, "nonce")
	assert.Equal(t, alice.sub, id.Subject)
	var claims idClaims
	require.NoError(t, id.Claims(&claims))
	assert.NotEmpty(t, claims.SID, "sid")
	assert.Equal(t, alice.email, claims.Email)
	assert.True(t, claims.Verified)

	_, err = p.Verifier(&oidc.Config{ClientID: SPAClientID}).Verify(ctx, res.raw)
	assert.Error(t, err, "an ID token issued to demo-web is not one for demo-spa")
	_, err = p.Verifier(&oidc.Config{ClientID: webClientID}).Verify(ctx, tamper(t, res.raw, "email", bob.email))
	assert.Error(t, err, "a tampered ID token")
}

func testOIDCUserInfo(t *testing.T, env *Env) {
	p := newProvider(t, env)
	res := webAppLogin(t, env, p, bob)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(res.token))
	require.NoError(t, err)
	assert.Equal(t, bob.sub, info.Subject)
	assert.Equal(t, bob.email, info.Email)
	var more struct {
		Name string `json:"name"`
	}
	require.NoError(t, info.Claims(&more))
	assert.Equal(t, bob.name, more.Name)
}

func testOAuth2Code(t *testing.T, env *Env) {
	res := webAppLogin(t, env, newProvider(t, env), alice)
	assert.Equal(t, "Bearer", res.token.TokenType)
	assert.True(t, res.token.Valid())
	assert.NotEmpty(t, res.token.RefreshToken, "offline_access was asked for")
	r := callAPI(t, env, "/api/protected", res.token.AccessToken)
	assert.Equal(t, http.StatusOK, r.status, "the web app's token at the demo API: %s", describe(r))
}

func testOAuth2Refresh(t *testing.T, env *Env) {
	p := newProvider(t, env)
	res := webAppLogin(t, env, p, alice)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// An expired token makes the TokenSource refresh, as it would an hour later.
	stale := &oauth2.Token{RefreshToken: res.token.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
	fresh, err := webApp(env, p).TokenSource(ctx, stale).Token()
	require.NoError(t, err, "refresh")
	// Not compared with the first access token: minted within the same second for the same
	// grant, two Auth0-style tokens (no jti) are the same bytes.
	assert.True(t, fresh.Expiry.After(time.Now()), "the TokenSource got a new token")
	assert.NotEmpty(t, fresh.RefreshToken, "a rotating refresh token comes back with the new one")
	r := callAPI(t, env, "/api/protected", fresh.AccessToken)
	assert.Equal(t, http.StatusOK, r.status, "the refreshed token at the demo API: %s", describe(r))
}

func testOAuth2ClientCredentials(t *testing.T, env *Env) {
	p := newProvider(t, env)
	cfg := clientcredentials.Config{
		ClientID:       m2mClientID,
		ClientSecret:   m2mClientSecret,
		TokenURL:       p.Endpoint().TokenURL,
		EndpointParams: url.Values{"audience": {Audience}},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tok, err := cfg.Token(ctx)
	require.NoError(t, err)
	r := callAPI(t, env, "/api/protected", tok.AccessToken)
	assert.Equal(t, http.StatusOK, r.status, describe(r))
}
