package idptest_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/idptest"
)

// New belongs in a test: the emulator lives as long as the test does.
func ExampleNew() {
	var t *testing.T // the test's own
	tenant := idptest.New(t)
	token := tenant.UserToken(t, "alice@example.com", "https://api.example.com", "read:protected")
	// Configure the code under test with tenant.Issuer() (JWT validation) or tenant.Domain()
	// (auth0-spa-js), and call it with "Authorization: Bearer " + token.
	_ = token
}

// A client-credentials token from the running tenant, with golang.org/x/oauth2, verified with
// go-oidc against the tenant's discovery document and JWKS.
func ExampleStart() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()

	ctx := context.Background()
	cfg := clientcredentials.Config{
		ClientID:       "demo-m2m",
		ClientSecret:   "demo-m2m-secret",
		TokenURL:       tenant.Issuer() + "oauth/token",
		EndpointParams: url.Values{"audience": {"https://api.example.com"}},
	}
	tok, err := cfg.Token(ctx)
	if err != nil {
		panic(err)
	}
	provider, err := oidc.NewProvider(ctx, tenant.Issuer())
	if err != nil {
		panic(err)
	}
	at, err := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com"}).Verify(ctx, tok.AccessToken)
	if err != nil {
		panic(err)
	}
	var claims struct {
		Scope string `json:"scope"`
		GTY   string `json:"gty"`
	}
	if err := at.Claims(&claims); err != nil {
		panic(err)
	}
	fmt.Println(at.Subject, claims.Scope, claims.GTY)
	// Output: demo-m2m@clients read:protected client-credentials
}

// The issuer ends with "/", as Auth0's does; Domain is what auth0-spa-js's domain option wants.
func ExampleServer_Domain() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	fmt.Println(strings.HasPrefix(tenant.Issuer(), "http://127.0.0.1:"), tenant.Domain()+"/" == tenant.Issuer(), tenant.URL == tenant.Domain())
	// Output: true true true
}

// With a fixed clock, the tokens' times are known in advance.
func ExampleWithClock() {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tenant, err := idptest.Start(idptest.WithClock(func() time.Time { return at }))
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	resp, err := tenant.IDP.MintToken(idp.MintRequest{User: "bob@example.com", ExpiresIn: time.Hour})
	if err != nil {
		panic(err)
	}
	provider, err := oidc.NewProvider(context.Background(), tenant.Issuer())
	if err != nil {
		panic(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com", Now: func() time.Time { return at }})
	tok, err := verifier.Verify(context.Background(), resp.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Subject, tok.IssuedAt.UTC(), tok.Expiry.UTC())
	// Output: auth0|bob 2030-01-02 03:04:05 +0000 UTC 2030-01-02 04:04:05 +0000 UTC
}
