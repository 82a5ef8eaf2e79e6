package idp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// webMessagePage is the data of templates/web_message.html, Auth0's page (a captured one:
// github.com/blackjackyau/auth0-token-renew-iframe-message-post, README.md).
type webMessagePage struct {
	Nonce        string
	TargetOrigin string
	Response     authResponse
}

// webMessageTarget checks that web_message may answer this redirect URI: the page posts the code to
// the redirect URI's origin, which must be one of the application's Allowed Web Origins
// (web_origins). Auth0 does not document its answer for an unlisted origin (the SDK only sees its
// timeout); the emulator shows an error page instead of a frameable response, so the
// misconfiguration is visible and nothing is posted to an origin the tenant did not list.
func webMessageTarget(c *tenant.Client, redirectURI string) *oauthError {
	origin, ok := webOrigin(redirectURI)
	if !ok {
		return newError(http.StatusBadRequest, "invalid_request", "response_mode=web_message needs an http(s) redirect_uri.")
	}
	if !originListed(origin, c.WebOrigins) {
		return newError(http.StatusBadRequest, "unauthorized_client",
			"The origin "+origin+" of the redirect_uri is not in the application's Allowed Web Origins, which response_mode=web_message requires.")
	}
	return nil
}

// renderWebMessage answers with the page that posts the response to the opener (popup) or parent
// (hidden iframe). Values reach the script JSON-encoded by html/template, so a state like
// "ab+/cd==" or one holding "</script>" arrives byte-exact and inert. Only the application's web
// origins may frame the page; it is the one page that must be frameable at all.
func (s *Server) renderWebMessage(w http.ResponseWriter, r *http.Request, req *authRequest, resp authResponse) {
	nonce := randomString(16)
	origin, _ := webOrigin(req.RedirectURI)
	ancestors := make([]string, 0, len(req.Client.WebOrigins))
	for _, o := range req.Client.WebOrigins {
		if src, ok := cspSource(o); ok {
			ancestors = append(ancestors, src)
		}
	}
	csp := "default-src 'none'; script-src 'nonce-" + nonce + "'; frame-ancestors " + strings.Join(ancestors, " ") +
		"; base-uri 'none'"
	s.renderPage(w, r, http.StatusOK, "web_message.html", csp,
		webMessagePage{Nonce: nonce, TargetOrigin: origin, Response: resp})
}

// webOrigin is the origin (scheme://host[:port]) of an http(s) URL.
func webOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// originListed reports whether an origin is in a list of Allowed Web Origins, with the CORS
// policy's matching (exact, or a "*." subdomain wildcard).
func originListed(origin string, list []string) bool {
	p := &corsPolicy{exact: map[string]bool{}}
	for _, o := range list {
		p.add(o)
	}
	return p.allows(origin)
}
