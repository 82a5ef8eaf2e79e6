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

	"github.com/tenantless/tenantless/mockidp/signing"
)

// TestLogsHoldNoSecrets drives every endpoint through success and failure, with the log at
// debug level in both formats, and looks for each secret that crossed the wire: passwords,
// client secrets, codes, tokens, the session cookie, the login transaction and its CSRF token,
// and the failures whose causes the log gives. The log has one line per request, which names
// the path, never the query or the body, and for a failure the error and its cause.
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

			// Failures whose causes are logged, each with a secret in the request.
			s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", spaClient,
				"code", "made-up-code-value", "code_verifier", strings.Repeat("w", 43)))
			s.post(t, "/oauth/token", form("grant_type", "client_credentials", "client_id", "no-such-client",
				"client_secret", "unknown-client-secret"))
			s.post(t, "/oauth/token", form("grant_type", "client_credentials"), "Authorization", "Basic basic-header-secret!")
			s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", spaClient,
				"refresh_token", refreshed.RefreshToken)) // revoked above
			other, err := signing.Generate("localhost")
			require.NoError(t, err)
			foreign, err := other.Sign(map[string]any{"iss": testIssuer, "sub": "auth0|alice", "aud": spaClient})
			require.NoError(t, err)
			s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+foreign)
			s.send(t, http.MethodGet, "/oidc/logout?id_token_hint="+url.QueryEscape(foreign), "", "")
			b = newBrowser(t, s)
			_, action, fields = b.openLogin(spaAuthorize(testIssuer))
			secrets = append(secrets, fields.Get("state"), fields.Get("_csrf"))
			b.post(action, url.Values{"state": {fields.Get("state")}, "_csrf": {"forged-csrf-value"},
				"username": {"alice@example.com"}, "password": {"csrf-case-password"}})
			fields.Set("password", "cross-site-password")
			b.post(action, fields, "Sec-Fetch-Site", "cross-site")
			// A malformed form: the parser's error quotes the bad escape, which sits in the password.
			raw, err := http.NewRequest(http.MethodPost, action, strings.NewReader(
				"state="+fields.Get("state")+"&_csrf="+fields.Get("_csrf")+"&username=alice%40example.com&password=p%zz-malformed-secret"))
			require.NoError(t, err)
			raw.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			raw.Header.Set("Sec-Fetch-Site", "same-origin")
			b.do(raw, nil)
			secrets = append(secrets, "made-up-code-value", strings.Repeat("w", 43), "unknown-client-secret",
				"basic-header-secret", foreign, "forged-csrf-value", "csrf-case-password", "cross-site-password",
				"%zz", "malformed-secret")

			out := logs.String()
			require.NotEmpty(t, out)
			for _, secret := range secrets {
				require.NotEmpty(t, secret)
				assert.NotContains(t, out, secret)
			}
			requests, failures := 0, 0
			for line := range strings.Lines(out) {
				if strings.Contains(line, "request") && strings.Contains(line, "/oauth/token") {
					requests++
				}
				if strings.Contains(line, "error") {
					failures++
					assert.Contains(t, line, "cause", "a failed request's line says why")
				}
			}
			assert.GreaterOrEqual(t, requests, 12, "one line per token request:\n%s", out)
			assert.GreaterOrEqual(t, failures, 14, "failed requests name their error:\n%s", out)
		})
	}
}
