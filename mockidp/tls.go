package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/tenantless/tenantless/mockidp/localca"
)

// tlsFlags are serve's https settings as given.
type tlsFlags struct {
	caDir    string
	hosts    hostsFlag
	certFile string
	keyFile  string
}

// check refuses combinations that cannot mean what was asked: one process serves one scheme,
// and a certificate is either brought or made.
func (f tlsFlags) check(issuer string) error {
	if (f.certFile == "") != (f.keyFile == "") {
		return errors.New("--tls-cert and --tls-key (MOCKIDP_TLS_CERT, MOCKIDP_TLS_KEY) go together: give both or neither")
	}
	if !isHTTPS(issuer) && (f.certFile != "" || len(f.hosts) > 0) {
		return fmt.Errorf("--tls-cert, --tls-key and --tls-host are for an https:// issuer, and the issuer is %q: "+
			"use an https:// --issuer to serve https, or drop them to serve http", issuer)
	}
	if f.certFile != "" && len(f.hosts) > 0 {
		return errors.New("--tls-host names go into the certificate the local CA makes; with --tls-cert, put them in your certificate instead")
	}
	return nil
}

// serverTLS is what serve needs for https: the TLS configuration and, for the start-up block,
// what it serves and where that comes from.
type serverTLS struct {
	config *tls.Config
	leaf   *x509.Certificate
	// ca signed leaf; nil when the certificate is the user's, in certFile.
	ca       *localca.CA
	certFile string
	warnings []string
}

// newServerTLS makes the https configuration for an https issuer: a certificate from the local
// CA for the issuer's host, loopback and the --tls-host names, or the certificate the user brings.
func newServerTLS(issuer string, f tlsFlags, now time.Time) (*serverTLS, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("--issuer %q: %w", issuer, err)
	}
	st := &serverTLS{certFile: f.certFile}
	var cert tls.Certificate
	if f.certFile != "" {
		if cert, err = tls.LoadX509KeyPair(f.certFile, f.keyFile); err != nil {
			return nil, fmt.Errorf("--tls-cert %s with --tls-key %s: %w", f.certFile, f.keyFile, err)
		}
		// The user may serve a name the emulator cannot see (a proxy's, say): say what clients
		// will refuse, but start.
		if err := cert.Leaf.VerifyHostname(u.Hostname()); err != nil {
			st.warnings = append(st.warnings, fmt.Sprintf("%s is not valid for the issuer's host %s: clients will refuse it", f.certFile, u.Hostname()))
		}
		if now.After(cert.Leaf.NotAfter) {
			st.warnings = append(st.warnings, fmt.Sprintf("%s expired on %s: clients will refuse it", f.certFile, cert.Leaf.NotAfter.Format(time.DateOnly)))
		}
	} else {
		if st.ca, err = openCA(f.caDir, issuer, f.hosts); err != nil {
			return nil, err
		}
		hosts := append([]string{u.Hostname(), "localhost", "127.0.0.1", "::1"}, f.hosts...)
		if cert, err = st.ca.Issue(hosts...); err != nil {
			return nil, err
		}
	}
	st.leaf = cert.Leaf
	// HTTP/2 is offered by http.Server.ServeTLS itself.
	st.config = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	return st, nil
}

// names are the host names and addresses the served certificate is for.
func (st *serverTLS) names() []string {
	names := append([]string(nil), st.leaf.DNSNames...)
	for _, ip := range st.leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}
