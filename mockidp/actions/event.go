package actions

import (
	"maps"
	"net/url"
	"time"
)

// PostLoginEvent is the post-login (v3) event object, as documented at
// https://auth0.com/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/post-login-event-object.
// Optional parts are pointers or empty strings and are left out of the Action's event, as on
// Auth0; what the emulator does not model (organization, prompt, refresh_token, custom_domain,
// security_context, geoip data) is absent.
type PostLoginEvent struct {
	Authentication *Authentication
	Authorization  *Authorization
	Client         Client
	Connection     Connection
	Request        Request
	ResourceServer *ResourceServer
	Session        *Session
	Stats          Stats
	Tenant         Tenant
	Transaction    *Transaction
	User           User
}

// CredentialsExchangeEvent is the credentials-exchange (v2) event object, as documented at
// https://auth0.com/docs/customize/actions/explore-triggers/machine-to-machine-trigger/credentials-exchange-event-object.
type CredentialsExchangeEvent struct {
	AccessToken    AccessToken
	Client         Client
	Request        Request
	ResourceServer ResourceServer
	Tenant         Tenant
	Transaction    CredentialsTransaction
}

// Authentication is event.authentication.
type Authentication struct {
	Methods []AuthenticationMethod
}

// AuthenticationMethod is one entry of event.authentication.methods: "pwd", "federated", "mfa", ...
type AuthenticationMethod struct {
	Name      string
	Timestamp time.Time
}

// Authorization is event.authorization: the names of the user's roles.
type Authorization struct {
	Roles []string
}

// Client is event.client; Metadata is the application's client_metadata.
type Client struct {
	ClientID string
	Name     string
	Metadata map[string]string
}

// Connection is event.connection.
type Connection struct {
	ID       string
	Name     string
	Strategy string
	Metadata map[string]string
}

// Request is event.request. Body's credentials (secretBodyFields) never reach the Action.
type Request struct {
	IP        string
	Hostname  string
	UserAgent string
	Language  string
	Method    string
	Query     url.Values
	Body      map[string]any
}

// ResourceServer is event.resource_server: the API the token is for.
type ResourceServer struct {
	Identifier string
}

// Session is event.session.
type Session struct {
	ID string
}

// Stats is event.stats.
type Stats struct {
	LoginsCount int
}

// Tenant is event.tenant; ID is the tenant's name.
type Tenant struct {
	ID string
}

// Transaction is the post-login event.transaction.
type Transaction struct {
	ID        string
	AcrValues []string
	Locale    string
	LoginHint string
	Prompt    []string
	// Protocol is Auth0's name for the flow: "oidc-basic-profile" (code), "oidc-implicit-profile",
	// "oauth2-refresh-token", "oauth2-password", "oauth2-resource-owner", ...
	Protocol        string
	RedirectURI     string
	RequestedScopes []string
	ResponseMode    string
	ResponseType    []string
	State           string
	UILocales       []string
}

// CredentialsTransaction is the credentials-exchange event.transaction.
type CredentialsTransaction struct {
	RequestedScopes []string
}

// AccessToken is the credentials-exchange event.accessToken: the token about to be issued.
type AccessToken struct {
	CustomClaims map[string]any
	Scope        []string
}

// User is event.user.
type User struct {
	UserID            string
	Email             string
	EmailVerified     bool
	Username          string
	Name              string
	Nickname          string
	GivenName         string
	FamilyName        string
	Picture           string
	PhoneNumber       string
	PhoneVerified     bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LastPasswordReset time.Time
	AppMetadata       map[string]any
	UserMetadata      map[string]any
	Identities        []Identity
	Multifactor       []string
}

// Identity is one of event.user.identities.
type Identity struct {
	Connection  string
	Provider    string
	UserID      string
	IsSocial    bool
	ProfileData map[string]any
}

// secretBodyFields are request body parameters that carry credentials. The emulator leaves them
// out of event.request.body so that an Action's logs never hold one.
var secretBodyFields = []string{
	"client_secret", "client_assertion", "password", "code", "code_verifier", "refresh_token",
	"subject_token", "actor_token", "otp", "binding_code", "recovery_code",
}

func (ev *PostLoginEvent) js(secrets map[string]string, res *Result) map[string]any {
	m := map[string]any{
		"client":     ev.Client.js(),
		"connection": ev.Connection.js(),
		"request":    ev.Request.js(),
		"secrets":    stringMap(secrets),
		"stats":      map[string]any{"logins_count": ev.Stats.LoginsCount},
		"tenant":     map[string]any{"id": ev.Tenant.ID},
		"user":       ev.User.js(res),
	}
	if a := ev.Authentication; a != nil {
		methods := make([]any, 0, len(a.Methods))
		for _, am := range a.Methods {
			methods = append(methods, map[string]any{"name": am.Name, "timestamp": jsTime(am.Timestamp)})
		}
		m["authentication"] = map[string]any{"methods": methods}
	}
	if a := ev.Authorization; a != nil {
		m["authorization"] = map[string]any{"roles": list(a.Roles)}
	}
	if rs := ev.ResourceServer; rs != nil {
		m["resource_server"] = map[string]any{"identifier": rs.Identifier}
	}
	if s := ev.Session; s != nil {
		m["session"] = map[string]any{"id": s.ID}
	}
	if t := ev.Transaction; t != nil {
		tx := map[string]any{
			"requested_scopes": list(t.RequestedScopes),
			// api.transaction is not emulated, so the metadata the Actions share stays empty.
			"metadata": map[string]any{},
		}
		optional(tx, "id", t.ID)
		optional(tx, "locale", t.Locale)
		optional(tx, "login_hint", t.LoginHint)
		optional(tx, "protocol", t.Protocol)
		optional(tx, "redirect_uri", t.RedirectURI)
		optional(tx, "response_mode", t.ResponseMode)
		optional(tx, "state", t.State)
		optionalList(tx, "acr_values", t.AcrValues)
		optionalList(tx, "prompt", t.Prompt)
		optionalList(tx, "response_type", t.ResponseType)
		optionalList(tx, "ui_locales", t.UILocales)
		m["transaction"] = tx
	}
	return m
}

