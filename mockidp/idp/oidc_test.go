package idp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// liveServer runs the default tenant on a loopback listener, the issuer taken from the listener
// before the handler exists, and returns it with a go-oidc provider discovered from it.
func liveServer(t *testing.T) (*apiServer, *oidc.Provider, context.Context) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String() + "/"
	ten, err := tenant.Load(fixtures.FS, fixtures.DefaultTenant)
	require.NoError(t, err)
	s, err := New(Config{Issuer: issuer, Tenant: ten, Now: func() time.Time { return testStart }})
	require.NoError(t, err)
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := oidc.ClientContext(t.Context(), srv.Client())
	provider, err := oidc.NewProvider(ctx, issuer) // S43: discovery satisfies go-oidc
	require.NoError(t, err)
	return &apiServer{Server: s}, provider, ctx
}

func TestOIDCClientCredentials(t *testing.T) {
	s, provider, ctx := liveServer(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
		t.Run(map[oauth2.AuthStyle]string{0: "autodetect", 1: "params", 2: "header"}[style], func(t *testing.T) {
			cfg := clientcredentials.Config{
				ClientID: "demo-m2m", ClientSecret: "demo-m2m-secret", TokenURL: provider.Endpoint().TokenURL,
				EndpointParams: url.Values{"audience": {"https://api.example.com"}}, AuthStyle: style,
			}
			tok, err := cfg.Token(ctx)
			require.NoError(t, err)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, "read:protected", tok.Extra("scope"))

			at, err := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com", Now: s.Clock().Now}).Verify(ctx, tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, "demo-m2m@clients", at.Subject)
			assert.Equal(t, s.Issuer(), at.Issuer)
			assert.Equal(t, 24*time.Hour, at.Expiry.Sub(at.IssuedAt))
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		cfg := clientcredentials.Config{ClientID: "demo-m2m", ClientSecret: "x", TokenURL: provider.Endpoint().TokenURL,
			EndpointParams: url.Values{"audience": {"https://api.example.com"}}}
		_, err := cfg.Token(ctx)
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, http.StatusUnauthorized, re.Response.StatusCode)
		assert.Equal(t, "access_denied", re.ErrorCode)
	})
}

func TestOIDCPasswordAndUserinfo(t *testing.T) {
	s, provider, ctx := liveServer(t)
	cfg := oauth2.Config{ClientID: "demo-web", ClientSecret: "demo-web-secret", Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
	tok, err := cfg.PasswordCredentialsToken(ctx, "alice@example.com", "alice-password")
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)

	rawID, _ := tok.Extra("id_token").(string)
	id, err := provider.Verifier(&oidc.Config{ClientID: "demo-web", Now: s.Clock().Now}).Verify(ctx, rawID)
	require.NoError(t, err)
	assert.Equal(t, "auth0|alice", id.Subject)
	assert.Equal(t, 10*time.Hour, id.Expiry.Sub(id.IssuedAt))
	var profile struct {
		Email    string `json:"email"`
		Verified bool   `json:"email_verified"`
		Name     string `json:"name"`
	}
	require.NoError(t, id.Claims(&profile))
	assert.Equal(t, "alice@example.com", profile.Email)
	assert.True(t, profile.Verified)
	assert.Equal(t, "Alice Example", profile.Name)

	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, "auth0|alice", info.Subject)
	assert.Equal(t, "alice@example.com", info.Email)

	refreshed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, refreshed.RefreshToken, "rotation")
	_, err = provider.Verifier(&oidc.Config{ClientID: "demo-web", Now: s.Clock().Now}).Verify(ctx, refreshed.Extra("id_token").(string))
	require.NoError(t, err)
}

func TestOIDCCodeExchange(t *testing.T) {
	s, provider, ctx := liveServer(t)
	code := s.issueCode(t, spaCode())
	cfg := oauth2.Config{ClientID: "demo-spa", Endpoint: provider.Endpoint(), RedirectURL: "http://localhost:3000"}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(testVerifier))
	require.NoError(t, err)
	id, err := provider.Verifier(&oidc.Config{ClientID: "demo-spa", Now: s.Clock().Now}).Verify(ctx, tok.Extra("id_token").(string))
	require.NoError(t, err)
	assert.Equal(t, "bm9uY2U=", id.Nonce)
	_, err = provider.Verifier(&oidc.Config{ClientID: "https://api.example.com", Now: s.Clock().Now}).Verify(ctx, tok.AccessToken)
	require.NoError(t, err, "aud is [api, userinfo]; go-oidc accepts an array containing the client id")

	_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(testVerifier))
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
	assert.Equal(t, "Invalid authorization code", re.ErrorDescription)
}
