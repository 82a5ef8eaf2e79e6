package idp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Authorization-code answers. Auth0 says "Invalid authorization code" for a code that is
// unknown, expired, spent, another client's, or redeemed with the wrong redirect_uri
// (https://community.auth0.com/t/authorisation-code-flow-error-403/73029), with its 403 for
// invalid_grant; the cause tells the log which.
var (
	errBadCode = newError(http.StatusForbidden, "invalid_grant", "Invalid authorization code")
	// errBadVerifier covers a missing, malformed (RFC 7636 §4.1: 43–128 characters of
	// [A-Za-z0-9-._~]) and wrong code_verifier alike. A missing verifier is the same failure
	// as a wrong one, so it is invalid_grant as in dex (S13, S17), not invalid_request. The
	// text is Auth0's for a failed verification; the status follows its invalid_grant.
	errBadVerifier = newError(http.StatusForbidden, "invalid_grant", "Failed to verify code verifier")
	// errUnexpectedVerifier refuses a PKCE downgrade: a verifier for a code issued without a
	// challenge (RFC 9700 §4.8, S14).
	errUnexpectedVerifier = newError(http.StatusBadRequest, "invalid_request",
		"code_verifier was sent, but the authorization request had no code_challenge")
)

// codeRefusals are the causes of the store's refusals of a code. The other reasons a code is
// refused (spent, another client's, another redirect_uri) are checked after the take.
var codeRefusals = map[store.Reason]string{
	store.ReasonUnknown: "code unknown",
	store.ReasonExpired: "code expired",
}

// authorizationCodeGrant redeems a code from /authorize (RFC 6749 §4.1.3, RFC 7636 §4.6). The
// code is consumed first, atomically in the store, so that of concurrent redemptions exactly one
// gets past this point (S19) and a failed redemption cannot be retried; a second redemption
// revokes what the first one minted (RFC 6749 §4.1.2, S18).
//
// The tokens carry what the login's post-login Actions asked for: they ran at the login.
func (s *Server) authorizationCodeGrant(r *http.Request, c *tenant.Client, p params) (*TokenResponse, error) {
	ctx := r.Context()
	code := p["code"]
	if code == "" {
		return nil, missingParam("code")
	}
	ac, err := s.store.TakeCode(ctx, code, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errBadCode.because(refusal(err, codeRefusals))
	case errors.Is(err, store.ErrReused):
		return nil, errBadCode.because("code already redeemed; the tokens it issued are revoked")
	case err != nil:
		return nil, s.storeFailure(err)
	}
	if ac.ClientID != c.ClientID {
		return nil, errBadCode.because("code issued to client " + ac.ClientID)
	}
	// redirect_uri must repeat, byte for byte, the one sent to /authorize; when none was
	// sent there, none is needed here (RFC 6749 §4.1.3).
	if ac.RedirectURI != "" && p["redirect_uri"] != ac.RedirectURI {
		return nil, errBadCode.because("redirect_uri differs from the one sent to /authorize")
	}
	if e := checkPKCE(ac.Challenge, p["code_verifier"], c.Public()); e != nil {
		return nil, e
	}
	u, e := s.grantUser(ac.UserID, errBadCode)
	if e != nil {
		return nil, e
	}
	api, e := s.apiFor(ac.Audience)
	if e != nil {
		return nil, e
	}
	is := issue{
		Client: c, User: u, API: api, Scope: s.grantedScope(ac.Scope, c, u, api),
		Nonce: ac.Nonce, SessionID: ac.SessionID, AuthTime: ac.AuthTime, WithAuthTime: ac.MaxAge,
		Grant: ac.Grant,
	}
	s.applyActions(ctx, &is, ac.Actions)
	return s.mint(ctx, is)
}

// checkPKCE verifies code_verifier against the code's S256 challenge (RFC 7636 §4.6), in
// constant time.
func checkPKCE(challenge, verifier string, public bool) *oauthError {
	if challenge == "" {
		if verifier != "" {
			return errUnexpectedVerifier
		}
		if public {
			// /authorize refuses a public client without PKCE (RFC 9700 §2.1.1), so such a
			// code is not the emulator's to honour.
			return errBadCode.because("a public client's code without a code_challenge")
		}
		return nil
	}
	switch {
	case verifier == "":
		return errBadVerifier.because("code_verifier missing")
	case !validVerifier(verifier):
		return errBadVerifier.because("code_verifier is not 43 to 128 characters of [A-Za-z0-9-._~]")
	}
	sum := sha256.Sum256([]byte(verifier))
	computed := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(computed), []byte(challenge)) != 1 {
		return errBadVerifier.because("code_verifier does not match the code_challenge")
	}
	return nil
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch ch := v[i]; {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~':
		default:
			return false
		}
	}
	return true
}
