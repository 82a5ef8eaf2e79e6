package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/tenantless/tenantless/mockidp/localca"
)

// healthcheckTimeout bounds the whole probe, as a container healthcheck expects.
const healthcheckTimeout = 2 * time.Second

// healthcheck GETs a URL and exits 0 on 200, for images that have no curl. The default URL is
// /healthz on the address the server listens on, over https when MOCKIDP_ISSUER is https. An
// https probe trusts the system roots, the local CA in --ca-dir and the certificate in
// --tls-cert, which are what serve may be using.
func healthcheck(ctx context.Context, args []string, env func(string) string, stderr io.Writer) int {
	fs := newFlagSet("healthcheck", stderr)
	addr := fs.String("addr", envOr(env, "MOCKIDP_ADDR", defaultAddr), "the server's listen address, for the default --url [MOCKIDP_ADDR]")
	target := fs.String("url", "", "URL to probe (default: http://ADDR/healthz, or https:// when MOCKIDP_ISSUER is https)")
	caDir := caDirFlag(fs, env)
	tlsCert := fs.String("tls-cert", env("MOCKIDP_TLS_CERT"), "the certificate the server was given, trusted for an https probe [MOCKIDP_TLS_CERT]")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	u := *target
	if u == "" {
		scheme := "http"
		if isHTTPS(env("MOCKIDP_ISSUER")) {
			scheme = "https"
		}
		var err error
		if u, err = healthURL(scheme, *addr); err != nil {
			fmt.Fprintf(stderr, "mockidp healthcheck: %v\n", err)
			return 2
		}
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp healthcheck: %v\n", err)
		return 2
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// One request: a kept-alive connection would only hold up the server's graceful shutdown.
	transport.DisableKeepAlives = true
	if req.URL.Scheme == "https" {
		roots, err := healthcheckRoots(*caDir, *tlsCert)
		if err != nil {
			fmt.Fprintf(stderr, "mockidp healthcheck: %v\n", err)
			return 2
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp healthcheck: %s: %v\n", u, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "mockidp healthcheck: %s: %s\n", u, resp.Status)
		return 1
	}
	return 0
}

// healthcheckRoots are the system roots plus the local CA's certificate, when the CA exists (a
// probe makes none), and the certificates in certFile, when given: a self-signed certificate is
// its own anchor.
func healthcheckRoots(caDir, certFile string) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if caDir != "" {
		pem, err := os.ReadFile(localca.CertPath(caDir))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		case !roots.AppendCertsFromPEM(pem):
			return nil, fmt.Errorf("%s holds no PEM certificate", localca.CertPath(caDir))
		}
	}
	if certFile != "" {
		pem, err := os.ReadFile(certFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-cert %s holds no PEM certificate", certFile)
		}
	}
	return roots, nil
}

// healthURL is /healthz on a listen address; a wildcard host is probed on loopback.
func healthURL(scheme, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port), Path: "/healthz"}).String(), nil
}
