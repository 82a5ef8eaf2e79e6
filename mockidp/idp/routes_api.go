package idp

import "net/http"

// apiRoutes are the machine-facing endpoints: discovery, keys, token, userinfo, revoke, health.
func (s *Server) apiRoutes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
}
