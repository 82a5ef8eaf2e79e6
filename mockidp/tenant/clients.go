package tenant

import (
	"slices"
	"strings"
	"time"
)

// Auth0's defaults for a client's lifetimes.
const (
	defaultIDTokenLifetime     = 36000 * time.Second
	defaultRefreshLifetime     = 2592000 * time.Second // 30 days
	defaultRefreshIdleLifetime = 1296000 * time.Second // 15 days
)

// Bounds Auth0's Management API puts on a client's lifetimes, in seconds.
const (
	maxIDTokenLifetime = 2592000   // jwt_configuration.lifetime_in_seconds: 30 days
	maxRefreshLifetime = 157788000 // refresh_token.token_lifetime: 5 years
)

var (
	appTypes    = []string{string(AppSPA), string(AppNative), string(AppRegularWeb), string(AppNonInteractive)}
	authMethods = []string{string(AuthNone), string(AuthPost), string(AuthBasic)}
	// grantTypes are the grant types Auth0 accepts in a client's grant_types, in the order
	// messages list them.
	grantTypes = []string{
		GrantAuthorizationCode, GrantImplicit, GrantRefreshToken, GrantClientCredentials, GrantPassword, GrantPasswordRealm,
		GrantMFAOOB, GrantMFAOTP, GrantMFARecoveryCode, GrantPasswordlessOTP, GrantDeviceCode, GrantTokenExchange,
		GrantCIBA, GrantWebAuthn, GrantFederatedTokenExchange,
	}
	clientSchema = newSchema("client",
		[]string{"name", "client_id", "client_secret", "app_type", "token_endpoint_auth_method", "grant_types",
			"callbacks", "allowed_logout_urls", "web_origins", "allowed_origins", "jwt_configuration", "refresh_token",
			"description", "logo_uri", "is_first_party", "oidc_conformant", "cross_origin_auth", "sso",
			"custom_login_page_on"},
		map[string]string{
			"name":      "the application's name, unique in the tenant (client grants may refer to it)",
			"client_id": "a fixed id for the application, like demo-spa (the emulator cannot make one up: apps are configured with it)",
			"app_type":  "one of " + strings.Join(appTypes, ", "),
		},
		"client_aliases", "allowed_clients", "oidc_logout", "oidc_backchannel_logout", "signing_keys", "encryption_key",
		"sso_disabled", "cross_origin_loc", "cross_origin_authentication", "custom_login_page",
		"custom_login_page_preview", "form_template", "addons", "client_metadata", "mobile", "initiate_login_uri",
		"native_social_login", "organization_usage", "organization_require_behavior", "organization_discovery_methods",
		"client_authentication_methods", "require_pushed_authorization_requests", "require_proof_of_possession",
		"signed_request_object", "compliance_level", "default_organization", "is_token_endpoint_ip_header_trusted",
		"callback_url_template", "tenant", "global", "owners", "token_quota", "session_transfer", "par_request_expiry",
		"token_exchange", "resource_server_identifier", "skip_non_verifiable_callback_uri_confirmation_prompt",
		"express_configuration", "async_approval_notification_channels")
	jwtSchema = newSchema("jwt_configuration", []string{"lifetime_in_seconds", "alg"}, nil,
		"secret_encoded", "scopes")
	refreshSchema = newSchema("refresh_token",
		[]string{"rotation_type", "expiration_type", "token_lifetime", "idle_token_lifetime", "leeway",
			"infinite_token_lifetime", "infinite_idle_token_lifetime"},
		nil, "policies")
)

