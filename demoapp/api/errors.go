package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// errorHandler answers errors that reach Echo with the same JSON shape the API's own refusals
// use. A response already written (jwtauth writes its own, then returns the reason for the log)
// is left alone. Internal error text goes to the access log, never to the client.
func errorHandler(logger *slog.Logger) func(error, echo.Context) {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := http.StatusInternalServerError
		if he, ok := errors.AsType[*echo.HTTPError](err); ok {
			status = he.Code
		}
		code := "invalid_request"
		switch {
		case status >= 500:
			code = "server_error"
		case status == http.StatusNotFound:
			code = "not_found"
		case status == http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		case status == http.StatusRequestEntityTooLarge:
			code = "request_too_large"
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, errorBody{Error: code, Description: http.StatusText(status)})
		}
		if err != nil {
			logger.Warn("writing an error response", slog.String("error", err.Error()))
		}
	}
}
