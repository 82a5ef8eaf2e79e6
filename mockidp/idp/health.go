package idp

import "net/http"

// handleHealth is GET /healthz: 200 as soon as the server answers, since New has already
// loaded everything a request needs.
func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}
