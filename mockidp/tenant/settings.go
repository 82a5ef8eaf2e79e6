package tenant

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tenantless/tenantless/mockidp/signing"
)

// defaultSessionLifetime is Auth0's session_lifetime and idle_session_lifetime.
const defaultSessionLifetime = 72 * time.Hour

// maxSessionHours bounds the session lifetimes: one year; Auth0's plans allow less.
const maxSessionHours = 8760

var (
	tenantSchema = newSchema("tenant",
		[]string{"friendly_name", "default_audience", "session_lifetime", "idle_session_lifetime",
			"session_lifetime_in_minutes", "idle_session_lifetime_in_minutes", "allowed_logout_urls", "oidc_logout"},
		nil,
		"picture_url", "support_email", "support_url", "enabled_locales", "flags", "sandbox_version",
		"sandbox_versions_available", "default_directory", "default_redirection_uri", "error_page", "guardian_mfa_page",
		"change_password", "device_flow", "universal_login", "session_cookie", "sessions", "ephemeral_session_lifetime",
		"idle_ephemeral_session_lifetime", "customize_mfa_in_postlogin_action", "allow_organization_name_in_authentication_api",
		"acr_values_supported", "mtls", "pushed_authorization_requests_supported",
		"authorization_response_iss_parameter_supported", "default_token_quota",
		"skip_non_verifiable_callback_uri_confirmation_prompt", "resource_parameter_profile", "enable_client_connections",
		"phone_consolidated_experience")
	oidcLogoutSchema = newSchema("oidc_logout", []string{"rp_logout_end_session_endpoint_discovery"}, nil)
	tenantlessSchema = newSchema("tenantless",
		[]string{"signing_keys", "login_user_picker", "logout_revokes_refresh_tokens"}, nil)
	signingKeySchema = newSchema("signing key", []string{"file"},
		map[string]string{"file": "a PEM file, relative to the tenant file's directory"})
)

// text is a string value with its position, kept for a check made once the whole file is read.
type text struct {
	value string
	path  string
	node  *yaml.Node
}

// settings decodes the `tenant:` section and returns default_audience, checked once the APIs are known.
func (l *loader) settings(f field) (defaultAudience text) {
	if f.absent() {
		return text{}
	}
	s := &l.t.Settings
	var hours, idleHours, minutes, idleMinutes field
	l.fields(f, tenantSchema, func(g field) {
		switch g.key {
		case "friendly_name":
			l.name(g, &s.FriendlyName)
		case "default_audience":
			if l.name(g, &defaultAudience.value) {
				defaultAudience.path, defaultAudience.node = g.path, g.node
			}
		case "session_lifetime":
			hours = g
		case "idle_session_lifetime":
			idleHours = g
		case "session_lifetime_in_minutes":
			minutes = g
		case "idle_session_lifetime_in_minutes":
			idleMinutes = g
		case "allowed_logout_urls":
			s.AllowedLogoutURLs = l.urls(g, redirectURL, true)
		case "oidc_logout":
			if !g.absent() {
				l.fields(g, oidcLogoutSchema, func(h field) {
					l.boolean(h, &s.EndSessionDiscovery)
				})
			}
		}
	})
	l.lifetime(hours, minutes, &s.SessionLifetime)
	l.lifetime(idleHours, idleMinutes, &s.IdleSessionLifetime)
	return defaultAudience
}

// lifetime sets *dst from a number of hours or of minutes, of which the file may give one.
func (l *loader) lifetime(hours, minutes field, dst *time.Duration) {
	var v float64
	switch {
	case !hours.absent() && !minutes.absent():
		l.errorf(minutes.node, minutes.path, "set %s or %s, not both", hours.key, minutes.key)
	case l.number(hours, maxSessionHours, &v):
		*dst = time.Duration(v * float64(time.Hour))
	case l.number(minutes, maxSessionHours*60, &v):
		*dst = time.Duration(v * float64(time.Minute))
	}
}

// tenantless decodes the `tenantless:` section: what the emulator needs beyond Auth0's format.
func (l *loader) tenantless(f field) {
	if f.absent() {
		return
	}
	s := &l.t.Settings
	l.fields(f, tenantlessSchema, func(g field) {
		switch g.key {
		case "signing_keys":
			l.items(g, "signing keys ({file: key.pem})", l.signingKey)
		case "login_user_picker":
			l.boolean(g, &s.UserPicker)
		case "logout_revokes_refresh_tokens":
			l.boolean(g, &s.LogoutRevokesRefreshTokens)
		}
	})
}

// signingKey reads one `signing_keys:` entry's PEM file, relative to the tenant file's directory.
func (l *loader) signingKey(f field) {
	l.fields(f, signingKeySchema, func(g field) {
		var file string
		if !l.name(g, &file) {
			return
		}
		p := path.Join(path.Dir(l.file), file)
		if path.IsAbs(file) || strings.Contains(file, `\`) || !fs.ValidPath(p) {
			l.errorf(g.node, g.path, "%q must be a relative path with forward slashes, inside the tenant file's directory", file)
			return
		}
		data, err := readFile(l.fsys, p, 64<<10)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			l.errorf(g.node, g.path, "signing key file not found: looked for %q", p)
			return
		case err != nil:
			l.errorf(g.node, g.path, "cannot read signing key file %q: %v", p, err)
			return
		}
		_, key, err := signing.ParsePEM(data)
		if err != nil {
			l.errorf(g.node, g.path, "%s holds %v", p, err)
			return
		}
		for i, other := range l.t.SigningKeys {
			if bytes.Equal(other, key) {
				l.errorf(g.node, g.path, "%s holds the same key as signing key %d; each key must differ", p, i)
				return
			}
		}
		l.t.SigningKeys = append(l.t.SigningKeys, key)
	})
}
