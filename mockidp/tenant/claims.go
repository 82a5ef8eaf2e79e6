package tenant

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The names custom claims may not take, from Auth0's "Create Custom Claims"
// (https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims). Auth0 leaves such
// a claim out of the token without a word; the emulator refuses it wherever one is given, so a
// custom claim that is accepted is one that is minted.
var (
	// restrictedClaims are the claims that page lists as subject to Auth0's restrictions:
	// protocol claims, and names Auth0 uses itself.
	restrictedClaims = []string{
		"acr", "act", "active", "amr", "at_hash", "ath", "attest", "aud", "auth_time", "authorization_details", "azp",
		"c_hash", "client_id", "cnf", "cty", "dest", "entitlements", "events", "exp", "groups", "gty", "htm", "htu",
		"iat", "internalService", "iss", "jcard", "jku", "jti", "jwe", "jwk", "kid", "may_act", "mky", "nbf", "nonce",
		"object_id", "org_id", "org_name", "orig", "origid", "permissions", "roles", "rph", "s_hash", "scope", "sid",
		"sip_callid", "sip_cseq_num", "sip_date", "sip_from_tag", "sip_via_branch", "sub", "sub_jwk", "toe", "txn",
		"typ", "uuid", "vot", "vtm", "x5t#S256",
	}
	// standardClaims are the OpenID Connect standard claims, which custom claims may not
	// customise or modify. Each maps to the user field the emulator takes it from, or to ""
	// where a user has no such field.
	standardClaims = map[string]string{
		"address": "", "birthdate": "", "email": "email", "email_verified": "email_verified",
		"family_name": "family_name", "gender": "", "given_name": "given_name", "locale": "locale",
		"middle_name": "", "name": "name", "nickname": "nickname", "phone_number": "phone_number",
		"phone_number_verified": "phone_verified", "picture": "picture", "preferred_username": "",
		"profile": "", "updated_at": "updated_at", "website": "", "zoneinfo": "",
	}
	// reservedNamespaces are Auth0's own domains, which a namespaced claim may not use.
	reservedNamespaces = []string{"auth0.com", "webtask.io", "webtask.run"}
)

// CheckClaim says why name cannot be a custom claim, or returns nil when it can. The tenant file,
// the token subcommand and MintToken all refuse with its message.
func CheckClaim(name string) error {
	var msg string
	field, standard := standardClaims[name]
	switch {
	case name == "":
		msg = "claim names must not be empty"
	case slices.Contains(restrictedClaims, name):
		msg = fmt.Sprintf("%q is set by the emulator or reserved by Auth0; use a namespaced name like https://example.com/%s", name, name)
	case standard && field != "":
		msg = fmt.Sprintf("%q comes from the user's own fields; set the user's %s instead, or use a namespaced name like https://example.com/%s", name, field, name)
	case standard:
		msg = fmt.Sprintf("%q is an OpenID Connect standard claim, which custom claims may not set; use a namespaced name like https://example.com/%s", name, name)
	case strings.HasPrefix(name, "urn:auth0") || slices.ContainsFunc(reservedNamespaces, func(ns string) bool { return strings.Contains(name, ns) }):
		msg = fmt.Sprintf("%q uses a namespace Auth0 reserves; use your own domain, like https://example.com/team", name)
	default:
		return nil
	}
	return errors.New(msg)
}
