package localca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// LeafValidity is how long a server certificate lasts: the 397 days Apple recommends, under the
// 398-day limit of its platforms and of browsers (https://support.apple.com/en-us/102028). A
// server makes its certificate at each start, so only a process running for over a year
// outlives it.
const LeafValidity = 397 * 24 * time.Hour

// NameError is a host the CA may not vouch for.
type NameError struct {
	Host string
	// Dir is where the CA is kept.
	Dir string
	// Permitted is what the CA's name constraints allow, as CIDR ranges and domains.
	Permitted []string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("localca: the local CA in %s may not vouch for %s: its name constraints permit only %s (and subdomains of those names). "+
		"Use a name under .localhost, .test or .internal, or remove %s so that the next start makes a CA that permits %s (clients must then trust the new %s)",
		e.Dir, e.Host, strings.Join(e.Permitted, ", "), e.Dir, e.Host, CertFile)
}

// CheckHost returns nil when the CA may vouch for host, a *NameError when its name constraints
// forbid it, and another error when host is not a host name or an IP address.
func (ca *CA) CheckHost(host string) error {
	name, err := ParseName(host)
	if err != nil {
		return err
	}
	ok := inDomains(ca.cert.PermittedDNSDomains, name)
	if ip := net.ParseIP(name); ip != nil {
		ok = inRanges(ca.cert.PermittedIPRanges, ip)
	}
	if ok {
		return nil
	}
	permitted := make([]string, 0, len(ca.cert.PermittedIPRanges)+len(ca.cert.PermittedDNSDomains))
	for _, r := range ca.cert.PermittedIPRanges {
		permitted = append(permitted, r.String())
	}
	permitted = append(permitted, ca.cert.PermittedDNSDomains...)
	return &NameError{Host: name, Dir: ca.dir, Permitted: permitted}
}

// Issue makes a server certificate for hosts (names and IP addresses), signed by the CA, with a
// fresh P-256 key held in memory only. The first host name is also the subject's common name.
func (ca *CA) Issue(hosts ...string) (tls.Certificate, error) {
	var dnsNames []string
	var ips []net.IP
	for _, h := range hosts {
		if err := ca.CheckHost(h); err != nil {
			return tls.Certificate{}, err
		}
		name, _ := ParseName(h) // checked above
		if ip := net.ParseIP(name); ip != nil {
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
		} else if !slices.Contains(dnsNames, name) {
			dnsNames = append(dnsNames, name)
		}
	}
	if len(dnsNames)+len(ips) == 0 {
		return tls.Certificate{}, errors.New("localca: no host to make a certificate for")
	}
	now := ca.now()
	if err := ca.checkValid(now); err != nil {
		return tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("localca: %w", err)
	}
	var subject pkix.Name
	if len(dnsNames) > 0 {
		// OpenSSL checks a subject CN that looks like a host name against the name constraints
		// too, so the CN is one of the permitted names, never a free-form label.
		subject.CommonName = dnsNames[0]
	}
	notBefore := now.Add(-backdate)
	notAfter := notBefore.Add(LeafValidity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("localca: make server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("localca: %w", err)
	}
	// What is served must verify the way clients will check it, name constraints included.
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return tls.Certificate{}, fmt.Errorf("localca: the server certificate does not verify against the CA in %s: %w", ca.dir, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// inDomains applies DNS name constraints as RFC 5280 §4.2.1.10 and Go's crypto/x509 do: a
// constraint permits itself and its subdomains, or only its subdomains when it starts with a dot.
// No DNS constraint at all permits every name.
func inDomains(domains []string, name string) bool {
	if len(domains) == 0 {
		return true
	}
	for _, d := range domains {
		d = strings.ToLower(d)
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(name, d) {
				return true
			}
			continue
		}
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// inRanges applies IP address constraints; none at all permits every address.
func inRanges(ranges []*net.IPNet, ip net.IP) bool {
	if len(ranges) == 0 {
		return true
	}
	return slices.ContainsFunc(ranges, func(r *net.IPNet) bool { return r.Contains(ip) })
}
