package idp

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// errBadRefreshToken is Auth0's answer for a refresh token that is unknown, expired, revoked,
// rotated away or another client's (nextjs-auth0#333); the cause tells the log which.
var errBadRefreshToken = newError(http.StatusForbidden, "invalid_grant", "Unknown or invalid refresh token.")

// Why a refresh token was refused, for the log; the client gets errBadRefreshToken for each.
var refreshRefusals = map[store.Reason]string{
	store.ReasonUnknown:     "refresh token unknown",
	store.ReasonOtherClient: "refresh token issued to another client",
	store.ReasonRevoked:     "refresh token revoked (logout, /oauth/revoke, or reuse in its family)",
	// A family's grant lapses once all of its tokens have expired, so a rotated token kept for
	// reuse detection can outlive it.
	store.ReasonExpired: "refresh token expired (its absolute lifetime or its family's is over)",
	store.ReasonIdle:    "refresh token past its idle lifetime",
}

// causeRefreshReused explains a reuse (store.ErrReused), which is no refusal of the store's.
const causeRefreshReused = "rotated refresh token reused after the reuse interval; its family is revoked"

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
	ctx := r.Context()
	token := p["refresh_token"]
	if token == "" {
		return nil, missingParam("refresh_token")
	}
	// A narrower scope may be asked for (RFC 6749 §6); a wider one is refused before the
	// token is spent, so that the mistake does not cost the client its token. The status is
	// RFC 6749 §5.2's 400, which Auth0 also uses for invalid_scope (github.com/auth0/docs,
	// articles/api/authentication/errors/_errors.md).
	var narrowed []string
	if requested := uniqueFields(p["scope"]); len(requested) > 0 {
		held, err := s.store.RefreshTokenScope(ctx, token, c.ClientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, s.storeFailure(err)
		}
		if err == nil {
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
	rt, err := s.store.SpendRefreshToken(ctx, token, c.ClientID, policy, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errBadRefreshToken.because(refusal(err, refreshRefusals))
	case errors.Is(err, store.ErrReused):
		return nil, errBadRefreshToken.because(causeRefreshReused)
	case err != nil:
		return nil, s.storeFailure(err)
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
	if rt.SessionID != "" {
		switch _, err := s.store.CheckSession(ctx, rt.SessionID, now); {
		case err == nil:
			sid = rt.SessionID
		case !errors.Is(err, store.ErrNotFound):
			return nil, s.storeFailure(err)
		}
	}
	out, e := s.postLogin(login{r: r, client: c, user: u, api: api, scope: strings.Join(scope, " "),
		protocol: protocolRefresh, sessionID: sid, authTime: rt.AuthTime, body: p})
	if e != nil {
		return nil, e
	}
	// Auth0 does not document the access token's gty after a refresh; none is set.
	is := issue{
		Client: c, User: u, API: api, Scope: scope, RefreshScope: family,
		SessionID: sid, AuthTime: rt.AuthTime, WithAuthTime: rt.WithAuthTime,
		Grant: rt.Grant, NoRefresh: !policy.Rotating, FamilyExpires: rt.Expires,
	}
	s.applyActions(ctx, &is, out)
	return s.mint(ctx, is)
}
