package idp

import (
	"net/http"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Features an Auth0 tenant has and the emulator does not: the device flow, MFA, passwordless,
// token exchange, CIBA, passkeys, dynamic registration and global token revocation. Discovery
// still advertises their endpoints, because Auth0's document is the contract clients configure
// themselves from (see discoveryDocument); a request for one gets a JSON error that says what is
// missing, so that nobody reads it as a mistake in the request or gets a fake token.
const (
	featureDeviceFlow   = "the device authorization flow"
	featureMFA          = "multi-factor authentication"
	featureCIBA         = "client-initiated backchannel authentication (CIBA)"
	featureExchange     = "token exchange"
	featurePasswordless = "passwordless login"
	featurePasskeys     = "passkeys"
)

// notEmulatedGrants are the grant types of those features (the ones a tenant file may list in
// grant_types). The token endpoint answers them as Auth0 answers an unknown grant type.
var notEmulatedGrants = map[string]string{
	tenant.GrantDeviceCode:             featureDeviceFlow,
	tenant.GrantTokenExchange:          featureExchange,
	tenant.GrantFederatedTokenExchange: featureExchange,
	tenant.GrantMFAOTP:                 featureMFA,
	tenant.GrantMFAOOB:                 featureMFA,
	tenant.GrantMFARecoveryCode:        featureMFA,
	tenant.GrantPasswordlessOTP:        featurePasswordless,
	tenant.GrantCIBA:                   featureCIBA,
	tenant.GrantWebAuthn:               featurePasskeys,
}

// unsupportedGrant is the answer for a grant type the token endpoint does not serve: Auth0's
// text, and for one of Auth0's own the feature the emulator lacks.
func unsupportedGrant(grantType string) *oauthError {
	description := "Unsupported grant type: " + grantType
	if feature, ok := notEmulatedGrants[grantType]; ok {
		description += ". The emulator does not support " + feature + "."
	}
	return newError(http.StatusBadRequest, "unsupported_grant_type", description)
}

// notEmulatedEndpoint is an advertised endpoint the emulator does not serve. It answers 501 Not
// Implemented, the status for a server lacking a function, with the error code of the
// endpoint's own protocol that comes closest to "not supported here" (the device and CIBA
// endpoints start grants, the MFA API has its own code, registration and global revocation have
// none, so invalid_request).
type notEmulatedEndpoint struct {
	path, code, feature string
}

var notEmulatedEndpoints = []notEmulatedEndpoint{
	{"/oauth/device/code", "unsupported_grant_type", featureDeviceFlow},
	{"/mfa/challenge", "unsupported_challenge_type", featureMFA},
	{"/oidc/register", "invalid_request", "dynamic client registration"},
	{"/bc-authorize", "unsupported_grant_type", featureCIBA},
	{"/oauth/global-token-revocation/connection/{connectionName}", "invalid_request", "global token revocation"},
}

func (e notEmulatedEndpoint) handler() http.HandlerFunc {
	refusal := newError(http.StatusNotImplemented, e.code, "The emulator does not support "+e.feature+".")
	return func(w http.ResponseWriter, r *http.Request) { writeError(w, r, refusal) }
}
