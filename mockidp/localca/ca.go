package localca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Files in the CA's directory.
const (
	// CertFile is the CA certificate alone, for trust stores (NODE_EXTRA_CA_CERTS, curl --cacert).
	CertFile = "ca.pem"
	// keyFile holds the private key and the certificate together, so that one atomic step makes
	// the pair and no reader ever sees a key without its certificate.
	keyFile = "ca-key.pem"
)

const (
	caValidity = 10 * 365 * 24 * time.Hour
	// backdate lets a client whose clock lags a little accept a certificate made just now.
	backdate = time.Hour
)

// reservedDomains can never be delegated to anyone on the internet: localhost (RFC 6761 §6.3)
// and test (RFC 2606 §2, RFC 6761 §6.2); internal was reserved for private use by the ICANN
// Board on 29 July 2024 (https://www.icann.org/en/public-comment/proceeding/proposed-top-level-domain-string-for-private-use-24-01-2024).
// A DNS name constraint also permits every subdomain (RFC 5280 §4.2.1.10).
var reservedDomains = []string{"localhost", "test", "internal"}

// loopback is the only address space a CA made here may vouch for without being told.
var loopback = []*net.IPNet{
	{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
}

// Options are what Load needs beyond the directory.
type Options struct {
	// Names are host names or IP addresses the CA may vouch for beyond loopback and the reserved
	// domains (a name permits its subdomains too). They are written into a CA when Load makes it
	// and are ignored when the CA exists: its name constraints are fixed.
	Names []string
	// Now is the clock for validity periods; nil means time.Now.
	Now func() time.Time
}

// CA is a loaded local CA.
type CA struct {
	dir     string
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	created bool
	now     func() time.Time
}

// CertPath is where the CA certificate of the CA kept in dir is, whether or not it exists yet.
func CertPath(dir string) string { return filepath.Join(dir, CertFile) }

// Load returns the CA kept in dir, making the directory and the CA when there is none. An
// expired CA, a key others may read, or files that do not hold a CA and its key are errors that
// say what to do.
func Load(dir string, opts Options) (*CA, error) {
	if dir == "" {
		return nil, errors.New("localca: no directory given for the CA")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	names := make([]string, 0, len(opts.Names))
	for _, n := range opts.Names {
		name, err := ParseName(n)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localca: %w", err)
	}
	ca, err := read(dir)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		if created, err = create(dir, names, now()); err != nil {
			return nil, err
		}
		// Read back what is on disk: another process may have made the CA first.
		ca, err = read(dir)
	}
	if err != nil {
		return nil, err
	}
	ca.created, ca.now = created, now
	if err := ca.checkValid(now()); err != nil {
		return nil, err
	}
	if err := ca.writeCertFile(); err != nil {
		return nil, err
	}
	return ca, nil
}

// Certificate is the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// PEM is the CA certificate, PEM-encoded, as CertPath holds it.
func (ca *CA) PEM() []byte { return slices.Clone(ca.certPEM) }

// Dir is the directory the CA is kept in.
func (ca *CA) Dir() string { return ca.dir }

// CertPath is the file that holds the CA certificate alone.
func (ca *CA) CertPath() string { return CertPath(ca.dir) }

// Created reports whether this Load made the CA, so clients must be told to trust a new one.
func (ca *CA) Created() bool { return ca.created }

func (ca *CA) checkValid(now time.Time) error {
	if now.After(ca.cert.NotAfter) {
		return fmt.Errorf("localca: the CA in %s expired on %s: remove that directory to make a new CA, then trust the new %s",
			ca.dir, ca.cert.NotAfter.Format(time.DateOnly), CertFile)
	}
	if now.Before(ca.cert.NotBefore) {
		return fmt.Errorf("localca: the CA in %s is not valid before %s: is the clock right?", ca.dir, ca.cert.NotBefore.Format(time.RFC3339))
	}
	return nil
}

// create makes a CA in dir and reports whether it did: false, with no error, when another
// process made one first.
func create(dir string, names []string, now time.Time) (bool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, fmt.Errorf("localca: %w", err)
	}
	domains, ranges := constraints(names)
	tmpl := &x509.Certificate{
		Subject:   pkix.Name{CommonName: "tenantless local CA", Organization: []string{"tenantless"}},
		NotBefore: now.Add(-backdate),
		NotAfter:  now.Add(-backdate).Add(caValidity),
		// A real CA, not a self-signed server certificate: OpenSSL, and so Node under
		// NODE_EXTRA_CA_CERTS, accept only a CA as a trust anchor for another certificate.
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		// Verifiers that chain extended key usages (Go, OpenSSL, Chromium) then refuse anything
		// this CA signs for client authentication, code or e-mail.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// RFC 5280 §4.2.1.10: critical, so a verifier that cannot apply the constraints must
		// refuse the CA rather than trust it for every name.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         domains,
		PermittedIPRanges:           ranges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return false, fmt.Errorf("localca: make CA certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, fmt.Errorf("localca: %w", err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	tmp, err := writeTemp(dir, ".ca-key-*", data, 0o600)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	// A hard link creates the key file only if it does not exist: of two processes making a CA
	// at once, exactly one wins and the other reads the winner's.
	switch err := os.Link(tmp, filepath.Join(dir, keyFile)); {
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("localca: %w", err)
	}
	return true, nil
}

// constraints are the DNS and IP subtrees a new CA permits: the reserved ones plus names not
// already inside them.
func constraints(names []string) (domains []string, ranges []*net.IPNet) {
	domains = slices.Clone(reservedDomains)
	ranges = slices.Clone(loopback)
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			if !inRanges(ranges, ip) {
				ranges = append(ranges, hostRange(ip))
			}
			continue
		}
		if !inDomains(domains, n) {
			domains = append(domains, n)
		}
	}
	return domains, ranges
}

