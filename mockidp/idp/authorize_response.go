package idp

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// authResponse is an authorization response, success or error. The JSON member order is the one
// Auth0's web_message page uses: code, state / error, error_description, state (a captured page:
// github.com/blackjackyau/auth0-token-renew-iframe-message-post, README.md).
//
// There is no `iss` (RFC 9207): Auth0 sends none and discovery does not advertise
// authorization_response_iss_parameter_supported, so a client that talks to several issuers
// defends against mix-up (RFC 9700 §4.4) by checking the ID token's `iss`, as auth0-spa-js does.
type authResponse struct {
	Code             string `json:"code,omitempty"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
	State            string `json:"state,omitempty"`
}

// field is one form or query parameter, in the order it is sent.
type field struct{ Name, Value string }

func (a authResponse) fields() []field {
	var out []field
	for _, f := range []field{
		{"code", a.Code}, {"error", a.Error}, {"error_description", a.ErrorDescription}, {"state", a.State},
	} {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// encode is the form encoding in Auth0's order (?code=…&state=…), not url.Values' sorted one.
// QueryEscape keeps state byte-exact: auth0-spa-js's padded base64 "+/=" become %2B %2F %3D.
func (a authResponse) encode() string {
	var b strings.Builder
	for i, f := range a.fields() {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Value))
	}
	return b.String()
}

// redirectError is an /authorize error that goes back to the application: the request's client
// and redirect URI are trusted (authorizeTarget), so the error travels to the redirect URI in
// the response mode, with the request's state (RFC 6749 §4.1.2.1).
type redirectError struct {
	req *authRequest
	err *oauthError
}

func (e *redirectError) Error() string { return e.err.Error() }

// fail is e, sent back to the application that made the request.
func (req *authRequest) fail(e *oauthError) error { return &redirectError{req: req, err: e} }

// authorizeRespond delivers a response in the request's response mode. Redirects answering the
// login form's POST are 303 so the browser follows with GET and never re-posts the password
// (RFC 9700 §4.12 forbids 307).
func (s *Server) authorizeRespond(w http.ResponseWriter, r *http.Request, req *authRequest, resp authResponse) {
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	switch req.ResponseMode {
	case modeFragment:
		redirect(w, req.RedirectURI+"#"+resp.encode(), status)
	case modeFormPost:
		s.renderFormPost(w, r, req.RedirectURI, resp.fields())
	case modeWebMessage:
		s.renderWebMessage(w, r, req, resp)
	default:
		redirect(w, withQuery(req.RedirectURI, resp.encode()), status)
	}
}

// withQuery appends encoded parameters to a URL, keeping any query it already has byte for byte.
func withQuery(base, encoded string) string {
	switch {
	case encoded == "":
		return base
	case !strings.Contains(base, "?"):
		return base + "?" + encoded
	case strings.HasSuffix(base, "?"), strings.HasSuffix(base, "&"):
		return base + encoded
	default:
		return base + "&" + encoded
	}
}

// redirect sends the browser on. Locations may carry a code, so nothing stores or leaks them.
func redirect(w http.ResponseWriter, location string, status int) {
	h := w.Header()
	h.Set("Location", location)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
}

// formPostPage is the data of templates/form_post.html.
type formPostPage struct {
	Action template.URL // a registered callback, checked by usableRedirect
	Fields []field
	Nonce  string
}

// renderFormPost answers with the standard auto-submitting form (OAuth 2.0 Form Post Response Mode,
// https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html; Auth0 does not publish its
// page). Only its own script may run, and the form may only go to the redirect URI's origin.
func (s *Server) renderFormPost(w http.ResponseWriter, r *http.Request, redirectURI string, fields []field) {
	nonce := randomString(16)
	target, ok := cspSource(redirectURI)
	if !ok {
		target = "'none'"
	}
	csp := "default-src 'none'; script-src 'nonce-" + nonce + "'; form-action " + target +
		"; frame-ancestors 'none'; base-uri 'none'"
	s.renderPage(w, r, http.StatusOK, "form_post.html", csp, formPostPage{Action: template.URL(redirectURI), Fields: fields, Nonce: nonce})
}
