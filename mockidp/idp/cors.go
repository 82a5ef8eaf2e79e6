package idp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// CORS answers, fixed: the request headers Auth0's SDKs send (Auth0-Client, DPoP, and
// Authorization for /userinfo) and the response header DPoP clients read (auth0-spa-js src/api.ts
// and src/http.ts; Auth0 does not document the full list it allows).
const (
	corsAllowHeaders  = "Authorization, Content-Type, Auth0-Client, DPoP"
	corsExposeHeaders = "DPoP-Nonce"
	corsMaxAge        = "86400"
)

// corsPolicy decides which origins may call the tenant from JavaScript. An origin is allowed
// when it is listed, byte for byte, in some application's Allowed Web Origins (web_origins) or
// Allowed Origins (allowed_origins), or is the origin of one of its callback URLs ("by default,
// all your callback URLs will be allowed", the allowed_origins description of Auth0's Management
// API). Auth0 does not document which list gates which endpoint, so every endpoint uses the
// union. A "*." in a listed origin's host stands for one or more DNS labels, as in Auth0's
// subdomain wildcards.
type corsPolicy struct {
	exact     map[string]bool
	wildcards []wildcardOrigin
}

// wildcardOrigin matches prefix + labels + suffix, e.g. "https://" + "a.b" + ".example.com".
type wildcardOrigin struct{ prefix, suffix string }

func newCORSPolicy(t *tenant.Tenant) *corsPolicy {
	p := &corsPolicy{exact: map[string]bool{}}
	for _, c := range t.Clients {
		for _, o := range c.WebOrigins {
			p.add(o)
		}
		for _, o := range c.AllowedOrigins {
			p.add(o)
		}
		for _, cb := range c.Callbacks {
			if u, err := url.Parse(cb); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
				p.add(u.Scheme + "://" + u.Host)
			}
		}
	}
	return p
}

func (p *corsPolicy) add(origin string) {
	if scheme, host, ok := strings.Cut(origin, "://*."); ok {
		p.wildcards = append(p.wildcards, wildcardOrigin{prefix: scheme + "://", suffix: "." + host})
		return
	}
	p.exact[origin] = true
}

func (p *corsPolicy) allows(origin string) bool {
	if origin == "" {
		return false
	}
	if p.exact[origin] {
		return true
	}
	for _, w := range p.wildcards {
		if len(origin) > len(w.prefix)+len(w.suffix) && strings.HasPrefix(origin, w.prefix) &&
			strings.HasSuffix(origin, w.suffix) && dnsLabels(origin[len(w.prefix):len(origin)-len(w.suffix)]) {
			return true
		}
	}
	return false
}

// dnsLabels reports whether s is one or more dot-separated labels of letters, digits and
// hyphens, so that a wildcard cannot match across a port, a user-info or a path.
func dnsLabels(s string) bool {
	for label := range strings.SplitSeq(s, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			switch ch := label[i]; {
			case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-':
			default:
				return false
			}
		}
	}
	return true
}

// wrap adds the CORS response headers to an endpoint's answers. An allowed origin is echoed
// with credentials allowed, never "*" (S42); an unlisted one gets no Access-Control-* header,
// so the browser withholds the answer from the page.
func (p *corsPolicy) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		if p.allows(origin) {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
			hdr.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		h(w, r)
	}
}

// preflight answers OPTIONS on an endpoint serving methods: 204 always (S42), with the CORS
// grant only for an allowed origin.
func (p *corsPolicy) preflight(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		hdr := w.Header()
		hdr.Set("Allow", methods+", OPTIONS")
		hdr.Add("Vary", "Origin")
		hdr.Add("Vary", "Access-Control-Request-Method")
		hdr.Add("Vary", "Access-Control-Request-Headers")
		if r.Header.Get("Access-Control-Request-Method") != "" && p.allows(origin) {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
			hdr.Set("Access-Control-Allow-Methods", methods)
			hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			hdr.Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
