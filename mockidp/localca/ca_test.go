package localca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedClock is a clock stopped at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// readCert parses the one certificate in a PEM file.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	b, rest := pem.Decode(data)
	require.NotNil(t, b)
	require.Equal(t, "CERTIFICATE", b.Type)
	require.Empty(t, rest)
	cert, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	return cert
}

func TestLoadMakesConstrainedCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tenantless")
	ca, err := Load(dir, Options{Names: []string{"mockidp", "idp.test", "Auth.Corp.Example.", "10.0.0.5", "127.0.0.2", "fd00::1"}, Now: fixedClock(t0)})
	require.NoError(t, err)
	assert.True(t, ca.Created())
	assert.Equal(t, dir, ca.Dir())
	assert.Equal(t, filepath.Join(dir, "ca.pem"), ca.CertPath())
	assert.Equal(t, CertPath(dir), ca.CertPath())

	// What a verifier sees is the file, not the value in memory.
	cert := readCert(t, ca.CertPath())
	assert.Equal(t, ca.Certificate().Raw, cert.Raw)
	assert.Equal(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), ca.PEM())

	t.Run("a real CA that signs nothing below it", func(t *testing.T) {
		assert.True(t, cert.BasicConstraintsValid)
		assert.True(t, cert.IsCA)
		assert.Equal(t, 0, cert.MaxPathLen)
		assert.True(t, cert.MaxPathLenZero)
		assert.Equal(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, cert.KeyUsage)
		assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, cert.ExtKeyUsage)
		assert.NotEmpty(t, cert.SubjectKeyId)
		require.NoError(t, cert.CheckSignatureFrom(cert), "self-signed")
	})
	t.Run("P-256 key, ten years from an hour ago", func(t *testing.T) {
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		require.True(t, ok, "%T", cert.PublicKey)
		assert.Equal(t, elliptic.P256(), pub.Curve)
		assert.Equal(t, x509.ECDSAWithSHA256, cert.SignatureAlgorithm)
		assert.Equal(t, t0.Add(-time.Hour), cert.NotBefore)
		assert.Equal(t, t0.Add(-time.Hour).Add(10*365*24*time.Hour), cert.NotAfter)
	})
	t.Run("critical name constraints: loopback, reserved names and the names given", func(t *testing.T) {
		var ext bool
		for _, e := range cert.Extensions {
			if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 30}) {
				ext = true
				assert.True(t, e.Critical)
			}
		}
		assert.True(t, ext, "nameConstraints extension")
		assert.True(t, cert.PermittedDNSDomainsCritical)
		// idp.test and 127.0.0.2 are inside the reserved subtrees already.
		assert.Equal(t, []string{"localhost", "test", "internal", "mockidp", "auth.corp.example"}, cert.PermittedDNSDomains)
		var ranges []string
		for _, r := range cert.PermittedIPRanges {
			ranges = append(ranges, r.String())
		}
		assert.Equal(t, []string{"127.0.0.0/8", "::1/128", "10.0.0.5/32", "fd00::1/128"}, ranges)
		assert.Empty(t, cert.ExcludedDNSDomains)
		assert.Empty(t, cert.PermittedEmailAddresses)
	})
	t.Run("owner-only directory and key, readable certificate", func(t *testing.T) {
		for path, mode := range map[string]os.FileMode{
			dir:                              0o700 | os.ModeDir,
			filepath.Join(dir, "ca-key.pem"): 0o600,
			filepath.Join(dir, "ca.pem"):     0o644,
		} {
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, mode, info.Mode(), path)
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.Equal(t, []string{"ca-key.pem", "ca.pem"}, names, "no temporary files left")
	})
	t.Run("the certificate file holds no key", func(t *testing.T) {
		data, err := os.ReadFile(ca.CertPath())
		require.NoError(t, err)
		assert.NotContains(t, string(data), "PRIVATE KEY")
	})
}

func TestLoadReusesTheCA(t *testing.T) {
	dir := t.TempDir()
	first, err := Load(dir, Options{})
	require.NoError(t, err)
	keyBefore, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	require.NoError(t, err)

	// Names given later do not change a CA that exists: its constraints are fixed.
	second, err := Load(dir, Options{Names: []string{"mockidp"}})
	require.NoError(t, err)
	assert.False(t, second.Created())
	assert.Equal(t, first.Certificate().Raw, second.Certificate().Raw)
	assert.Equal(t, []string{"localhost", "test", "internal"}, second.Certificate().PermittedDNSDomains)
	keyAfter, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	require.NoError(t, err)
	assert.Equal(t, keyBefore, keyAfter)

	t.Run("a missing or stale certificate file is written again", func(t *testing.T) {
		for _, content := range []string{"", "stale"} {
			path := filepath.Join(dir, "ca.pem")
			if content == "" {
				require.NoError(t, os.Remove(path))
			} else {
				require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
			}
			ca, err := Load(dir, Options{})
			require.NoError(t, err)
			assert.False(t, ca.Created())
			assert.Equal(t, first.Certificate().Raw, readCert(t, path).Raw)
		}
	})
	t.Run("a lost key makes a new CA", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(dir, "ca-key.pem")))
		ca, err := Load(dir, Options{})
		require.NoError(t, err)
		assert.True(t, ca.Created())
		assert.NotEqual(t, first.Certificate().Raw, ca.Certificate().Raw)
		assert.Equal(t, ca.Certificate().Raw, readCert(t, ca.CertPath()).Raw)
	})
}

