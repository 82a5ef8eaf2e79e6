package idp

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// loginLifetime bounds how long a login page may wait for its form.
const loginLifetime = 10 * time.Minute

// Messages of the login page, in Auth0's words where Auth0 has them (Lock's English strings).
const (
	msgWrongCredentials = "Wrong email or password."
	msgMissingFields    = "Enter your email address and password."
	msgTooManyAttempts  = "Your account has been blocked after multiple consecutive login attempts."
	msgBlocked          = "The user is blocked. The tenant marks this account blocked, so it cannot log in (user is blocked)."
	msgUnknownUser      = "That user is not in this tenant."
)

// errLoginUnknown answers a login page or form that belongs to no pending request in this
// browser: never issued, expired, already completed, or opened in another browser.
var errLoginUnknown = newError(http.StatusBadRequest, "invalid_request",
	"This login page is unknown or has expired, or this browser did not send its login cookie. Go back to the application and log in again.")

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
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, req *authRequest) {
	binding, err := s.loginBinding(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	id, err := s.randomString(24)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	csrf, err := s.randomString(24)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	req.ID, req.CSRF, req.Binding, req.Expires = id, csrf, binding, s.now().Add(loginLifetime)
	s.store.putLogin(req)
	redirect(w, s.endpoint("u/login")+"?state="+id, http.StatusFound)
}

// loginTransaction finds the pending request a login page belongs to, in this browser only.
func (s *Server) loginTransaction(r *http.Request, id string) (*authRequest, bool) {
	req, ok := s.store.pendingLogin(id, s.now())
	if !ok || subtle.ConstantTimeCompare([]byte(cookieValue(r, loginCookie)), []byte(req.Binding)) != 1 {
		return nil, false
	}
	return req, true
}

// showLogin is GET /u/login.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) {
	req, ok := s.loginTransaction(r, r.URL.Query().Get("state"))
	if !ok {
		s.errorPage(w, r, errLoginUnknown, "")
		return
	}
	s.renderLogin(w, r, http.StatusOK, req, req.LoginHint, "")
}

// submitLogin is POST /u/login: the password form (action=default, as Auth0's), or a one-click
// entry of the user picker (user_id). Cross-site posts were refused before (S38).
func (s *Server) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, newError(http.StatusBadRequest, "invalid_request", "The login form could not be read."), "")
		return
	}
	form := r.PostForm
	req, ok := s.loginTransaction(r, form.Get("state"))
	if !ok {
		s.errorPage(w, r, errLoginUnknown, "")
		return
	}
	if subtle.ConstantTimeCompare([]byte(form.Get("_csrf")), []byte(req.CSRF)) != 1 {
		s.errorPage(w, r, newError(http.StatusForbidden, "access_denied", "The login form's CSRF token is invalid."), "")
		return
	}
	if id := form.Get("user_id"); id != "" {
		s.pickUser(w, r, req, id)
		return
	}

	username, password := strings.TrimSpace(form.Get("username")), form.Get("password")
	if username == "" || password == "" {
		s.renderLogin(w, r, http.StatusBadRequest, req, username, msgMissingFields)
		return
	}
	// Failures count per login name, known or not, and the answer is the same for both, so
	// the page tells nobody which users exist (S44). A locked name stays locked even with the
	// right password, as with Auth0's brute-force protection.
	now := s.now()
	if s.store.loginLocked(username, now) {
		s.renderLogin(w, r, http.StatusTooManyRequests, req, username, msgTooManyAttempts)
		return
	}
	user, ok := s.tenant.UserByLogin(username)
	if !ok || user.Password == "" || subtle.ConstantTimeCompare([]byte(password), []byte(user.Password)) != 1 {
		s.store.loginResult(username, false, now)
		s.renderLogin(w, r, http.StatusBadRequest, req, username, msgWrongCredentials)
		return
	}
	s.store.loginResult(username, true, now)
	if user.Blocked {
		s.renderLogin(w, r, http.StatusForbidden, req, username, msgBlocked)
		return
	}
	s.loginSucceeded(w, r, req, user)
}

// pickUser logs in as a user of the picker, which only exists when the tenant shows it.
func (s *Server) pickUser(w http.ResponseWriter, r *http.Request, req *authRequest, id string) {
	if !s.tenant.Settings.UserPicker {
		s.errorPage(w, r, newError(http.StatusForbidden, "access_denied", "The user picker is turned off for this tenant."), "")
		return
	}
	user, ok := s.tenant.User(id)
	if !ok {
		s.renderLogin(w, r, http.StatusBadRequest, req, "", msgUnknownUser)
		return
	}
	if user.Blocked {
		s.renderLogin(w, r, http.StatusForbidden, req, user.Email, msgBlocked)
		return
	}
	s.loginSucceeded(w, r, req, user)
}

// loginSucceeded spends the pending request, opens the session and answers the application.
func (s *Server) loginSucceeded(w http.ResponseWriter, r *http.Request, req *authRequest, user *tenant.User) {
	if _, ok := s.store.takeLogin(req.ID, s.now()); !ok {
		s.errorPage(w, r, errLoginUnknown, "")
		return
	}
	sess, err := s.startSession(w, r, user)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.completeAuthorization(w, r, req, user, sess)
}

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
		for _, u := range s.tenant.Users {
			page.Users = append(page.Users, pickerUser{
				ID: u.UserID, Name: u.Name, Email: u.Email, Initials: tenant.Initials(u.Name),
				Roles: u.RoleNames(), Blocked: u.Blocked,
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
