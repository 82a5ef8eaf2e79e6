package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/localca"
)

// tlsClient is an HTTP client that trusts only roots, does not follow redirects and offers
// HTTP/2.
func tlsClient(roots *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// caPool is a pool holding the CA certificate in dir.
func caPool(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	p := x509.NewCertPool()
	require.True(t, p.AppendCertsFromPEM(data))
	return p
}

// writeKeyPair writes cert's chain and key as PEM files and returns their paths.
func writeKeyPair(t *testing.T, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, chain, 0o644))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600))
	return certFile, keyFile
}

// selfSigned is a self-signed server certificate for hosts, as openssl req -x509 makes one.
func selfSigned(t *testing.T, notAfter time.Time, hosts ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestServeHTTPS(t *testing.T) {
	caDir := filepath.Join(t.TempDir(), "tenantless")
	addr := freeAddr(t)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	issuer := "https://localhost:" + port + "/"
	env := envMap("MOCKIDP_CA_DIR", caDir, "MOCKIDP_ISSUER", issuer, "MOCKIDP_ADDR", addr)
	s := startServe(t, env, "--tls-host", "idp.test")
	banner := strings.Join(s.banner, "\n")
	caPath := filepath.Join(caDir, "ca.pem")
	assert.Contains(t, banner, "issuer     "+issuer)
	assert.Contains(t, banner, "https      certificate for localhost, idp.test, 127.0.0.1, ::1, signed by the local CA, until ")
	assert.Contains(t, banner, "ca         "+caPath+" (made now)")
	assert.Contains(t, banner, "trust      NODE_EXTRA_CA_CERTS="+caPath+", curl --cacert "+caPath+", or SSL_CERT_FILE=$(mockidp ca --bundle)")
	assert.Contains(t, banner, "try        curl -s --cacert "+caPath+" "+issuer+"oauth/token -d grant_type=client_credentials")

	trusting := tlsClient(caPool(t, caDir))
	t.Run("a client that trusts the CA gets HTTP/2 and https URLs", func(t *testing.T) {
		resp, err := trusting.Get(issuer + ".well-known/openid-configuration")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "HTTP/2.0", resp.Proto)
		var doc map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
		assert.Equal(t, issuer, doc["issuer"])
		assert.Equal(t, issuer+".well-known/jwks.json", doc["jwks_uri"])
	})
	t.Run("the certificate is for the issuer's host, loopback and --tls-host", func(t *testing.T) {
		resp, err := trusting.Get("https://127.0.0.1:" + port + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		leaf := resp.TLS.PeerCertificates[0]
		assert.Equal(t, []string{"localhost", "idp.test"}, leaf.DNSNames)
		for _, name := range []string{"localhost", "idp.test", "127.0.0.1", "::1"} {
			assert.NoError(t, leaf.VerifyHostname(name))
		}
		assert.LessOrEqual(t, leaf.NotAfter.Sub(leaf.NotBefore), 397*24*time.Hour)
	})
	t.Run("TLS 1.2 is accepted, 1.1 is not", func(t *testing.T) {
		for version, ok := range map[uint16]bool{tls.VersionTLS12: true, tls.VersionTLS11: false} {
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: caPool(t, caDir), ServerName: "localhost", MinVersion: version, MaxVersion: version})
			if ok {
				require.NoError(t, err)
				conn.Close()
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "protocol version")
			}
		}
	})
	t.Run("a client that does not trust the CA refuses it", func(t *testing.T) {
		system, err := x509.SystemCertPool()
		require.NoError(t, err)
		_, err = tlsClient(system).Get(issuer + "healthz")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate signed by unknown authority")
	})
	t.Run("plain http on the https port is refused", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
	t.Run("cookies are Secure", func(t *testing.T) {
		q := url.Values{
			"client_id": {"demo-spa"}, "redirect_uri": {"http://localhost:3000"}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
			"code_challenge_method": {"S256"},
		}
		resp, err := trusting.Get(issuer + "authorize?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode)
		require.NotEmpty(t, resp.Cookies())
		for _, c := range resp.Cookies() {
			assert.True(t, c.Secure, c.Name)
		}
	})
	t.Run("the banner's curl works", func(t *testing.T) {
		resp, err := trusting.PostForm(issuer+"oauth/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"demo-m2m"}, "client_secret": {"demo-m2m-secret"}, "audience": {"https://api.example.com"}})
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("healthcheck", func(t *testing.T) {
		other := t.TempDir()
		tests := []struct {
			name string
			env  []string
			args []string
			code int
			err  string
		}{
			{"follows MOCKIDP_ISSUER's scheme and trusts the CA", []string{"MOCKIDP_ISSUER", issuer, "MOCKIDP_ADDR", addr, "MOCKIDP_CA_DIR", caDir}, nil, 0, ""},
			{"--url and --ca-dir", nil, []string{"--url", issuer + "healthz", "--ca-dir", caDir}, 0, ""},
			{"by address", []string{"MOCKIDP_CA_DIR", caDir}, []string{"--url", "https://" + addr + "/healthz"}, 0, ""},
			{"another CA directory", []string{"MOCKIDP_ISSUER", issuer, "MOCKIDP_ADDR", addr, "MOCKIDP_CA_DIR", other}, nil, 1, "certificate signed by unknown authority"},
			{"http issuer probes http", []string{"MOCKIDP_ISSUER", "http://localhost:" + port + "/", "MOCKIDP_ADDR", addr, "MOCKIDP_CA_DIR", caDir}, nil, 1, "400 Bad Request"},
			{"unreadable --tls-cert", []string{"MOCKIDP_CA_DIR", caDir}, []string{"--url", issuer + "healthz", "--tls-cert", filepath.Join(other, "none.pem")}, 2, "--tls-cert: open "},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, _, stderr := runCmd(t, envMap(tt.env...), append([]string{"healthcheck"}, tt.args...)...)
				assert.Equal(t, tt.code, code, stderr)
				assert.Contains(t, stderr, tt.err)
			})
		}
		_, err := os.Stat(filepath.Join(other, "ca.pem"))
		assert.ErrorIs(t, err, os.ErrNotExist, "a probe makes no CA")
	})
	// Idle HTTP/2 connections would hold up the graceful shutdown.
	trusting.CloseIdleConnections()
	assert.Equal(t, 0, s.stop(t))

	t.Run("a restart reuses the CA", func(t *testing.T) {
		again := startServe(t, env)
		banner := strings.Join(again.banner, "\n")
		assert.Contains(t, banner, "ca         "+caPath+"\n")
		assert.Contains(t, banner, "https      certificate for localhost, 127.0.0.1, ::1, signed by the local CA")
		resp, err := trusting.Get(issuer + "healthz")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		trusting.CloseIdleConnections()
	})
}

func TestServeHTTPSJSONLog(t *testing.T) {
	caDir := t.TempDir()
	addr := freeAddr(t)
	s := startServe(t, envMap("MOCKIDP_CA_DIR", caDir), "--addr", addr, "--issuer", "https://"+addr+"/", "--log-format", "json")
	ready := s.readyJSON(t)
	assert.Equal(t, filepath.Join(caDir, "ca.pem"), ready["ca"])
	assert.Equal(t, true, ready["ca_created"])
	assert.Equal(t, []any{"localhost", "127.0.0.1", "::1"}, ready["tls_hosts"])
	assert.NotEmpty(t, ready["tls_not_after"])
	assert.Contains(t, ready["try"], "--cacert "+filepath.Join(caDir, "ca.pem"))
}

// TestServeOwnCertificate: --tls-cert and --tls-key serve the user's certificate and make no CA.
func TestServeOwnCertificate(t *testing.T) {
	other, err := localca.Load(t.TempDir(), localca.Options{})
	require.NoError(t, err)
	cert, err := other.Issue("localhost", "127.0.0.1")
	require.NoError(t, err)
	certFile, keyFile := writeKeyPair(t, cert)
	unused := filepath.Join(t.TempDir(), "ca")

	t.Run("from the environment", func(t *testing.T) {
		addr := freeAddr(t)
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		issuer := "https://localhost:" + port + "/"
		env := envMap("MOCKIDP_TLS_CERT", certFile, "MOCKIDP_TLS_KEY", keyFile, "MOCKIDP_CA_DIR", unused, "MOCKIDP_ISSUER", issuer, "MOCKIDP_ADDR", addr)
		s := startServe(t, env)
		banner := strings.Join(s.banner, "\n")
		assert.Contains(t, banner, "https      certificate for localhost, 127.0.0.1, from "+certFile+", until ")
		assert.NotContains(t, banner, "ca         ")
		assert.NotContains(t, banner, "--cacert")
		assert.NotContains(t, banner, "warning")
		pool := x509.NewCertPool()
		pool.AddCert(other.Certificate())
		client := tlsClient(pool)
		resp, err := client.Get(issuer + "healthz")
		require.NoError(t, err)
		resp.Body.Close()
		client.CloseIdleConnections()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, cert.Leaf.Raw, resp.TLS.PeerCertificates[0].Raw)

		code, _, stderr := runCmd(t, env, "healthcheck")
		assert.Equal(t, 0, code, "the probe trusts the certificate it was given: %s", stderr)
		_, err = os.Stat(unused)
		assert.ErrorIs(t, err, os.ErrNotExist, "no CA made")
	})
	t.Run("self-signed, from flags", func(t *testing.T) {
		selfCert, selfKey := writeKeyPair(t, selfSigned(t, time.Now().Add(24*time.Hour), "localhost", "127.0.0.1"))
		addr := freeAddr(t)
		issuer := "https://" + addr + "/"
		startServe(t, envMap("MOCKIDP_CA_DIR", unused), "--addr", addr, "--issuer", issuer, "--tls-cert", selfCert, "--tls-key", selfKey)
		code, _, stderr := runCmd(t, envMap("MOCKIDP_CA_DIR", unused, "MOCKIDP_ISSUER", issuer, "MOCKIDP_ADDR", addr), "healthcheck", "--tls-cert", selfCert)
		assert.Equal(t, 0, code, stderr)
		code, _, stderr = runCmd(t, envMap("MOCKIDP_CA_DIR", unused, "MOCKIDP_ISSUER", issuer, "MOCKIDP_ADDR", addr), "healthcheck")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "certificate signed by unknown authority")
	})
	t.Run("a certificate clients will refuse starts with warnings", func(t *testing.T) {
		expiredCert, expiredKey := writeKeyPair(t, selfSigned(t, time.Now().Add(-time.Minute), "localhost"))
		addr := freeAddr(t)
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		s := startServe(t, envMap(), "--addr", addr, "--issuer", "https://idp.test:"+port+"/", "--tls-cert", expiredCert, "--tls-key", expiredKey)
		banner := strings.Join(s.banner, "\n")
		assert.Contains(t, banner, "warning    "+expiredCert+" is not valid for the issuer's host idp.test: clients will refuse it")
		assert.Contains(t, banner, "warning    "+expiredCert+" expired on ")
	})
}

