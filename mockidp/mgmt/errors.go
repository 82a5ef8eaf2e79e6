package mgmt

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is an answer in the Management API's error shape: statusCode, error (the status
// text), message and errorCode, with Auth0's texts where they are known. The cause is for the
// log only.
type apiError struct {
	Status  int
	Message string
	Code    string
	// attributes carries the token error of a 401, as Auth0 repeats it there.
	attributes bool
	cause      string
}

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

func (e *apiError) Error() string { return e.Message }

// because returns a copy of e whose cause (logged, never sent) is why.
func (e *apiError) because(why string) *apiError {
	c := *e
	c.cause = why
	return &c
}

// badBody is a request body Auth0 would refuse (errorCode invalid_body).
func badBody(format string) *apiError {
	return newError(http.StatusBadRequest, "invalid_body", format)
}

// badQuery is a query string Auth0 would refuse (errorCode invalid_query_string).
func badQuery(message string) *apiError {
	return newError(http.StatusBadRequest, "invalid_query_string", message)
}

// payloadError words a body problem as Auth0 does: "Payload validation error: '...' on
// property p." (the go-auth0 recordings of a real tenant).
func payloadError(msg, property string) *apiError {
	m := "Payload validation error: '" + msg + "'"
	if property != "" {
		m += " on property " + property
	}
	return badBody(m + ".")
}

// The errors every endpoint may answer.
var (
	// errUnauthorized is Auth0's answer to a token it cannot accept; the other texts of a 401
	// follow the same shape.
	errUnauthorized = &apiError{Status: http.StatusUnauthorized, Message: "Invalid token", attributes: true}
	errMissingAuth  = &apiError{Status: http.StatusUnauthorized, Message: "Missing authentication"}
	errExpired      = &apiError{Status: http.StatusUnauthorized, Message: "Expired token received for JSON Web Token validation", attributes: true}
	errUnknownPath  = newError(http.StatusNotFound, "", "Not Found")
	errNoUser       = newError(http.StatusNotFound, "inexistent_user", "The user does not exist.")
	errUserExists   = newError(http.StatusConflict, "auth0_idp_error", "The user already exists.")
	// Auth0 does not publish the texts for a missing role, client, API or grant; these follow
	// its user's ("The user does not exist.", errorCode inexistent_user).
	errNoRole   = newError(http.StatusNotFound, "inexistent_role", "The role does not exist.")
	errNoClient = newError(http.StatusNotFound, "inexistent_client", "The client does not exist")
	errNoAPI    = newError(http.StatusNotFound, "inexistent_resource_server", "The resource server does not exist")
	errNoGrant  = newError(http.StatusNotFound, "inexistent_client_grant", "The client grant does not exist")
	errNoConn   = newError(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
)

func insufficientScope(scope string) *apiError {
	return newError(http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: "+scope)
}

func badAudience(aud []string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Message: "Bad audience: " + strings.Join(aud, " "), attributes: true}
}

// writeError writes e as JSON; its status text is the standard one, as Auth0's.
func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"statusCode": e.Status, "error": http.StatusText(e.Status), "message": e.Message}
	if e.Code != "" {
		body["errorCode"] = e.Code
	}
	if e.attributes {
		body["attributes"] = map[string]string{"error": e.Message}
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
