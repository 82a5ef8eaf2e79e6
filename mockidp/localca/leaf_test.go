package localca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pool is a cert pool holding only the given certificates.
func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestIssue(t *testing.T) {
	ca, err := Load(t.TempDir(), Options{Names: []string{"mockidp", "10.0.0.5"}, Now: fixedClock(t0)})
	require.NoError(t, err)
	cert, err := ca.Issue("IdP.test", "localhost", "127.0.0.1", "::1", "idp.test", "mockidp", "10.0.0.5", "0:0:0:0:0:0:0:1")
	require.NoError(t, err)
	leaf := cert.Leaf
	require.NotNil(t, leaf)
	require.Len(t, cert.Certificate, 1, "the leaf alone: clients hold the CA")
	assert.Equal(t, leaf.Raw, cert.Certificate[0])

	assert.Equal(t, []string{"idp.test", "localhost", "mockidp"}, leaf.DNSNames, "lower case, once each, in order")
	require.Len(t, leaf.IPAddresses, 3)
	for i, want := range []string{"127.0.0.1", "::1", "10.0.0.5"} {
		assert.Equal(t, want, leaf.IPAddresses[i].String())
	}
	assert.Equal(t, "idp.test", leaf.Subject.CommonName)
	assert.False(t, leaf.IsCA)
	assert.True(t, leaf.BasicConstraintsValid)
	assert.Equal(t, x509.KeyUsageDigitalSignature, leaf.KeyUsage)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
	assert.Equal(t, ca.Certificate().SubjectKeyId, leaf.AuthorityKeyId)
	assert.Equal(t, t0.Add(-time.Hour), leaf.NotBefore)
	assert.Equal(t, 397*24*time.Hour, leaf.NotAfter.Sub(leaf.NotBefore))
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	require.True(t, ok, "%T", cert.PrivateKey)
	assert.Equal(t, elliptic.P256(), key.Curve)

	for _, name := range []string{"idp.test", "localhost", "mockidp", "127.0.0.1", "::1", "10.0.0.5"} {
		t.Run("verifies for "+name, func(t *testing.T) {
			_, err := leaf.Verify(x509.VerifyOptions{Roots: pool(ca.Certificate()), DNSName: name, CurrentTime: t0})
			assert.NoError(t, err)
		})
	}
	t.Run("a fresh key each time", func(t *testing.T) {
		again, err := ca.Issue("localhost")
		require.NoError(t, err)
		assert.False(t, key.PublicKey.Equal(again.Leaf.PublicKey))
	})
	t.Run("addresses only: no common name", func(t *testing.T) {
		c, err := ca.Issue("127.0.0.1")
		require.NoError(t, err)
		assert.Empty(t, c.Leaf.Subject.CommonName)
		assert.Empty(t, c.Leaf.DNSNames)
	})
}

func TestIssueLastsNoLongerThanTheCA(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, Options{Now: fixedClock(t0)})
	require.NoError(t, err)
	late := t0.AddDate(9, 11, 0)
	ca, err := Load(dir, Options{Now: fixedClock(late)})
	require.NoError(t, err)
	cert, err := ca.Issue("localhost")
	require.NoError(t, err)
	assert.Equal(t, ca.Certificate().NotAfter, cert.Leaf.NotAfter)
}

