package idp

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// claimNames are names a custom claim might be given: Auth0's restricted and OpenID standard
// claims, reserved namespaces, names other IdPs reserve (tfp, ver) and ordinary ones.
var claimNames = []string{
	"", "acr", "act", "active", "address", "amr", "at_hash", "ath", "attest", "aud", "auth_time",
	"authorization_details", "azp", "birthdate", "c_hash", "client_id", "cnf", "created_at", "cty", "dest",
	"email", "email_verified", "entitlements", "events", "exp", "family_name", "gender", "given_name", "groups",
	"gty", "htm", "htu", "iat", "internalService", "iss", "jcard", "jku", "jti", "jwe", "jwk", "kid", "locale",
	"may_act", "middle_name", "mky", "name", "nbf", "nickname", "nonce", "object_id", "org_id", "org_name",
	"orig", "origid", "permissions", "phone_number", "phone_number_verified", "picture", "preferred_username",
	"profile", "roles", "rph", "s_hash", "scope", "sid", "sip_callid", "sip_cseq_num", "sip_date",
	"sip_from_tag", "sip_via_branch", "sub", "sub_jwk", "tfp", "toe", "txn", "typ", "updated_at", "uuid",
	"ver", "vot", "vtm", "website", "x5t#S256", "zoneinfo", "plain", "https://example.com/team",
	"https://tenant.auth0.com/x", "https://hooks.webtask.io/x", "https://x.webtask.run/y", "urn:auth0:x",
}

// TestClaimNamesAtEveryDoor: a claim name is either refused, with one message, by the tenant file
// and by MintToken, or accepted by both and then found in the token: never accepted and dropped.
func TestClaimNamesAtEveryDoor(t *testing.T) {
	alice := newAPIServer(t)
	var allowed []string
	for _, name := range claimNames {
		reason := tenant.CheckClaim(name)
		if reason == nil {
			allowed = append(allowed, name)
			continue
		}
		t.Run("refused "+name, func(t *testing.T) {
			_, err := tenant.Load(fstest.MapFS{"tenant.yaml": {Data: []byte(userWithClaims(name))}}, "tenant.yaml")
			var errs tenant.Errors
			require.True(t, errors.As(err, &errs), "%q loads", name)
			require.Len(t, errs, 1)
			assert.Equal(t, reason.Error(), errs[0].Msg)

			_, err = alice.MintToken(MintRequest{User: "alice@example.com", Claims: map[string]any{name: "x"}})
			assert.EqualError(t, err, "idp: claims: "+reason.Error())
		})
	}
	require.NotEmpty(t, allowed)

	s := newAPIServerYAML(t, userWithClaims(allowed...))
	resp, err := s.MintToken(MintRequest{User: "u@example.com", Scope: "openid"})
	require.NoError(t, err)
	extra := map[string]any{}
	for _, name := range allowed {
		extra[name] = "from the request"
	}
	fromRequest, err := s.MintToken(MintRequest{User: "u@example.com", Claims: extra})
	require.NoError(t, err)
	for _, name := range allowed {
		t.Run("minted "+name, func(t *testing.T) {
			assert.Equal(t, "value of "+name, s.claimsOf(t, resp.AccessToken)[name], "access token")
			assert.Equal(t, "value of "+name, s.claimsOf(t, resp.IDToken)[name], "ID token")
			assert.Equal(t, "from the request", s.claimsOf(t, fromRequest.AccessToken)[name], "MintRequest.Claims")
		})
	}
}

// userWithClaims is a tenant with one user, u@example.com, who has a claim of each name whose
// value is "value of " and the name.
func userWithClaims(names ...string) string {
	var b strings.Builder
	b.WriteString("resourceServers:\n  - {identifier: https://api.example.com}\n")
	b.WriteString("clients:\n  - {name: S, client_id: s, app_type: spa}\n")
	b.WriteString("users:\n  - email: u@example.com\n    password: p\n    claims:\n")
	for _, name := range names {
		b.WriteString("      " + strconv.Quote(name) + ": " + strconv.Quote("value of "+name) + "\n")
	}
	return b.String()
}

// TestCustomClaims: a user's custom claims reach both tokens. A User built in Go, past the
// tenant's checks, cannot forge a claim the tenant refuses: minting leaves it out, as Auth0 does.
func TestCustomClaims(t *testing.T) {
	s := newAPIServer(t)
	alice, ok := s.tenant.User("auth0|alice")
	require.True(t, ok)
	forged := *alice
	forged.Claims = map[string]any{"https://example.com/team": "blue", "plain": "allowed"}
	for _, name := range claimNames {
		if tenant.CheckClaim(name) != nil {
			forged.Claims[name] = "forged"
		}
	}
	web, _ := s.tenant.Client("demo-web")
	api, _ := s.tenant.API("https://api.example.com")
	resp, err := s.mint(context.Background(), issue{Client: web, User: &forged, API: api, Scope: []string{"openid"}, Grant: "g"})
	require.NoError(t, err)
	for name, token := range map[string]string{"access": resp.AccessToken, "id": resp.IDToken} {
		t.Run(name, func(t *testing.T) {
			c := s.claimsOf(t, token)
			assert.Equal(t, "blue", c["https://example.com/team"])
			assert.Equal(t, "allowed", c["plain"])
			for k, v := range c {
				assert.NotEqual(t, "forged", v, k)
			}
			assert.Equal(t, "auth0|alice", c["sub"])
		})
	}
}
