package idp

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tenantless/tenantless/mockidp/actions"
	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Auth0's names for a login's flow in event.transaction.protocol
// (https://auth0.com/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/post-login-event-object).
// The password-realm grant is Auth0's password grant with a realm, so it shares oauth2-password.
const (
	protocolCode     = "oidc-basic-profile"
	protocolPassword = "oauth2-password"
	protocolRefresh  = "oauth2-refresh-token"
)

// errActionFailed answers a login an Action failed: Auth0 surfaces an Action's uncaught error as
// access_denied with its message (https://community.auth0.com/t/why-am-i-getting-an-access-denied-error/63027).
// At the token endpoint the status is the 403 of a denial; one community report shows a 500
// there (https://community.auth0.com/t/help-understanding-error-codes-in-pre-user-registration-and-post-login-actions/89653),
// so the status is UNCONFIRMED.
func errActionFailed(description string) *oauthError {
	return newError(http.StatusForbidden, "access_denied", description)
}

// login is what a post-login run needs to know of a login besides the user.
type login struct {
	r         *http.Request
	client    *tenant.Client
	user      *tenant.User
	api       *tenant.API
	scope     string // as requested
	protocol  string
	sessionID string
	authTime  time.Time
	// query is the /authorize request's, for the code flow; body the token request's.
	query url.Values
	body  params
	req   *authRequest
}

// postLogin runs the post-login Actions of a login and returns what they asked for, to apply to
// every token the login issues: with a code it waits in the code's record until the code is
// redeemed, since the Actions run at the login and not again at the exchange (a refresh token
// runs them again). A denial or a failed Action refuses the login with access_denied, whose
// description is the denial's reason or the failure's message; the log names the Action, the
// line and the message.
func (s *Server) postLogin(lg login) (*store.ActionResult, *oauthError) {
	if !s.actions.Bound(actions.TriggerPostLogin) {
		return nil, nil
	}
	ev := s.postLoginEvent(lg)
	res, err := s.actions.PostLogin(lg.r.Context(), ev)
	s.logExecutions(lg.r.Context(), actions.TriggerPostLogin, res)
	if err != nil {
		return nil, s.actionFailed(lg.r.Context(), err)
	}
	if d := res.Denied; d != nil {
		return nil, errActionFailed(d.Reason).because("denied by action " + d.Action)
	}
	if len(res.AppMetadata) > 0 || len(res.UserMetadata) > 0 {
		// The change reaches the Actions after the one that made it, in this login only: the
		// tenant's user is not written, so the log says what was left out.
		s.log.InfoContext(lg.r.Context(), "metadata change kept for this login only", "user", lg.user.UserID,
			"app_metadata", slices.Sorted(maps.Keys(res.AppMetadata)), "user_metadata", slices.Sorted(maps.Keys(res.UserMetadata)))
	}
	return &store.ActionResult{
		IDTokenClaims: res.IDTokenClaims, AccessTokenClaims: res.AccessTokenClaims,
		ScopesAdded: res.ScopesAdded, ScopesRemoved: res.ScopesRemoved,
	}, nil
}

// credentialsExchange runs the credentials-exchange Actions of a client credentials grant and
// returns the claims they add. A denial answers with the code the Action chose; Auth0 documents
// the codes (invalid_scope, invalid_request, server_error) but not their statuses, so they are
// RFC 6749 §5.2's 400, and 500 for server_error.
func (s *Server) credentialsExchange(r *http.Request, c *tenant.Client, api *tenant.API, scope []string, p params) (map[string]any, *oauthError) {
	if !s.actions.Bound(actions.TriggerCredentialsExchange) {
		return nil, nil
	}
	ev := actions.CredentialsExchangeEvent{
		AccessToken:    actions.AccessToken{Scope: scope},
		Client:         actions.Client{ClientID: c.ClientID, Name: c.Name, Metadata: c.Metadata},
		Request:        s.actionRequest(r, nil, p),
		ResourceServer: actions.ResourceServer{Identifier: api.Identifier},
		Tenant:         actions.Tenant{ID: s.tenant.Name},
		Transaction:    actions.CredentialsTransaction{RequestedScopes: uniqueFields(p["scope"])},
	}
	res, err := s.actions.CredentialsExchange(r.Context(), ev)
	s.logExecutions(r.Context(), actions.TriggerCredentialsExchange, res)
	if err != nil {
		return nil, s.actionFailed(r.Context(), err)
	}
	if d := res.Denied; d != nil {
		status := http.StatusBadRequest
		if d.Code == "server_error" {
			status = http.StatusInternalServerError
		}
		return nil, newError(status, d.Code, d.Reason).because("denied by action " + d.Action)
	}
	return s.allowedAccessClaims(r.Context(), api, res.AccessTokenClaims), nil
}

