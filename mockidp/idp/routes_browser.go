package idp

// browserRoutes are the endpoints a browser visits: authorize, the login page, logout.
func (s *Server) browserRoutes() {}
