package jwtauth

import (
	"errors"
	"time"
)

var (
	// ErrInvalidToken is matched (errors.Is) by every error that rejects the token itself.
	ErrInvalidToken = errors.New("jwtauth: invalid token")
	// ErrKeysUnavailable is matched by the error returned when no signing keys have ever been
	// fetched and fetching them now failed. The token has not been judged.
	ErrKeysUnavailable = errors.New("jwtauth: signing keys unavailable")
)

// tokenError is why a token was refused. It is a string type so that every value is a constant
// of this package: the text goes into the error_description of a response header, and a constant
// cannot carry token content there (RFC 6750 §3 also limits that text to printable ASCII without
// '"' and '\').
type tokenError string

const (
	errTokenTooLarge  tokenError = "The access token is too large"
	errMalformed      tokenError = "The access token is malformed"
	errAlgorithm      tokenError = "The access token must be signed with RS256"
	errHeader         tokenError = "The access token header is not supported"
	errNoKeyID        tokenError = "The access token has no key id"
	errUnknownKey     tokenError = "The access token is signed with an unknown key"
	errSignature      tokenError = "The access token signature is invalid"
	errClaims         tokenError = "The access token claims are malformed"
	errIssuer         tokenError = "The access token issuer is not accepted"
	errAudience       tokenError = "The access token audience is not accepted"
	errNoExpiry       tokenError = "The access token has no expiry"
	errExpired        tokenError = "The access token has expired"
	errNotYetValid    tokenError = "The access token is not valid yet"
	errIssuedInFuture tokenError = "The access token is issued in the future"
)

func (e tokenError) Error() string { return "jwtauth: invalid token: " + string(e) }

func (e tokenError) Is(target error) bool { return target == ErrInvalidToken }

// keysUnavailableError carries the fetch failure for logs and when to try again for Retry-After.
type keysUnavailableError struct {
	retryAfter time.Duration
	cause      error
}

func (e *keysUnavailableError) Error() string {
	if e.cause == nil {
		return ErrKeysUnavailable.Error()
	}
	return ErrKeysUnavailable.Error() + ": " + e.cause.Error()
}

func (e *keysUnavailableError) Is(target error) bool { return target == ErrKeysUnavailable }

func (e *keysUnavailableError) Unwrap() error { return e.cause }
