package localca

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// certsIn parses every certificate in a PEM file.
func certsIn(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		certs = append(certs, c)
	}
	return certs
}

func TestWriteBundle(t *testing.T) {
	ca, err := Load(t.TempDir(), Options{})
	require.NoError(t, err)
	root1, err := Load(t.TempDir(), Options{})
	require.NoError(t, err)
	root2, err := Load(t.TempDir(), Options{})
	require.NoError(t, err)
	roots := append(root1.PEM(), root2.PEM()...)

	tests := []struct {
		name  string
		roots []byte
		want  []*x509.Certificate
	}{
		{"roots then the CA", roots, []*x509.Certificate{root1.Certificate(), root2.Certificate(), ca.Certificate()}},
		{"written again, not appended", root1.PEM(), []*x509.Certificate{root1.Certificate(), ca.Certificate()}},
		{"roots without a final newline", roots[:len(roots)-1], []*x509.Certificate{root1.Certificate(), root2.Certificate(), ca.Certificate()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, err := ca.WriteBundle(tt.roots)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(ca.Dir(), "bundle.pem"), path)
			got := certsIn(t, path)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.Equal(t, tt.want[i].Raw, got[i].Raw)
			}
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), info.Mode())
		})
	}
	for name, bad := range map[string][]byte{"empty": nil, "no certificate": []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")} {
		t.Run("refuses "+name, func(t *testing.T) {
			_, err := ca.WriteBundle(bad)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "the system roots hold no PEM certificate")
		})
	}
}
