package idp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// responseMode is how an authorization response reaches the client (response_mode in
// github.com/auth0/docs, articles/api/authentication/api-authz/_authz-client.md).
type responseMode string

const (
	modeQuery      responseMode = "query"
	modeFragment   responseMode = "fragment"
	modeFormPost   responseMode = "form_post"
	modeWebMessage responseMode = "web_message"
)

var responseModes = []responseMode{modeQuery, modeFragment, modeFormPost, modeWebMessage}

// authorizeParams are the /authorize parameters the emulator reads; none may be repeated
// (RFC 6749 §3.1). Others (auth0Client, connection, ui_locales, custom ones) are ignored.
var authorizeParams = []string{
	"client_id", "redirect_uri", "response_type", "response_mode", "state", "nonce", "scope",
	"audience", "code_challenge", "code_challenge_method", "prompt", "max_age", "login_hint",
	"organization", "invitation",
}

// maxAuthorizeQuery bounds an /authorize query. Pending logins and codes keep state, nonce, scope
// and login_hint until they expire, so their size times the store's caps is the memory a flood
// can take; 16 KiB leaves room for auth0-spa-js's requests (about 1 KiB) and a 2 KiB state after
// percent-encoding.
const maxAuthorizeQuery = 16 << 10

// Bounds on the caller-chosen strings a pending login and its code keep until they expire,
// far above what SDKs send (auth0-spa-js's state and nonce are about 60 characters, its scope
// a few words) and far below what would let a flood of logins fill memory. redirect_uri and
// audience need none: they must equal a value of the tenant's.
const (
	// maxStateBytes bounds state, which is echoed in the redirect: one too long is refused
	// on an error page rather than sent back.
	maxStateBytes = 2 << 10
	maxNonceBytes = 2 << 10
	maxScopeBytes = 2 << 10
)

// boundedParams are the bounded parameters validateAuthorize refuses by redirect.
var boundedParams = []struct {
	name string
	max  int
}{
	{"nonce", maxNonceBytes},
	{"scope", maxScopeBytes},
	// A login name longer than the store keeps could never log in.
	{"login_hint", store.MaxIdentifierBytes},
}

// challengeLength is the length of an S256 code_challenge: base64url of 32 bytes, unpadded.
const challengeLength = 43

// errCallbackMismatch is Auth0's text for a redirect_uri that is not an Allowed Callback URL
// (https://support.auth0.com/center/s/article/Callback-URL-Mismatch-Error-Is-Not-in-the-List-of-Allowed-Callback-URLs).
var errCallbackMismatch = newError(http.StatusBadRequest, "unauthorized_client",
	"Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.")

// authRequest is a validated /authorize request. While the user logs in it waits in the store
// under ID, which the login page carries as ?state= the way Auth0's New Universal Login carries
// its own transaction (not the application's state).
type authRequest struct {
	Client       *tenant.Client
	RedirectURI  string
	ResponseMode responseMode
	State        string
	Nonce        string
	Scope        string      // as requested; narrowed by grantedScope when the code is issued
	API          *tenant.API // nil: no audience, opaque access token
	Challenge    string
	MaxAge       time.Duration
	HasMaxAge    bool
	PromptNone   bool
	PromptLogin  bool
	LoginHint    string
	// Query is the request's, for the post-login Actions' event.request.query.
	Query url.Values

	// Set when the request waits for a login.
	ID      string
	CSRF    string // the login forms' hidden token
	Binding string // the browser's login cookie: the transaction only completes in that browser
	Expires time.Time
}

