package localca

import (
	"crypto/x509"
	"errors"
	"path/filepath"
)

// BundleFile is the system roots followed by the CA certificate, for SSL_CERT_FILE, which
// replaces the system roots in Go and OpenSSL rather than adding to them.
const BundleFile = "bundle.pem"

// WriteBundle writes roots (PEM certificates) followed by the CA certificate to BundleFile in
// the CA's directory, replacing what was there, and returns the file's path.
func (ca *CA) WriteBundle(roots []byte) (string, error) {
	if !x509.NewCertPool().AppendCertsFromPEM(roots) {
		return "", errors.New("localca: the system roots hold no PEM certificate")
	}
	data := append([]byte(nil), roots...)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(data, ca.certPEM...)
	path := filepath.Join(ca.dir, BundleFile)
	if err := replaceFile(path, data, 0o644); err != nil {
		return "", err
	}
	return path, nil
}