// hostRange is the range of one address: a /32 or a /128.
func hostRange(ip net.IP) *net.IPNet {
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)}
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}
}

// read loads the CA in dir; an error wrapping fs.ErrNotExist means there is none.
func read(dir string) (*CA, error) {
	path := filepath.Join(dir, keyFile)
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("localca: %w", err)
	}
	// As ssh does with its keys: a CA key others can read lets them sign for localhost.
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("localca: %s is readable by others (mode %04o): run chmod 600 on it, or remove %s to make a new CA",
			path, info.Mode().Perm(), dir)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localca: %w", err)
	}
	ca := &CA{dir: dir}
	if err := ca.parse(data); err != nil {
		return nil, fmt.Errorf("localca: %s: %w; remove %s to make a new CA", path, err, dir)
	}
	return ca, nil
}

// parse reads one PKCS #8 key and its CA certificate.
func (ca *CA) parse(data []byte) error {
	var keyDER, certDER []byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch {
		case b.Type == "PRIVATE KEY" && keyDER == nil:
			keyDER = b.Bytes
		case b.Type == "CERTIFICATE" && certDER == nil:
			certDER = b.Bytes
		default:
			return fmt.Errorf("unexpected PEM block %q", b.Type)
		}
	}
	if keyDER == nil || certDER == nil {
		return errors.New("want a PRIVATE KEY and a CERTIFICATE")
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return err
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return fmt.Errorf("unusable key type %T", k)
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return err
	}
	if !cert.BasicConstraintsValid || !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("the certificate is not a CA certificate")
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("the key does not match the certificate")
	}
	ca.cert, ca.key = cert, key
	ca.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	return nil
}

// writeCertFile makes CertFile hold the certificate, replacing a missing or stale copy in one
// rename so a reader never sees half a file.
func (ca *CA) writeCertFile() error {
	path := ca.CertPath()
	if got, err := os.ReadFile(path); err == nil && bytes.Equal(got, ca.certPEM) {
		return nil
	}
	return replaceFile(path, ca.certPEM, 0o644)
}

// replaceFile writes data to path through a temporary file and a rename.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	tmp, err := writeTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*", data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("localca: %w", err)
	}
	return nil
}

// writeTemp writes data to a new file in dir with the given mode and returns its path.
func writeTemp(dir, pattern string, data []byte, mode fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("localca: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("localca: %w", err)
	}
	return f.Name(), nil
}

// ParseName checks a host name or IP address a certificate may be made for and returns it in
// canonical form: lower case, without a trailing dot; an address as net.IP prints it.
// Underscores are allowed because Compose service names have them.
func ParseName(s string) (string, error) {
	if ip := net.ParseIP(s); ip != nil {
		return ip.String(), nil
	}
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	if name == "" || len(name) > 253 {
		return "", fmt.Errorf("localca: %q is not a host name or an IP address", s)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return "", fmt.Errorf("localca: %q is not a host name or an IP address", s)
		}
	}
	return name, nil
}
