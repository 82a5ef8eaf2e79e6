package idp

import (
	"net/http"
	"strings"
)

// apiRoutes are the machine-facing endpoints: discovery, keys, token, userinfo, revoke, health,
// and the advertised ones that only say they are not emulated.
// The documents and the CORS origin set are computed here, once.
func (s *Server) apiRoutes() {
	cors := newCORSPolicy(s.tenant)
	api := func(path string, h http.HandlerFunc, methods ...string) {
		for _, m := range methods {
			s.mux.HandleFunc(m+" "+path, cors.wrap(h))
		}
		allowed := strings.Join(methods, ", ")
		s.mux.HandleFunc("OPTIONS "+path, cors.preflight(allowed))
		s.mux.HandleFunc(path, methodNotAllowed(allowed))
	}
	api("/.well-known/openid-configuration", serveDocument(s.discovery()), http.MethodGet)
	api("/.well-known/jwks.json", serveDocument(s.keys.JWKS()), http.MethodGet)
	api("/oauth/token", s.handleToken, http.MethodPost)
	api("/oauth/revoke", s.handleRevoke, http.MethodPost)
	api("/userinfo", s.handleUserinfo, http.MethodGet, http.MethodPost)
	for _, e := range notEmulatedEndpoints {
		api(e.path, e.handler(), http.MethodPost)
	}
	s.mux.HandleFunc("GET /healthz", handleHealth)
}

// methodNotAllowed answers any other method with 405 and the Allow header (RFC 9110 §15.5.6),
// as JSON like every other API error.
func methodNotAllowed(allowed string) http.HandlerFunc {
	refusal := newError(http.StatusMethodNotAllowed, "invalid_request", "Method not allowed; use "+allowed)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed)
		writeError(w, r, refusal)
	}
}
