package idptest_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/idptest"
)

// New belongs in a test: the emulator lives as long as the test does.
func ExampleNew() {
	var t *testing.T // the test's own
	tenant := idptest.New(t)
	token := tenant.UserToken(t, "alice@example.com", "https://api.example.com", "read:protected")
	// Configure the code under test with tenant.Issuer() (JWT validation) or tenant.URL
	// (auth0-spa-js's domain), and call it with "Authorization: Bearer " + token.
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

// The issuer ends with "/", as Auth0's does: a JWT middleware must expect it byte for byte in
// iss. URL, without the slash, is what auth0-spa-js's domain option takes.
func ExampleServer_Issuer() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	fmt.Println(strings.HasPrefix(tenant.Issuer(), "http://127.0.0.1:"), tenant.URL+"/" == tenant.Issuer())
	// Output: true true
}

// One Clock for the tenant and the code under test: tokens carry its time, and moving it expires
// them with no waiting.
func ExampleWithClock() {
	clock := idptest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	tenant, err := idptest.Start(idptest.WithClock(clock.Now))
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	resp, err := tenant.IDP.MintToken(idp.MintRequest{User: "bob@example.com", ExpiresIn: time.Hour})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, tenant.Issuer())
	if err != nil {
		panic(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com", Now: clock.Now})
	tok, err := verifier.Verify(ctx, resp.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Subject, tok.IssuedAt.UTC(), tok.Expiry.UTC())

	clock.Advance(2 * time.Hour)
	_, err = verifier.Verify(ctx, resp.AccessToken)
	_, expired := errors.AsType[*oidc.TokenExpiredError](err)
	fmt.Println("expired two hours later:", expired)
	// Output:
	// auth0|bob 2030-01-02 03:04:05 +0000 UTC 2030-01-02 04:04:05 +0000 UTC
	// expired two hours later: true
}

// The running tenant's own clock, set back two hours, mints a token that expired an hour ago:
// what a test needs to check that the code under test refuses one.
func ExampleServer_Clock() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	req := idp.MintRequest{User: "alice@example.com", ExpiresIn: time.Hour}
	tenant.Clock().Advance(-2 * time.Hour)
	stale, err := tenant.IDP.MintToken(req)
	if err != nil {
		panic(err)
	}
	tenant.Clock().Reset()
	fresh, err := tenant.IDP.MintToken(req)
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, tenant.Issuer())
	if err != nil {
		panic(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com"})
	_, err = verifier.Verify(ctx, stale.AccessToken)
	_, expired := errors.AsType[*oidc.TokenExpiredError](err)
	fmt.Println("stale token expired:", expired)
	tok, err := verifier.Verify(ctx, fresh.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println("fresh token for", tok.Subject)
	// Output:
	// stale token expired: true
	// fresh token for auth0|alice
}

// An https tenant, for code that insists on https: its Client trusts the test certificate, and
// golang.org/x/oauth2 uses it when it is in the context.
func ExampleWithTLS() {
	tenant, err := idptest.Start(idptest.WithTLS())
	if err != nil {
		panic(err)
	}
	defer tenant.Close()

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, tenant.Client())
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
	fmt.Println(strings.HasPrefix(at.Issuer, "https://127.0.0.1:"), at.Subject)
	// Output: true demo-m2m@clients
}

func ExampleServer_Fault() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	tenant.Fault(idp.Fault{Path: "/oauth/token", GrantType: "client_credentials", Status: 429})

	cfg := clientcredentials.Config{
		ClientID:       "demo-m2m",
		ClientSecret:   "demo-m2m-secret",
		TokenURL:       tenant.Issuer() + "oauth/token",
		EndpointParams: url.Values{"audience": {"https://api.example.com"}},
		AuthStyle:      oauth2.AuthStyleInHeader, // no second try with the secret in the body
	}
	_, err = cfg.Token(context.Background())
	re, _ := errors.AsType[*oauth2.RetrieveError](err)
	fmt.Println(re.Response.StatusCode, re.ErrorCode, re.Response.Header.Get("X-RateLimit-Remaining"))
	_, err = cfg.Token(context.Background())
	fmt.Println("then:", err)
	// Output:
	// 429 too_many_requests 0
	// then: <nil>
}

func ExampleServer_Requests() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	cfg := clientcredentials.Config{
		ClientID:       "demo-m2m",
		ClientSecret:   "demo-m2m-secret",
		TokenURL:       tenant.Issuer() + "oauth/token",
		EndpointParams: url.Values{"audience": {"https://api.example.com"}},
		AuthStyle:      oauth2.AuthStyleInParams,
	}
	if _, err := cfg.Token(context.Background()); err != nil {
		panic(err)
	}
	for _, r := range tenant.Requests(idp.RequestFilter{Path: "/oauth/token"}) {
		fmt.Println(r.Method, r.Path, r.Status, r.ClientID, r.Form["audience"], r.Form["client_secret"])
	}
	// Output: POST /oauth/token 200 demo-m2m https://api.example.com [masked]
}

func ExampleServer_Reset() {
	tenant, err := idptest.Start()
	if err != nil {
		panic(err)
	}
	defer tenant.Close()
	tenant.Clock().Advance(48 * time.Hour)
	tenant.Fault(idp.Fault{Path: "/userinfo", Status: 500, UntilRemoved: true})
	tenant.Reset()
	fmt.Println(tenant.Clock().Offset(), len(tenant.Faults()))
	// Output: 0s 0
}
