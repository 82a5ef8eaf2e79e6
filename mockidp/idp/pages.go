package idp

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// assets are the browser pages: html/template escapes everything they reflect (S40), and the one
// stylesheet is served from this origin so no page needs inline styles or external resources.
//
//go:embed templates/*.html static/login.css
var assets embed.FS

var pages = template.Must(template.ParseFS(assets, "templates/*.html"))

// pageCSP is the policy of the emulator's own pages: no script, styles from the origin, forms
// posting to the origin and to the given URLs' origins (a browser applies form-action to the
// redirect that answers the login POST), and no framing (RFC 9700 §4.16; Universal Login
// refuses framing too, https://github.com/auth0/auth0-react/issues/783).
func pageCSP(formTargets ...string) string {
	action := "'self'"
	for _, t := range formTargets {
		if src, ok := cspSource(t); ok {
			action += " " + src
		}
	}
	return "default-src 'none'; style-src 'self'; form-action " + action + "; frame-ancestors 'none'; base-uri 'none'"
}

// cspSource is the CSP source expression for a URL's origin (scheme://host, or scheme: for a
// custom scheme), unless it cannot be written into the header safely.
func cspSource(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", false
	}
	src := u.Scheme + ":"
	if u.Host != "" {
		src = u.Scheme + "://" + u.Host
	}
	if strings.ContainsAny(src, " \t\r\n;,'\"") {
		return "", false
	}
	return src, true
}

// renderPage writes an HTML page with the headers every page carries. A page whose CSP forbids
// framing also sends X-Frame-Options for browsers that predate frame-ancestors.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name, csp string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.internalError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	if strings.Contains(csp, "frame-ancestors 'none'") {
		h.Set("X-Frame-Options", "DENY")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the status is out; a failed write is a gone client
}

// errorPageData is the data of templates/error.html.
type errorPageData struct {
	Error       string
	Description string
	Detail      string
}

// browserHandler is an endpoint a browser visits. It writes its answer when it succeeds and
// returns its error otherwise, for Server.browser to write.
type browserHandler func(w http.ResponseWriter, r *http.Request) error

// browser serves a browser endpoint and writes its error, the one place browser errors are
// written: a protocol error whose redirect URI is trusted goes back to the application, a
// failed login shows the login page again, any other protocol error is an error page that sends
// the browser nowhere, and anything else is an internal error.
func (s *Server) browser(h browserHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch err := h(w, r).(type) {
		case nil:
		case *redirectError:
			record(r, err.err)
			s.authorizeRespond(w, r, err.req,
				authResponse{Error: err.err.Code, ErrorDescription: err.err.Description, State: err.req.State})
		case *loginRetry:
			record(r, err.err)
			s.renderLogin(w, r, err.err.Status, err.req, err.username, err.err.Description)
		case *oauthError:
			s.errorPage(w, r, err)
		default:
			s.internalError(w, r, err)
		}
	}
}

// errorPage is the answer when no redirect is allowed (untrusted client or redirect URI, bad
// logout URL, expired login): Auth0's "error: description" text on a page of its own.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, e *oauthError) {
	record(r, e)
	s.renderPage(w, r, e.Status, "error.html", pageCSP(),
		errorPageData{Error: e.Code, Description: e.Description, Detail: e.detail})
}

// internalError answers 500 without err's text, which only the log gets.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	record(r, serverError(err))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "server_error: the emulator failed; see its log", http.StatusInternalServerError)
}

// serveStylesheet serves the pages' stylesheet; it holds nothing private, so it may be cached.
func serveStylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, assets, "static/login.css")
}
