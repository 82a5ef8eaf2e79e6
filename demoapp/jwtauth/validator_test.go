package jwtauth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRefusesWhatCannotWork(t *testing.T) {
	valid := Config{Issuer: testIssuer, Audience: testAudience}
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"empty issuer":              {func(c *Config) { c.Issuer = "" }, "Issuer is empty"},
		"empty audience":            {func(c *Config) { c.Audience = "" }, "Audience is empty"},
		"no JWKS location":          {func(c *Config) { c.Issuer = "https://tenant.example.com" }, "does not end with /"},
		"relative JWKS URL":         {func(c *Config) { c.JWKSURL = "/jwks.json" }, "not an absolute http(s) URL"},
		"JWKS URL of another kind":  {func(c *Config) { c.JWKSURL = "file:///etc/passwd" }, "not an absolute http(s) URL"},
		"unparsable JWKS URL":       {func(c *Config) { c.JWKSURL = "http://[::1" }, "not an absolute http(s) URL"},
		"negative token bytes":      {func(c *Config) { c.MaxTokenBytes = -1 }, "must not be negative"},
		"negative fetch timeout":    {func(c *Config) { c.FetchTimeout = -1 }, "must not be negative"},
		"negative refetch interval": {func(c *Config) { c.RefetchInterval = -1 }, "must not be negative"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := valid
			tc.edit(&cfg)
			_, err := New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	v, err := New(valid)
	require.NoError(t, err)
	assert.Equal(t, testIssuer+".well-known/jwks.json", v.keys.url)
	assert.Equal(t, DefaultLeeway, v.leeway)
	assert.Equal(t, DefaultMaxTokenBytes, v.maxToken)

	custom := valid
	custom.Issuer = "https://issuer.example.com"
	custom.JWKSURL = "http://jwks.internal:8080/keys"
	v, err = New(custom)
	require.NoError(t, err, "JWKSURL makes a slash-less issuer usable")
	assert.Equal(t, custom.JWKSURL, v.keys.url)
}
