package api

import (
	"fmt"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// accessLog writes one line per request. It logs the path, never the query string (a client may
// put a token there) nor any header.
func accessLog(logger *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:   true,
		LogURIPath:  true,
		LogStatus:   true,
		LogLatency:  true,
		LogRemoteIP: true,
		LogError:    true,
		// The error handler runs first, so the logged status is the one the client got.
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("remote", v.RemoteIP),
			}
			level := slog.LevelInfo
			if v.Error != nil {
				attrs = append(attrs, slog.String("error", v.Error.Error()))
				if v.Status >= 500 {
					level = slog.LevelError
				}
			}
			logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// panicError turns a recovered panic into the request's error, so that the access log line
// carries it and the error handler answers 500.
func panicError(_ echo.Context, err error, stack []byte) error {
	return fmt.Errorf("panic: %w\n%s", err, stack)
}

// securityHeaders lets the page load only its own script and style, and talk to the issuer's
// origin: fetch for the token endpoint and the reachability probe, a frame for silent
// authentication, images for the user's picture. Pictures may also come from any https host,
// because Auth0 links them to Gravatar, cdn.auth0.com or the social provider's image host.
// Cross-Origin-Opener-Policy: same-origin costs nothing here: the page opens no popups, and the
// silent-authentication frame posts to its parent, which the policy does not touch.
func securityHeaders(issuerOrigin string) echo.MiddlewareFunc {
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data: https: " + issuerOrigin + "; " +
		"connect-src 'self' " + issuerOrigin + "; " +
		"frame-src " + issuerOrigin + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			// The page URL carries the authorization code for a moment after login; send it nowhere.
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
			return next(c)
		}
	}
}
