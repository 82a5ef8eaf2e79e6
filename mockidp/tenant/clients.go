package tenant

import (
	"fmt"
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
			"custom_login_page_on", "client_metadata"},
		nil,
		"client_aliases", "allowed_clients", "oidc_logout", "oidc_backchannel_logout", "signing_keys", "encryption_key",
		"sso_disabled", "cross_origin_loc", "cross_origin_authentication", "custom_login_page",
		"custom_login_page_preview", "form_template", "addons", "mobile", "initiate_login_uri",
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
	// rotation_type is "rotating" unless the file says otherwise; a bool has no "not given".
	c := &Client{RefreshToken: RefreshTokenPolicy{Rotating: true}}
	l.begin(f, c)
	l.fields(f, clientSchema, func(g field) {
		switch g.key {
		case "name":
			l.name(g, &c.Name)
		case "client_id":
			l.name(g, &c.ClientID)
		case "client_secret":
			l.str(g, &c.ClientSecret)
		case "app_type":
			l.enum(g, appTypes, (*string)(&c.AppType))
		case "token_endpoint_auth_method":
			l.enum(g, authMethods, (*string)(&c.TokenEndpointAuthMethod))
		case "grant_types":
			l.stringList(g, "grant types", &c.GrantTypes)
		case "callbacks":
			l.stringList(g, "URLs", &c.Callbacks)
		case "allowed_logout_urls":
			l.stringList(g, "URLs", &c.AllowedLogoutURLs)
		case "web_origins":
			l.stringList(g, "URLs", &c.WebOrigins)
		case "allowed_origins":
			l.stringList(g, "URLs", &c.AllowedOrigins)
		case "jwt_configuration":
			l.jwtConfiguration(g, c)
		case "refresh_token":
			l.refreshToken(g, &c.RefreshToken)
		case "client_metadata":
			c.Metadata = l.clientMetadata(g)
		case "description", "logo_uri":
			var s string
			l.str(g, &s)
		case "is_first_party", "oidc_conformant", "cross_origin_auth", "sso", "custom_login_page_on":
			var b bool
			l.boolean(g, &b)
		}
	})
	l.place(l.t.PrepareClient(c))
	l.t.AddClient(c)
}

