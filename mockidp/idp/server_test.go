package idp

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// TestNewRefuses: each setting that cannot work is a *ConfigError naming the field and saying
// what to set instead.
func TestNewRefuses(t *testing.T) {
	ten := newAPIServer(t).tenant
	tests := []struct {
		name    string
		cfg     Config
		field   string
		problem string
	}{
		{"empty issuer", Config{Tenant: ten}, "Issuer",
			"is empty; set it to the URL the tenant is reached at, such as http://localhost:4000/"},
		{"relative issuer", Config{Issuer: "localhost:4000/", Tenant: ten}, "Issuer",
			`"localhost:4000/" must be an absolute http(s) URL, such as http://localhost:4000/`},
		{"issuer without host", Config{Issuer: "http:///", Tenant: ten}, "Issuer",
			`"http:///" must be an absolute http(s) URL, such as http://localhost:4000/`},
		{"issuer of another scheme", Config{Issuer: "ftp://localhost/", Tenant: ten}, "Issuer",
			`"ftp://localhost/" must be an absolute http(s) URL, such as http://localhost:4000/`},
		{"unparsable issuer", Config{Issuer: "http://[::1/", Tenant: ten}, "Issuer",
			`"http://[::1/" must be an absolute http(s) URL, such as http://localhost:4000/`},
		{"issuer without trailing slash", Config{Issuer: "http://localhost:4000", Tenant: ten}, "Issuer",
			`"http://localhost:4000" must end with "/", as Auth0 issuers do (tokens' iss is compared byte for byte): use "http://localhost:4000/"`},
		{"issuer with a query", Config{Issuer: "http://localhost:4000?x=1", Tenant: ten}, "Issuer",
			`"http://localhost:4000?x=1" must not have a query or fragment: use "http://localhost:4000/"`},
		{"issuer with an empty query", Config{Issuer: "http://localhost:4000/?", Tenant: ten}, "Issuer",
			`"http://localhost:4000/?" must not have a query or fragment: use "http://localhost:4000/"`},
		{"issuer with a fragment", Config{Issuer: "https://t.example.com/tenant/#x", Tenant: ten}, "Issuer",
			`"https://t.example.com/tenant/#x" must not have a query or fragment: use "https://t.example.com/tenant/"`},
		{"no tenant", Config{Issuer: testIssuer}, "Tenant", "is nil; load one with tenant.Load"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			assert.Nil(t, s)
			ce, ok := errors.AsType[*ConfigError](err)
			require.True(t, ok, "%v is not a *ConfigError", err)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, tt.problem, ce.Problem)
			assert.Equal(t, "idp: "+tt.field+": "+tt.problem, err.Error())
		})
	}
}

// TestNewKeys: without Config.Keys a Server signs with the keys its tenant names, so two
// Servers of one tenant file verify each other's tokens; a tenant that names none gets a key of
// its own Server's; Keys, when given, win.
func TestNewKeys(t *testing.T) {
	named, err := tenant.Load(fixtures.FS, fixtures.DefaultTenant)
	require.NoError(t, err)
	require.NotEmpty(t, named.SigningKeys)
	keyless := &tenant.Tenant{Name: "keyless"}
	pem, err := fs.ReadFile(fixtures.FS, "qa-tenant-key.pem")
	require.NoError(t, err)
	own, err := signing.New("localhost", pem)
	require.NoError(t, err)
	fromFile, err := signing.New("localhost", named.SigningKeys...)
	require.NoError(t, err)

	t.Run("the tenant's", func(t *testing.T) {
		a, err := New(Config{Issuer: testIssuer, Tenant: named})
		require.NoError(t, err)
		b, err := New(Config{Issuer: testIssuer, Tenant: named})
		require.NoError(t, err)
		assert.Equal(t, fromFile.KID(), a.Keys().KID())
		assert.JSONEq(t, string(a.Keys().JWKS()), string(b.Keys().JWKS()))
		tok, err := a.MintToken(MintRequest{User: "alice@example.com"})
		require.NoError(t, err)
		var claims map[string]any
		assert.NoError(t, b.Keys().Verify(tok.AccessToken, &claims))
	})
	t.Run("generated when the tenant names none", func(t *testing.T) {
		a, err := New(Config{Issuer: testIssuer, Tenant: keyless})
		require.NoError(t, err)
		b, err := New(Config{Issuer: testIssuer, Tenant: keyless})
		require.NoError(t, err)
		require.NotEmpty(t, a.Keys().KID())
		assert.NotEqual(t, a.Keys().KID(), b.Keys().KID(), "one key per Server")
		assert.NotEqual(t, fromFile.KID(), a.Keys().KID())
	})
	t.Run("given", func(t *testing.T) {
		s, err := New(Config{Issuer: testIssuer, Tenant: named, Keys: own})
		require.NoError(t, err)
		assert.Same(t, own, s.Keys())
		assert.NotEqual(t, fromFile.KID(), s.Keys().KID())
	})
	t.Run("the tenant's, unusable", func(t *testing.T) {
		bad := &tenant.Tenant{Name: "bad", SigningKeys: [][]byte{[]byte("not a key")}}
		s, err := New(Config{Issuer: testIssuer, Tenant: bad})
		assert.Nil(t, s)
		assert.ErrorContains(t, err, "idp: the tenant's signing keys: signing: key 1: no private key")
	})
}
