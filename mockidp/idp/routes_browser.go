package idp

import "net/http"

// browserRoutes are the endpoints a browser visits: authorize, the login page, logout.
func (s *Server) browserRoutes() {
	// The login form only accepts same-origin posts: a cross-site POST (Sec-Fetch-Site, or an
	// Origin that is not this host) is login CSRF and gets 403 (RFC 9700 §4.7, S38).
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, newError(http.StatusForbidden, "access_denied", "Cross-site login requests are refused."), "")
	}))

	s.mux.HandleFunc("GET /authorize", s.authorize)
	s.mux.HandleFunc("GET /u/login", s.showLogin)
	s.mux.Handle("POST /u/login", csrf.Handler(http.HandlerFunc(s.submitLogin)))
	s.mux.HandleFunc("GET /u/static/login.css", serveStylesheet)
	s.mux.HandleFunc("GET /v2/logout", s.logoutV2)
	s.mux.HandleFunc("GET /oidc/logout", s.oidcLogout)
	s.mux.HandleFunc("POST /oidc/logout", s.oidcLogout)
}
