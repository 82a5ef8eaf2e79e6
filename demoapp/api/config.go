package api

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Config describes the tenant the demo app trusts. For a real Auth0 tenant, Issuer, Audience and
// ClientID are all that change.
type Config struct {
	// Issuer is the tenant's issuer, with the trailing slash Auth0 puts in "iss":
	// "https://YOUR_TENANT.auth0.com/".
	Issuer string
	// Audience is the API identifier access tokens must be issued for.
	Audience string
	// ClientID is the front end's application (client) ID.
	ClientID string
	// JWKSURI, if set, is where the server fetches the signing keys instead of Issuer +
	// ".well-known/jwks.json": for when it reaches the issuer under another name than the
	// browser does, as inside a container network.
	JWKSURI string
	// Logger gets one line per request; default slog.Default().
	Logger *slog.Logger
}

// ConfigError names the Config field that cannot work and says how to fix it.
type ConfigError struct {
	Field   string
	Problem string
}

func (e *ConfigError) Error() string { return "api: " + e.Field + ": " + e.Problem }

func (c Config) validate() error {
	for _, f := range []struct{ name, value string }{
		{"Issuer", c.Issuer}, {"Audience", c.Audience}, {"ClientID", c.ClientID}, {"JWKSURI", c.JWKSURI},
	} {
		if strings.TrimSpace(f.value) != f.value {
			return &ConfigError{f.name, fmt.Sprintf("%q has leading or trailing white space; remove it", f.value)}
		}
	}
	if c.Issuer == "" {
		return &ConfigError{"Issuer", "is empty; set it to your tenant's issuer, e.g. https://YOUR_TENANT.auth0.com/"}
	}
	if _, err := origin(c.Issuer); err != nil {
		return &ConfigError{"Issuer", err.Error()}
	}
	if !strings.HasSuffix(c.Issuer, "/") {
		return &ConfigError{"Issuer", fmt.Sprintf(`%q must end with "/", as the "iss" of Auth0 tokens does (https://YOUR_TENANT.auth0.com/): add the trailing slash`, c.Issuer)}
	}
	if c.Audience == "" {
		return &ConfigError{"Audience", "is empty; set it to your API's identifier, e.g. https://api.example.com"}
	}
	if c.ClientID == "" {
		return &ConfigError{"ClientID", "is empty; set it to your single-page application's client ID"}
	}
	if c.JWKSURI != "" {
		if _, err := origin(c.JWKSURI); err != nil {
			return &ConfigError{"JWKSURI", err.Error()}
		}
	}
	return nil
}

// origin returns scheme://host[:port] of an absolute http(s) URL. The host is held to a
// conservative alphabet because it is written into the Content-Security-Policy header.
func origin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
		return "", fmt.Errorf("%q must not contain user info, a query or a fragment", raw)
	}
	for _, r := range u.Host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return "", fmt.Errorf("%q has a host name this app does not accept", raw)
		}
	}
	return u.Scheme + "://" + u.Host, nil
}
