package idp

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// loginLifetime bounds how long a login page may wait for its form.
const loginLifetime = 10 * time.Minute

// Failed logins, shown on the login page in Auth0's words where Auth0 has them (Lock's English
// strings). Their codes are the token endpoint's for the same failures, for the log.
var (
	errLoginMissing  = newError(http.StatusBadRequest, "invalid_request", "Enter your email address and password.")
	errLoginWrong    = newError(http.StatusBadRequest, "invalid_grant", "Wrong email or password.")
	errLoginLocked   = newError(http.StatusTooManyRequests, "too_many_attempts", "Your account has been blocked after multiple consecutive login attempts.")
	errLoginBlocked  = newError(http.StatusForbidden, "unauthorized", "The user is blocked. The tenant marks this account blocked, so it cannot log in (user is blocked).")
	errPickerUnknown = newError(http.StatusBadRequest, "invalid_request", "That user is not in this tenant.")
)

// errLoginUnknown answers a login page or form that belongs to no pending request in this
// browser: never issued, expired, already completed, or opened in another browser.
var errLoginUnknown = newError(http.StatusBadRequest, "invalid_request",
	"This login page is unknown or has expired, or this browser did not send its login cookie. Go back to the application and log in again.")

// Causes of the store's refusals of a pending login, answered errLoginUnknown. The take
// follows a peek that found the login live, so a login it does not find was completed in
// between by another post of its form (or the tenant was reset).
var (
	loginRefusals = map[store.Reason]string{
		store.ReasonUnknown: "login transaction unknown",
		store.ReasonExpired: "login transaction expired",
	}
	takeLoginRefusals = map[store.Reason]string{
		store.ReasonUnknown: "login transaction already completed",
		store.ReasonExpired: "login transaction expired",
	}
)

// loginRetry is a failed login attempt: the login page again, for the same transaction and
// with the name typed, showing the error's description at the error's status.
type loginRetry struct {
	req      *authRequest
	username string
	err      *oauthError
}

func (e *loginRetry) Error() string { return e.err.Error() }

// retry is a failed attempt at req's login.
func (req *authRequest) retry(username string, e *oauthError) error {
	return &loginRetry{req: req, username: username, err: e}
}

// loginPage is the data of templates/login.html.
type loginPage struct {
	Logo     string
	Tenant   string
	App      string
	State    string
	CSRF     string
	Username string
	Error    string
	Users    []pickerUser
}

// pickerUser is a one-click "log in as" entry.
type pickerUser struct {
	ID       string
	Name     string
	Email    string
	Initials string
	Roles    []string
	Blocked  bool
}

// startLogin parks the request and sends the browser to the login page, as Auth0's New
// Universal Login does with /u/login?state=<transaction>.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, req *authRequest) error {
	now := s.now()
	req.ID, req.CSRF, req.Binding = randomString(24), randomString(24), s.loginBinding(w, r)
	req.Expires = now.Add(loginLifetime)
	if err := s.store.PutLogin(r.Context(), req.pending(), now); err != nil {
		return s.storeFailure(err)
	}
	redirect(w, s.endpoint("u/login")+"?state="+req.ID, http.StatusFound)
	return nil
}

// loginTransaction finds the pending request a login page belongs to, in this browser only.
func (s *Server) loginTransaction(r *http.Request, id string) (*authRequest, *oauthError) {
	if id == "" {
		return nil, errLoginUnknown.because("no login transaction in the state parameter")
	}
	l, err := s.store.PeekLogin(r.Context(), id, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errLoginUnknown.because(refusal(err, loginRefusals))
	case err != nil:
		return nil, s.storeFailure(err)
	}
	req, ok := s.fromPending(l)
	if !ok {
		return nil, errLoginUnknown.because("the login transaction's client or API is no longer in the tenant")
	}
	if subtle.ConstantTimeCompare([]byte(cookieValue(r, loginCookie)), []byte(req.Binding)) != 1 {
		return nil, errLoginUnknown.because("login cookie missing or from another browser")
	}
	return req, nil
}

// showLogin is GET /u/login.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) error {
	req, e := s.loginTransaction(r, r.URL.Query().Get("state"))
	if e != nil {
		return e
	}
	s.renderLogin(w, r, http.StatusOK, req, req.LoginHint, "")
	return nil
}

// sameOrigin refuses a login form posted from another site, which would be login CSRF (RFC
// 9700 §4.7): Sec-Fetch-Site, or an Origin that is not this host, says where it came from.
func sameOrigin(h browserHandler) browserHandler {
	csrf := http.NewCrossOriginProtection()
	refusal := newError(http.StatusForbidden, "access_denied", "Cross-site login requests are refused.")
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := csrf.Check(r); err != nil {
			return refusal.because(err.Error())
		}
		return h(w, r)
	}
}

