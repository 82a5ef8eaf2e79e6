package idp

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Client authentication failures. The token endpoint answers as Auth0 does, 401 access_denied
// "Unauthorized" for a wrong or missing secret and for an unknown client alike
// (https://github.com/auth0/node-auth0/issues/582), where RFC 6749 §5.2 says invalid_client.
// The revocation endpoint keeps invalid_client, as Auth0 documents for it
// (github.com/auth0/docs, articles/api/authentication/errors/_oauth-revoke.md).
var (
	errTokenClientAuth  = newError(http.StatusUnauthorized, "access_denied", "Unauthorized")
	errRevokeClientAuth = newError(http.StatusUnauthorized, "invalid_client", "Unauthorized")
)

// unknownClientSecret is compared against when the client does not exist, so that an unknown
// client_id costs the same as a wrong secret.
var unknownClientSecret = []byte("no such client, but the comparison still runs")

// authenticateClient identifies and authenticates the client of a token or revocation request
// (RFC 6749 §2.3): client_secret_basic, client_secret_post, or none for public clients.
//
// A confidential client may use either secret method whatever its token_endpoint_auth_method
// says, as Auth0 accepts both (and clients such as golang.org/x/oauth2 probe one, then the
// other). A public client (method none) is identified by client_id alone; a secret it sends is
// ignored, since it has none to prove (Auth0's SDKs never send one).
//
// failure is the error for bad credentials, which differs by endpoint. When the credentials
// came in an Authorization: Basic header, the failure carries a Basic challenge (RFC 7617).
func (s *Server) authenticateClient(r *http.Request, p params, failure *oauthError) (*tenant.Client, *oauthError) {
	authz := r.Header.Values("Authorization")
	if len(authz) > 1 {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Authorization header is repeated")
	}
	var id, secret string
	basic := len(authz) == 1 && len(authz[0]) > 6 && strings.EqualFold(authz[0][:6], "basic ")
	if basic {
		failure = failure.withChallenge(`Basic realm="` + s.issuerURL.Host + `"`)
		var ok bool
		if id, secret, ok = parseBasic(authz[0][6:]); !ok {
			return nil, failure.because("Authorization: Basic credentials malformed")
		}
		if p["client_secret"] != "" {
			// RFC 6749 §2.3: one authentication method per request.
			return nil, newError(http.StatusBadRequest, "invalid_request",
				"Client credentials were sent both in the Authorization header and in the body")
		}
		if bodyID := p["client_id"]; bodyID != "" && bodyID != id {
			return nil, newError(http.StatusBadRequest, "invalid_request",
				"client_id in the body differs from the Authorization header's")
		}
	} else {
		id, secret = p["client_id"], p["client_secret"]
	}
	if id == "" {
		return nil, missingParam("client_id")
	}
	if p["client_assertion"] != "" {
		return nil, newError(http.StatusBadRequest, "invalid_request",
			"client_assertion (private_key_jwt) is not supported by the emulator; use a client secret")
	}
	c, ok := s.tenant.Client(id)
	if !ok {
		subtle.ConstantTimeCompare([]byte(secret), unknownClientSecret)
		return nil, failure.because("no client " + id + " in the tenant")
	}
	switch {
	case c.Public():
		return c, nil
	case secret == "":
		return nil, failure.because("client secret missing")
	case subtle.ConstantTimeCompare([]byte(secret), []byte(c.ClientSecret)) != 1:
		return nil, failure.because("client secret does not match")
	}
	return c, nil
}

// parseBasic decodes client_secret_basic credentials. RFC 6749 §2.3.1 form-encodes the id and
// the secret before they are joined with ":", so each is decoded after the split (S25).
func parseBasic(encoded string) (id, secret string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", false
	}
	return id, secret, id != ""
}