// authorize is GET /authorize: parse, decide which errors may redirect, validate, then either
// answer at once from the SSO session or send the browser to the login page.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) error {
	q, req, e := s.authorizeRequest(r)
	if e != nil {
		return e
	}
	if e := s.validateAuthorize(q, req); e != nil {
		return req.fail(e)
	}
	req.Query = q

	sess, err := s.currentSession(r)
	if err != nil {
		return s.storeFailure(err)
	}
	user, why := s.sessionUser(req, sess)
	if user != nil {
		return s.completeAuthorization(w, r, req, user, sess, false)
	}
	// A silent request never renders a page: the login page forbids framing, so a hidden
	// iframe would hang until auth0-spa-js's 60 s timeout (auth0/auth0-react#783).
	if req.PromptNone {
		return req.fail(errLoginRequired.because(why))
	}
	return s.startLogin(w, r, req)
}

// sessionUser is the user of the browser's SSO session if the session may answer req without a
// login, and otherwise why it may not.
func (s *Server) sessionUser(req *authRequest, sess *store.Session) (*tenant.User, string) {
	switch {
	case sess == nil:
		return nil, "no SSO session in this browser"
	case req.PromptLogin:
		return nil, "prompt=login asks for a new login"
	case !s.fresh(req, sess):
		return nil, "the SSO session's login is older than max_age"
	}
	user, ok := s.tenant.User(sess.UserID)
	if !ok {
		return nil, "the SSO session's user is no longer in the tenant"
	}
	return user, ""
}

// errLoginRequired is Auth0's answer to prompt=none without a usable session
// (auth0/auth0-spa-js#345).
var errLoginRequired = newError(http.StatusBadRequest, "login_required", "Login required")

// fresh reports whether the session's login is recent enough for max_age (OIDC Core §3.1.2.1:
// past max_age seconds the user must authenticate again).
func (s *Server) fresh(req *authRequest, sess *store.Session) bool {
	return !req.HasMaxAge || s.now().Sub(sess.AuthTime) <= req.MaxAge
}

// authorizeTarget checks what must hold before any error may be sent to the redirect URI: a
// known client and a redirect URI registered for it, byte for byte (RFC 6749 §4.1.2.1, RFC 9700
// §4.1). Its errors are shown on an error page, never redirected.
func (s *Server) authorizeTarget(q url.Values) (*authRequest, *oauthError) {
	clientID, ok := single(q, "client_id")
	if !ok {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Parameter 'client_id' must not be repeated.")
	}
	if clientID == "" {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
	}
	client, found := s.tenant.Client(clientID)
	if !found {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Unknown client: "+clientID)
	}
	redirectURI, ok := single(q, "redirect_uri")
	if !ok {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Parameter 'redirect_uri' must not be repeated.")
	}
	// Auth0 falls back to a default callback; the emulator requires the parameter, as OAuth 2.1
	// and the conformance suite do, so a missing one is caught in development.
	if redirectURI == "" {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Missing required parameter: redirect_uri")
	}
	detail := "redirect_uri: " + redirectURI
	if !slices.Contains(client.Callbacks, redirectURI) {
		return nil, errCallbackMismatch.because("redirect_uri is not among client " + clientID + "'s callbacks").withDetail(detail)
	}
	if e := usableRedirect(redirectURI); e != nil {
		return nil, e.withDetail(detail)
	}

	req := &authRequest{Client: client, RedirectURI: redirectURI, ResponseMode: defaultMode(q)}
	// An unusable response_mode is reported through the default one (validateAuthorize).
	if raw, ok := single(q, "response_mode"); ok && slices.Contains(responseModes, responseMode(raw)) {
		req.ResponseMode = responseMode(raw)
	}
	if req.ResponseMode == modeWebMessage {
		if e := webMessageTarget(client, redirectURI); e != nil {
			return nil, e.withDetail(detail)
		}
	}
	// A repeated state is not echoed: which copy would be the client's is unknowable.
	req.State, _ = single(q, "state")
	if len(req.State) > maxStateBytes {
		return nil, newError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("Parameter 'state' is too long: at most %d bytes.", maxStateBytes))
	}
	return req, nil
}