func (ev *CredentialsExchangeEvent) js(secrets map[string]string, res *Result) map[string]any {
	// Claims set by earlier Actions show in event.accessToken.customClaims, since the object
	// describes the token about to be issued. Auth0's page does not say; this is the emulator's choice.
	claims := maps.Clone(ev.AccessToken.CustomClaims)
	if claims == nil {
		claims = map[string]any{}
	}
	maps.Copy(claims, res.AccessTokenClaims)
	return map[string]any{
		"accessToken":     map[string]any{"customClaims": claims, "scope": list(ev.AccessToken.Scope)},
		"client":          ev.Client.js(),
		"request":         ev.Request.js(),
		"resource_server": map[string]any{"identifier": ev.ResourceServer.Identifier},
		"secrets":         stringMap(secrets),
		"tenant":          map[string]any{"id": ev.Tenant.ID},
		"transaction":     map[string]any{"requested_scopes": list(ev.Transaction.RequestedScopes)},
	}
}

func (c Client) js() map[string]any {
	return map[string]any{"client_id": c.ClientID, "name": c.Name, "metadata": stringMap(c.Metadata)}
}

func (c Connection) js() map[string]any {
	m := map[string]any{"id": c.ID, "name": c.Name, "strategy": c.Strategy}
	if c.Metadata != nil {
		m["metadata"] = stringMap(c.Metadata)
	}
	return m
}

func (r Request) js() map[string]any {
	query := make(map[string]any, len(r.Query))
	for k, vs := range r.Query {
		switch len(vs) {
		case 0:
		case 1:
			query[k] = vs[0]
		default:
			query[k] = vs
		}
	}
	body := maps.Clone(r.Body)
	if body == nil {
		body = map[string]any{}
	}
	for _, k := range secretBodyFields {
		delete(body, k)
	}
	m := map[string]any{
		"ip":     r.IP,
		"method": r.Method,
		"query":  query,
		"body":   body,
		// Auth0 documents geoip as always present; offline there is no lookup, so it is empty and
		// `event.request.geoip.countryCode` reads undefined instead of throwing.
		"geoip": map[string]any{},
	}
	optional(m, "hostname", r.Hostname)
	optional(m, "user_agent", r.UserAgent)
	optional(m, "language", r.Language)
	return m
}

// js is event.user, with the metadata changes earlier Actions asked for already applied: Auth0
// "use[s] a sort of 'optimistic' update to the event object that propagates through the
// pipeline" (https://community.auth0.com/t/different-strategies-to-update-user-metadata-in-post-login-action/121908).
func (u User) js(res *Result) map[string]any {
	identities := make([]any, 0, len(u.Identities))
	for _, id := range u.Identities {
		m := map[string]any{"connection": id.Connection, "provider": id.Provider, "user_id": id.UserID, "isSocial": id.IsSocial}
		if id.ProfileData != nil {
			m["profileData"] = id.ProfileData
		}
		identities = append(identities, m)
	}
	m := map[string]any{
		"user_id":        u.UserID,
		"email_verified": u.EmailVerified,
		"created_at":     jsTime(u.CreatedAt),
		"updated_at":     jsTime(u.UpdatedAt),
		"app_metadata":   withChanges(u.AppMetadata, res.AppMetadata),
		"user_metadata":  withChanges(u.UserMetadata, res.UserMetadata),
		"identities":     identities,
	}
	optional(m, "email", u.Email)
	optional(m, "username", u.Username)
	optional(m, "name", u.Name)
	optional(m, "nickname", u.Nickname)
	optional(m, "given_name", u.GivenName)
	optional(m, "family_name", u.FamilyName)
	optional(m, "picture", u.Picture)
	optional(m, "phone_number", u.PhoneNumber)
	if u.PhoneNumber != "" {
		m["phone_verified"] = u.PhoneVerified
	}
	if !u.LastPasswordReset.IsZero() {
		m["last_password_reset"] = jsTime(u.LastPasswordReset)
	}
	optionalList(m, "multifactor", u.Multifactor)
	return m
}

// withChanges is metadata with changes applied, a nil change removing its key; the caller's map
// is left as it was.
func withChanges(base, changes map[string]any) map[string]any {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// jsTime formats a timestamp as Auth0 does, "2016-12-05T15:15:40.545Z", which JavaScript's Date
// parses.
func jsTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func optional(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

func optionalList(m map[string]any, key string, v []string) {
	if len(v) > 0 {
		m[key] = v
	}
}

// list is v, or an empty list for nil: JSON null would leave an Action no array methods to call.
func list(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func stringMap(v map[string]string) map[string]string {
	if v == nil {
		return map[string]string{}
	}
	return v
}
