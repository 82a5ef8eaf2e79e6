package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// announce writes the one start-up block: where the tenant is served, what it holds, what is
// wrong with it, and a command that gets a token. In text format it is a plain block a person
// can copy from; in JSON it is one record (and one per warning).
func announce(w io.Writer, logger *slog.Logger, format string, em *emulator, addr string) {
	t := em.server.Tenant()
	issuer := em.server.Issuer()
	warnings := t.Warnings
	if em.generatedKey() {
		warnings = append(warnings, "the tenant names no signing key: one was generated for this run, so tokens will not verify after a restart")
	}
	try := clientCredentialsCurl(t, issuer, em.source)
	if format == "json" {
		attrs := []any{
			slog.String("issuer", issuer), slog.String("addr", addr), slog.String("tenant", t.Name),
			slog.Int("users", len(t.Users)), slog.Int("applications", len(t.Clients)), slog.Int("apis", len(t.APIs)),
		}
		if try != "" {
			attrs = append(attrs, slog.String("try", try))
		}
		logger.Info("mockidp ready", attrs...)
		for _, msg := range warnings {
			logger.Warn(msg)
		}
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mockidp ready: tenant %q (%s, %s, %s)\n", t.Name,
		plural(len(t.Users), "user"), plural(len(t.Clients), "application"), plural(len(t.APIs), "API"))
	fmt.Fprintf(&b, "  issuer     %s\n", issuer)
	fmt.Fprintf(&b, "  listening  %s\n", addr)
	fmt.Fprintf(&b, "  discovery  %s.well-known/openid-configuration\n", issuer)
	for _, msg := range warnings {
		fmt.Fprintf(&b, "  warning    %s\n", msg)
	}
	if try != "" {
		fmt.Fprintf(&b, "  try        %s\n", try)
	}
	_, _ = io.WriteString(w, b.String())
}

// clientCredentialsCurl is a ready-to-paste command that gets a token from the first
// application with a client grant, or "" when the tenant has none. The embedded demo tenant's
// secret is published (README) and is shown; a tenant file's is not, since the start-up block is
// a log record, and a placeholder says where to find it.
func clientCredentialsCurl(t *tenant.Tenant, issuer string, src tenantSource) string {
	for _, c := range t.Clients {
		if c.Public() {
			continue
		}
		for _, g := range t.Grants {
			if g.ClientID != c.ClientID {
				continue
			}
			secret := c.ClientSecret
			if src.path != "" {
				secret = "<the client_secret of " + c.ClientID + " in " + filepath.Base(src.path) + ">"
			}
			return strings.Join([]string{"curl", "-s", shellQuote(issuer + "oauth/token"),
				"-d", "grant_type=client_credentials",
				"--data-urlencode", shellQuote("client_id=" + c.ClientID),
				"--data-urlencode", shellQuote("client_secret=" + secret),
				"--data-urlencode", shellQuote("audience=" + g.Audience)}, " ")
		}
	}
	return ""
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain URL characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
