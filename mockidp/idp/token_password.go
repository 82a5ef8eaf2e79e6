package idp

import (
	"crypto/subtle"
	"net/http"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Password-grant answers, as Auth0 gives them (github.com/auth0/docs,
// articles/api/authentication/errors/_errors.md; the lockout is Auth0's brute-force protection,
// https://auth0.com/docs/secure/attack-protection/brute-force-protection).
var (
	// errWrongPassword is the same for an unknown user, a wrong password and a user of another
	// realm, so the endpoint does not tell which logins exist (S44).
	errWrongPassword = newError(http.StatusForbidden, "invalid_grant", "Wrong email or password.")
	// errUserBlocked: Auth0 answers a blocked user's correct password with 401 "unauthorized"
	// (the spec's "blocked user" row has the text; auth0-spa-js matches "user is blocked").
	errUserBlocked = newError(http.StatusUnauthorized, "unauthorized", "user is blocked")
	// errTooManyAttempts is Auth0's brute-force protection answer.
	errTooManyAttempts = newError(http.StatusTooManyRequests, "too_many_attempts",
		"Your account has been blocked after multiple consecutive login attempts.")
)

// noSuchUserPassword is compared against for an unknown login, so that it costs what a wrong
// password costs.
var noSuchUserPassword = []byte("no such user, but the comparison still runs")

// passwordGrant is the resource owner password grant and Auth0's password-realm variant, whose
// realm names the database connection the user must belong to. Without a realm every connection
// is searched, as if the tenant's default_directory were the user's.
//
// The post-login Actions run once the user is known to be allowed, as for a login on the page.
func (s *Server) passwordGrant(r *http.Request, c *tenant.Client, p params, withRealm bool) (*TokenResponse, error) {
	ctx := r.Context()
	username, password, realm := p["username"], p["password"], p["realm"]
	switch {
	case username == "":
		return nil, missingParam("username")
	case password == "":
		return nil, missingParam("password")
	case withRealm && realm == "":
		return nil, missingParam("realm")
	}
	// A realm the tenant lacks is a configuration mistake, not a failed login, so it is named
	// (Auth0 does not document its text for it; the emulator's is its own).
	if withRealm && !s.hasConnection(realm) {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Unknown realm: "+realm)
	}
	if len(username) > store.MaxIdentifierBytes {
		return nil, errWrongPassword.because("login name longer than store.MaxIdentifierBytes")
	}
	now := s.now()
	switch locked, err := s.store.LoginLocked(ctx, username, now); {
	case err != nil:
		return nil, s.storeFailure(err)
	case locked:
		return nil, errTooManyAttempts.because("login name locked after repeated failures")
	}
	u, found := s.tenant.UserByLogin(username)
	want := noSuchUserPassword
	if found {
		want = []byte(u.Password)
	}
	match := subtle.ConstantTimeCompare([]byte(password), want) == 1
	inRealm := found && (!withRealm || u.Connection == realm)
	if err := s.loginResult(ctx, username, match && inRealm, now); err != nil {
		return nil, s.storeFailure(err)
	}
	switch {
	case !found:
		return nil, errWrongPassword.because("no user with that login")
	case !match:
		return nil, errWrongPassword.because("wrong password")
	case !inRealm:
		return nil, errWrongPassword.because("the user is in connection " + u.Connection + ", not realm " + realm)
	case u.Blocked:
		return nil, errUserBlocked
	}
	api, e := s.apiFor(p["audience"])
	if e != nil {
		return nil, e
	}
	out, e := s.postLogin(login{r: r, client: c, user: u, api: api, scope: p["scope"], protocol: protocolPassword, authTime: now, body: p})
	if e != nil {
		return nil, e
	}
	is := issue{
		Client: c, User: u, API: api, Scope: s.grantedScope(p["scope"], c, u, api),
		GTY: gtyPassword, Grant: randomString(16),
	}
	s.applyActions(ctx, &is, out)
	return s.mint(ctx, is)
}

func (s *Server) hasConnection(name string) bool {
	_, ok := s.tenant.Connection(name)
	return ok
}
