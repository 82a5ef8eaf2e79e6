package idp

import (
	"encoding/json"
	"net/http"
)

// discoveryDocument is Auth0's OpenID Provider metadata, member for member and in Auth0's order
// (a recent tenant's document is quoted in micronaut-projects/micronaut-security,
// security-oauth2/src/test/java/io/micronaut/security/oauth2/WellKnownProxyFilterTest.java).
// It advertises what an Auth0 tenant advertises, so that clients configure themselves as they
// would against Auth0, including features the emulator does not implement (device flow, MFA,
// dynamic registration, CIBA, mTLS, global token revocation), and it leaves out web_message and
// "none" auth, which Auth0 supports but does not list. authorization_response_iss_parameter_supported
// (RFC 9207) is absent, as at Auth0, because /authorize does not send iss.
type discoveryDocument struct {
	Issuer                                string   `json:"issuer"`
	AuthorizationEndpoint                 string   `json:"authorization_endpoint"`
	TokenEndpoint                         string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint           string   `json:"device_authorization_endpoint"`
	UserinfoEndpoint                      string   `json:"userinfo_endpoint"`
	MFAChallengeEndpoint                  string   `json:"mfa_challenge_endpoint"`
	JWKSURI                               string   `json:"jwks_uri"`
	RegistrationEndpoint                  string   `json:"registration_endpoint"`
	RevocationEndpoint                    string   `json:"revocation_endpoint"`
	ScopesSupported                       []string `json:"scopes_supported"`
	ResponseTypesSupported                []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported         []string `json:"code_challenge_methods_supported"`
	ResponseModesSupported                []string `json:"response_modes_supported"`
	SubjectTypesSupported                 []string `json:"subject_types_supported"`
	TokenEndpointAuthMethodsSupported     []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs          []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ClaimsSupported                       []string `json:"claims_supported"`
	RequestURIParameterSupported          bool     `json:"request_uri_parameter_supported"`
	RequestParameterSupported             bool     `json:"request_parameter_supported"`
	IDTokenSigningAlgs                    []string `json:"id_token_signing_alg_values_supported"`
	TLSClientCertificateBoundAccessTokens bool     `json:"tls_client_certificate_bound_access_tokens"`
	RequestObjectSigningAlgs              []string `json:"request_object_signing_alg_values_supported"`
	BackchannelLogoutSupported            bool     `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported     bool     `json:"backchannel_logout_session_supported"`
	// EndSessionEndpoint is listed only when the tenant's RP-Initiated Logout End Session
	// Endpoint Discovery is on
	// (https://auth0.com/docs/authenticate/login/logout/log-users-out-of-auth0).
	EndSessionEndpoint                      string   `json:"end_session_endpoint,omitempty"`
	BackchannelAuthenticationEndpoint       string   `json:"backchannel_authentication_endpoint"`
	BackchannelTokenDeliveryModesSupported  []string `json:"backchannel_token_delivery_modes_supported"`
	GlobalTokenRevocationEndpoint           string   `json:"global_token_revocation_endpoint"`
	GlobalTokenRevocationEndpointAuthMethod []string `json:"global_token_revocation_endpoint_auth_methods_supported"`
}

// discovery builds the metadata document once; every request gets the same bytes.
func (s *Server) discovery() []byte {
	doc := discoveryDocument{
		Issuer:                      s.issuer,
		AuthorizationEndpoint:       s.endpoint("authorize"),
		TokenEndpoint:               s.endpoint("oauth/token"),
		DeviceAuthorizationEndpoint: s.endpoint("oauth/device/code"),
		UserinfoEndpoint:            s.endpoint("userinfo"),
		MFAChallengeEndpoint:        s.endpoint("mfa/challenge"),
		JWKSURI:                     s.endpoint(".well-known/jwks.json"),
		RegistrationEndpoint:        s.endpoint("oidc/register"),
		RevocationEndpoint:          s.endpoint("oauth/revoke"),
		ScopesSupported: []string{"openid", "profile", "offline_access", "name", "given_name",
			"family_name", "nickname", "email", "email_verified", "picture", "created_at",
			"identities", "phone", "address"},
		ResponseTypesSupported: []string{"code", "token", "id_token", "code token", "code id_token",
			"token id_token", "code token id_token"},
		CodeChallengeMethodsSupported: []string{"S256", "plain"},
		ResponseModesSupported:        []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:         []string{"public"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post",
			"private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"},
		TokenEndpointAuthSigningAlgs: []string{"RS256", "RS384", "PS256"},
		ClaimsSupported: []string{"aud", "auth_time", "created_at", "email", "email_verified", "exp",
			"family_name", "given_name", "iat", "identities", "iss", "name", "nickname",
			"phone_number", "picture", "sub"},
		RequestURIParameterSupported:            false,
		RequestParameterSupported:               true,
		IDTokenSigningAlgs:                      []string{"HS256", "RS256", "PS256"},
		TLSClientCertificateBoundAccessTokens:   true,
		RequestObjectSigningAlgs:                []string{"RS256", "RS384", "PS256"},
		BackchannelLogoutSupported:              true,
		BackchannelLogoutSessionSupported:       true,
		BackchannelAuthenticationEndpoint:       s.endpoint("bc-authorize"),
		BackchannelTokenDeliveryModesSupported:  []string{"poll"},
		GlobalTokenRevocationEndpoint:           s.endpoint("oauth/global-token-revocation/connection/{connectionName}"),
		GlobalTokenRevocationEndpointAuthMethod: []string{"global-token-revocation+jwt"},
	}
	if s.tenant.Settings.EndSessionDiscovery {
		doc.EndSessionEndpoint = s.endpoint("oidc/logout")
	}
	// A struct of strings, string slices and booleans always marshals.
	b, _ := json.Marshal(doc)
	return b
}

// serveDocument answers GET with a document computed at start-up.
func serveDocument(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(doc)
	}
}
