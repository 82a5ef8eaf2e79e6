package idp

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// The page offers what scripts written against Auth0's New Universal Login select, once each,
// with the headers of S39.
func TestLoginPage(t *testing.T) {
	s := newAPIServer(t)
	login, _, fields := newBrowser(t, s).openLogin(spaAuthorize(testIssuer))

	assertPageHeaders(t, login)
	assert.Contains(t, login.Header.Get("Content-Security-Policy"), "form-action 'self' http://localhost:3000;",
		"the redirect answering the form goes to the application")
	for _, want := range []string{
		`<title>Log in | Demo SPA</title>`,
		`Log in to Tenantless Demo to continue to Demo SPA.`,
		`<label for="username">Email address</label>`,
		`<input id="username" name="username" type="text" inputmode="email" autocomplete="username"`,
		`<label for="password">Password</label>`,
		`<input id="password" name="password" type="password" autocomplete="current-password" required>`,
		`<button type="submit" name="action" value="default" class="primary">Continue</button>`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<link rel="stylesheet" href="/u/static/login.css">`,
	} {
		assert.Contains(t, login.Body, want)
	}
	// One element per selector: Playwright's strict mode fails on two matches.
	for _, selector := range []string{`id="username"`, `id="password"`, `type="submit"`, `name="action"`, `>Continue<`} {
		assert.Equal(t, 1, strings.Count(login.Body, selector), selector)
	}
	assert.NotContains(t, login.Body, "<script", "the page works without JavaScript")
	assert.NotRegexp(t, `(src|href)="(https?:)?//`, login.Body, "no external resources")
	assert.Len(t, fields["state"], 1)
	assert.Len(t, fields["_csrf"], 1)
	assert.NotEqual(t, spaState, fields.Get("state"), "the page's state is the login transaction, not the application's")

	t.Run("user picker", func(t *testing.T) {
		for _, want := range []string{
			`<button class="user" name="user_id" value="auth0|alice">`,
			`<span class="name">Alice Example</span><span class="email">alice@example.com</span>`,
			`<span class="tag">Reader</span>`,
			`<button class="user" name="user_id" value="auth0|blocked">`,
			`<span class="tag danger">blocked</span>`,
		} {
			assert.Contains(t, login.Body, want)
		}
	})

	t.Run("stylesheet", func(t *testing.T) {
		css := newBrowser(t, s).get(testIssuer + "u/static/login.css")
		require.Equal(t, http.StatusOK, css.Status)
		assert.Equal(t, "text/css; charset=utf-8", css.Header.Get("Content-Type"))
		assert.Equal(t, "nosniff", css.Header.Get("X-Content-Type-Options"))
		assert.Contains(t, css.Body, "@media")
	})

	t.Run("login_hint prefills the username", func(t *testing.T) {
		hinted, _, _ := newBrowser(t, s).openLogin(spaAuthorize(testIssuer, "login_hint", `bob@example.com"><script>`))
		assert.Contains(t, hinted.Body, `required value="bob@example.com&#34;&gt;&lt;script&gt;">`)
		assert.Contains(t, hinted.Body, `autocomplete="current-password" required autofocus>`)
	})

	t.Run("picker hidden by the tenant", func(t *testing.T) {
		hidden := newAPIServer(t)
		hidden.tenant.Settings.UserPicker = false
		b := newBrowser(t, hidden)
		page, action, fields := b.openLogin(spaAuthorize(testIssuer))
		assert.NotContains(t, page.Body, "user_id")
		assert.NotContains(t, page.Body, "alice@example.com")
		fields.Set("user_id", "auth0|alice")
		p := b.post(action, fields)
		assertErrorPage(t, p, http.StatusForbidden, "The user picker is turned off for this tenant.")
		assert.Nil(t, p.cookie(sessionCookie))
	})
}

// A successful login opens the SSO session and answers the application with a 303 (S41); the
// session cookie is HttpOnly, SameSite=Lax, Path=/, and on an https issuer Secure and
// SameSite=None.
func TestLoginSucceeds(t *testing.T) {
	t.Run("password", func(t *testing.T) {
		s := newAPIServer(t)
		p := newBrowser(t, s).login(spaAuthorize(testIssuer), "Alice@Example.com", "alice-password")
		assert.Equal(t, http.StatusSeeOther, p.Status)
		codeOf(t, p, spaCallback, spaState)
		c := p.cookie(sessionCookie)
		require.NotNil(t, c)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
		assert.Equal(t, "/", c.Path)
		assert.False(t, c.Secure)
		assert.Equal(t, int(72*time.Hour/time.Second), c.MaxAge)
		sess, ok := s.liveSession(t, sessionID(c.Value))
		require.True(t, ok)
		assert.Equal(t, "auth0|alice", sess.UserID)
		assert.NotEqual(t, c.Value, sess.ID, "the sid given to applications is not the cookie")
	})

	t.Run("user picker", func(t *testing.T) {
		s := newAPIServer(t)
		b := newBrowser(t, s)
		_, action, fields := b.openLogin(spaAuthorize(testIssuer))
		fields.Set("user_id", "auth0|bob")
		p := b.post(action, fields)
		assert.Equal(t, http.StatusSeeOther, p.Status)
		c := s.takeCode(t, codeOf(t, p, spaCallback, spaState))
		assert.Equal(t, "auth0|bob", c.UserID)
	})

	t.Run("form_post answers the POST with the form", func(t *testing.T) {
		s := newAPIServer(t)
		p := newBrowser(t, s).login(spaAuthorize(testIssuer, "response_mode", "form_post"), "alice@example.com", "alice-password")
		require.Equal(t, http.StatusOK, p.Status)
		assert.NotEmpty(t, formFields(p.Body).Get("code"))
		assert.NotNil(t, p.cookie(sessionCookie))
	})

	t.Run("https issuer sets Secure cookies", func(t *testing.T) {
		s := newAPIServer(t)
		ten, err := tenant.Load(fixtures.FS, fixtures.DefaultTenant) // a tenant is served at one issuer
		require.NoError(t, err)
		secure, err := New(Config{Issuer: "https://tenant.example.com/", Tenant: ten, Keys: s.keys, Now: s.Clock().Now})
		require.NoError(t, err)
		b := newBrowser(t, secure)
		r := b.get(spaAuthorize("https://tenant.example.com/"))
		require.NotNil(t, r.cookie(loginCookie))
		assert.True(t, r.cookie(loginCookie).Secure)
		login := b.get(r.Location.String())
		fields := formFields(login.Body)
		fields.Set("username", "alice@example.com")
		fields.Set("password", "alice-password")
		p := b.post("https://tenant.example.com/u/login", fields)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		assert.True(t, p.cookie(sessionCookie).Secure)
		assert.Equal(t, http.SameSiteNoneMode, p.cookie(sessionCookie).SameSite,
			"the silent-authentication iframe of an http application is cross-site to an https emulator")
		assert.Equal(t, http.SameSiteLaxMode, r.cookie(loginCookie).SameSite, "the login cookie only travels within the emulator's pages")
	})

	t.Run("the transaction completes once", func(t *testing.T) {
		s := newAPIServer(t)
		b := newBrowser(t, s)
		_, action, fields := b.openLogin(spaAuthorize(testIssuer))
		fields.Set("username", "alice@example.com")
		fields.Set("password", "alice-password")
		codeOf(t, b.post(action, fields), spaCallback, spaState)
		assertErrorPage(t, b.post(action, fields), http.StatusBadRequest, errLoginUnknown.Description)
	})

	t.Run("another user's login ends the previous session", func(t *testing.T) {
		s := newAPIServer(t)
		b := loggedIn(t, s)
		first := s.currentSessionOf(t, b)
		p := b.login(spaAuthorize(testIssuer, "prompt", "login"), "bob@example.com", "bob-password")
		codeOf(t, p, spaCallback, spaState)
		_, alive := s.liveSession(t, first)
		assert.False(t, alive)
		assert.NotEqual(t, first, s.currentSessionOf(t, b))
	})

	t.Run("the same user's login keeps the sid and renews auth_time", func(t *testing.T) {
		s := newAPIServer(t)
		b := loggedIn(t, s)
		first := s.currentSessionOf(t, b)
		s.Clock().Advance(time.Hour)
		p := b.login(spaAuthorize(testIssuer, "prompt", "login"), "alice@example.com", "alice-password")
		c := s.takeCode(t, codeOf(t, p, spaCallback, spaState))
		assert.Equal(t, first, c.SessionID)
		assert.Equal(t, testStart.Add(time.Hour), c.AuthTime)
	})
}

// currentSessionOf returns the id of the browser's live session, "" when it has none.
func (s *apiServer) currentSessionOf(t *testing.T, b *browser) string {
	t.Helper()
	u, err := url.Parse(testIssuer)
	require.NoError(t, err)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			if sess, ok := s.liveSession(t, sessionID(c.Value)); ok {
				return sess.ID
			}
		}
	}
	return ""
}