// usableRedirect refuses a registered callback whose scheme would run script instead of
// reaching an application. The tenant loader has already required an absolute URL with a host
// and no fragment, but it lets native apps use custom schemes.
func usableRedirect(raw string) *oauthError {
	if u, err := url.Parse(raw); err != nil || u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "vbscript" {
		return newError(http.StatusBadRequest, "invalid_request", "The redirect_uri scheme is not allowed.")
	}
	return nil
}

// defaultMode is query for the code flow and fragment for anything that would return tokens
// (OAuth 2.0 Multiple Response Type Encoding Practices §5), used until response_mode is known.
func defaultMode(q url.Values) responseMode {
	if rt := q.Get("response_type"); rt == "" || rt == "code" {
		return modeQuery
	}
	return modeFragment
}

// validateAuthorize checks the rest of the request; its errors go back to the redirect URI. It
// fills req with what the code will be bound to.
func (s *Server) validateAuthorize(q url.Values, req *authRequest) *oauthError {
	bad := func(format string, a ...any) *oauthError {
		return newError(http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, a...))
	}
	for _, name := range authorizeParams {
		if len(q[name]) > 1 {
			return bad("Parameter '%s' must not be repeated.", name)
		}
	}
	for _, p := range boundedParams {
		if len(q.Get(p.name)) > p.max {
			return bad("Parameter '%s' is too long: at most %d bytes.", p.name, p.max)
		}
	}
	if raw := q.Get("response_mode"); raw != "" && !slices.Contains(responseModes, responseMode(raw)) {
		return bad("Unsupported response_mode: %s", raw)
	}

	// Only the code flow is emulated: auth0-spa-js and regular web apps use nothing else, and
	// the implicit and hybrid flows are deprecated (RFC 9700 §2.1.2).
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return bad("Missing required parameter: response_type")
	default:
		return newError(http.StatusBadRequest, "unsupported_response_type", "Unsupported response type: "+rt)
	}
	if !req.Client.AllowsGrant(tenant.GrantAuthorizationCode) {
		return newError(http.StatusForbidden, "unauthorized_client", "Grant type 'authorization_code' not allowed for the client.")
	}
	for _, name := range []string{"organization", "invitation"} {
		if e := noOrganizations(name, q.Get(name)); e != nil {
			return e
		}
	}
	// Discovery says request_parameter_supported, as Auth0's does; the parameters inside a
	// request object would be ignored here, so it is refused with OIDC Core §6's codes instead.
	if q.Get("request") != "" {
		return newError(http.StatusBadRequest, "request_not_supported", "The emulator does not support request objects (the request parameter).")
	}
	if q.Get("request_uri") != "" {
		return newError(http.StatusBadRequest, "request_uri_not_supported", "The emulator does not support the request_uri parameter.")
	}

	// PKCE is S256 only. Auth0's discovery lists "plain" but its docs say only S256 is supported
	// (github.com/auth0/docs, articles/api/authentication/api-authz/_authz-client.md); plain
	// protects nothing once the request leaks (RFC 7636 §7.2), and a missing method means plain
	// (RFC 7636 §4.3), so both are refused.
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return bad("Missing required parameter: code_challenge")
	case challenge == "" && req.Client.Public():
		// A public client has no secret: without PKCE a stolen code is a stolen login
		// (RFC 9700 §2.1.1).
		return bad("PKCE required: public clients must send code_challenge with code_challenge_method=S256.")
	case challenge != "" && method != "S256":
		return bad("Unsupported code_challenge_method: only S256 is supported.")
	case challenge != "" && !isChallenge(challenge):
		return bad("Invalid code_challenge: expected %d base64url characters (S256).", challengeLength)
	}
	req.Challenge = challenge

	api, e := s.apiFor(q.Get("audience"))
	if e != nil {
		return e
	}
	req.API = api

	for _, p := range strings.Fields(q.Get("prompt")) {
		switch p {
		case "none":
			req.PromptNone = true
		case "login":
			req.PromptLogin = true
		case "consent", "select_account":
			// First-party applications skip consent on Auth0, and a browser holds one session.
		default:
			return bad("Unsupported prompt value: %s", p)
		}
	}
	if req.PromptNone && len(strings.Fields(q.Get("prompt"))) > 1 {
		return bad("The prompt value 'none' must not be combined with other values.")
	}

	if raw := q.Get("max_age"); raw != "" {
		secs, err := strconv.ParseUint(raw, 10, 31)
		if err != nil {
			return bad("Invalid max_age: expected a number of seconds.")
		}
		req.MaxAge, req.HasMaxAge = time.Duration(secs)*time.Second, true
	}

	req.Nonce = q.Get("nonce")
	req.Scope = q.Get("scope")
	req.LoginHint = q.Get("login_hint")
	return nil
}