// clientMetadata decodes client_metadata: string values only, as the Management API requires
// (https://auth0.com/docs/get-started/applications/configure-application-metadata).
func (l *loader) clientMetadata(f field) map[string]string {
	obj, _ := l.object(f)
	if obj == nil {
		return nil
	}
	m := make(map[string]string, len(obj))
	for i := 0; i+1 < len(f.node.Content); i += 2 {
		k, v := f.node.Content[i], deref(f.node.Content[i+1])
		var s string
		if l.str(field{key: k.Value, path: join(f.path, k.Value), node: v}, &s) {
			m[k.Value] = s
		}
	}
	return m
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

// refreshToken decodes a client's `refresh_token:` object: rotation_type, and the expiration
// type and infinite flags, which make a lifetime Forever. Lifetimes it leaves at 0 get Auth0's
// defaults from PrepareClient.
func (l *loader) refreshToken(f field, p *RefreshTokenPolicy) {
	if f.absent() {
		return
	}
	rotation, expiration := "rotating", "expiring"
	var expirationField field
	var infinite, infiniteIdle bool
	l.fields(f, refreshSchema, func(g field) {
		var s string
		switch g.key {
		case "rotation_type":
			if l.enum(g, []string{"rotating", "non-rotating"}, &s) {
				rotation = s
			}
		case "expiration_type":
			expirationField = g
			if l.enum(g, []string{"expiring", "non-expiring"}, &s) {
				expiration = s
			}
		case "token_lifetime":
			l.seconds(g, 1, maxRefreshLifetime, &p.Lifetime)
		case "idle_token_lifetime":
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
	if infinite {
		p.Lifetime = Forever
	}
	if infiniteIdle {
		p.IdleLifetime = Forever
	}
}

// PrepareClient applies Auth0's defaults to an application (auth method and grant types for its
// app_type, lifetimes) and checks it, and the uniqueness of its name and client_id, against the
// tenant. Refresh-token rotation is not defaulted: RefreshToken.Rotating is taken as given.
func (t *Tenant) PrepareClient(c *Client) FieldErrors {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.prepareClient(c, nil)
}

// prepareClient is PrepareClient for an application that is to replace old (nil for a new one).
func (t *Tenant) prepareClient(c, old *Client) FieldErrors {
	var errs FieldErrors
	if errs.key("name", c.Name, "the application's name, unique in the tenant (client grants may refer to it)") {
		if other, dup := t.clientsByName[c.Name]; dup && other != c && other != old {
			errs.conflict("name", "duplicate client name %q%s", c.Name, t.firstAt(other, "name"))
		}
	}
	if errs.key("client_id", c.ClientID, "a fixed id for the application, like demo-spa (the emulator cannot make one up: apps are configured with it)") {
		if other, dup := t.clients.get(c.ClientID); dup && other != c && other != old {
			errs.conflict("client_id", "duplicate client_id %q%s", c.ClientID, t.firstAt(other, "client_id"))
		}
	}
	validType := false
	if c.AppType == "" {
		errs.require("app_type", "one of "+strings.Join(appTypes, ", "))
	} else if msg := checkEnum("app_type", string(c.AppType), appTypes); msg != "" {
		errs.add("app_type", "%s", msg)
	} else {
		validType = true
	}
	validMethod := false
	switch {
	case c.TokenEndpointAuthMethod != "":
		msg := checkEnum("token_endpoint_auth_method", string(c.TokenEndpointAuthMethod), authMethods)
		if msg != "" {
			errs.add("token_endpoint_auth_method", "%s", msg)
		}
		validMethod = msg == ""
	case validType:
		c.TokenEndpointAuthMethod = AuthPost
		if c.AppType == AppSPA || c.AppType == AppNative {
			c.TokenEndpointAuthMethod = AuthNone
		}
		validMethod = true
	}
	if c.GrantTypes == nil {
		c.GrantTypes = defaultGrants(c.AppType, c.Public())
	} else {
		for i, g := range c.GrantTypes {
			if !slices.Contains(grantTypes, g) {
				errs.add(fmt.Sprintf("grant_types[%d]", i), "unknown grant type %q; allowed: %s", g, strings.Join(grantTypes, ", "))
			}
		}
		// The client credentials grant authenticates the client alone (RFC 6749 §4.4), which a
		// client without a secret cannot do.
		if c.Public() && c.AllowsGrant(GrantClientCredentials) {
			errs.add("grant_types", "%s needs a client that authenticates; remove it, or set token_endpoint_auth_method to %s or %s",
				GrantClientCredentials, AuthPost, AuthBasic)
		}
	}
	if validMethod && !c.Public() && c.ClientSecret == "" {
		errs.add("client_secret", "required with token_endpoint_auth_method %s; for a client without a secret set token_endpoint_auth_method: none",
			c.TokenEndpointAuthMethod)
	}
	native := c.AppType == AppNative
	checkURLs(&errs, "callbacks", c.Callbacks, redirectURL, native)
	checkURLs(&errs, "allowed_logout_urls", c.AllowedLogoutURLs, redirectURL, native)
	checkURLs(&errs, "web_origins", c.WebOrigins, originURL, native)
	checkURLs(&errs, "allowed_origins", c.AllowedOrigins, originURL, native)
	if c.IDTokenLifetime == 0 {
		c.IDTokenLifetime = defaultIDTokenLifetime
	}
	errs.seconds("jwt_configuration.lifetime_in_seconds", c.IDTokenLifetime, 1, maxIDTokenLifetime)
	prepareRefreshPolicy(&errs, &c.RefreshToken)
	return errs
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

// checkURLs checks a client's list of URLs of one kind.
func checkURLs(errs *FieldErrors, field string, urls []string, kind urlKind, customSchemes bool) {
	for i, u := range urls {
		if msg := checkURL(u, kind, customSchemes); msg != "" {
			errs.add(fmt.Sprintf("%s[%d]", field, i), "%s", msg)
		}
	}
}

// prepareRefreshPolicy gives refresh-token lifetimes left at 0 Auth0's defaults, and checks the
// lifetimes a client sets.
func prepareRefreshPolicy(errs *FieldErrors, p *RefreshTokenPolicy) {
	if p.Lifetime == 0 {
		p.Lifetime = defaultRefreshLifetime
	}
	finite := func(field string, d time.Duration) bool {
		return d != Forever && errs.seconds(field, d, 1, maxRefreshLifetime)
	}
	lifetimeFinite := finite("refresh_token.token_lifetime", p.Lifetime)
	if p.IdleLifetime == 0 {
		p.IdleLifetime = min(defaultRefreshIdleLifetime, p.Lifetime) // never outlasting a shorter set lifetime
	} else if finite("refresh_token.idle_token_lifetime", p.IdleLifetime) && lifetimeFinite && p.IdleLifetime > p.Lifetime {
		errs.add("refresh_token.idle_token_lifetime", "must not be longer than token_lifetime (%d s)", p.Lifetime/time.Second)
	}
	errs.seconds("refresh_token.leeway", p.Leeway, 0, maxRefreshLifetime)
}
