package api

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tenantless/tenantless/demoapp/jwtauth"
	"github.com/tenantless/tenantless/demoapp/web"
)

// maxBody caps request bodies. The API reads none; the cap only bounds what a client can make
// the server read before answering.
const maxBody = "64K"

// New builds the demo app, or returns a *ConfigError saying which setting to fix.
func New(cfg Config) (*echo.Echo, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	issuerOrigin, _ := origin(cfg.Issuer) // validate has checked it
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	validator, err := jwtauth.New(jwtauth.Config{Issuer: cfg.Issuer, Audience: cfg.Audience, JWKSURL: cfg.JWKSURI})
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// The remote address in the log is the peer's; X-Forwarded-For is anyone's to write.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = errorHandler(logger)
	e.Use(
		accessLog(logger),
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableErrorHandler: true, LogErrorFunc: panicError}),
		securityHeaders(issuerOrigin),
		middleware.BodyLimit(maxBody),
	)

	// Every route answers GET and HEAD alike (RFC 9110 §9.3.2); Echo, unlike net/http, does not
	// route HEAD to a GET handler by itself. Routes carry their middleware themselves rather than
	// through an Echo group: a group with middleware catches every method under its prefix, which
	// turns a wrong method on an API path into 404 instead of 405.
	get := func(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		e.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
	}
	for name, contentType := range map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"style.css":  "text/css; charset=utf-8",
	} {
		body, err := fs.ReadFile(web.Files, name)
		if err != nil {
			return nil, err
		}
		path := "/" + name
		if name == "index.html" {
			path = "/"
		}
		get(path, staticFile(contentType, body))
	}
	get("/auth_config.json", authConfig(cfg))

	authenticated := jwtauth.Middleware(validator)
	get("/api/open", message("Open Endpoint"), noStore)
	get("/api/members-only", message("Members Only Endpoint"), noStore, authenticated)
	get("/api/protected", message("Protected Endpoint"), noStore, authenticated, jwtauth.RequirePermissions("read:protected"))
	return e, nil
}

type messageBody struct {
	Message string `json:"message"`
}

func message(text string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, messageBody{Message: text})
	}
}

// authConfigBody is what the front end reads at start. "domain" is the issuer without its
// trailing slash, as auth0-spa-js takes it: every endpoint is domain + path.
type authConfigBody struct {
	Domain   string `json:"domain"`
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
	Audience string `json:"audience"`
}

func authConfig(cfg Config) echo.HandlerFunc {
	body := authConfigBody{
		Domain:   strings.TrimSuffix(cfg.Issuer, "/"),
		Issuer:   cfg.Issuer,
		ClientID: cfg.ClientID,
		Audience: cfg.Audience,
	}
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.JSON(http.StatusOK, body)
	}
}

func staticFile(contentType string, body []byte) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Revalidate on every load, so a new build is never mixed with a cached old module.
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.Blob(http.StatusOK, contentType, body)
	}
}

// noStore keeps API answers, protected ones included, out of every cache.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}
