package idp

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Access-token `gty` values, as Auth0 sets them. Authorization-code tokens have none, as in the
// samples of https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles.
const (
	gtyClientCredentials = "client-credentials"
	gtyPassword          = "password"
)

// opaqueLifetime is the life of an access token minted without an API (usable at /userinfo
// only); Auth0 gives it the default API lifetime.
const opaqueLifetime = 86400 * time.Second

// oidcScopes are the scopes Auth0 grants to users without an API's say.
var oidcScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access"}

// TokenResponse is the body of a successful /oauth/token answer, members in Auth0's order;
// MintToken returns one too.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
}

// issue is one token response to mint. Scope is what was granted, already filtered by
// grantedScope or the client grant.
type issue struct {
	Client *tenant.Client
	User   *tenant.User // nil for client credentials
	// API is the audience; nil mints an opaque access token usable only at /userinfo.
	API       *tenant.API
	Scope     []string
	GTY       string
	Nonce     string
	SessionID string
	// AuthTime goes into the ID token when WithAuthTime (max_age was sent), and into the
	// refresh token, whose ID tokens carry it too.
	AuthTime     time.Time
	WithAuthTime bool
	// Grant groups the tokens so they can be revoked together; a refresh keeps its family's.
	Grant string
	// NoRefresh suppresses the refresh token even with offline_access (the refresh grant of
	// a non-rotating client keeps the token it was given).
	NoRefresh bool
	// RefreshScope, when set, is the scope a new refresh token carries and decides whether one
	// is issued: a down-scoped refresh keeps its family's scope (RFC 6749 §6).
	RefreshScope []string
	// FamilyExpires, when set, is the absolute deadline a new refresh token inherits from the
	// one it rotates; otherwise the client's token_lifetime starts now.
	FamilyExpires time.Time
	// Lifetime, when set, replaces the API's access-token lifetime (MintToken's ExpiresIn).
	Lifetime time.Duration
	// Claims are extra access-token claims (MintToken's, the Actions'), set after the user's
	// custom claims; IDClaims are the post-login Actions' ID-token claims.
	Claims   map[string]any
	IDClaims map[string]any
	// AccessScope, when set, is the access token's scope in place of Scope: Scope as the
	// post-login Actions changed it with addScope and removeScope.
	AccessScope []string
}

// apiFor resolves the audience of a request: the named API, else the tenant's default audience.
// An unknown audience is an error; none at all gives a nil API (opaque access token).
func (s *Server) apiFor(audience string) (*tenant.API, *oauthError) {
	if audience == "" {
		audience = s.tenant.Settings.DefaultAudience
	}
	if audience == "" {
		return nil, nil
	}
	api, ok := s.tenant.API(audience)
	if !ok {
		return nil, newError(403, "access_denied", fmt.Sprintf("Service not found: %s", audience))
	}
	return api, nil
}

// grantedScope is what a user gets of the requested scope: the OIDC scopes asked for, and of
// the API's scopes those the user holds (RBAC on) or those the API defines (RBAC off), as
// Auth0 does. offline_access needs an API that allows it and a client with the refresh grant.
func (s *Server) grantedScope(requested string, c *tenant.Client, u *tenant.User, api *tenant.API) []string {
	var held []string
	if api != nil && api.EnforcePolicies {
		held = s.tenant.PermissionsFor(u, api.Identifier)
	}
	var out []string
	for _, sc := range strings.Fields(requested) {
		if slices.Contains(out, sc) {
			continue
		}
		switch {
		case sc == "offline_access":
			if c.AllowsGrant(tenant.GrantRefreshToken) && (api == nil || api.AllowOfflineAccess) {
				out = append(out, sc)
			}
		case slices.Contains(oidcScopes, sc):
			out = append(out, sc)
		case api == nil:
		case api.EnforcePolicies:
			if slices.Contains(held, sc) {
				out = append(out, sc)
			}
		case api.HasScope(sc):
			out = append(out, sc)
		}
	}
	return out
}

// mint signs the tokens of one response and records what later requests must find (refresh
// tokens, opaque tokens, the grant of each access token). Every record is written before the
// response is returned, so a store that refuses one refuses the response: no token goes out
// that revocation could not reach.
func (s *Server) mint(ctx context.Context, is issue) (*TokenResponse, error) {
	now := s.now()
	if is.AccessScope == nil {
		is.AccessScope = is.Scope
	}
	resp := &TokenResponse{TokenType: "Bearer", Scope: strings.Join(is.AccessScope, " ")}
	hasScope := func(sc string) bool { return slices.Contains(is.Scope, sc) }

	if is.API == nil {
		lifetime := cmp.Or(is.Lifetime, opaqueLifetime)
		tok := randomString(24)
		err := s.store.PutOpaqueToken(ctx, store.OpaqueToken{
			Token: tok, ClientID: is.Client.ClientID, UserID: is.User.UserID, Scope: resp.Scope,
			Grant: is.Grant, Expires: now.Add(lifetime),
		}, now)
		if err != nil {
			return nil, s.storeFailure(err)
		}
		resp.AccessToken, resp.ExpiresIn = tok, int64(lifetime/time.Second)
	} else {
		lifetime := cmp.Or(is.Lifetime, is.API.TokenLifetime)
		at, err := s.signAccessToken(ctx, is, now, lifetime)
		if err != nil {
			return nil, err
		}
		resp.AccessToken, resp.ExpiresIn = at, int64(lifetime/time.Second)
	}

	if is.User != nil && hasScope("openid") {
		idt, err := s.keys.Sign(s.idTokenClaims(is, now))
		if err != nil {
			return nil, err
		}
		resp.IDToken = idt
	}

	refreshScope := is.Scope
	if is.RefreshScope != nil {
		refreshScope = is.RefreshScope
	}
	if is.User != nil && slices.Contains(refreshScope, "offline_access") && !is.NoRefresh {
		rt := randomString(32)
		policy := is.Client.RefreshToken
		audience := ""
		if is.API != nil {
			audience = is.API.Identifier
		}
		expires := is.FamilyExpires
		if expires.IsZero() {
			expires = now.Add(policy.Lifetime)
		}
		err := s.store.PutRefreshToken(ctx, store.RefreshToken{
			Token: rt, ClientID: is.Client.ClientID, UserID: is.User.UserID, Audience: audience,
			Scope: strings.Join(refreshScope, " "), SessionID: is.SessionID, Grant: is.Grant,
			AuthTime: is.AuthTime, WithAuthTime: is.WithAuthTime,
			Expires: expires, IdleExpires: now.Add(policy.IdleLifetime),
		}, now)
		if err != nil {
			return nil, s.storeFailure(err)
		}
		resp.RefreshToken = rt
	}
	return resp, nil
}

