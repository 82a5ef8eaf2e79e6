package idp

// browserRoutes are the endpoints a browser visits: authorize, the login page, logout. Their
// errors are values that s.browser writes.
func (s *Server) browserRoutes() {
	s.mux.HandleFunc("GET /authorize", s.browser(s.authorize))
	s.mux.HandleFunc("GET /u/login", s.browser(s.showLogin))
	s.mux.HandleFunc("POST /u/login", s.browser(sameOrigin(s.submitLogin)))
	s.mux.HandleFunc("GET /u/static/login.css", serveStylesheet)
	s.mux.HandleFunc("GET /v2/logout", s.browser(s.logoutV2))
	s.mux.HandleFunc("GET /oidc/logout", s.browser(s.oidcLogout))
	s.mux.HandleFunc("POST /oidc/logout", s.browser(s.oidcLogout))
}
