package jwtauth

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Realm is the realm of every Bearer challenge this package sends.
const Realm = "api"

// RFC 6750 §3.1 error codes, plus temporarily_unavailable (RFC 6749 §4.1.2.1) for a key outage.
const (
	codeInvalidRequest         = "invalid_request"
	codeInvalidToken           = "invalid_token"
	codeInsufficientScope      = "insufficient_scope"
	codeTemporarilyUnavailable = "temporarily_unavailable"
)

// authError is a refusal as the client sees it. Every string in it is a constant of this package
// or a permission name checked at start-up, so headers never carry request content.
type authError struct {
	status int
	// code is the RFC 6750 error code; empty means "no credentials", answered with a bare challenge.
	code        string
	description string
	scope       string        // for insufficient_scope: what the route requires
	retryAfter  time.Duration // for temporarily_unavailable
	cause       error         // for the log only
}

func (e *authError) Error() string {
	msg := "jwtauth: " + strconv.Itoa(e.status) + " " + e.description
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *authError) Unwrap() error { return e.cause }

var errNoToken = &authError{status: http.StatusUnauthorized, description: "No authorization token was found"}

func invalidRequest(description string) *authError {
	return &authError{status: http.StatusBadRequest, code: codeInvalidRequest, description: description}
}

// refusal maps an error from Validator.Validate to what the client is told.
func refusal(err error) *authError {
	if unavailable, ok := errors.AsType[*keysUnavailableError](err); ok {
		return &authError{
			status:      http.StatusServiceUnavailable,
			code:        codeTemporarilyUnavailable,
			description: "The signing keys are temporarily unavailable",
			retryAfter:  unavailable.retryAfter,
			cause:       err,
		}
	}
	description := "The access token is invalid"
	if reason, ok := errors.AsType[tokenError](err); ok {
		description = string(reason)
	}
	return &authError{status: http.StatusUnauthorized, code: codeInvalidToken, description: description, cause: err}
}

// challenge is the WWW-Authenticate value (RFC 6750 §3), or "" when the refusal is not about
// credentials.
func (e *authError) challenge() string {
	if e.status != http.StatusUnauthorized && e.status != http.StatusForbidden && e.status != http.StatusBadRequest {
		return ""
	}
	var b strings.Builder
	b.WriteString(`Bearer realm="` + Realm + `"`)
	if e.code != "" {
		b.WriteString(`, error="` + e.code + `"`)
	}
	// RFC 6750 §3 makes error_description optional; the insufficient_scope challenge carries the
	// required scope instead, which is what a client can act on.
	if e.code != "" && e.code != codeInsufficientScope {
		b.WriteString(`, error_description="` + e.description + `"`)
	}
	if e.scope != "" {
		b.WriteString(`, scope="` + e.scope + `"`)
	}
	return b.String()
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// writeError is the one place refusals are written. It returns e after writing, so that request
// loggers can record why; Echo's default error handler leaves committed responses alone, and a
// custom one must check c.Response().Committed too.
func writeError(c echo.Context, e *authError) error {
	h := c.Response().Header()
	if challenge := e.challenge(); challenge != "" {
		h.Set(echo.HeaderWWWAuthenticate, challenge)
	}
	if e.retryAfter > 0 {
		h.Set(echo.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	h.Set(echo.HeaderCacheControl, "no-store")
	code := e.code
	if code == "" {
		code = "unauthorized"
	}
	if err := c.JSON(e.status, errorBody{Error: code, Description: e.description}); err != nil {
		return errors.Join(e, err)
	}
	return e
}
