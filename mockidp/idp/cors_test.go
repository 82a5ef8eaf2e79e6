package idp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

const corsTenant = `
clients:
  - name: SPA
    client_id: spa
    app_type: spa
    callbacks: [https://app.example.com/callback]
    web_origins: [http://localhost:3000, "https://*.example.org"]
    allowed_origins: ["https://*.preview.example.com"]
  - name: Native
    client_id: native
    app_type: native
    callbacks: [com.example.app://callback]
`

func TestCORSPolicy(t *testing.T) {
	p := newCORSPolicy(newAPIServerYAML(t, corsTenant).tenant)
	tests := []struct {
		origin string
		allow  bool
	}{
		{"http://localhost:3000", true},
		{"https://app.example.com", true},          // a callback's origin
		{"https://a.example.org", true},            // wildcard, one label
		{"https://a.b.example.org", true},          // wildcard, two labels
		{"https://pr-1.preview.example.com", true}, // wildcard in allowed_origins
		{"", false},                                      // no Origin
		{"null", false},                                  // opaque origin
		{"http://localhost:3000/", false},                // not an origin: exact match only
		{"http://localhost:3001", false},                 // port
		{"https://localhost:3000", false},                // scheme
		{"http://LOCALHOST:3000", false},                 // case
		{"https://example.org", false},                   // the wildcard needs a label
		{"https://.example.org", false},                  // empty label
		{"http://a.example.org", false},                  // wildcard keeps the scheme
		{"https://evil.com/.example.org", false},         // wildcard is labels only
		{"https://evil.com:443@x.example.org", false},    // user-info
		{"https://a.example.org.evil.com", false},        // suffix
		{"https://app.example.com.evil.com", false},      // callback origin suffix
		{"com.example.app://callback", false},            // custom schemes have no web origin
		{"https://a..example.org", false},                // empty label
		{"https://a_b.example.org", false},               // not a DNS label
		{"https://*.example.org", false},                 // the pattern itself is no origin
		{"https://app.example.com/callback", false},      // a callback is not an origin
		{"https://pr-1.preview.example.com:8443", false}, // port
		{"https://app.example.com\r\nX-Evil: 1", false},  // header injection attempt
		{"https://xn--bcher-kva.example.org", true},      // punycode labels are labels
		{"https://a.example.org:443", false},             // explicit port differs from the pattern
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			assert.Equal(t, tt.allow, p.allows(tt.origin))
		})
	}
}

// TestCORSHeaders: listed origins get exactly their origin back with credentials, never "*";
// unlisted ones get no Access-Control-* header, and a preflight still answers 204 (S42).
func TestCORSHeaders(t *testing.T) {
	s := newAPIServer(t)
	paths := []struct{ path, methods string }{
		{"/oauth/token", "POST"},
		{"/oauth/revoke", "POST"},
		{"/userinfo", "GET, POST"},
		{"/.well-known/openid-configuration", "GET"},
		{"/.well-known/jwks.json", "GET"},
	}
	for _, p := range paths {
		t.Run(p.path+" preflight, listed", func(t *testing.T) {
			w := s.send(t, http.MethodOptions, p.path, "", "", "Origin", "http://localhost:3000",
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,auth0-client")
			assert.Equal(t, http.StatusNoContent, w.Code)
			h := w.Header()
			assert.Equal(t, "http://localhost:3000", h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
			assert.Equal(t, p.methods, h.Get("Access-Control-Allow-Methods"))
			assert.Equal(t, "Authorization, Content-Type, Auth0-Client, DPoP", h.Get("Access-Control-Allow-Headers"))
			assert.Equal(t, "86400", h.Get("Access-Control-Max-Age"))
			assert.Contains(t, h.Values("Vary"), "Origin")
			assert.Empty(t, w.Body.String())
		})
		t.Run(p.path+" preflight, unlisted", func(t *testing.T) {
			w := s.send(t, http.MethodOptions, p.path, "", "", "Origin", "https://evil.example",
				"Access-Control-Request-Method", "POST")
			assert.Equal(t, http.StatusNoContent, w.Code)
			for k := range w.Header() {
				assert.NotContains(t, k, "Access-Control-")
			}
			assert.Contains(t, w.Header().Values("Vary"), "Origin")
		})
	}
	t.Run("POST from a listed origin", func(t *testing.T) {
		w := s.post(t, "/oauth/token", ccForm, "Origin", "http://localhost:3000")
		tokenOK(t, w)
		assert.Equal(t, "http://localhost:3000", w.Header().Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"))
		assert.Equal(t, "DPoP-Nonce", w.Header().Get("Access-Control-Expose-Headers"))
		assert.Equal(t, []string{"Origin"}, w.Header().Values("Vary"))
	})
	t.Run("error from a listed origin carries CORS too", func(t *testing.T) {
		w := s.post(t, "/oauth/token", "grant_type=foo", "Origin", "http://localhost:3000")
		assertError(t, w, 400, "unsupported_grant_type")
		assert.Equal(t, "http://localhost:3000", w.Header().Get("Access-Control-Allow-Origin"))
	})
	t.Run("POST from an unlisted origin", func(t *testing.T) {
		w := s.post(t, "/oauth/token", ccForm, "Origin", "https://evil.example")
		tokenOK(t, w)
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"))
		assert.Equal(t, []string{"Origin"}, w.Header().Values("Vary"))
	})
	t.Run("OPTIONS without a preflight request", func(t *testing.T) {
		w := s.send(t, http.MethodOptions, "/oauth/token", "", "", "Origin", "http://localhost:3000")
		assert.Equal(t, http.StatusNoContent, w.Code)
		assert.Equal(t, "POST, OPTIONS", w.Header().Get("Allow"))
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	})
}
