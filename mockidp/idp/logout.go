package idp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// loggedOutPage is the data of templates/logged_out.html.
type loggedOutPage struct{ Tenant string }

// logoutV2 is GET /v2/logout, Auth0's logout (https://auth0.com/docs/api/authentication/logout/auth-0-logout):
// client_id, returnTo, and a bare `federated` flag that changes nothing here (the emulator has
// no upstream identity providers). returnTo must be listed, byte for byte, in the client's
// Allowed Logout URLs, or without a client in the tenant's; otherwise an error page and no
// redirect, and the session stays.
func (s *Server) logoutV2(w http.ResponseWriter, r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return newError(http.StatusBadRequest, "invalid_request", "The query string could not be parsed.")
	}
	clientID, ok1 := single(q, "client_id")
	returnTo, ok2 := single(q, "returnTo")
	if !ok1 || !ok2 {
		return newError(http.StatusBadRequest, "invalid_request", "Parameters 'client_id' and 'returnTo' must not be repeated.")
	}
	client, e := s.logoutClient(clientID)
	if e != nil {
		return e
	}
	allowed, whose := s.tenant.Settings.AllowedLogoutURLs, "the tenant's allowed_logout_urls (no client_id)"
	if client != nil {
		allowed, whose = client.AllowedLogoutURLs, "client "+client.ClientID+"'s allowed_logout_urls"
	}
	target := returnTo
	switch {
	case returnTo != "" && !slices.Contains(allowed, returnTo):
		return newError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf(`The "returnTo" querystring parameter %q is not defined as a valid URL in "Allowed Logout URLs".`, returnTo)).
			because("returnTo is not in " + whose)
	case returnTo == "" && client != nil && len(allowed) > 0:
		// Auth0: with a client_id and no returnTo, the first Allowed Logout URL.
		target = allowed[0]
	}
	if err := s.endBrowserSession(w, r, ""); err != nil {
		return s.storeFailure(err)
	}
	s.loggedOut(w, r, target)
	return nil
}

// idTokenHint is what /oidc/logout reads of an id_token_hint.
type idTokenHint struct {
	jwt.Claims
	SID string `json:"sid"`
}

// oidcLogout is /oidc/logout, OpenID Connect RP-Initiated Logout 1.0 as Auth0 serves it
// (https://auth0.com/docs/api/authentication/logout/oidc-logout), by GET or by a form POST. It
// logs out at once, without the confirmation page the specification suggests when no
// id_token_hint is given.
func (s *Server) oidcLogout(w http.ResponseWriter, r *http.Request) error {
	q, e := s.logoutParams(w, r)
	if e != nil {
		return e
	}
	for _, name := range []string{"id_token_hint", "post_logout_redirect_uri", "client_id", "state", "logout_hint"} {
		if len(q[name]) > 1 {
			return newError(http.StatusBadRequest, "invalid_request", fmt.Sprintf("Parameter '%s' must not be repeated.", name))
		}
	}
	var hint *idTokenHint
	if raw := q.Get("id_token_hint"); raw != "" {
		if hint, e = s.verifyHint(raw); e != nil {
			return e
		}
	}
	clientID := q.Get("client_id")
	if hint != nil {
		switch {
		case clientID == "" && len(hint.Audience) == 1:
			clientID = hint.Audience[0]
		case clientID != "" && !hint.Audience.Contains(clientID):
			return newError(http.StatusBadRequest, "invalid_request", "The client_id does not match the id_token_hint's audience.")
		}
		if lh := q.Get("logout_hint"); lh != "" && lh != hint.SID {
			return newError(http.StatusBadRequest, "invalid_request", "The logout_hint does not match the id_token_hint's session.")
		}
	}
	client, e := s.logoutClient(clientID)
	if e != nil {
		return e
	}
	target := q.Get("post_logout_redirect_uri")
	if target != "" {
		// The URI must be registered for a client the request identifies (RP-Initiated
		// Logout §2), so without one there is nothing to check it against.
		if client == nil {
			return newError(http.StatusBadRequest, "invalid_request",
				"post_logout_redirect_uri needs a client_id or an id_token_hint that names the application.")
		}
		if !slices.Contains(client.AllowedLogoutURLs, target) {
			return newError(http.StatusBadRequest, "invalid_request",
				fmt.Sprintf(`The "post_logout_redirect_uri" querystring parameter %q is not defined as a valid URL in "Allowed Logout URLs".`, target)).
				because("post_logout_redirect_uri is not in client " + client.ClientID + "'s allowed_logout_urls")
		}
		if state := q.Get("state"); state != "" {
			target = withQuery(target, "state="+url.QueryEscape(state))
		}
	}
	sid := ""
	if hint != nil {
		sid = hint.SID
	}
	if err := s.endBrowserSession(w, r, sid); err != nil {
		return s.storeFailure(err)
	}
	s.loggedOut(w, r, target)
	return nil
}

// logoutParams reads /oidc/logout's parameters from the query (GET) or the form body (POST).
func (s *Server) logoutParams(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if r.Method != http.MethodPost {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, newError(http.StatusBadRequest, "invalid_request", "The query string could not be parsed.")
		}
		return q, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	if err := r.ParseForm(); err != nil {
		return nil, unreadableForm("logout", err)
	}
	return r.PostForm, nil
}

// errBadHint answers an id_token_hint this tenant did not issue.
var errBadHint = newError(http.StatusBadRequest, "invalid_request", "The id_token_hint is not an ID token issued by this tenant.")

// verifyHint checks an id_token_hint's signature and issuer. An expired one is fine: logging
// out is exactly when an old ID token turns up (RP-Initiated Logout §2).
func (s *Server) verifyHint(raw string) (*idTokenHint, *oauthError) {
	var hint idTokenHint
	if err := s.keys.Verify(raw, &hint); err != nil {
		return nil, errBadHint.because("id_token_hint signature or format: " + err.Error())
	}
	switch {
	case hint.Issuer != s.issuer:
		return nil, errBadHint.because("id_token_hint iss is not this tenant's issuer")
	case len(hint.Audience) == 0:
		return nil, errBadHint.because("id_token_hint has no aud")
	}
	return &hint, nil
}

// logoutClient looks up the client a logout names, nil when it names none.
func (s *Server) logoutClient(id string) (*tenant.Client, *oauthError) {
	if id == "" {
		return nil, nil
	}
	c, ok := s.tenant.Client(id)
	if !ok {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Unknown client: "+id)
	}
	return c, nil
}

// loggedOut sends the browser to target, or shows that it is logged out when there is none.
func (s *Server) loggedOut(w http.ResponseWriter, r *http.Request, target string) {
	if target == "" {
		s.renderPage(w, r, http.StatusOK, "logged_out.html", pageCSP(), loggedOutPage{Tenant: s.tenantName()})
		return
	}
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	redirect(w, target, status)
}
