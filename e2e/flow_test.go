package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// harnesses are the two ways the pair runs; the HTTP flows must pass on both.
var harnesses = []struct {
	name  string
	start func(testing.TB) *Env
}{
	{KindInProcess, func(t testing.TB) *Env { return StartInProcess(t, DefaultTenant()) }},
	{KindProcesses, StartProcesses},
	{KindProcesses + " over https", StartProcessesHTTPS},
}

const (
	openBody      = "Open Endpoint"
	membersBody   = "Members Only Endpoint"
	protectedBody = "Protected Endpoint"
)

// TestLoginFlow drives the SPA's login over HTTP with a cookie jar, then the three endpoints for
// each kind of caller, silent re-authentication and logout.
func TestLoginFlow(t *testing.T) {
	for _, h := range harnesses {
		t.Run(h.name, func(t *testing.T) {
			env := h.start(t)

			t.Run("front end", func(t *testing.T) {
				c := env.Client()
				page := get(t, c, env.AppOrigin+"/")
				require.Equal(t, http.StatusOK, page.status)
				for _, hook := range []string{`id="login"`, `id="logout"`, `id="call-protected"`, `src="/app.js"`} {
					assert.Contains(t, page.body, hook)
				}
				r := get(t, c, env.AppOrigin+"/auth_config.json")
				require.Equal(t, http.StatusOK, r.status)
				var cfg map[string]string
				require.NoError(t, json.Unmarshal([]byte(r.body), &cfg))
				assert.Equal(t, map[string]string{
					"domain": env.IDPOrigin, "issuer": env.Issuer, "clientId": SPAClientID, "audience": Audience,
				}, cfg, "what the SPA is configured with must be the emulator it is served with")
			})

			t.Run("alice", func(t *testing.T) {
				tok, id := spaLogin(t, env, env.Client(), alice)
				assert.Equal(t, alice.name, id.Name)
				claims := jwtClaims(t, tok.AccessToken)
				assert.Equal(t, env.Issuer, claims["iss"])
				assert.Contains(t, claims["permissions"], "read:protected")
				for path, want := range map[string]string{
					"/api/open": openBody, "/api/members-only": membersBody, "/api/protected": protectedBody,
				} {
					r := callAPI(t, env, path, tok.AccessToken)
					assert.Equal(t, http.StatusOK, r.status, "%s: %s", path, describe(r))
					assert.Equal(t, want, r.body["message"], path)
				}
			})

			t.Run("bob", func(t *testing.T) {
				tok, _ := spaLogin(t, env, env.Client(), bob)
				assert.NotContains(t, jwtClaims(t, tok.AccessToken)["permissions"], "read:protected")
				r := callAPI(t, env, "/api/members-only", tok.AccessToken)
				assert.Equal(t, http.StatusOK, r.status, describe(r))
				assert.Equal(t, membersBody, r.body["message"])

				r = callAPI(t, env, "/api/protected", tok.AccessToken)
				assert.Equal(t, http.StatusForbidden, r.status, describe(r))
				assert.Equal(t, "insufficient_scope", r.body["error"])
				assert.Contains(t, r.challenge, `error="insufficient_scope"`)
				assert.Contains(t, r.challenge, `scope="read:protected"`)
			})

			t.Run("no token", func(t *testing.T) {
				r := callAPI(t, env, "/api/open", "")
				assert.Equal(t, http.StatusOK, r.status, describe(r))
				assert.Equal(t, openBody, r.body["message"])
				for _, path := range []string{"/api/members-only", "/api/protected"} {
					r := callAPI(t, env, path, "")
					assert.Equal(t, http.StatusUnauthorized, r.status, "%s: %s", path, describe(r))
					assert.Equal(t, `Bearer realm="api"`, r.challenge, path)
					assert.Equal(t, "unauthorized", r.body["error"], path)
				}
			})

			t.Run("M2M client", func(t *testing.T) {
				tok := m2mToken(t, env)
				claims := jwtClaims(t, tok.AccessToken)
				assert.Equal(t, m2mClientID+"@clients", claims["sub"])
				assert.Equal(t, "client-credentials", claims["gty"])
				for path, want := range map[string]string{"/api/members-only": membersBody, "/api/protected": protectedBody} {
					r := callAPI(t, env, path, tok.AccessToken)
					assert.Equal(t, http.StatusOK, r.status, "%s: %s", path, describe(r))
					assert.Equal(t, want, r.body["message"], path)
				}
			})

			t.Run("silent re-authentication and logout", func(t *testing.T) {
				c := env.Client()
				_, first := spaLogin(t, env, c, alice)

				// A reload: app.js asks in a hidden iframe whether the session lives.
				silent := url.Values{"prompt": {"none"}, "response_mode": {"web_message"}}
				tx := newTransaction(t)
				msg := webMessage(t, get(t, c, authorizeURL(env, tx, silent)))
				require.Empty(t, msg["error"], "silent authentication: %v", msg)
				require.Equal(t, tx.state, msg["state"])
				status, tok := exchange(t, env, c, msg["code"], tx.verifier)
				require.Equal(t, http.StatusOK, status, "%+v", tok)
				again := verifyIDToken(t, env, tok.IDToken, tx.nonce)
				assert.Equal(t, first.SID, again.SID, "silent authentication continues the same session")
				assert.Equal(t, http.StatusOK, callAPI(t, env, "/api/protected", tok.AccessToken).status)

				// app.js's logout button.
				r := get(t, c, env.IDPOrigin+"/v2/logout?"+url.Values{"client_id": {SPAClientID}, "returnTo": {env.AppOrigin}}.Encode())
				require.Equal(t, http.StatusFound, r.status, "logout: %s", r.body)
				assert.Equal(t, env.AppOrigin, r.header.Get("Location"), "logout returns to the app")

				tx = newTransaction(t)
				msg = webMessage(t, get(t, c, authorizeURL(env, tx, silent)))
				assert.Equal(t, "login_required", msg["error"], "after logout: %v", msg)
				assert.Equal(t, tx.state, msg["state"])
				assert.Empty(t, msg["code"])

				// An interactive login now shows the login page again.
				authorizeToLogin(t, c, authorizeURL(env, newTransaction(t), url.Values{"response_mode": {"query"}}))
			})

			t.Run("refusals", func(t *testing.T) {
				c := env.Client()
				tx := newTransaction(t)
				page := authorizeToLogin(t, c, authorizeURL(env, tx, url.Values{"response_mode": {"query"}}))

				wrong := page.submit(t, c, user{email: alice.email, password: "not-her-password"})
				assert.Equal(t, http.StatusBadRequest, wrong.status)
				assert.Contains(t, wrong.body, "Wrong email or password.")
				page = readLoginPage(t, response{status: http.StatusOK, body: wrong.body, url: wrong.url})

				blockedPage := page.submit(t, c, blocked)
				assert.Equal(t, http.StatusForbidden, blockedPage.status, "a blocked user is refused")

				page = readLoginPage(t, response{status: http.StatusOK, body: blockedPage.body, url: blockedPage.url})
				code := callback(t, env, page.submit(t, c, alice), tx)

				status, tok := exchange(t, env, c, code, randomString(t))
				assert.Equal(t, http.StatusForbidden, status, "wrong PKCE verifier: %+v", tok)
				assert.Equal(t, "invalid_grant", tok.Error)

				// The failed attempt may have consumed the code (Auth0 does); a fresh one is
				// redeemed once and then refused.
				tx = newTransaction(t)
				r := get(t, c, authorizeURL(env, tx, url.Values{"response_mode": {"query"}}))
				code = callback(t, env, r, tx)
				status, good := exchange(t, env, c, code, tx.verifier)
				require.Equal(t, http.StatusOK, status, "%+v", good)
				status, tok = exchange(t, env, c, code, tx.verifier)
				assert.Equal(t, http.StatusForbidden, status, "code replay: %+v", tok)
				assert.Equal(t, "invalid_grant", tok.Error)

				// Alice's token turned into Bob's: the signature no longer matches.
				forged := tamper(t, good.AccessToken, "sub", bob.sub)
				r2 := callAPI(t, env, "/api/members-only", forged)
				assert.Equal(t, http.StatusUnauthorized, r2.status, describe(r2))
				assert.Contains(t, r2.challenge, `error="invalid_token"`)
			})
		})
	}
}

// tamper sets one claim of a JWT and keeps the old signature.
func tamper(t testing.TB, token, claim string, value any) string {
	t.Helper()
	claims := jwtClaims(t, token)
	claims[claim] = value
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	parts := strings.Split(token, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
