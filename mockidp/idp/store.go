package idp

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Answers for a store that refuses an operation. Nothing is minted after either: a token goes
// out only once its record is written.
var (
	// errStoreFull is Auth0's rate-limit answer (https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy):
	// a bound on records that must outlive their flood (revocations, lockouts, refresh
	// tokens) is reached, and the request that needs a new one waits for old ones to expire.
	errStoreFull = newError(http.StatusTooManyRequests, "too_many_requests",
		"Too many requests: the emulator's state is at its bound. Try again later.")
	// errStoreUnavailable answers while the store cannot be reached. Auth0 documents no body
	// for its 503; temporarily_unavailable is RFC 6749 §4.1.2.1's code for this very case.
	errStoreUnavailable = newError(http.StatusServiceUnavailable, "temporarily_unavailable",
		"The service is temporarily unavailable. Try again later.")
)

// storeFailure is what a client sees of a store error other than the ones its caller
// answers itself (not found, reused). Its cause, for the log, names the bound that was
// reached and the flag that raises it.
func (s *Server) storeFailure(err error) *oauthError {
	if full, ok := errors.AsType[*store.FullError](err); ok {
		how := "raise the server's maxmemory"
		if flag, ok := s.limitFlags[full.Bound]; ok {
			how = "raise it with " + flag
		}
		return errStoreFull.because(fmt.Sprintf("%v; %s", err, how))
	}
	if errors.Is(err, store.ErrUnavailable) {
		return errStoreUnavailable.because(err.Error())
	}
	return serverError(err)
}

// refusal is the log's cause for a record the store refused (store.ErrNotFound): the text
// causes gives the store's reason, else the store's own words.
func refusal(err error, causes map[store.Reason]string) string {
	if r, ok := errors.AsType[*store.RefusedError](err); ok {
		if cause, ok := causes[r.Reason]; ok {
			return cause
		}
	}
	return err.Error()
}

// pending is the stored form of a request waiting for its login.
func (req *authRequest) pending() store.PendingLogin {
	l := store.PendingLogin{
		ID: req.ID, ClientID: req.Client.ClientID, RedirectURI: req.RedirectURI,
		ResponseMode: string(req.ResponseMode), State: req.State, Nonce: req.Nonce, Scope: req.Scope,
		Challenge: req.Challenge, MaxAge: req.MaxAge, HasMaxAge: req.HasMaxAge,
		PromptNone: req.PromptNone, PromptLogin: req.PromptLogin, LoginHint: req.LoginHint,
		CSRF: req.CSRF, Binding: req.Binding, Expires: req.Expires, Query: pendingQuery(req.Query),
	}
	if req.API != nil {
		l.Audience = req.API.Identifier
	}
	return l
}

// keptParams are the parameters a pending login keeps in fields of its own: its Query leaves
// them out rather than keep each up to its bound twice.
func keptParams(l store.PendingLogin) map[string]string {
	return map[string]string{"state": l.State, "nonce": l.Nonce, "scope": l.Scope, "login_hint": l.LoginHint}
}

// pendingQuery is the /authorize query as a pending login keeps it: without the parameters of
// keptParams, which validateAuthorize has found single and stored as sent. An empty one stays,
// so that query restores exactly what was sent.
func pendingQuery(q url.Values) string {
	q = maps.Clone(q)
	for name := range keptParams(store.PendingLogin{}) {
		if q.Get(name) != "" {
			delete(q, name)
		}
	}
	return q.Encode()
}

// loginQuery is the /authorize query of a pending login, whole again.
func loginQuery(l store.PendingLogin) url.Values {
	// pendingQuery encoded it, so it parses.
	q, _ := url.ParseQuery(l.Query)
	for name, v := range keptParams(l) {
		if v != "" {
			q.Set(name, v)
		}
	}
	return q
}

// fromPending is a stored request with its client and API looked up again: the tenant may
// have lost them while the user was logging in.
func (s *Server) fromPending(l store.PendingLogin) (*authRequest, bool) {
	c, ok := s.tenant.Client(l.ClientID)
	if !ok {
		return nil, false
	}
	var api *tenant.API
	if l.Audience != "" {
		if api, ok = s.tenant.API(l.Audience); !ok {
			return nil, false
		}
	}
	return &authRequest{
		Client: c, RedirectURI: l.RedirectURI, ResponseMode: responseMode(l.ResponseMode),
		State: l.State, Nonce: l.Nonce, Scope: l.Scope, API: api, Challenge: l.Challenge,
		MaxAge: l.MaxAge, HasMaxAge: l.HasMaxAge, PromptNone: l.PromptNone,
		PromptLogin: l.PromptLogin, LoginHint: l.LoginHint,
		Query: loginQuery(l), ID: l.ID, CSRF: l.CSRF, Binding: l.Binding, Expires: l.Expires,
	}, true
}
