package idp

// routes registers every endpoint on the mux. Paths are Auth0's, at the origin root (auth0-spa-js
// accepts only /oauth/token and /oauth/revoke on the domain's origin from its worker).
func (s *Server) routes() {
	s.apiRoutes()
	s.browserRoutes()
}