// S44: a wrong password and an unknown user get the same answer, and no code or session;
// failures lock the name out, known or not.
func TestLoginFailures(t *testing.T) {
	attempt := func(t *testing.T, s *apiServer, username, password string) page {
		t.Helper()
		p := newBrowser(t, s).login(spaAuthorize(testIssuer), username, password)
		assert.Nil(t, p.Location, "no redirect, no code")
		assert.Nil(t, p.cookie(sessionCookie))
		assertPageHeaders(t, p)
		return p
	}
	errorText := regexp.MustCompile(`<p class="alert" role="alert" id="error-element-password">([^<]*)</p>`)
	message := func(t *testing.T, p page) string {
		t.Helper()
		m := errorText.FindStringSubmatch(p.Body)
		require.Len(t, m, 2, p.Body)
		return html.UnescapeString(m[1])
	}

	t.Run("wrong password and unknown user look alike", func(t *testing.T) {
		s := newAPIServer(t)
		wrong := attempt(t, s, "alice@example.com", "guess")
		unknown := attempt(t, s, "nobody@example.com", "guess")
		assert.Equal(t, http.StatusBadRequest, wrong.Status)
		assert.Equal(t, wrong.Status, unknown.Status)
		assert.Equal(t, "Wrong email or password.", message(t, wrong))
		assert.Equal(t, message(t, wrong), message(t, unknown))
		assert.Contains(t, wrong.Body, `value="alice@example.com"`, "the username stays filled in")
		assert.NotContains(t, wrong.Body, "guess", "the password is never echoed")
	})

	t.Run("empty fields", func(t *testing.T) {
		s := newAPIServer(t)
		p := attempt(t, s, "alice@example.com", "")
		assert.Equal(t, http.StatusBadRequest, p.Status)
		assert.Equal(t, "Enter your email address and password.", message(t, p))
	})

	t.Run("blocked user sees why", func(t *testing.T) {
		s := newAPIServer(t)
		p := attempt(t, s, "blocked@example.com", "blocked-password")
		assert.Equal(t, http.StatusForbidden, p.Status)
		assert.Contains(t, message(t, p), "user is blocked")

		b := newBrowser(t, s)
		_, action, fields := b.openLogin(spaAuthorize(testIssuer))
		fields.Set("user_id", "auth0|blocked")
		p = b.post(action, fields)
		assert.Equal(t, http.StatusForbidden, p.Status)
		assert.Contains(t, message(t, p), "user is blocked")
		assert.Nil(t, p.cookie(sessionCookie))
	})

	t.Run("blocked user's password is checked first", func(t *testing.T) {
		s := newAPIServer(t)
		p := attempt(t, s, "blocked@example.com", "guess")
		assert.Equal(t, "Wrong email or password.", message(t, p))
	})

	t.Run("unknown picker entry", func(t *testing.T) {
		s := newAPIServer(t)
		b := newBrowser(t, s)
		_, action, fields := b.openLogin(spaAuthorize(testIssuer))
		fields.Set("user_id", "auth0|nobody")
		p := b.post(action, fields)
		assert.Equal(t, http.StatusBadRequest, p.Status)
		assert.Nil(t, p.cookie(sessionCookie))
	})

	for _, username := range []string{"alice@example.com", "nobody@example.com"} {
		t.Run("lockout of "+username, func(t *testing.T) {
			s := newAPIServer(t)
			for range store.MaxFailedLogins {
				attempt(t, s, username, "guess")
			}
			p := attempt(t, s, strings.ToUpper(username), "alice-password")
			assert.Equal(t, http.StatusTooManyRequests, p.Status)
			assert.Equal(t, "Your account has been blocked after multiple consecutive login attempts.", message(t, p))

			s.Clock().Advance(store.LockoutDuration)
			if username == "alice@example.com" {
				codeOf(t, newBrowser(t, s).login(spaAuthorize(testIssuer), username, "alice-password"), spaCallback, spaState)
			} else {
				assert.Equal(t, http.StatusBadRequest, attempt(t, s, username, "guess").Status)
			}
		})
	}
}

