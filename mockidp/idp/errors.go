package idp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// oauthError is a protocol error as Auth0 writes it: {"error","error_description"[,"error_uri"]}
// with Auth0's status, which is not always RFC 6749's (403 for invalid_grant, as
// auth0/docs articles/api/authentication/errors/_errors.md lists it; 401 access_denied for bad
// client credentials, node-auth0#582).
//
// Auth0 gives several failures one text ("Invalid authorization code" for a code that is
// unknown, expired, spent, another client's or redeemed with another redirect_uri), so the
// error also carries a cause, as ory/fosite's debug field does: it reaches the request's log
// line and never the client. A cause names no secret, password, code, token or cookie value.
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	URI         string `json:"error_uri,omitempty"`

	cause     string // for the log; the description stands in when it says why by itself
	challenge string // the WWW-Authenticate challenge that goes with the answer (RFC 9110 §11.6.1)
	detail    string // extra context the error page shows under the error
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func newError(status int, code, description string) *oauthError {
	return &oauthError{Status: status, Code: code, Description: description}
}

// because returns a copy of e that the log explains with cause; the answer is e's.
func (e *oauthError) because(cause string) *oauthError {
	c := *e
	c.cause = cause
	return &c
}

// withChallenge returns a copy of e answered with a WWW-Authenticate challenge.
func (e *oauthError) withChallenge(challenge string) *oauthError {
	c := *e
	c.challenge = challenge
	return &c
}

// withDetail returns a copy of e whose error page adds detail.
func (e *oauthError) withDetail(detail string) *oauthError {
	c := *e
	c.detail = detail
	return &c
}

// errServer is what a client sees of an internal failure.
var errServer = newError(http.StatusInternalServerError, "server_error", "Internal error")

// serverError is an internal failure: err's text goes to the log only.
func serverError(err error) *oauthError { return errServer.because(err.Error()) }

// outcome is what the request's log line says of a failed request (Server.ServeHTTP). The
// writers of errors fill it in; nothing else does.
type outcome struct{ code, cause string }

type outcomeKey struct{}

func withOutcome(r *http.Request, o *outcome) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), outcomeKey{}, o))
}

// record notes e for the request's log line.
func record(r *http.Request, e *oauthError) {
	o, ok := r.Context().Value(outcomeKey{}).(*outcome)
	if !ok {
		return
	}
	o.code, o.cause = e.Code, e.cause
	if o.cause == "" {
		o.cause = e.Description
	}
}

// writeJSON writes v with the headers every token-endpoint answer carries (RFC 6749 §5.1), and
// nosniff so that no browser reads a reflected value as anything but JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// The status line is out; a failed write can only be a gone client.
	_ = json.NewEncoder(w).Encode(v)
}

// writeError is the one place a protocol error reaches a client as JSON.
func writeError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	record(r, e)
	if e.challenge != "" {
		w.Header().Set("WWW-Authenticate", e.challenge)
	}
	writeJSON(w, e.Status, e)
}

// writeFailure writes a handler's error: a protocol error as it is, anything else as a bare
// server_error whose text only the log gets.
func writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errors.AsType[*oauthError](err)
	if !ok {
		e = serverError(err)
	}
	writeError(w, r, e)
}
