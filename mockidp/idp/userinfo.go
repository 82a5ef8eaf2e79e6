package idp

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tenantless/tenantless/mockidp/store"
)

// maxAccessTokenLen bounds what /userinfo parses; the emulator's tokens are far shorter.
const maxAccessTokenLen = 8 << 10

// invalidToken is a /userinfo refusal of a token (RFC 6750 §3.1). Its challenge and body carry
// constant text only, never anything taken from the token.
func invalidToken(description string) *oauthError {
	return newError(http.StatusUnauthorized, "invalid_token", description).
		withChallenge(`Bearer error="invalid_token", error_description="` + description + `"`)
}

var (
	// errNoToken follows RFC 6750 §3.1: a request without credentials gets a bare challenge
	// (and no invalid_request, which would be a 400).
	errNoToken         = newError(http.StatusUnauthorized, "unauthorized", "No access token was found").withChallenge("Bearer")
	errTokenInvalid    = invalidToken("The access token is invalid")
	errTokenExpired    = invalidToken("The access token expired")
	errTokenAudience   = invalidToken("The access token is not valid for /userinfo")
	errTokenRevoked    = invalidToken("The access token was revoked")
	errTokenUserGone   = invalidToken("The user of the access token does not exist or is blocked")
	errTokenClientGone = invalidToken("The client of the access token does not exist")
)

// opaqueRefusals are the causes of the store's refusals of an opaque access token, all
// answered errTokenInvalid.
var opaqueRefusals = map[store.Reason]string{
	store.ReasonUnknown: "opaque access token unknown",
	store.ReasonExpired: "opaque access token expired",
	store.ReasonRevoked: "opaque access token revoked with its grant (logout, /oauth/revoke, or a reused code or refresh token)",
}

// userinfoClaimsIn are the access-token claims /userinfo reads.
type userinfoClaimsIn struct {
	jwt.Claims
	Scope    string `json:"scope"`
	AZP      string `json:"azp"`
	ClientID string `json:"client_id"` // RFC 9068 dialect
}

// handleUserinfo is GET and POST /userinfo (OIDC Core §5.3): the profile claims the access token's
// scope allows, for a token whose audience includes this endpoint (github.com/auth0/docs,
// articles/api/authentication/_userinfo.md). The token is read from the Authorization header only.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	claims, e := s.userinfo(r)
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func (s *Server) userinfo(r *http.Request) (map[string]any, *oauthError) {
	token, e := bearerToken(r)
	if e != nil {
		return nil, e
	}
	now := s.now()
	var userID, clientID, scope string
	if strings.Count(token, ".") == 2 {
		var in userinfoClaimsIn
		if err := s.keys.Verify(token, &in); err != nil {
			return nil, errTokenInvalid.because("signature or format: " + err.Error())
		}
		// go-jose skips an empty expected issuer and a missing exp, so both are checked
		// here, exactly.
		switch {
		case in.Issuer != s.issuer:
			return nil, errTokenInvalid.because("iss is not this tenant's issuer")
		case in.Subject == "":
			return nil, errTokenInvalid.because("sub missing")
		case in.Expiry == nil:
			return nil, errTokenExpired.because("exp missing")
		case !now.Before(in.Expiry.Time()):
			return nil, errTokenExpired
		}
		if !slices.Contains(in.Audience, s.endpoint("userinfo")) {
			return nil, errTokenAudience
		}
		switch revoked, err := s.store.AccessRevoked(r.Context(), signatureOf(token)); {
		case err != nil:
			return nil, s.storeFailure(err)
		case revoked:
			return nil, errTokenRevoked
		}
		userID, clientID, scope = in.Subject, in.AZP, in.Scope
		if clientID == "" {
			clientID = in.ClientID
		}
	} else {
		t, err := s.store.OpaqueToken(r.Context(), token, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, errTokenInvalid.because(refusal(err, opaqueRefusals))
		case err != nil:
			return nil, s.storeFailure(err)
		}
		userID, clientID, scope = t.UserID, t.ClientID, t.Scope
	}
	u, ok := s.tenant.User(userID)
	switch {
	case !ok:
		return nil, errTokenUserGone.because("the token's user is no longer in the tenant")
	case u.Blocked:
		return nil, errTokenUserGone.because("the token's user is blocked")
	}
	c, ok := s.tenant.Client(clientID)
	if !ok {
		return nil, errTokenClientGone
	}
	return s.userinfoClaims(u, c, strings.Fields(scope)), nil
}

// bearerToken reads "Authorization: Bearer <token>", the scheme case-insensitively (RFC 9110
// §11.1). Another scheme counts as no credentials.
func bearerToken(r *http.Request) (string, *oauthError) {
	authz := r.Header.Values("Authorization")
	switch len(authz) {
	case 0:
		return "", errNoToken.because("no Authorization header")
	case 1:
	default:
		return "", errTokenInvalid.because("Authorization header repeated")
	}
	scheme, token, _ := strings.Cut(authz[0], " ")
	switch {
	case !strings.EqualFold(scheme, "Bearer"):
		return "", errNoToken.because("Authorization scheme is not Bearer")
	case token == "":
		return "", errTokenInvalid.because("bearer token empty")
	case len(token) > maxAccessTokenLen:
		return "", errTokenInvalid.because("bearer token longer than the emulator's tokens can be")
	case strings.ContainsAny(token, " \t"):
		return "", errTokenInvalid.because("bearer token holds whitespace")
	}
	return token, nil
}
