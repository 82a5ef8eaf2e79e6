package idp

import "net/http"

// handleRevoke is POST /oauth/revoke (RFC 7009;
// https://auth0.com/docs/secure/tokens/refresh-tokens/revoke-refresh-tokens): the client revokes
// one of its refresh tokens, and with it the token's whole family and the access tokens minted
// with it.
// The answer is 200 with an empty body for any token, known or not (RFC 7009 §2.2), so that it
// tells nothing about other clients' tokens. Access tokens are not revocable, as at Auth0.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	p, e := readParams(w, r, s.maxBody)
	if e != nil {
		writeError(w, r, e)
		return
	}
	c, e := s.authenticateClient(r, p, errRevokeClientAuth)
	if e != nil {
		writeError(w, r, e)
		return
	}
	token := p["token"]
	if token == "" {
		writeError(w, r, missingParam("token"))
		return
	}
	if err := s.store.RevokeRefreshToken(r.Context(), token, c.ClientID); err != nil {
		writeError(w, r, s.storeFailure(err))
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
}
