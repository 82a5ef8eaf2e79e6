package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// announce writes the one start-up block: where the tenant is served, what it holds, what is
// wrong with it, how to trust its https certificate (st, nil for http), and a command that gets
// a token. In text format it is a plain block a person can copy from; in JSON it is one record
// (and one per warning).
func announce(w io.Writer, logger *slog.Logger, format string, em *emulator, addr string, st *serverTLS) {
	t := em.server.Tenant()
	issuer := em.server.Issuer()
	warnings := t.Warnings
	if em.generatedKey() {
		warnings = append(warnings, "the tenant names no signing key: one was generated for this run, so tokens will not verify after a restart")
	}
	var caPath string
	if st != nil {
		warnings = append(warnings, st.warnings...)
		if st.ca != nil {
			caPath = st.ca.CertPath()
		}
	}
	try := clientCredentialsCurl(t, issuer, em.source, caPath)
	control := em.controlState()
	if format == "json" {
		attrs := []any{
			slog.String("issuer", issuer), slog.String("addr", addr), slog.String("tenant", t.Name),
			slog.Int("users", len(t.Users())), slog.Int("applications", len(t.Clients())), slog.Int("apis", len(t.APIs())),
			slog.String("control", control),
		}
		if st != nil {
			attrs = append(attrs, slog.Any("tls_hosts", st.names()), slog.Time("tls_not_after", st.leaf.NotAfter))
			if st.ca != nil {
				attrs = append(attrs, slog.String("ca", caPath), slog.Bool("ca_created", st.ca.Created()))
			} else {
				attrs = append(attrs, slog.String("tls_cert", st.certFile))
			}
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
		plural(len(t.Users()), "user"), plural(len(t.Clients()), "application"), plural(len(t.APIs()), "API"))
	fmt.Fprintf(&b, "  issuer     %s\n", issuer)
	fmt.Fprintf(&b, "  listening  %s\n", addr)
	fmt.Fprintf(&b, "  discovery  %s.well-known/openid-configuration\n", issuer)
	fmt.Fprintf(&b, "  control    %s\n", control)
	if st != nil {
		from := "from " + st.certFile
		if st.ca != nil {
			from = "signed by the local CA"
		}
		fmt.Fprintf(&b, "  https      certificate for %s, %s, until %s\n", strings.Join(st.names(), ", "), from, st.leaf.NotAfter.Format(time.DateOnly))
	}
	if caPath != "" {
		made := ""
		if st.ca.Created() {
			made = " (made now)"
		}
		fmt.Fprintf(&b, "  ca         %s%s\n", caPath, made)
		fmt.Fprintf(&b, "  trust      NODE_EXTRA_CA_CERTS=%s, curl --cacert %s, or SSL_CERT_FILE=$(mockidp ca --bundle)\n",
			shellQuote(caPath), shellQuote(caPath))
	}
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
// a log record, and a placeholder says where to find it. With caPath, curl trusts the local CA.
func clientCredentialsCurl(t *tenant.Tenant, issuer string, src tenantSource, caPath string) string {
	for _, c := range t.Clients() {
		if c.Public() {
			continue
		}
		for _, g := range t.Grants() {
			if g.ClientID != c.ClientID {
				continue
			}
			secret := c.ClientSecret
			if src.path != "" {
				secret = "<the client_secret of " + c.ClientID + " in " + filepath.Base(src.path) + ">"
			}
			cmd := []string{"curl", "-s"}
			if caPath != "" {
				cmd = append(cmd, "--cacert", shellQuote(caPath))
			}
			return strings.Join(append(cmd, shellQuote(issuer+"oauth/token"),
				"-d", "grant_type=client_credentials",
				"--data-urlencode", shellQuote("client_id="+c.ClientID),
				"--data-urlencode", shellQuote("client_secret="+secret),
				"--data-urlencode", shellQuote("audience="+g.Audience)), " ")
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

// controlState says whether and how the control API is served, for the start-up block.
func (em *emulator) controlState() string {
	switch {
	case em.controlOff:
		return "off (--control=false)"
	case em.controlToken:
		return em.server.Issuer() + "tenantless/ (Bearer token required)"
	}
	return em.server.Issuer() + "tenantless/ (open: set --control-token to require a token)"
}