func TestIssueRefuses(t *testing.T) {
	dir := t.TempDir()
	ca, err := Load(dir, Options{Names: []string{"mockidp"}, Now: fixedClock(t0)})
	require.NoError(t, err)
	outside := []string{
		"example.com", "localhost.example.com", "testing", "mytest", "internal.example", "test.com",
		"xmockidp", "10.0.0.1", "192.168.1.1", "128.0.0.1", "::2", "fe80::1",
	}
	for _, host := range outside {
		t.Run(host, func(t *testing.T) {
			_, err := ca.Issue("localhost", host)
			require.Error(t, err)
			var ne *NameError
			require.True(t, errors.As(err, &ne), "%v", err)
			assert.Equal(t, host, ne.Host)
			assert.Equal(t, dir, ne.Dir)
			assert.Equal(t, []string{"127.0.0.0/8", "::1/128", "localhost", "test", "internal", "mockidp"}, ne.Permitted)
			assert.Contains(t, err.Error(), "may not vouch for "+host)
			assert.Contains(t, err.Error(), "Use a name under .localhost, .test or .internal, or remove "+dir)
			var direct *NameError
			require.ErrorAs(t, ca.CheckHost(host), &direct)
			assert.Equal(t, ne, direct)
		})
	}
	for _, host := range []string{"", "a b", "-x.test", "*.idp.test"} {
		t.Run("malformed "+host, func(t *testing.T) {
			_, err := ca.Issue(host)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "is not a host name or an IP address")
		})
	}
	t.Run("no host", func(t *testing.T) {
		_, err := ca.Issue()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no host")
	})
	t.Run("CA expired since it was loaded", func(t *testing.T) {
		now := t0
		expiring, err := Load(dir, Options{Now: func() time.Time { return now }})
		require.NoError(t, err)
		now = expiring.Certificate().NotAfter.Add(time.Second)
		_, err = expiring.Issue("localhost")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "expired")
	})
}

// TestConstraintsBindVerifiers: the name constraints are in the CA certificate, so a verifier
// refuses a certificate for a real site even if the CA key signs one.
func TestConstraintsBindVerifiers(t *testing.T) {
	ca, err := Load(t.TempDir(), Options{Now: fixedClock(t0)})
	require.NoError(t, err)
	tests := []struct {
		name string
		tmpl x509.Certificate
	}{
		{"DNS name", x509.Certificate{DNSNames: []string{"example.com"}}},
		{"DNS name beside a permitted one", x509.Certificate{DNSNames: []string{"localhost", "bank.example"}}},
		{"IP address", x509.Certificate{IPAddresses: []net.IP{net.ParseIP("93.184.216.34")}}},
		{"IPv6 address", x509.Certificate{IPAddresses: []net.IP{net.ParseIP("2001:db8::1")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			tmpl := tt.tmpl
			tmpl.Subject = pkix.Name{}
			tmpl.NotBefore, tmpl.NotAfter = t0.Add(-time.Hour), t0.Add(time.Hour)
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, &key.PublicKey, ca.key)
			require.NoError(t, err)
			leaf, err := x509.ParseCertificate(der)
			require.NoError(t, err)
			_, err = leaf.Verify(x509.VerifyOptions{Roots: pool(ca.Certificate()), CurrentTime: t0})
			var invalid x509.CertificateInvalidError
			require.True(t, errors.As(err, &invalid), "%v", err)
			assert.Equal(t, x509.CANotAuthorizedForThisName, invalid.Reason)
		})
	}
}

// TestTLSHandshake serves a certificate from the CA over real TLS on loopback: a client that
// trusts the CA gets HTTP/2; one that trusts only the system roots, or another local CA, does not.
func TestTLSHandshake(t *testing.T) {
	ca, err := Load(t.TempDir(), Options{})
	require.NoError(t, err)
	cert, err := ca.Issue("localhost", "127.0.0.1", "::1")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	other, err := Load(t.TempDir(), Options{})
	require.NoError(t, err)
	system, err := x509.SystemCertPool()
	require.NoError(t, err)

	client := func(roots *x509.CertPool) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
		}}
	}
	tests := []struct {
		name  string
		roots *x509.CertPool
		host  string
		err   string
	}{
		{"trusts the CA, by name", pool(ca.Certificate()), "localhost", ""},
		{"trusts the CA, by address", pool(ca.Certificate()), "127.0.0.1", ""},
		{"system roots only", system, "127.0.0.1", "certificate signed by unknown authority"},
		{"another local CA", pool(other.Certificate()), "localhost", "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client(tt.roots).Get("https://" + net.JoinHostPort(tt.host, port) + "/")
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "HTTP/2.0", string(body))
			assert.Equal(t, uint16(tls.VersionTLS13), resp.TLS.Version)
			assert.Equal(t, "h2", resp.TLS.NegotiatedProtocol)
		})
	}
}