func TestServeRefusesBadTLSConfig(t *testing.T) {
	dir := t.TempDir()
	other, err := localca.Load(t.TempDir(), localca.Options{})
	require.NoError(t, err)
	a, err := other.Issue("localhost")
	require.NoError(t, err)
	b, err := other.Issue("localhost")
	require.NoError(t, err)
	certA, _ := writeKeyPair(t, a)
	_, keyB := writeKeyPair(t, b)
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o644))

	existing := filepath.Join(dir, "existing")
	code, _, stderr := runCmd(t, envMap("MOCKIDP_CA_DIR", existing), "ca", "--path")
	require.Equal(t, 0, code, stderr)
	openKey := filepath.Join(dir, "open")
	code, _, stderr = runCmd(t, envMap("MOCKIDP_CA_DIR", openKey), "ca", "--path")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, os.Chmod(filepath.Join(openKey, "ca-key.pem"), 0o640))
	aFile := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o644))

	const https = "https://localhost:4000/"
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		err  string
	}{
		{"--tls-cert alone", nil, []string{"--issuer", https, "--tls-cert", certA}, 2, "--tls-cert and --tls-key (MOCKIDP_TLS_CERT, MOCKIDP_TLS_KEY) go together: give both or neither"},
		{"MOCKIDP_TLS_KEY alone", []string{"MOCKIDP_TLS_KEY", keyB}, []string{"--issuer", https}, 2, "go together"},
		{"--tls-cert with an http issuer", nil, []string{"--tls-cert", certA, "--tls-key", keyB}, 2,
			`--tls-cert, --tls-key and --tls-host are for an https:// issuer, and the issuer is "http://localhost:4000/"`},
		{"--tls-host with an http issuer", nil, []string{"--issuer", "http://localhost:4000/", "--tls-host", "idp.test"}, 2, "are for an https:// issuer"},
		{"--tls-host with --tls-cert", nil, []string{"--issuer", https, "--tls-cert", certA, "--tls-key", keyB, "--tls-host", "idp.test"}, 2,
			"--tls-host names go into the certificate the local CA makes; with --tls-cert, put them in your certificate instead"},
		{"malformed --tls-host", nil, []string{"--issuer", https, "--tls-host", "idp test"}, 2, `invalid value "idp test" for flag -tls-host`},
		{"key of another certificate", nil, []string{"--issuer", https, "--tls-cert", certA, "--tls-key", keyB}, 1,
			"--tls-cert " + certA + " with --tls-key " + keyB + ": tls: private key does not match public key"},
		{"missing certificate file", nil, []string{"--issuer", https, "--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", keyB}, 1, "none.pem: no such file"},
		{"not PEM", nil, []string{"--issuer", https, "--tls-cert", notPEM, "--tls-key", keyB}, 1, "failed to find any PEM data in certificate input"},
		{"--tls-host outside the existing CA", []string{"MOCKIDP_CA_DIR", existing}, []string{"--issuer", https, "--tls-host", "mockidp"}, 1,
			"the local CA in " + existing + " may not vouch for mockidp"},
		{"issuer host outside the existing CA", []string{"MOCKIDP_CA_DIR", existing}, []string{"--issuer", "https://auth.example.com/"}, 1,
			"or remove " + existing + " so that the next start makes a CA that permits auth.example.com"},
		{"CA key readable by others", []string{"MOCKIDP_CA_DIR", openKey}, []string{"--issuer", https}, 1, "is readable by others (mode 0640)"},
		{"CA directory is a file", []string{"MOCKIDP_CA_DIR", aFile}, []string{"--issuer", https}, 1, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, envMap(tt.env...), append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.err)
			assert.NotContains(t, stderr, "mockidp ready")
		})
	}
}