func (s *Server) signAccessToken(ctx context.Context, is issue, now time.Time, lifetime time.Duration) (string, error) {
	api := is.API
	claims := map[string]any{
		"iss": s.issuer,
		"iat": now.Unix(),
		"exp": now.Add(lifetime).Unix(),
	}
	if is.User != nil {
		addCustomClaims(claims, is.User.Claims)
		claims["sub"] = is.User.UserID
	} else {
		claims["sub"] = is.Client.ClientID + "@clients"
	}
	addCustomClaims(claims, is.Claims)
	// With openid the token also opens /userinfo, and Auth0 makes aud an array
	// (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles).
	if slices.Contains(is.Scope, "openid") {
		claims["aud"] = []string{api.Identifier, s.endpoint("userinfo")}
	} else {
		claims["aud"] = api.Identifier
	}
	if len(is.AccessScope) > 0 {
		claims["scope"] = strings.Join(is.AccessScope, " ")
	}
	if is.GTY != "" {
		claims["gty"] = is.GTY
	}
	if api.PermissionsInToken() {
		// Auth0 does not document this for machine-to-machine tokens: the emulator gives a client
		// its granted scopes as permissions, so an API guarding on `permissions` treats both kinds
		// alike.
		perms := is.Scope
		if is.User != nil {
			perms = s.tenant.PermissionsFor(is.User, api.Identifier)
		}
		claims["permissions"] = nonNil(perms)
	}
	rfc9068 := api.TokenDialect == tenant.DialectRFC9068 || api.TokenDialect == tenant.DialectRFC9068Authz
	if rfc9068 {
		claims["client_id"], claims["jti"] = is.Client.ClientID, randomString(16)
	} else {
		claims["azp"] = is.Client.ClientID
	}
	var tok string
	var err error
	if rfc9068 {
		tok, err = s.keys.SignAccessToken(claims)
	} else {
		tok, err = s.keys.Sign(claims)
	}
	if err != nil {
		return "", err
	}
	if is.Grant != "" {
		if err := s.store.PutAccessGrant(ctx, signatureOf(tok), is.Grant, now.Add(lifetime), now); err != nil {
			return "", s.storeFailure(err)
		}
	}
	return tok, nil
}

func (s *Server) idTokenClaims(is issue, now time.Time) map[string]any {
	u := is.User
	claims := map[string]any{}
	addCustomClaims(claims, u.Claims)
	addCustomClaims(claims, is.IDClaims)
	if slices.Contains(is.Scope, "profile") {
		putNonEmpty(claims, "name", u.Name)
		putNonEmpty(claims, "given_name", u.GivenName)
		putNonEmpty(claims, "family_name", u.FamilyName)
		putNonEmpty(claims, "nickname", u.Nickname)
		putNonEmpty(claims, "picture", u.Picture)
		putNonEmpty(claims, "locale", u.Locale)
		claims["updated_at"] = u.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if slices.Contains(is.Scope, "email") && u.Email != "" {
		claims["email"] = u.Email
		claims["email_verified"] = u.EmailVerified
	}
	if slices.Contains(is.Scope, "phone") && u.PhoneNumber != "" {
		claims["phone_number"] = u.PhoneNumber
		claims["phone_number_verified"] = u.PhoneVerified
	}
	claims["iss"] = s.issuer
	claims["sub"] = u.UserID
	claims["aud"] = is.Client.ClientID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(is.Client.IDTokenLifetime).Unix()
	if is.SessionID != "" {
		claims["sid"] = is.SessionID
	}
	if is.Nonce != "" {
		claims["nonce"] = is.Nonce
	}
	if is.WithAuthTime {
		claims["auth_time"] = is.AuthTime.Unix()
	}
	return claims
}

// userinfoClaims is what /userinfo answers for a user and granted scope: the ID token's profile
// claims without the token-only ones.
func (s *Server) userinfoClaims(u *tenant.User, c *tenant.Client, scope []string) map[string]any {
	claims := s.idTokenClaims(issue{Client: c, User: u, Scope: scope}, s.now())
	for _, k := range []string{"iss", "aud", "iat", "exp"} {
		delete(claims, k)
	}
	return claims
}

// addCustomClaims copies custom claims but those tenant.CheckClaim refuses, which Auth0 leaves out
// of tokens. The tenant file, the token subcommand and MintToken refuse them with a message; this
// keeps a User built in Go from forging a protocol claim.
func addCustomClaims(dst, custom map[string]any) {
	for k, v := range custom {
		if tenant.CheckClaim(k) == nil {
			dst[k] = v
		}
	}
}

func putNonEmpty(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// signatureOf returns a compact JWS's signature segment, which identifies the token.
func signatureOf(token string) string {
	return token[strings.LastIndexByte(token, '.')+1:]
}
