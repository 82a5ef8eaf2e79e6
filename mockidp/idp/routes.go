package idp

import (
	"net/http"
	"strings"

	"github.com/tenantless/tenantless/mockidp/mgmt"
)

// routes registers every endpoint, at Auth0's paths from the origin root (auth0-spa-js's worker
// only calls /oauth/token and /oauth/revoke on the domain's origin).
func (s *Server) routes() {
	rt := newRouter(s.mux, &tenantCORS{tenant: s.tenant})
	rt.before = s.faulty

	// Machine-facing: JSON answers, CORS for the applications' origins, and a preflight.
	rt.api("GET /.well-known/openid-configuration", serveDocument(s.discovery()))
	rt.api("GET /.well-known/jwks.json", serveDocument(s.keys.JWKS()))
	rt.api("POST /oauth/token", s.handleToken)
	rt.api("POST /oauth/revoke", s.handleRevoke)
	rt.api("GET /userinfo", s.handleUserinfo)
	rt.api("POST /userinfo", s.handleUserinfo)
	for _, e := range notEmulatedEndpoints {
		rt.api("POST "+e.path, e.handler())
	}
	rt.handle("GET /healthz", handleHealth)
	rt.mux.Handle(mgmt.Prefix, s.mgmt)

	// Browser-facing: pages and redirects, whose errors s.browser writes.
	rt.handle("GET /authorize", s.browser(s.authorize))
	rt.handle("GET /u/login", s.browser(s.showLogin))
	rt.handle("POST /u/login", s.browser(sameOrigin(s.submitLogin)))
	rt.handle("GET /u/static/login.css", serveStylesheet)
	rt.handle("GET /v2/logout", s.browser(s.logoutV2))
	rt.handle("GET /oidc/logout", s.browser(s.oidcLogout))
	rt.handle("POST /oidc/logout", s.browser(s.oidcLogout))

	rt.finish()
}

// controlRoutes are the test controls under /tenantless/ (control.go), which a real tenant does
// not have. They are served apart from the snapshot's routes: a reload does not replace them,
// and the request journal and the faults leave them out.
func (s *Server) controlRoutes() http.Handler {
	rt := newRouter(http.NewServeMux(), nil)
	rt.handle("GET /tenantless/clock", s.getClock)
	rt.handle("POST /tenantless/clock", s.setClock)
	rt.handle("POST /tenantless/reload", s.handleReload)
	rt.handle("POST /tenantless/reset", s.handleReset)
	rt.handle("GET /tenantless/faults", s.listFaults)
	rt.handle("POST /tenantless/faults", s.addFault)
	rt.handle("DELETE /tenantless/faults", s.clearFaults)
	rt.handle("DELETE /tenantless/faults/{id}", s.removeFault)
	rt.handle("GET /tenantless/requests", s.listRequests)
	rt.handle("DELETE /tenantless/requests", s.clearRequests)
	rt.finish()
	return rt.mux
}

// router registers "METHOD /path" patterns and remembers each path's methods, so that every
// path answers the others with 405 and its Allow list, and a path nobody registered gets a
// JSON 404 rather than the mux's plain text.
type router struct {
	mux     *http.ServeMux
	cors    *tenantCORS
	paths   []string            // in registration order
	methods map[string][]string // path → methods served
	corsOn  map[string]bool     // paths that answer preflights
	// before wraps every handler registered: the faults (faults.go), inside CORS.
	before func(http.HandlerFunc) http.HandlerFunc
}

func newRouter(mux *http.ServeMux, cors *tenantCORS) *router {
	return &router{mux: mux, cors: cors, methods: map[string][]string{}, corsOn: map[string]bool{}}
}

func (rt *router) handle(pattern string, h http.HandlerFunc) {
	if rt.before != nil {
		h = rt.before(h)
	}
	rt.register(pattern, h)
}

func (rt *router) register(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	if _, seen := rt.methods[path]; !seen {
		rt.paths = append(rt.paths, path)
	}
	rt.methods[path] = append(rt.methods[path], method)
	rt.mux.HandleFunc(pattern, h)
}

func (rt *router) api(pattern string, h http.HandlerFunc) {
	if rt.before != nil {
		h = rt.before(h)
	}
	rt.register(pattern, rt.cors.wrap(h))
	_, path, _ := strings.Cut(pattern, " ")
	rt.corsOn[path] = true
}

func (rt *router) finish() {
	for _, path := range rt.paths {
		allowed := strings.Join(rt.methods[path], ", ")
		if rt.corsOn[path] {
			rt.mux.HandleFunc("OPTIONS "+path, rt.cors.preflight(allowed))
		}
		rt.mux.HandleFunc(path, methodNotAllowed(allowed))
	}
	rt.mux.HandleFunc("/", notFound)
}

// methodNotAllowed answers another method on a served path with 405 and the Allow header (RFC
// 9110 §15.5.6), as JSON like every other error of the API.
func methodNotAllowed(allowed string) http.HandlerFunc {
	refusal := newError(http.StatusMethodNotAllowed, "invalid_request", "Method not allowed; use "+allowed)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed)
		writeError(w, r, refusal)
	}
}

// errNotFound answers a path the emulator does not serve. What Auth0 answers for a path it does
// not have is not public: its Authentication API documents a 404 only as endpoint_disabled, for
// an endpoint a tenant turned off (auth0/docs articles/api/authentication/errors/_errors.md).
// The emulator answers in that JSON shape, with the standard name of the status (RFC 9110
// §15.5.5) as the code, so that a client reads a protocol error instead of the mux's text.
var errNotFound = newError(http.StatusNotFound, "not_found", "Not Found: the tenant has no endpoint at this path")

func notFound(w http.ResponseWriter, r *http.Request) { writeError(w, r, errNotFound) }
