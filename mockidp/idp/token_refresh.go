package idp

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// errBadRefreshToken is Auth0's answer for a refresh token that is unknown, expired, revoked,
// rotated away or another client's (nextjs-auth0#333); the cause tells the log which.
var errBadRefreshToken = newError(http.StatusForbidden, "invalid_grant", "Unknown or invalid refresh token.")

// refreshCauses say why a refresh token was refused.
var refreshCauses = map[refreshUse]string{
	refreshUnknown:     "refresh token unknown",
	refreshOtherClient: "refresh token issued to another client",
	refreshRevoked:     "refresh token revoked (logout, /oauth/revoke, or reuse in its family)",
	refreshExpired:     "refresh token past its absolute lifetime",
	refreshIdle:        "refresh token past its idle lifetime",
	refreshReused:      "rotated refresh token reused after the reuse interval; its family is revoked",
}

// refreshTokenGrant spends a refresh token (RFC 6749 §6). With rotation (the client's
// refresh_token.rotation_type) the answer carries a new refresh token of the same family and
// the old one is spent; presenting a spent one after the client's leeway (reuse interval)
// revokes the family (RFC 9700 §4.14.2, S28).
// Without rotation the client keeps its token and none is returned, as Auth0 does. Every
// answer has a new ID token, whose sid is the session's while that session is alive, and whose
// auth_time is the login's when /authorize had max_age (auth0-spa-js checks it on refresh too).
//
// The post-login Actions run again, as on Auth0, and shape the new tokens; a denial leaves the
// presented token spent.
func (s *Server) refreshTokenGrant(r *http.Request, c *tenant.Client, p params) (*TokenResponse, error) {
	token := p["refresh_token"]
	if token == "" {
		return nil, missingParam("refresh_token")
	}
	// A narrower scope may be asked for (RFC 6749 §6); a wider one is refused before the
	// token is spent, so that the mistake does not cost the client its token. The status is
	// RFC's 400, which Auth0 also uses for invalid_scope (wire spec §3.4).
	var narrowed []string
	if requested := uniqueFields(p["scope"]); len(requested) > 0 {
		if held, ok := s.store.refreshScope(token, c.ClientID); ok {
			family := strings.Fields(held)
			for _, sc := range requested {
				if !slices.Contains(family, sc) {
					return nil, newError(http.StatusBadRequest, "invalid_scope",
						"The requested scope exceeds the scope granted by the refresh token: "+sc)
				}
			}
			narrowed = requested
		}
	}
	now := s.now()
	policy := c.RefreshToken
	rt, use := s.store.useRefresh(token, c.ClientID, policy, now)
	if use != refreshOK {
		return nil, errBadRefreshToken.because(refreshCauses[use])
	}
	u, e := s.grantUser(rt.UserID, errBadRefreshToken)
	if e != nil {
		return nil, e
	}
	var api *tenant.API
	if rt.Audience != "" {
		var ok bool
		if api, ok = s.tenant.API(rt.Audience); !ok {
			return nil, errBadRefreshToken.because("the refresh token's API is no longer in the tenant")
		}
	}
	family := strings.Fields(rt.Scope)
	scope := family
	if narrowed != nil {
		scope = narrowed
	}
	sid := ""
	if rt.SessionID != "" && s.store.liveSession(rt.SessionID, now) {
		sid = rt.SessionID
	}
	out, e := s.postLogin(login{r: r, client: c, user: u, api: api, scope: strings.Join(scope, " "),
		protocol: protocolRefresh, sessionID: sid, authTime: rt.AuthTime, body: p})
	if e != nil {
		return nil, e
	}
	// The access token's gty after a refresh is UNCONFIRMED (wire spec §9): none is set.
	is := issue{
		Client: c, User: u, API: api, Scope: scope, RefreshScope: family,
		SessionID: sid, AuthTime: rt.AuthTime, WithAuthTime: rt.WithAuthTime,
		Grant: rt.Grant, NoRefresh: !policy.Rotating, FamilyExpires: rt.Expires,
	}
	s.applyActions(r.Context(), &is, out)
	return s.mint(is)
}
