package jwtauth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// claimsKey is where Middleware leaves the claims in the Echo context; the package path keeps it
// clear of other middleware's keys.
const claimsKey = "github.com/tenantless/tenantless/demoapp/jwtauth.claims"

// Middleware lets a request through only with a valid Bearer access token in the Authorization
// header (RFC 6750 §2.1), and makes its claims available to ClaimsFrom. A refusal is written
// with writeError and also returned, for request loggers.
func Middleware(v *Validator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, refused := bearerToken(c.Request())
			if refused != nil {
				return writeError(c, refused)
			}
			claims, err := v.Validate(c.Request().Context(), token)
			if err != nil {
				return writeError(c, refusal(err))
			}
			c.Set(claimsKey, claims)
			return next(c)
		}
	}
}

// ClaimsFrom returns the claims Middleware verified for this request.
func ClaimsFrom(c echo.Context) (*Claims, bool) {
	claims, ok := c.Get(claimsKey).(*Claims)
	return claims, ok
}

// bearerToken reads the token from the Authorization header, the one method this package
// supports. RFC 6750 §2.2 and §2.3 also allow the form body and the query, but a token in a URL
// ends up in logs and histories, so a token sent only there is not seen at all; a request that
// sends it there and in the header is ambiguous and refused (§3.1: "more than one method").
func bearerToken(r *http.Request) (string, *authError) {
	values := r.Header.Values(echo.HeaderAuthorization)
	switch len(values) {
	case 0:
		return "", errNoToken
	case 1:
	default:
		return "", invalidRequest("The request has more than one Authorization header")
	}
	// RFC 9110 §11.1: the scheme is case-insensitive. Another scheme is not addressed to us, so
	// it gets the bare challenge like no credentials at all.
	scheme, credentials, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errNoToken
	}
	token := strings.TrimLeft(credentials, " ")
	if token == "" {
		return "", invalidRequest("The Bearer token is empty")
	}
	if strings.ContainsAny(token, " \t,") {
		return "", invalidRequest("The Authorization header must hold exactly one Bearer token")
	}
	if r.URL.Query().Has("access_token") {
		return "", invalidRequest("The access token must be sent in one place only")
	}
	if inBody, err := formHasToken(r); err != nil {
		return "", invalidRequest("The request body is not a valid form")
	} else if inBody {
		return "", invalidRequest("The access token must be sent in one place only")
	}
	return token, nil
}

// formHasToken parses a form body the way Echo's c.FormValue would, so handlers can still read it.
func formHasToken(r *http.Request) (bool, error) {
	if !strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return false, nil
	}
	if err := r.ParseForm(); err != nil {
		return false, err
	}
	return r.PostForm.Has("access_token"), nil
}

// RequirePermissions lets a request through only if the token's "permissions" claim (Auth0 RBAC)
// lists every one of perms. "scope" is not consulted: see the package documentation. It must be
// used after Middleware; perms must be non-empty RFC 6749 §3.3 scope tokens, and anything else
// panics when the route is built, as it is a programming error.
func RequirePermissions(perms ...string) echo.MiddlewareFunc {
	return requireGranted("RequirePermissions", perms, "The access token lacks a required permission", (*Claims).HasPermission)
}

// RequireScopes is RequirePermissions for APIs without RBAC: it reads only the space-separated
// "scope" claim.
func RequireScopes(scopes ...string) echo.MiddlewareFunc {
	return requireGranted("RequireScopes", scopes, "The access token lacks a required scope", (*Claims).HasScope)
}

func requireGranted(name string, want []string, description string, has func(*Claims, string) bool) echo.MiddlewareFunc {
	if len(want) == 0 {
		panic("jwtauth: " + name + " needs at least one name")
	}
	for _, w := range want {
		if !isScopeToken(w) {
			panic(fmt.Sprintf("jwtauth: %s: %q is not a valid scope token (RFC 6749 §3.3)", name, w))
		}
	}
	refused := &authError{
		status:      http.StatusForbidden,
		code:        codeInsufficientScope,
		description: description,
		scope:       strings.Join(want, " "),
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			claims, ok := ClaimsFrom(c)
			if !ok {
				return echo.NewHTTPError(http.StatusInternalServerError).SetInternal(fmt.Errorf("jwtauth: %s used without Middleware before it", name))
			}
			for _, w := range want {
				if !has(claims, w) {
					return writeError(c, refused)
				}
			}
			return next(c)
		}
	}
}

// isScopeToken checks RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), which also
// keeps the value safe inside the quoted scope="..." of the challenge.
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
