package idp

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A client whose id and secret need form-encoding in a Basic header (RFC 6749 §2.3.1, S25).
const oddClientTenant = `
resourceServers:
  - name: API
    identifier: https://api.example.com
    scopes: [{value: read}]
clients:
  - name: Odd
    client_id: "odd:client+id"
    client_secret: "p%3As+w:rd"
    app_type: non_interactive
    grant_types: [client_credentials]
  - name: Public Native
    client_id: native
    app_type: native
    token_endpoint_auth_method: none
    grant_types: [authorization_code, refresh_token]
clientGrants:
  - client_id: Odd
    audience: https://api.example.com
    scope: [read]
  - client_id: Public Native
    audience: https://api.example.com
    scope: [read]
`

func TestClientAuthentication(t *testing.T) {
	s := newAPIServer(t)
	cc := func(kv ...string) string {
		return form(append([]string{"grant_type", "client_credentials", "audience", "https://api.example.com"}, kv...)...)
	}
	tests := []struct {
		name      string
		body      string
		authz     []string // Authorization header values
		status    int      // 0 = success
		code      string
		challenge string
	}{
		{name: "client_secret_post", body: cc("client_id", "demo-m2m", "client_secret", "demo-m2m-secret")},
		{name: "client_secret_basic", body: cc(), authz: []string{basic("demo-m2m", "demo-m2m-secret")}},
		{name: "basic with lower-case scheme", body: cc(), authz: []string{"basic " + base64.StdEncoding.EncodeToString([]byte("demo-m2m:demo-m2m-secret"))}},
		{name: "basic plus the same client_id in the body", body: cc("client_id", "demo-m2m"), authz: []string{basic("demo-m2m", "demo-m2m-secret")}},
		// S23: wrong secret, either way; unknown client; all identical, Auth0's 401.
		{name: "wrong secret in body", body: cc("client_id", "demo-m2m", "client_secret", "wrong"), status: 401, code: "access_denied"},
		{name: "wrong secret in basic", body: cc(), authz: []string{basic("demo-m2m", "wrong")}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		{name: "secret differing in case", body: cc("client_id", "demo-m2m", "client_secret", "DEMO-M2M-SECRET"), status: 401, code: "access_denied"},
		{name: "secret prefix", body: cc("client_id", "demo-m2m", "client_secret", "demo-m2m"), status: 401, code: "access_denied"},
		{name: "missing secret for a confidential client", body: cc("client_id", "demo-m2m"), status: 401, code: "access_denied"},
		{name: "empty secret in basic", body: cc(), authz: []string{basic("demo-m2m", "")}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		{name: "unknown client in body", body: cc("client_id", "nobody", "client_secret", "x"), status: 401, code: "access_denied"},
		{name: "unknown client in basic", body: cc(), authz: []string{basic("nobody", "x")}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		{name: "client_id differing in case", body: cc("client_id", "DEMO-M2M", "client_secret", "demo-m2m-secret"), status: 401, code: "access_denied"},
		{name: "basic not base64", body: cc(), authz: []string{"Basic !!!"}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		{name: "basic without colon", body: cc(), authz: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("demo-m2m"))}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		{name: "basic with bad escape", body: cc(), authz: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("demo-m2m:%zz"))}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		{name: "basic with empty id", body: cc(), authz: []string{basic("", "demo-m2m-secret")}, status: 401, code: "access_denied", challenge: `Basic realm="localhost:4000"`},
		// S24: two methods at once.
		{name: "basic and body secret (S24)", body: cc("client_secret", "demo-m2m-secret"), authz: []string{basic("demo-m2m", "demo-m2m-secret")}, status: 400, code: "invalid_request"},
		{name: "basic and another client_id in body", body: cc("client_id", "demo-web"), authz: []string{basic("demo-m2m", "demo-m2m-secret")}, status: 400, code: "invalid_request"},
		{name: "two Authorization headers", body: cc("client_id", "demo-m2m", "client_secret", "demo-m2m-secret"), authz: []string{basic("demo-m2m", "demo-m2m-secret"), basic("demo-m2m", "demo-m2m-secret")}, status: 400, code: "invalid_request"},
		{name: "no client at all", body: cc(), status: 400, code: "invalid_request"},
		{name: "private_key_jwt", body: cc("client_id", "demo-m2m", "client_assertion", "x.y.z", "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), status: 400, code: "invalid_request"},
		// Another scheme is not client authentication: the body's credentials count.
		{name: "bearer header ignored", body: cc("client_id", "demo-m2m", "client_secret", "demo-m2m-secret"), authz: []string{"Bearer abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			for _, v := range tt.authz {
				headers = append(headers, "Authorization", v)
			}
			w := s.post(t, "/oauth/token", tt.body, headers...)
			if tt.status == 0 {
				tokenOK(t, w)
				return
			}
			if tt.code == "access_denied" {
				assertError(t, w, tt.status, tt.code, "Unauthorized")
			} else {
				assertError(t, w, tt.status, tt.code)
			}
			assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
		})
	}
}

// TestClientAuthenticationFormDecoded: the Basic id and secret are form-decoded after the split
// on ":" (S25), so "%3A" and "+" in them mean ":" and " ".
func TestClientAuthenticationFormDecoded(t *testing.T) {
	s := newAPIServerYAML(t, oddClientTenant)
	body := form("grant_type", "client_credentials", "audience", "https://api.example.com")
	t.Run("encoded", func(t *testing.T) {
		tokenOK(t, s.post(t, "/oauth/token", body, "Authorization", basic("odd:client+id", "p%3As+w:rd")))
	})
	t.Run("raw, not decoded", func(t *testing.T) {
		raw := "Basic " + base64.StdEncoding.EncodeToString([]byte("odd%3Aclient%2Bid:p%3As+w:rd"))
		w := s.post(t, "/oauth/token", body, "Authorization", raw)
		assertError(t, w, 401, "access_denied", "Unauthorized")
	})
	t.Run("body secret is taken literally", func(t *testing.T) {
		w := s.post(t, "/oauth/token", body+"&"+form("client_id", "odd:client+id", "client_secret", "p%3As+w:rd"))
		tokenOK(t, w)
	})
}

// TestPublicClients: a public client is identified by client_id alone and a secret it sends is
// ignored; a client grant does not open client_credentials to it.
func TestPublicClients(t *testing.T) {
	s := newAPIServerYAML(t, oddClientTenant)
	cc := form("grant_type", "client_credentials", "audience", "https://api.example.com", "client_id", "native")
	w := s.post(t, "/oauth/token", cc)
	assertError(t, w, 403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.")
	w = s.post(t, "/oauth/token", cc+"&client_secret=anything")
	assertError(t, w, 403, "unauthorized_client")

	d := newAPIServer(t)
	w = d.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", "demo-spa", "client_secret", "whatever", "refresh_token", "nope"))
	assertError(t, w, 403, "invalid_grant", "Unknown or invalid refresh token.")
}
