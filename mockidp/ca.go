package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantless/tenantless/mockidp/localca"
)

// systemRootFiles are where Linux distributions keep their bundle of trusted roots, in the order
// Go's crypto/x509 looks for them (src/crypto/x509/root_linux.go).
//
// SSL_CERT_FILE is deliberately not read: the bundle is made to become SSL_CERT_FILE, and reading
// it back would feed each bundle into the next one, keeping CAs that were since removed.
var systemRootFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

// caDirFlag is --ca-dir, shared by the commands that use the local CA.
func caDirFlag(fs *flag.FlagSet, env func(string) string) *string {
	return fs.String("ca-dir", envOr(env, "MOCKIDP_CA_DIR", defaultCADir()),
		"directory of the local CA that signs https certificates, made on first use [MOCKIDP_CA_DIR]")
}

// defaultCADir is a tenantless folder in the user's config directory, or "" when there is none
// (no $HOME): then --ca-dir must be given.
func defaultCADir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "tenantless")
}

// hostsFlag is a repeatable flag of host names and addresses, checked as they are given.
type hostsFlag []string

func (h *hostsFlag) String() string { return strings.Join(*h, ",") }

func (h *hostsFlag) Set(v string) error {
	name, err := localca.ParseName(v)
	if err != nil {
		return err
	}
	*h = append(*h, name)
	return nil
}

const tlsHostUsage = "another host name or address for the https certificate, e.g. a Compose service name (repeatable); " +
	"names outside localhost, .test and .internal are written into the local CA when it is made"

// isHTTPS reports whether the issuer asks for https; an issuer that does not parse is left for
// the emulator's own check to report.
func isHTTPS(issuer string) bool {
	u, err := url.Parse(issuer)
	return err == nil && u.Scheme == "https"
}

// caCommand prints the local CA's certificate, the path of its file (--path), or the path of a
// bundle of the system roots plus the CA (--bundle), making the CA first if there is none, so
// that NODE_EXTRA_CA_CERTS=$(mockidp ca --path) works before the server ever ran.
func caCommand(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ca", stderr)
	caDir := caDirFlag(fs, env)
	issuer := fs.String("issuer", envOr(env, "MOCKIDP_ISSUER", defaultIssuer),
		"issuer URL: when the CA is made, the host of an https issuer is one it may vouch for [MOCKIDP_ISSUER]")
	var hosts hostsFlag
	fs.Var(&hosts, "tls-host", tlsHostUsage)
	path := fs.Bool("path", false, "print the path of the CA certificate's file instead of the certificate")
	bundle := fs.Bool("bundle", false, "write the system roots plus the CA certificate to one file, for SSL_CERT_FILE, and print its path")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *path && *bundle {
		fmt.Fprintln(stderr, "mockidp ca: --path and --bundle print different files: give one")
		return 2
	}
	ca, err := openCA(*caDir, *issuer, hosts)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp ca: %v\n", err)
		return 1
	}
	if ca.Created() {
		fmt.Fprintf(stderr, "mockidp ca: made a new local CA in %s\n", ca.Dir())
	}
	switch {
	case *path:
		fmt.Fprintln(stdout, ca.CertPath())
	case *bundle:
		roots, err := systemRoots()
		if err != nil {
			fmt.Fprintf(stderr, "mockidp ca: %v\n", err)
			return 1
		}
		p, err := ca.WriteBundle(roots)
		if err != nil {
			fmt.Fprintf(stderr, "mockidp ca: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, p)
	default:
		_, _ = stdout.Write(ca.PEM())
	}
	return 0
}

// openCA loads the local CA in dir, making it if there is none with the host of an https issuer
// and hosts as names it may vouch for, and refuses a CA made earlier that may not vouch for them.
func openCA(dir, issuer string, hosts []string) (*localca.CA, error) {
	if dir == "" {
		return nil, errors.New("no directory for the local CA: set --ca-dir or MOCKIDP_CA_DIR " +
			"(the default, a tenantless folder in the user's config directory, needs $HOME or $XDG_CONFIG_HOME)")
	}
	names := hosts
	if isHTTPS(issuer) {
		u, _ := url.Parse(issuer) // isHTTPS parsed it
		names = append([]string{u.Hostname()}, hosts...)
	}
	ca, err := localca.Load(dir, localca.Options{Names: names})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if err := ca.CheckHost(n); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

// systemRoots reads the first system bundle that holds a certificate.
func systemRoots() ([]byte, error) {
	for _, path := range systemRootFiles {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if x509.NewCertPool().AppendCertsFromPEM(data) {
			return data, nil
		}
	}
	return nil, fmt.Errorf("no system bundle of root certificates in %s: --bundle is for Linux; elsewhere, add the CA certificate to the system's trust store",
		strings.Join(systemRootFiles, ", "))
}