// TestLoadConcurrently: processes starting together on a fresh directory end up with one CA.
func TestLoadConcurrently(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	const n = 8
	cas := make([]*CA, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { cas[i], errs[i] = Load(dir, Options{}) })
	}
	wg.Wait()
	created := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, cas[0].Certificate().Raw, cas[i].Certificate().Raw)
		if cas[i].Created() {
			created++
		}
	}
	assert.Equal(t, 1, created)
	assert.Equal(t, cas[0].Certificate().Raw, readCert(t, CertPath(dir)).Raw)
}

func TestLoadRefuses(t *testing.T) {
	// keyFileOf is a CA directory whose key file then gets what content returns.
	keyFileOf := func(t *testing.T, content func(ca *CA) []byte) string {
		dir := t.TempDir()
		ca, err := Load(dir, Options{Now: fixedClock(t0)})
		require.NoError(t, err)
		data := content(ca)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "ca-key.pem"), data, 0o600))
		return dir
	}
	keyPEM := func(t *testing.T, dir string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
		require.NoError(t, err)
		b, _ := pem.Decode(data)
		require.Equal(t, "PRIVATE KEY", b.Type)
		return pem.EncodeToMemory(b)
	}
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		opts Options
		want []string
		// namesDir: the message names the directory, which removing would mend.
		namesDir bool
	}{
		{"no directory", func(*testing.T) string { return "" }, Options{}, []string{"no directory given"}, false},
		{"directory is a file", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "f")
			require.NoError(t, os.WriteFile(path, nil, 0o600))
			return path
		}, Options{}, []string{"not a directory"}, false},
		{"bad name", func(t *testing.T) string { return t.TempDir() }, Options{Names: []string{"two words"}},
			[]string{`"two words" is not a host name or an IP address`}, false},
		{"key readable by others", func(t *testing.T) string {
			dir := t.TempDir()
			_, err := Load(dir, Options{})
			require.NoError(t, err)
			require.NoError(t, os.Chmod(filepath.Join(dir, "ca-key.pem"), 0o644))
			return dir
		}, Options{}, []string{"is readable by others (mode 0644): run chmod 600"}, true},
		{"not PEM", func(t *testing.T) string {
			return keyFileOf(t, func(*CA) []byte { return []byte("junk") })
		}, Options{}, []string{"want a PRIVATE KEY and a CERTIFICATE"}, true},
		{"key without certificate", func(t *testing.T) string {
			dir := t.TempDir()
			_, err := Load(dir, Options{})
			require.NoError(t, err)
			k := keyPEM(t, dir)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "ca-key.pem"), k, 0o600))
			return dir
		}, Options{}, []string{"want a PRIVATE KEY and a CERTIFICATE"}, true},
		{"extra block", func(t *testing.T) string {
			return keyFileOf(t, func(ca *CA) []byte {
				data, err := os.ReadFile(filepath.Join(ca.Dir(), "ca-key.pem"))
				require.NoError(t, err)
				return append(data, ca.PEM()...)
			})
		}, Options{}, []string{`unexpected PEM block "CERTIFICATE"`}, true},
		{"key of another CA", func(t *testing.T) string {
			other := keyPEM(t, func() string { d := t.TempDir(); _, err := Load(d, Options{}); require.NoError(t, err); return d }())
			return keyFileOf(t, func(ca *CA) []byte { return append(other, ca.PEM()...) })
		}, Options{}, []string{"the key does not match the certificate"}, true},
		{"a server certificate, not a CA", func(t *testing.T) string {
			return keyFileOf(t, func(ca *CA) []byte {
				leaf, err := ca.Issue("localhost")
				require.NoError(t, err)
				k, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
				require.NoError(t, err)
				return append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}),
					pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})...)
			})
		}, Options{}, []string{"the certificate is not a CA certificate"}, true},
		{"expired", func(t *testing.T) string {
			dir := t.TempDir()
			_, err := Load(dir, Options{Now: fixedClock(t0)})
			require.NoError(t, err)
			return dir
		}, Options{Now: fixedClock(t0.AddDate(10, 0, 1))}, []string{"expired on 2036-02-2", "remove that directory to make a new CA"}, true},
		{"not yet valid", func(t *testing.T) string {
			dir := t.TempDir()
			_, err := Load(dir, Options{Now: fixedClock(t0)})
			require.NoError(t, err)
			return dir
		}, Options{Now: fixedClock(t0.Add(-2 * time.Hour))}, []string{"is not valid before", "is the clock right?"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			_, err := Load(dir, tt.opts)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			if tt.namesDir {
				assert.Contains(t, err.Error(), dir)
			}
		})
	}
}

func TestParseName(t *testing.T) {
	valid := map[string]string{
		"localhost":        "localhost",
		"IdP.Test.":        "idp.test",
		"my_service":       "my_service",
		"a-b.internal":     "a-b.internal",
		"127.0.0.1":        "127.0.0.1",
		"::1":              "::1",
		"0:0:0:0:0:0:0:1":  "::1",
		"::ffff:127.0.0.1": "127.0.0.1",
	}
	for in, want := range valid {
		t.Run(in, func(t *testing.T) {
			got, err := ParseName(in)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	for _, in := range []string{"", ".", "a..b", "-a.test", "a-.test", "two words", "*.app.test", "a/b", "[::1]", "fe80::1%eth0",
		"host:4000", "ümlaut.test",
		strings.Repeat("a", 64) + ".test", strings.Repeat("a.", 127) + "test"} {
		t.Run("refuses "+in, func(t *testing.T) {
			_, err := ParseName(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "is not a host name or an IP address")
		})
	}
}