// single returns a parameter's value, "" when absent; ok is false when it is repeated.
func single(q url.Values, name string) (value string, ok bool) {
	switch v := q[name]; len(v) {
	case 0:
		return "", true
	case 1:
		return v[0], true
	default:
		return "", false
	}
}

// isChallenge reports whether s looks like an S256 challenge (RFC 7636 §4.2).
func isChallenge(s string) bool {
	if len(s) != challengeLength {
		return false
	}
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// completeAuthorization runs the post-login Actions, issues a code for a logged-in user and
// answers in the response mode. A login the Actions refuse goes back to the application as
// access_denied, as Auth0 sends it to the callback URL
// (https://community.auth0.com/t/action-error-is-not-displayed-in-the-universal-login-page/94195),
// and the session a fresh login opened (fresh) ends with it.
func (s *Server) completeAuthorization(w http.ResponseWriter, r *http.Request, req *authRequest, user *tenant.User, sess *store.Session, fresh bool) error {
	if user.Blocked {
		return req.fail(newError(http.StatusUnauthorized, "access_denied", "user is blocked"))
	}
	out, e := s.postLogin(login{r: r, client: req.Client, user: user, api: req.API, scope: req.Scope,
		protocol: protocolCode, sessionID: sess.ID, authTime: sess.AuthTime, query: req.Query, req: req})
	if e != nil {
		if fresh {
			if err := s.store.EndSession(r.Context(), sess.ID, false); err != nil {
				return s.storeFailure(err)
			}
		}
		return req.fail(e)
	}
	code := randomString(32)
	audience := ""
	if req.API != nil {
		audience = req.API.Identifier
	}
	// The code is written before it is handed out: a store that refuses it refuses the login.
	err := s.store.PutCode(r.Context(), store.AuthCode{
		Code:        code,
		ClientID:    req.Client.ClientID,
		RedirectURI: req.RedirectURI,
		Challenge:   req.Challenge,
		Scope:       strings.Join(s.grantedScope(req.Scope, req.Client, user, req.API), " "),
		Audience:    audience,
		Nonce:       req.Nonce,
		UserID:      user.UserID,
		SessionID:   sess.ID,
		AuthTime:    sess.AuthTime,
		MaxAge:      req.HasMaxAge,
		Expires:     s.now().Add(s.codeTTL),
		Grant:       randomString(16),
		Actions:     out,
	}, s.now())
	if err != nil {
		return s.storeFailure(err)
	}
	s.authorizeRespond(w, r, req, authResponse{Code: code, State: req.State})
	return nil
}

// authorizeRequest parses an /authorize query within its bound and finds the client and
// redirect_uri it may answer to: until they are trusted, errors are shown on the error page,
// never sent to the redirect_uri (RFC 6749 §4.1.2.1).
func (s *Server) authorizeRequest(r *http.Request) (url.Values, *authRequest, *oauthError) {
	if len(r.URL.RawQuery) > maxAuthorizeQuery {
		return nil, nil, newError(http.StatusRequestURITooLong, "invalid_request", "The request is too long.")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, newError(http.StatusBadRequest, "invalid_request", "The query string could not be parsed.")
	}
	req, e := s.authorizeTarget(q)
	if e != nil {
		return nil, nil, e
	}
	return q, req, nil
}
