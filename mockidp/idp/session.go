package idp

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Cookies. Auth0's are auth0 and auth0_compat for the session, did for attack protection
// (https://auth0.com/docs/manage-users/cookies/authentication-api-cookies). No client reads
// them, so the emulator's names differ on purpose: they say whose they are.
const (
	// sessionCookie holds the SSO session's secret. Over http it is SameSite=Lax: the
	// application and the emulator on localhost are same-site (ports do not count), so the hidden
	// iframe of auth0-spa-js's silent renewal still sends it, while cross-site POSTs do not.
	// Over https it is SameSite=None, as Auth0's is: browsers compare schemes too, so an
	// application on http://localhost is cross-site to an emulator on https://localhost
	// (https://web.dev/articles/schemeful-samesite), and a Lax cookie would not reach its iframe.
	sessionCookie = "tenantless_session"
	// loginCookie binds pending logins to the browser that started them, so a login form
	// posted from another browser (login CSRF, RFC 6749 §10.12) cannot complete one.
	loginCookie = "tenantless_login"
	// maxCookieValue bounds the cookie values accepted back.
	maxCookieValue = 64
)

// sessionID derives the session id, the ID token's `sid`, from the cookie's secret. The sid is
// handed to applications; the secret is not derivable from it, so an ID token cannot be turned
// into the browser's session.
func sessionID(secret string) string {
	sum := sha256.Sum256([]byte("tenantless session " + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:24])
}

// cookieValue returns a cookie's value, "" when absent or implausible.
func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) > maxCookieValue {
		return ""
	}
	return c.Value
}

// cookie builds the emulator's cookies: HttpOnly, SameSite=Lax, Secure when the issuer is https,
// and then SameSite=None for the session cookie. maxAge 0 is a browser-session cookie, negative
// deletes.
func (s *Server) cookie(name, value, path string, maxAge int) *http.Cookie {
	secure := s.issuerURL.Scheme == "https"
	sameSite := http.SameSiteLaxMode
	if secure && name == sessionCookie {
		sameSite = http.SameSiteNoneMode
	}
	return &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: sameSite, Secure: secure,
	}
}

// currentSession returns the browser's live SSO session, extending its idle deadline; nil
// when it has none. The error is the store's, when it could not tell.
func (s *Server) currentSession(r *http.Request) (*store.Session, error) {
	secret := cookieValue(r, sessionCookie)
	if secret == "" {
		return nil, nil
	}
	sess, err := s.store.TouchSession(r.Context(), sessionID(secret), s.tenant.Settings.IdleSessionLifetime, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sess, nil
}

// startSession records a login. The same user logging in again (prompt=login, max_age) renews
// the browser's session, keeping its sid and the refresh tokens tied to it; another user ends
// the previous user's session as a logout would.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user *tenant.User) (*store.Session, error) {
	ctx := r.Context()
	settings := s.tenant.Settings
	secret := ""
	prev, err := s.currentSession(r)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if prev.UserID == user.UserID {
			secret = cookieValue(r, sessionCookie)
		} else if err := s.store.EndSession(ctx, prev.ID, settings.LogoutRevokesRefreshTokens); err != nil {
			return nil, err
		}
	}
	if secret == "" {
		secret = randomString(32)
	}
	now := s.now()
	sess := store.Session{
		ID:          sessionID(secret),
		UserID:      user.UserID,
		AuthTime:    now,
		Expires:     now.Add(settings.SessionLifetime),
		IdleExpires: now.Add(settings.IdleSessionLifetime),
	}
	if err := s.store.PutSession(ctx, sess, now); err != nil {
		return nil, err
	}
	// Persistent like Auth0's, so a login survives a browser restart until the session ends.
	http.SetCookie(w, s.cookie(sessionCookie, secret, "/", int(settings.SessionLifetime/time.Second)))
	return &sess, nil
}

// endBrowserSession logs the browser out: its session, and the one an id_token_hint named if
// any, end, and the cookie is cleared. Refresh tokens issued in them are revoked unless the
// tenant keeps them (Settings.LogoutRevokesRefreshTokens). The default is on: Auth0's logout
// leaves refresh tokens valid until /oauth/revoke, but a test that logs out expects the user to
// be out, tokens included; a tenant that wants Auth0's behaviour turns it off.
func (s *Server) endBrowserSession(w http.ResponseWriter, r *http.Request, hintSID string) error {
	revoke := s.tenant.Settings.LogoutRevokesRefreshTokens
	if secret := cookieValue(r, sessionCookie); secret != "" {
		if err := s.store.EndSession(r.Context(), sessionID(secret), revoke); err != nil {
			return err
		}
	}
	if hintSID != "" {
		if err := s.store.EndSession(r.Context(), hintSID, revoke); err != nil {
			return err
		}
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", "/", -1))
	return nil
}

// loginBinding returns the browser's login cookie, setting one when it has none.
func (s *Server) loginBinding(w http.ResponseWriter, r *http.Request) string {
	if v := cookieValue(r, loginCookie); v != "" {
		return v
	}
	v := randomString(32)
	http.SetCookie(w, s.cookie(loginCookie, v, "/u/", 0))
	return v
}
