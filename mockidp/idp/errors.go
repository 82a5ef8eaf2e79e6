package idp

import (
	"encoding/json"
	"net/http"
)

// oauthError is a protocol error as Auth0 writes it: {"error","error_description"[,"error_uri"]}
// with Auth0's status, which is not always RFC 6749's (403 for invalid_grant, 401 access_denied
// for bad client credentials; see the wire spec §3.4).
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	URI         string `json:"error_uri,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func newError(status int, code, description string) *oauthError {
	return &oauthError{Status: status, Code: code, Description: description}
}

// writeJSON writes v with the headers every token-endpoint answer carries (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	// The status line is out; a failed write can only be a gone client.
	_ = json.NewEncoder(w).Encode(v)
}

// writeError is the one place a protocol error reaches a client.
func writeError(w http.ResponseWriter, e *oauthError) {
	writeJSON(w, e.Status, e)
}