// actionFailed logs a failed Action and answers the login as Auth0 does.
func (s *Server) actionFailed(ctx context.Context, err error) *oauthError {
	ae, ok := errors.AsType[*actions.ActionError](err)
	if !ok {
		return serverError(err)
	}
	s.log.ErrorContext(ctx, "action failed", "action", ae.Action, "trigger", string(ae.Trigger),
		"file", ae.File, "line", ae.Line, "column", ae.Column, "message", ae.Message)
	return errActionFailed(ae.Message).because(ae.Error())
}

// logExecutions logs each Action that ran: its name, how long it took and how it ended, in the
// emulator's log and in the request's journal entry.
func (s *Server) logExecutions(ctx context.Context, t actions.Trigger, res *actions.Result) {
	if res == nil {
		return
	}
	c := capturedOf(ctx)
	for _, ex := range res.Executions {
		if c != nil {
			c.actions = append(c.actions, ActionRun{Name: ex.Action, Trigger: string(t),
				Duration: ex.Duration.String(), Outcome: string(ex.Outcome), Error: ex.Error})
		}
		attrs := []slog.Attr{
			slog.String("action", ex.Action), slog.String("trigger", string(t)),
			slog.Duration("duration", ex.Duration), slog.String("outcome", string(ex.Outcome)),
		}
		if ex.Error != "" {
			attrs = append(attrs, slog.String("error", ex.Error))
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "action run", attrs...)
	}
}

// applyActions puts what the post-login Actions asked for into the tokens of is. Access-token
// claims an Auth0 API audience may not carry are dropped (allowedAccessClaims).
func (s *Server) applyActions(ctx context.Context, is *issue, out *store.ActionResult) {
	if out == nil {
		return
	}
	is.IDClaims = out.IDTokenClaims
	if is.API != nil {
		is.Claims = s.allowedAccessClaims(ctx, is.API, out.AccessTokenClaims)
	}
	if len(out.ScopesAdded) > 0 || len(out.ScopesRemoved) > 0 {
		scope := slices.DeleteFunc(slices.Clone(is.Scope), func(sc string) bool { return slices.Contains(out.ScopesRemoved, sc) })
		for _, sc := range out.ScopesAdded {
			if !slices.Contains(scope, sc) {
				scope = append(scope, sc)
			}
		}
		is.AccessScope = nonNil(scope)
	}
}

// allowedAccessClaims leaves out the non-namespaced claims of an access token for one of Auth0's
// own APIs (the tenant's Management API, anything under the issuer but /userinfo): "Access
// tokens with an Auth0 API audience, excluding the /userinfo endpoint, cannot have private,
// non-namespaced custom claims"
// (https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims#general-restrictions).
func (s *Server) allowedAccessClaims(ctx context.Context, api *tenant.API, claims map[string]any) map[string]any {
	if !strings.HasPrefix(api.Identifier, s.issuer) || api.Identifier == s.endpoint("userinfo") {
		return claims
	}
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		if strings.HasPrefix(k, "https://") || strings.HasPrefix(k, "http://") {
			out[k] = v
			continue
		}
		s.log.ErrorContext(ctx, "custom claim refused", "claim", k, "audience", api.Identifier,
			"reason", "access tokens for an Auth0 API carry only namespaced custom claims")
	}
	return out
}

