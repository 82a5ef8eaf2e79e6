package idp

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogsHoldNoSecrets drives every endpoint through success and failure, with the log at
// debug level in both formats, and looks for each secret that crossed the wire: passwords,
// client secrets, codes, tokens, the session cookie, the login transaction and its CSRF token.
// The log has one line per request, which names the path, never the query or the body.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var logs bytes.Buffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			logger := slog.New(slog.NewTextHandler(&logs, opts))
			if format == "json" {
				logger = slog.New(slog.NewJSONHandler(&logs, opts))
			}
			base := newAPIServer(t)
			srv, err := New(Config{Issuer: testIssuer, Tenant: base.tenant, Keys: base.keys, Now: base.Clock().Now, Logger: logger})
			require.NoError(t, err)
			s := &apiServer{Server: srv}
			var secrets []string

			// A browser login: wrong password first, then the right one, then the code exchange.
			b := newBrowser(t, s)
			login, action, fields := b.openLogin(spaAuthorize(testIssuer))
			secrets = append(secrets, fields.Get("state"), fields.Get("_csrf"))
			wrong := url.Values{"state": {fields.Get("state")}, "_csrf": {fields.Get("_csrf")},
				"username": {"alice@example.com"}, "password": {"wrong-password-1"}, "action": {"default"}}
			b.post(action, wrong)
			fields.Set("username", "alice@example.com")
			fields.Set("password", "alice-password")
			fields.Set("action", "default")
			answer := b.post(action, fields)
			code := codeOf(t, answer, spaCallback, spaState)
			cookie := answer.cookie(sessionCookie)
			require.NotNil(t, cookie)
			secrets = append(secrets, "wrong-password-1", "alice-password", code, cookie.Value)
			for _, c := range login.Cookies {
				secrets = append(secrets, c.Value)
			}
			tokens := tokenOK(t, s.exchange(t, code))
			secrets = append(secrets, tokens.AccessToken, tokens.IDToken, tokens.RefreshToken)

			// The machine-facing endpoints, with right and wrong credentials.
			refreshed := tokenOK(t, s.refresh(t, tokens.RefreshToken))
			secrets = append(secrets, refreshed.AccessToken, refreshed.RefreshToken, refreshed.IDToken)
			s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+refreshed.AccessToken)
			s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer forged-token-value")
			s.post(t, "/oauth/token", form("grant_type", "client_credentials", "audience", "https://api.example.com"),
				"Authorization", basic("demo-m2m", "demo-m2m-secret"))
			s.post(t, "/oauth/token", form("grant_type", "client_credentials", "client_id", "demo-m2m",
				"client_secret", "wrong-client-secret", "audience", "https://api.example.com"))
			s.post(t, "/oauth/token", passwordForm("bob@example.com", "bob-password"))
			s.post(t, "/oauth/token", passwordForm("bob@example.com", "wrong-password-2"))
			s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", spaClient, "refresh_token", "made-up-refresh-token"))
			s.post(t, "/oauth/revoke", form("client_id", spaClient, "token", refreshed.RefreshToken))
			s.send(t, http.MethodGet, "/oidc/logout?id_token_hint="+url.QueryEscape(refreshed.IDToken), "", "")
			assertError(t, s.exchange(t, code), 403, "invalid_grant") // the code again
			secrets = append(secrets, "demo-m2m-secret", "wrong-client-secret", "bob-password", "wrong-password-2",
				"forged-token-value", "made-up-refresh-token", "demo-web-secret")

			out := logs.String()
			require.NotEmpty(t, out)
			for _, secret := range secrets {
				require.NotEmpty(t, secret)
				assert.NotContains(t, out, secret)
			}
			requests := 0
			for line := range strings.Lines(out) {
				if strings.Contains(line, "request") && strings.Contains(line, "/oauth/token") {
					requests++
				}
			}
			assert.GreaterOrEqual(t, requests, 8, "one line per token request:\n%s", out)
		})
	}
}
