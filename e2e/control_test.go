package e2e

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/idp"
)

// control sends a request to the emulator's control API and asserts its status.
func control(t *testing.T, env *Env, method, path, body string, status int) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, env.Issuer+"tenantless/"+path, bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := env.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, status, resp.StatusCode, "%s tenantless/%s", method, path)
}

// TestBrowserControls drives the demo app in Chromium while a test controls the emulator
// through its control API: faults, the clock, reset and reload. Each case starts from a reset
// tenant.
func TestBrowserControls(t *testing.T) {
	browser := newBrowser(t)
	env := StartInProcess(t, DefaultTenant())
	newLoggedIn := func(t *testing.T, u user) *tab {
		t.Helper()
		tb := newTab(t, browser)
		tb.do("open the demo app", chromedp.Navigate(env.AppOrigin+"/"))
		tb.waitState("logged-out")
		tb.logIn(env, u, nil)
		return tb
	}
	reset := func(t *testing.T) {
		t.Helper()
		control(t, env, http.MethodPost, "reset", "", http.StatusOK)
	}

	t.Run("login_required on silent authentication", func(t *testing.T) {
		reset(t)
		tb := newLoggedIn(t, alice)
		control(t, env, http.MethodPost, "faults", `{"path":"/authorize","error":"login_required","error_description":"Login required"}`, http.StatusCreated)
		tb.do("reload", chromedp.Reload())
		tb.waitState("logged-out")
		tb.assertShown(loggedOutShown, loggedOutHidden)

		silent := env.IDP.Requests(idp.RequestFilter{Path: "/authorize", Limit: 1})
		require.Len(t, silent, 1)
		assert.Equal(t, "none", silent[0].Query["prompt"], "the SPA asked silently")
		assert.Equal(t, "web_message", silent[0].Query["response_mode"])
		assert.NotEmpty(t, silent[0].Fault)
	})

	t.Run("429 at the token endpoint, then recovery", func(t *testing.T) {
		reset(t)
		control(t, env, http.MethodPost, "faults", `{"path":"/oauth/token","status":429,"error":"too_many_requests","error_description":"Global limit has been reached"}`, http.StatusCreated)
		tb := newTab(t, browser)
		tb.do("open the demo app", chromedp.Navigate(env.AppOrigin+"/"))
		tb.waitState("logged-out")
		tb.do("click Log in", chromedp.Click(chromedp.CSS("#login")))
		tb.do("log in as alice",
			chromedp.WaitVisible(chromedp.CSS("input#username")),
			chromedp.SendKeys(chromedp.CSS("input#username"), alice.email),
			chromedp.SendKeys(chromedp.CSS("input#password"), alice.password),
			chromedp.Click(chromedp.CSS("button[value=default]")),
		)
		tb.waitState("logged-out")
		tb.do("wait for the error", chromedp.WaitVisible(chromedp.CSS("#error")))
		assert.Contains(t, tb.text("error"), "HTTP 429: Global limit has been reached")

		// The login itself went through: the SSO session answers the next click at once.
		tb.do("click Log in again", chromedp.Click(chromedp.CSS("#login")))
		tb.waitState("logged-in")
		assert.Equal(t, alice.name, tb.text("profile-name"), "the next token request works")
		tb.assertShown([]string{"logout", "profile"}, []string{"login", "error"})
	})

	t.Run("clock past the SSO session's lifetime", func(t *testing.T) {
		reset(t)
		tb := newLoggedIn(t, alice)
		control(t, env, http.MethodPost, "clock", `{"advance":"73h"}`, http.StatusOK)
		tb.do("reload", chromedp.Reload())
		tb.waitState("logged-out")
		tb.assertShown(loggedOutShown, loggedOutHidden)
		last := env.IDP.Requests(idp.RequestFilter{Path: "/authorize", Limit: 1})[0]
		assert.Equal(t, "login_required", last.Error, "silent authentication found no session")
	})

	t.Run("reset between two logins", func(t *testing.T) {
		reset(t)
		tb := newLoggedIn(t, alice)
		reset(t)
		tb.do("reload", chromedp.Reload())
		tb.waitState("logged-out")
		tb.logIn(env, bob, nil)
		assert.Equal(t, bob.name, tb.text("profile-name"))
	})

	t.Run("reload of an edited tenant file adds a user", func(t *testing.T) {
		reset(t)
		require.NoError(t, env.EditTenant("users:\n", "users:\n  - user_id: auth0|carol\n    email: carol@example.com\n    email_verified: true\n    password: carol-password\n    name: Carol Example\n"))
		control(t, env, http.MethodPost, "reload", "", http.StatusOK)
		tb := newLoggedIn(t, user{"carol@example.com", "carol-password", "auth0|carol", "Carol Example"})
		assert.Equal(t, "Carol Example", tb.text("profile-name"))
	})

	t.Run("clock set back past an access token's lifetime", func(t *testing.T) {
		require.NoError(t, env.EditTenant("    allow_offline_access: true", "    allow_offline_access: true\n    token_lifetime: 60"))
		reset(t)
		control(t, env, http.MethodPost, "clock", `{"set":"`+env.IDP.Clock().Now().Add(-5*time.Minute).Format(time.RFC3339)+`"}`, http.StatusOK)
		tb := newLoggedIn(t, alice)
		status, body := tb.callAPI("call-members")
		assert.Equal(t, "401", status)
		assert.Contains(t, body, `"invalid_token"`)
		control(t, env, http.MethodPost, "clock", `{"reset":true}`, http.StatusOK)
	})
}