// S38: cross-site posts, forged or missing CSRF tokens, another browser's or an expired login
// get no session; 403 for the forgeries, 400 for what is merely unknown.
func TestLoginCSRF(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *apiServer, fields url.Values) (headers []string, other *browser)
		status int
		text   string
	}{
		{"cross-site Sec-Fetch-Site", func(*testing.T, *apiServer, url.Values) ([]string, *browser) {
			return []string{"Sec-Fetch-Site", "cross-site", "Origin", ""}, nil
		}, http.StatusForbidden, "Cross-site login requests are refused."},
		{"same-site but other origin", func(*testing.T, *apiServer, url.Values) ([]string, *browser) {
			return []string{"Sec-Fetch-Site", "same-site", "Origin", "http://localhost:3000"}, nil
		}, http.StatusForbidden, "Cross-site login requests are refused."},
		{"foreign Origin without fetch metadata", func(*testing.T, *apiServer, url.Values) ([]string, *browser) {
			return []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, nil
		}, http.StatusForbidden, "Cross-site login requests are refused."},
		{"Origin null", func(*testing.T, *apiServer, url.Values) ([]string, *browser) {
			return []string{"Sec-Fetch-Site", "", "Origin", "null"}, nil
		}, http.StatusForbidden, "Cross-site login requests are refused."},
		{"missing CSRF token", func(_ *testing.T, _ *apiServer, f url.Values) ([]string, *browser) {
			f.Del("_csrf")
			return nil, nil
		}, http.StatusForbidden, "The login form&#39;s CSRF token is invalid."},
		{"wrong CSRF token", func(_ *testing.T, _ *apiServer, f url.Values) ([]string, *browser) {
			f.Set("_csrf", f.Get("_csrf")+"x")
			return nil, nil
		}, http.StatusForbidden, "The login form&#39;s CSRF token is invalid."},
		{"another browser posts the form", func(t *testing.T, s *apiServer, _ url.Values) ([]string, *browser) {
			return nil, newBrowser(t, s)
		}, http.StatusBadRequest, errLoginUnknown.Description},
		{"unknown transaction", func(_ *testing.T, _ *apiServer, f url.Values) ([]string, *browser) {
			f.Set("state", "unknown")
			return nil, nil
		}, http.StatusBadRequest, errLoginUnknown.Description},
		{"expired transaction", func(_ *testing.T, s *apiServer, _ url.Values) ([]string, *browser) {
			s.Clock().Advance(loginLifetime)
			return nil, nil
		}, http.StatusBadRequest, errLoginUnknown.Description},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			b := newBrowser(t, s)
			_, action, fields := b.openLogin(spaAuthorize(testIssuer))
			fields.Set("username", "alice@example.com")
			fields.Set("password", "alice-password")
			headers, other := tc.tamper(t, s, fields)
			if other != nil {
				b = other
			}
			p := b.post(action, fields, headers...)
			assertErrorPage(t, p, tc.status, html.UnescapeString(tc.text))
			assert.Nil(t, p.cookie(sessionCookie))
			assert.Zero(t, s.liveSessions(t), "no session may exist")
		})
	}

	t.Run("login page of another browser or unknown", func(t *testing.T) {
		s := newAPIServer(t)
		r := newBrowser(t, s).get(spaAuthorize(testIssuer))
		require.Equal(t, http.StatusFound, r.Status)
		assertErrorPage(t, newBrowser(t, s).get(r.Location.String()), http.StatusBadRequest, errLoginUnknown.Description)
		assertErrorPage(t, newBrowser(t, s).get(testIssuer+"u/login?state=nope"), http.StatusBadRequest, errLoginUnknown.Description)
	})

	t.Run("a same-origin post without browser headers passes", func(t *testing.T) {
		s := newAPIServer(t)
		b := newBrowser(t, s)
		_, action, fields := b.openLogin(spaAuthorize(testIssuer))
		fields.Set("username", "alice@example.com")
		fields.Set("password", "alice-password")
		codeOf(t, b.post(action, fields, "Origin", "", "Sec-Fetch-Site", ""), spaCallback, spaState)
	})
}
