package idp

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4/jwt"
)

// maxAccessTokenLen bounds what /userinfo parses; the emulator's tokens are far shorter.
const maxAccessTokenLen = 8 << 10

// userinfoFailure is a /userinfo refusal: its challenge and body carry constant text only,
// never anything taken from the token (A32).
type userinfoFailure struct {
	challenge string
	body      *oauthError
}

func invalidToken(description string) *userinfoFailure {
	return &userinfoFailure{
		challenge: `Bearer error="invalid_token", error_description="` + description + `"`,
		body:      newError(http.StatusUnauthorized, "invalid_token", description),
	}
}

var (
	// errNoToken follows RFC 6750 §3.1: a request without credentials gets a bare challenge
	// (and no invalid_request, which would be a 400).
	errNoToken         = &userinfoFailure{challenge: "Bearer", body: newError(http.StatusUnauthorized, "unauthorized", "No access token was found")}
	errTokenInvalid    = invalidToken("The access token is invalid")
	errTokenExpired    = invalidToken("The access token expired")
	errTokenAudience   = invalidToken("The access token is not valid for /userinfo")
	errTokenRevoked    = invalidToken("The access token was revoked")
	errTokenUserGone   = invalidToken("The user of the access token does not exist or is blocked")
	errTokenClientGone = invalidToken("The client of the access token does not exist")
)

// userinfoClaimsIn are the access-token claims /userinfo reads.
type userinfoClaimsIn struct {
	jwt.Claims
	Scope    string `json:"scope"`
	AZP      string `json:"azp"`
	ClientID string `json:"client_id"` // RFC 9068 dialect
}

// handleUserinfo is GET and POST /userinfo (OIDC Core §5.3): the profile claims the access
// token's scope allows, for a token whose audience includes this endpoint (wire spec §5). The
// token is read from the Authorization header only.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	claims, fail := s.userinfo(r)
	if fail != nil {
		w.Header().Set("WWW-Authenticate", fail.challenge)
		writeError(w, fail.body)
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func (s *Server) userinfo(r *http.Request) (map[string]any, *userinfoFailure) {
	token, fail := bearerToken(r)
	if fail != nil {
		return nil, fail
	}
	now := s.now()
	var userID, clientID, scope string
	if strings.Count(token, ".") == 2 {
		var in userinfoClaimsIn
		if err := s.keys.Verify(token, &in); err != nil {
			return nil, errTokenInvalid
		}
		// go-jose skips an empty expected issuer and a missing exp, so both are checked
		// here, exactly (STYLE: "treat absent as valid").
		if in.Issuer != s.issuer || in.Subject == "" {
			return nil, errTokenInvalid
		}
		if in.Expiry == nil || !now.Before(in.Expiry.Time()) {
			return nil, errTokenExpired
		}
		if !slices.Contains(in.Audience, s.endpoint("userinfo")) {
			return nil, errTokenAudience
		}
		if s.store.accessRevoked(signatureOf(token)) {
			return nil, errTokenRevoked
		}
		userID, clientID, scope = in.Subject, in.AZP, in.Scope
		if clientID == "" {
			clientID = in.ClientID
		}
	} else {
		t, ok := s.store.opaqueToken(token, now)
		if !ok {
			return nil, errTokenInvalid
		}
		userID, clientID, scope = t.UserID, t.ClientID, t.Scope
	}
	u, ok := s.tenant.User(userID)
	if !ok || u.Blocked {
		return nil, errTokenUserGone
	}
	c, ok := s.tenant.Client(clientID)
	if !ok {
		return nil, errTokenClientGone
	}
	return s.userinfoClaims(u, c, strings.Fields(scope)), nil
}

// bearerToken reads "Authorization: Bearer <token>", the scheme case-insensitively (RFC 9110
// §11.1). Another scheme counts as no credentials.
func bearerToken(r *http.Request) (string, *userinfoFailure) {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 {
		return "", errNoToken
	}
	if len(authz) > 1 {
		return "", errTokenInvalid
	}
	scheme, token, _ := strings.Cut(authz[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errNoToken
	}
	if token == "" || len(token) > maxAccessTokenLen || strings.ContainsAny(token, " \t") {
		return "", errTokenInvalid
	}
	return token, nil
}
