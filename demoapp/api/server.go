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
		e.GET(path, staticFile(contentType, body))
	}
	e.GET("/auth_config.json", authConfig(cfg))

	api := e.Group("/api", noStore)
	authenticated := jwtauth.Middleware(validator)
	api.GET("/open", message("Open Endpoint"))
	api.GET("/members-only", message("Members Only Endpoint"), authenticated)
	api.GET("/protected", message("Protected Endpoint"), authenticated, jwtauth.RequirePermissions("read:protected"))
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
