package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/signing"
)

// tokenClaims verifies a printed token with the default tenant's key and returns its claims.
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	pem, err := fixtures.FS.ReadFile("tenant-key.pem")
	require.NoError(t, err)
	keys, err := signing.New("localhost", pem)
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, keys.Verify(strings.TrimSpace(token), &claims))
	return claims
}

func TestToken(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		args  []string
		check func(t *testing.T, c map[string]any)
	}{
		{"user with defaults", nil, []string{"--user", "alice@example.com"}, func(t *testing.T, c map[string]any) {
			assert.Equal(t, "http://localhost:4000/", c["iss"])
			assert.Equal(t, "auth0|alice", c["sub"])
			assert.Equal(t, "demo-spa", c["azp"])
			assert.Equal(t, "https://api.example.com", c["aud"])
			assert.Equal(t, []any{"read:protected"}, c["permissions"])
			assert.Equal(t, 86400.0, c["exp"].(float64)-c["iat"].(float64))
		}},
		{"machine with defaults", nil, nil, func(t *testing.T, c map[string]any) {
			assert.Equal(t, "demo-m2m@clients", c["sub"])
			assert.Equal(t, "client-credentials", c["gty"])
		}},
		{"issuer from the environment", []string{"MOCKIDP_ISSUER", "http://idp.test:9000/"}, []string{"--user", "bob@example.com"}, func(t *testing.T, c map[string]any) {
			assert.Equal(t, "http://idp.test:9000/", c["iss"])
		}},
		{"issuer flag over the environment", []string{"MOCKIDP_ISSUER", "http://env.test/"}, []string{"--issuer", "http://flag.test/"}, func(t *testing.T, c map[string]any) {
			assert.Equal(t, "http://flag.test/", c["iss"])
		}},
		{"every option", nil, []string{"--user", "auth0|bob", "--client", "demo-web", "--audience", "https://api.example.com",
			"--scope", "openid read:protected", "--expires-in", "90", "--claim", "https://example.com/n=42",
			"--claim", "https://example.com/s=plain text", "--claim", `https://example.com/a=["x",1]`, "--claim", `https://example.com/q="7"`},
			func(t *testing.T, c map[string]any) {
				assert.Equal(t, "auth0|bob", c["sub"])
				assert.Equal(t, "demo-web", c["azp"])
				assert.Equal(t, "openid", c["scope"])
				assert.Equal(t, 90.0, c["exp"].(float64)-c["iat"].(float64))
				assert.Equal(t, 42.0, c["https://example.com/n"])
				assert.Equal(t, "plain text", c["https://example.com/s"])
				assert.Equal(t, []any{"x", 1.0}, c["https://example.com/a"])
				assert.Equal(t, "7", c["https://example.com/q"])
			}},
		{"expires-in as a duration", nil, []string{"--expires-in", "1h30m"}, func(t *testing.T, c map[string]any) {
			assert.Equal(t, 5400.0, c["exp"].(float64)-c["iat"].(float64))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, envMap(tt.env...), append([]string{"token"}, tt.args...)...)
			require.Equal(t, 0, code, stderr)
			assert.Empty(t, stderr)
			assert.Equal(t, 1, strings.Count(stdout, "\n"))
			tt.check(t, tokenClaims(t, stdout))
		})
	}
}

func TestTokenJSON(t *testing.T) {
	code, stdout, stderr := runCmd(t, envMap(), "token", "--user", "alice@example.com", "--scope", "openid profile read:protected", "--json")
	require.Equal(t, 0, code, stderr)
	var resp map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &resp))
	assert.Equal(t, "Bearer", resp["token_type"])
	assert.Equal(t, 86400.0, resp["expires_in"])
	assert.Equal(t, "openid profile read:protected", resp["scope"])
	assert.NotContains(t, resp, "refresh_token")
	id := tokenClaims(t, resp["id_token"].(string))
	assert.Equal(t, "demo-spa", id["aud"])
	assert.Equal(t, "Alice Example", id["name"])
	tokenClaims(t, resp["access_token"].(string))
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown user", []string{"--user", "nobody"}, 1, `no user "nobody"`},
		{"blocked user", []string{"--user", "blocked@example.com"}, 1, "is blocked"},
		{"unknown client", []string{"--client", "nope"}, 1, `no client "nope"`},
		{"scope not granted", []string{"--client", "demo-m2m", "--scope", "admin"}, 1, `has not been granted scope "admin"`},
		{"restricted claim", []string{"--claim", "sub=x"}, 2, `"sub" is set by the emulator or reserved by Auth0`},
		{"standard claim", []string{"--claim", "email=x@example.com"}, 2, `"email" comes from the user's own fields`},
		{"reserved namespace", []string{"--claim", "https://x.auth0.com/a=1"}, 2, "uses a namespace Auth0 reserves"},
		{"claim without =", []string{"--claim", "k"}, 2, `want k=v, got "k"`},
		{"claim twice", []string{"--claim", "k=1", "--claim", "k=2"}, 2, `claim "k" given twice`},
		{"zero lifetime", []string{"--expires-in", "0"}, 2, "must be positive"},
		{"negative lifetime", []string{"--expires-in", "-5m"}, 2, "must be positive"},
		{"bad lifetime", []string{"--expires-in", "soon"}, 2, "want a duration such as 1h30m or a number of seconds"},
		{"issuer without slash", []string{"--issuer", "http://localhost:4000"}, 1, `must end with "/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, envMap(), append([]string{"token"}, tt.args...)...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.err)
		})
	}
}

// TestTokenGeneratedKey: a tenant without a key still gives a token, with a warning that no
// server will accept it.
func TestTokenGeneratedKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.yaml")
	require.NoError(t, os.WriteFile(path, []byte("resourceServers:\n  - {name: A, identifier: https://a.example.com}\n"+
		"clients:\n  - {name: M, client_id: m, client_secret: s, app_type: non_interactive}\n"+
		"clientGrants:\n  - {client_id: m, audience: https://a.example.com, scope: []}\n"), 0o644))
	code, stdout, stderr := runCmd(t, envMap("MOCKIDP_TENANT", path), "token")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "no running emulator publishes")
	tok, err := jwt.ParseSigned(strings.TrimSpace(stdout), []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	var c jwt.Claims
	require.NoError(t, tok.UnsafeClaimsWithoutVerification(&c))
	assert.Equal(t, "m@clients", c.Subject)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), c.Expiry.Time(), time.Minute)
}

// TestTokenClaimAsTenantFile: --claim refuses a name with the words a tenant file gets for it,
// including names only Auth0's full list reserves.
func TestTokenClaimAsTenantFile(t *testing.T) {
	for _, name := range []string{"groups", "roles", "org_id", "name", "phone_number_verified"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.yaml")
			require.NoError(t, os.WriteFile(path, []byte("users:\n  - {email: u@example.com, password: p, claims: {"+name+": x}}\n"), 0o644))
			code, stdout, stderr := runCmd(t, envMap(), "check", "--tenant", path)
			require.Equal(t, 1, code, stdout)
			_, fileMsg, ok := strings.Cut(strings.TrimSpace(stderr), "users[0].claims."+name+": ")
			require.True(t, ok, stderr)

			code, stdout, stderr = runCmd(t, envMap(), "token", "--claim", name+"=x")
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, `invalid value "`+name+`=x" for flag -claim: `+fileMsg+"\n")
		})
	}
}