// client decodes one `clients:` item.
func (l *loader) client(f field) {
	c := &Client{
		IDTokenLifetime: defaultIDTokenLifetime,
		RefreshToken: RefreshTokenPolicy{
			Rotating:     true,
			Lifetime:     defaultRefreshLifetime,
			IdleLifetime: defaultRefreshIdleLifetime,
		},
	}
	var method, grants, callbacks, logoutURLs, webOrigins, allowedOrigins field
	l.fields(f, clientSchema, func(g field) {
		switch g.key {
		case "name":
			if l.name(g, &c.Name) && l.unique("client name", c.Name, g) {
				l.clientsByName[c.Name] = c
			}
		case "client_id":
			if l.name(g, &c.ClientID) && l.unique("client_id", c.ClientID, g) {
				l.t.clientsByID[c.ClientID] = c
			}
		case "client_secret":
			l.str(g, &c.ClientSecret)
		case "app_type":
			l.enum(g, appTypes, (*string)(&c.AppType))
		case "token_endpoint_auth_method":
			method = g
			l.enum(g, authMethods, (*string)(&c.TokenEndpointAuthMethod))
		case "grant_types":
			grants = g
		case "callbacks":
			callbacks = g
		case "allowed_logout_urls":
			logoutURLs = g
		case "web_origins":
			webOrigins = g
		case "allowed_origins":
			allowedOrigins = g
		case "jwt_configuration":
			l.jwtConfiguration(g, c)
		case "refresh_token":
			l.refreshToken(g, &c.RefreshToken)
		case "description", "logo_uri":
			var s string
			l.str(g, &s)
		case "is_first_party", "oidc_conformant", "cross_origin_auth", "sso", "custom_login_page_on":
			var b bool
			l.boolean(g, &b)
		}
	})
	public := c.AppType == AppSPA || c.AppType == AppNative
	if method.absent() && c.AppType != "" {
		c.TokenEndpointAuthMethod = AuthPost
		if public {
			c.TokenEndpointAuthMethod = AuthNone
		}
	}
	if list, ok := l.stringList(grants, "grant types"); ok {
		c.GrantTypes = []string{}
		for _, g := range list {
			if !slices.Contains(grantTypes, g.value) {
				l.errorf(g.node, g.path, "unknown grant type %q; allowed: %s", g.value, strings.Join(grantTypes, ", "))
				continue
			}
			c.GrantTypes = append(c.GrantTypes, g.value)
		}
		// The client credentials grant authenticates the client alone (RFC 6749 §4.4), which a
		// client without a secret cannot do.
		if c.Public() && c.AllowsGrant(GrantClientCredentials) {
			l.errorf(grants.node, grants.path, "%s needs a client that authenticates; remove it, or set token_endpoint_auth_method to %s or %s",
				GrantClientCredentials, AuthPost, AuthBasic)
		}
	} else {
		c.GrantTypes = defaultGrants(c.AppType, c.Public())
	}
	if c.TokenEndpointAuthMethod != "" && !c.Public() && c.ClientSecret == "" {
		l.errorf(f.node, join(f.path, "client_secret"), "required with token_endpoint_auth_method %s; for a client without a secret set token_endpoint_auth_method: none",
			c.TokenEndpointAuthMethod)
	}
	native := c.AppType == AppNative
	c.Callbacks = l.urls(callbacks, redirectURL, native)
	c.AllowedLogoutURLs = l.urls(logoutURLs, redirectURL, native)
	c.WebOrigins = l.urls(webOrigins, originURL, native)
	c.AllowedOrigins = l.urls(allowedOrigins, originURL, native)
	l.t.Clients = append(l.t.Clients, c)
}

// defaultGrants are the grant types Auth0 gives a new client of each type. A client that cannot
// authenticate does not get client_credentials.
func defaultGrants(t AppType, public bool) []string {
	switch t {
	case AppSPA, AppNative:
		return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken}
	case AppRegularWeb:
		if public {
			return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken}
		}
		return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken, GrantClientCredentials}
	case AppNonInteractive:
		if public {
			return []string{}
		}
		return []string{GrantClientCredentials}
	}
	return nil
}

func (l *loader) jwtConfiguration(f field, c *Client) {
	if f.absent() {
		return
	}
	l.fields(f, jwtSchema, func(g field) {
		switch g.key {
		case "lifetime_in_seconds":
			l.seconds(g, 1, maxIDTokenLifetime, &c.IDTokenLifetime)
		case "alg":
			var alg string
			if l.str(g, &alg) && alg != "RS256" {
				l.errorf(g.node, g.path, "%q is not supported; allowed: RS256 (the emulator signs ID tokens with the tenant's RSA key)", alg)
			}
		}
	})
}

// refreshToken decodes a client's `refresh_token:` object.
func (l *loader) refreshToken(f field, p *RefreshTokenPolicy) {
	if f.absent() {
		return
	}
	rotation, expiration := "rotating", "expiring"
	var expirationField, idleField field
	var infinite, infiniteIdle bool
	l.fields(f, refreshSchema, func(g field) {
		switch g.key {
		case "rotation_type":
			l.enum(g, []string{"rotating", "non-rotating"}, &rotation)
		case "expiration_type":
			expirationField = g
			l.enum(g, []string{"expiring", "non-expiring"}, &expiration)
		case "token_lifetime":
			l.seconds(g, 1, maxRefreshLifetime, &p.Lifetime)
		case "idle_token_lifetime":
			idleField = g
			l.seconds(g, 1, maxRefreshLifetime, &p.IdleLifetime)
		case "leeway":
			l.seconds(g, 0, maxRefreshLifetime, &p.Leeway)
		case "infinite_token_lifetime":
			l.boolean(g, &infinite)
		case "infinite_idle_token_lifetime":
			l.boolean(g, &infiniteIdle)
		}
	})
	p.Rotating = rotation == "rotating"
	if expiration == "non-expiring" {
		if p.Rotating {
			l.errorf(expirationField.node, expirationField.path, "rotating refresh tokens must expire; set expiration_type: expiring, or rotation_type: non-rotating")
		}
		infinite, infiniteIdle = true, true
	}
	switch {
	case infinite || infiniteIdle || p.IdleLifetime <= p.Lifetime:
	case idleField.absent():
		p.IdleLifetime = p.Lifetime // the default idle lifetime never outlasts a shorter set lifetime
	default:
		l.errorf(idleField.node, idleField.path, "must not be longer than token_lifetime (%d s)", p.Lifetime/time.Second)
	}
	if infinite {
		p.Lifetime = Forever
	}
	if infiniteIdle {
		p.IdleLifetime = Forever
	}
}
