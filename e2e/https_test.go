package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHTTPSProcesses runs docker-compose.https.yml's emulator and demo app as processes and checks
// what TestLoginFlow cannot see: every URL the emulator hands out is https, the TLS is real (a
// client without the CA is refused), the served certificate names what the compose network and
// the browser use, and the CA made in the shared volume is limited by name constraints.
func TestHTTPSProcesses(t *testing.T) {
	env := StartProcessesHTTPS(t)
	issuer, err := url.Parse(env.Issuer)
	require.NoError(t, err)
	require.Equal(t, "https", issuer.Scheme)

	t.Run("discovery names https endpoints only", func(t *testing.T) {
		r := get(t, env.Client(), env.Issuer+".well-known/openid-configuration")
		require.Equal(t, http.StatusOK, r.status, r.body)
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.body), &doc))
		assert.Equal(t, env.Issuer, doc["issuer"])
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "revocation_endpoint", "end_session_endpoint"} {
			v, _ := doc[k].(string)
			assert.True(t, strings.HasPrefix(v, env.Issuer), "%s = %q is not under the https issuer", k, v)
		}
	})

	t.Run("userinfo over TLS", func(t *testing.T) {
		c := env.Client()
		tok, _ := spaLogin(t, env, c, alice)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, env.IDPOrigin+"/userinfo", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r := do(t, c, req)
		require.Equal(t, http.StatusOK, r.status, r.body)
		var info map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.body), &info))
		assert.Equal(t, alice.sub, info["sub"])
		assert.Equal(t, alice.email, info["email"])
	})

	t.Run("login cookies are Secure", func(t *testing.T) {
		r := get(t, env.Client(), authorizeURL(env, newTransaction(t), url.Values{"response_mode": {"query"}}))
		require.Equal(t, http.StatusFound, r.status, r.body)
		cookies := (&http.Response{Header: r.header}).Cookies()
		require.NotEmpty(t, cookies)
		for _, c := range cookies {
			assert.True(t, c.Secure, "cookie %s", c.Name)
		}
	})

	t.Run("a client without the CA is refused", func(t *testing.T) {
		system, err := x509.SystemCertPool()
		if err != nil {
			system = x509.NewCertPool()
		}
		for name, roots := range map[string]*x509.CertPool{"system roots": system, "no roots": x509.NewCertPool()} {
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
			_, err := c.Get(env.IDPOrigin + "/healthz")
			var unknown x509.UnknownAuthorityError
			assert.ErrorAs(t, err, &unknown, name)
		}
	})

	t.Run("plain http on the https port is refused", func(t *testing.T) {
		r := get(t, &http.Client{}, "http://"+issuer.Host+"/healthz")
		assert.Equal(t, http.StatusBadRequest, r.status, "Go's TLS server answers plain HTTP with 400 and nothing else")
		assert.NotContains(t, r.body, "ok")
	})

	var leaf *x509.Certificate
	t.Run("TLS 1.2 and up, HTTP/2", func(t *testing.T) {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			conn, err := tls.Dial("tcp", issuer.Host, &tls.Config{RootCAs: env.roots, MinVersion: v, MaxVersion: v, NextProtos: []string{"h2", "http/1.1"}})
			require.NoError(t, err, tls.VersionName(v))
			st := conn.ConnectionState()
			assert.Equal(t, "h2", st.NegotiatedProtocol, tls.VersionName(v))
			leaf = st.PeerCertificates[0]
			require.NoError(t, conn.Close())
		}
		_, err := tls.Dial("tcp", issuer.Host, &tls.Config{RootCAs: env.roots, MaxVersion: tls.VersionTLS11})
		assert.Error(t, err, "TLS 1.1 is refused")
	})

	t.Run("the certificate's names", func(t *testing.T) {
		require.NotNil(t, leaf)
		assert.ElementsMatch(t, []string{"localhost", ServiceIDP}, leaf.DNSNames,
			"the issuer's host, and the service name the demo app's JWKS_URI uses (--tls-host)")
		var ips []string
		for _, ip := range leaf.IPAddresses {
			ips = append(ips, ip.String())
		}
		assert.ElementsMatch(t, []string{"127.0.0.1", "::1"}, ips)
		assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
		assert.False(t, leaf.IsCA)
		for _, host := range []string{"localhost", ServiceIDP, "127.0.0.1", "::1"} {
			assert.NoError(t, leaf.VerifyHostname(host), host)
		}
		assert.Error(t, leaf.VerifyHostname("example.com"))
	})

	t.Run("the CA's constraints", func(t *testing.T) {
		ca := readCertificate(t, env.CAFile)
		assert.True(t, ca.IsCA, "CA:TRUE: Node refuses a self-signed leaf as an extra CA")
		assert.True(t, ca.MaxPathLenZero, "the CA signs server certificates, not other CAs")
		assert.Equal(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, ca.KeyUsage)
		assert.True(t, ca.PermittedDNSDomainsCritical, "a verifier that cannot apply the constraints must refuse the CA")
		assert.ElementsMatch(t, []string{"localhost", "test", "internal", ServiceIDP}, ca.PermittedDNSDomains,
			"the reserved names, and the --tls-host name present when the CA was made")
		var ranges []string
		for _, r := range ca.PermittedIPRanges {
			ranges = append(ranges, r.String())
		}
		assert.ElementsMatch(t, []string{"127.0.0.0/8", "::1/128"}, ranges)
		require.NoError(t, leaf.CheckSignatureFrom(ca), "the served certificate is the CA's")

		// Even a certificate its own key signs for a real site fails to verify under it.
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: ServiceIDP})
		require.NoError(t, err)
		key := readCAKey(t, filepath.Dir(env.CAFile))
		for _, host := range []string{"example.com", "10.0.0.1", "localhost.example.com"} {
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(2), NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter,
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			}
			if ip := net.ParseIP(host); ip != nil {
				tmpl.IPAddresses = []net.IP{ip}
			} else {
				tmpl.DNSNames = []string{host}
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), key)
			require.NoError(t, err)
			forged, err := x509.ParseCertificate(der)
			require.NoError(t, err)
			_, err = forged.Verify(x509.VerifyOptions{Roots: roots})
			var invalid x509.CertificateInvalidError
			require.ErrorAs(t, err, &invalid, host)
			assert.Equal(t, x509.CANotAuthorizedForThisName, invalid.Reason, host)
		}
	})

	t.Run("the CA key is the owner's alone", func(t *testing.T) {
		entries, err := os.ReadDir(filepath.Dir(env.CAFile))
		require.NoError(t, err)
		var keys int
		for _, e := range entries {
			info, err := e.Info()
			require.NoError(t, err)
			data, err := os.ReadFile(filepath.Join(filepath.Dir(env.CAFile), e.Name()))
			require.NoError(t, err)
			if strings.Contains(string(data), "PRIVATE KEY") {
				keys++
				assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s holds the CA's key", e.Name())
			}
		}
		assert.Equal(t, 1, keys, "one file in the volume holds the CA's key")
	})
}

// readCAKey finds and parses the CA's private key in its directory.
func readCAKey(t *testing.T, dir string) crypto.Signer {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
			if block.Type == "PRIVATE KEY" {
				k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
				require.NoError(t, err)
				return k.(crypto.Signer)
			}
		}
	}
	t.Fatalf("no private key in %s", dir)
	return nil
}

// readCertificate parses the one certificate in a PEM file.
func readCertificate(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	block, rest := pem.Decode(data)
	require.NotNil(t, block, "%s holds no PEM block", file)
	assert.Empty(t, strings.TrimSpace(string(rest)), "%s holds one certificate", file)
	c, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return c
}