// postLoginEvent is the event of a login as the post-login trigger sees it.
func (s *Server) postLoginEvent(lg login) actions.PostLoginEvent {
	u := lg.user
	provider, id, _ := strings.Cut(u.UserID, "|")
	conn := cmp.Or(u.Connection, tenant.DefaultConnection)
	ev := actions.PostLoginEvent{
		Authentication: &actions.Authentication{Methods: []actions.AuthenticationMethod{{Name: "pwd", Timestamp: lg.authTime}}},
		Authorization:  &actions.Authorization{Roles: s.tenant.RoleNames(u)},
		Client:         actions.Client{ClientID: lg.client.ClientID, Name: lg.client.Name, Metadata: lg.client.Metadata},
		Connection:     actions.Connection{ID: connectionID(conn), Name: conn, Strategy: "auth0"},
		Request:        s.actionRequest(lg.r, lg.query, lg.body),
		Stats:          actions.Stats{LoginsCount: s.loginsCount(u.UserID, lg.protocol != protocolRefresh)},
		Tenant:         actions.Tenant{ID: s.tenant.Name},
		User: actions.User{
			UserID: u.UserID, Email: u.Email, EmailVerified: u.EmailVerified, Username: u.Username,
			Name: u.Name, Nickname: u.Nickname, GivenName: u.GivenName, FamilyName: u.FamilyName,
			Picture: u.Picture, PhoneNumber: u.PhoneNumber, PhoneVerified: u.PhoneVerified,
			CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
			AppMetadata: u.AppMetadata, UserMetadata: u.UserMetadata,
			Identities: []actions.Identity{{Connection: conn, Provider: provider, UserID: id}},
		},
		Transaction: &actions.Transaction{Protocol: lg.protocol, RequestedScopes: nonNil(uniqueFields(lg.scope))},
	}
	if lg.api != nil {
		ev.ResourceServer = &actions.ResourceServer{Identifier: lg.api.Identifier}
	}
	if lg.sessionID != "" {
		ev.Session = &actions.Session{ID: lg.sessionID}
	}
	if req := lg.req; req != nil {
		tx := ev.Transaction
		tx.RedirectURI, tx.ResponseMode, tx.State = req.RedirectURI, string(req.ResponseMode), req.State
		tx.ResponseType, tx.LoginHint = []string{"code"}, req.LoginHint
		tx.Prompt = strings.Fields(lg.query.Get("prompt"))
		tx.UILocales = strings.Fields(lg.query.Get("ui_locales"))
	}
	return ev
}

// actionRequest is event.request: the browser's request for a login page flow, the client's
// for the token endpoint. The actions package leaves credentials out of the body.
func (s *Server) actionRequest(r *http.Request, query url.Values, body params) actions.Request {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	lang, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	lang, _, _ = strings.Cut(lang, ";")
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	req := actions.Request{
		IP: ip, Hostname: host, UserAgent: r.UserAgent(), Language: strings.TrimSpace(lang),
		Method: r.Method, Query: query, Body: map[string]any{},
	}
	for k, v := range body {
		req.Body[k] = v
	}
	return req
}

// compileActions compiles the Actions t binds, for a snapshot serving t: a problem in their
// code is tenant.Errors positioned in the code file.
func (s *Server) compileActions(t *tenant.Tenant) (*actions.Engine, error) {
	return actions.ForTenant(t, actions.Config{Timeout: s.actionTimeout, Logger: s.log, Now: s.now})
}

// loginsCount is a user's count of logins for event.stats.logins_count, counting this one when
// it is a login (a refresh is not). The tenant's users bound the map.
func (s *Server) loginsCount(userID string, counts bool) int {
	n, _ := s.live.logins.LoadOrStore(userID, new(atomic.Int64))
	if counts {
		return int(n.(*atomic.Int64).Add(1))
	}
	return int(n.(*atomic.Int64).Load())
}

// connectionID is a stable id in Auth0's form (con_ and 16 characters) for a connection the
// tenant file names only.
func connectionID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "con_" + hex.EncodeToString(sum[:8])
}