// submitLogin is POST /u/login: the password form (action=default, as Auth0's), or a one-click
// entry of the user picker (user_id). Cross-site posts were refused before (sameOrigin).
func (s *Server) submitLogin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	if err := r.ParseForm(); err != nil {
		return unreadableForm("login", err)
	}
	form := r.PostForm
	req, e := s.loginTransaction(r, form.Get("state"))
	if e != nil {
		return e
	}
	switch token := form.Get("_csrf"); {
	case token == "":
		return errLoginCSRF.because("_csrf missing")
	case subtle.ConstantTimeCompare([]byte(token), []byte(req.CSRF)) != 1:
		return errLoginCSRF.because("_csrf is not the login page's")
	}
	if id := form.Get("user_id"); id != "" {
		return s.pickUser(w, r, req, id)
	}

	username, password := strings.TrimSpace(form.Get("username")), form.Get("password")
	switch {
	case username == "":
		return req.retry(username, errLoginMissing.because("username missing"))
	case password == "":
		return req.retry(username, errLoginMissing.because("password missing"))
	}
	// Failures count per login name, known or not, and the answer is the same for both, so
	// the page tells nobody which users exist. A locked name stays locked even with the right
	// password, as with Auth0's brute-force protection.
	if len(username) > store.MaxIdentifierBytes {
		return req.retry("", errLoginWrong.because("login name longer than store.MaxIdentifierBytes"))
	}
	ctx, now := r.Context(), s.now()
	switch locked, err := s.store.LoginLocked(ctx, username, now); {
	case err != nil:
		return s.storeFailure(err)
	case locked:
		return req.retry(username, errLoginLocked.because("login name locked after repeated failures"))
	}
	user, found := s.tenant.UserByLogin(username)
	match := found && user.Password != "" && subtle.ConstantTimeCompare([]byte(password), []byte(user.Password)) == 1
	if err := s.loginResult(ctx, username, match, now); err != nil {
		return s.storeFailure(err)
	}
	switch {
	case !found:
		return req.retry(username, errLoginWrong.because("no user with that login"))
	case user.Password == "":
		return req.retry(username, errLoginWrong.because("the user has no password"))
	case !match:
		return req.retry(username, errLoginWrong.because("wrong password"))
	case user.Blocked:
		return req.retry(username, errLoginBlocked)
	}
	return s.loginSucceeded(w, r, req, user)
}

// errLoginCSRF answers a login form without its page's CSRF token.
var errLoginCSRF = newError(http.StatusForbidden, "access_denied", "The login form's CSRF token is invalid.")

// unreadableForm answers a form body that could not be parsed. The parser's text is not the
// cause: it quotes the body, which holds a password or a token.
func unreadableForm(name string, err error) *oauthError {
	e := newError(http.StatusBadRequest, "invalid_request", "The "+name+" form could not be read.")
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return e.because("form body over the size limit")
	}
	return e.because("form body malformed or not a form")
}

// pickUser logs in as a user of the picker, which only exists when the tenant shows it.
func (s *Server) pickUser(w http.ResponseWriter, r *http.Request, req *authRequest, id string) error {
	if !s.tenant.Settings.UserPicker {
		return newError(http.StatusForbidden, "access_denied", "The user picker is turned off for this tenant.")
	}
	user, ok := s.tenant.User(id)
	if !ok {
		return req.retry("", errPickerUnknown.because("no user "+id+" in the tenant"))
	}
	if user.Blocked {
		return req.retry(user.Email, errLoginBlocked)
	}
	return s.loginSucceeded(w, r, req, user)
}

// loginSucceeded spends the pending request, opens the session and answers the application.
func (s *Server) loginSucceeded(w http.ResponseWriter, r *http.Request, req *authRequest, user *tenant.User) error {
	switch _, err := s.store.TakeLogin(r.Context(), req.ID, s.now()); {
	case errors.Is(err, store.ErrNotFound):
		return errLoginUnknown.because(refusal(err, takeLoginRefusals))
	case err != nil:
		return s.storeFailure(err)
	}
	sess, err := s.startSession(w, r, user)
	if err != nil {
		return s.storeFailure(err)
	}
	return s.completeAuthorization(w, r, req, user, sess, true)
}

// loginResult counts a failed login for a login name, or clears its failures after the right
// password. Callers check the lock first: attempts during a lock are not counted.
func (s *Server) loginResult(ctx context.Context, username string, ok bool, now time.Time) error {
	if ok {
		return s.store.LoginSucceeded(ctx, username)
	}
	return s.store.LoginFailed(ctx, username, now)
}

// pickerUsers bounds the users the login page offers, so that the page costs the same in a
// tenant that tests have filled with thousands; the others log in with the form.
const pickerUsers = 50

// renderLogin renders the login page. Its form may post to the origin, and the redirect that
// answers it may go to the application's origin.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, req *authRequest, username, message string) {
	tenantName := s.tenantName()
	page := loginPage{
		Logo:     tenant.Initials(tenantName),
		Tenant:   tenantName,
		App:      req.Client.Name,
		State:    req.ID,
		CSRF:     req.CSRF,
		Username: username,
		Error:    message,
	}
	if page.App == "" {
		page.App = req.Client.ClientID
	}
	if s.tenant.Settings.UserPicker {
		for _, u := range s.tenant.FirstUsers(pickerUsers) {
			page.Users = append(page.Users, pickerUser{
				ID: u.UserID, Name: u.Name, Email: u.Email, Initials: tenant.Initials(u.Name),
				Roles: s.tenant.RoleNames(u), Blocked: u.Blocked,
			})
		}
	}
	s.renderPage(w, r, status, "login.html", pageCSP(req.RedirectURI), page)
}

// tenantName is what the pages call the tenant: its friendly name, else its name.
func (s *Server) tenantName() string {
	if n := s.tenant.Settings.FriendlyName; n != "" {
		return n
	}
	return s.tenant.Name
}
