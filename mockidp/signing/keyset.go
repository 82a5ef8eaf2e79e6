package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" // x5t is defined as the SHA-1 thumbprint (RFC 7517 §4.8)
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// MinBits is the smallest RSA modulus accepted, as Auth0 signs with 2048-bit keys. MaxBits bounds
// what a key file may cost to load and every token to sign.
const (
	MinBits = 2048
	MaxBits = 8192
)

// certNotBefore pins the certificate dates so that the JWKS document (x5c, x5t) is the same on
// every start for the same key and host.
var certNotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Key is one RSA signing key with the identifiers it is published under.
type Key struct {
	Private *rsa.PrivateKey
	KID     string
	// Cert is the self-signed certificate published as x5c, as Auth0 does (CN = tenant host,
	// about 14 years of validity).
	Cert []byte
}

// KeySet holds the tenant's keys: the first signs, all are published.
type KeySet struct {
	keys   []*Key
	signer jose.Signer
	// atSigner signs RFC 9068 access tokens, whose header says typ "at+jwt".
	atSigner jose.Signer
	jwks     []byte
	byKID    map[string]*Key
}

// New builds a key set from PEM-encoded RSA private keys (PKCS#1 or PKCS#8). host is the issuer's
// host, used as the certificates' common name.
func New(host string, pems ...[]byte) (*KeySet, error) {
	if len(pems) == 0 {
		return nil, errors.New("signing: no keys given")
	}
	keys := make([]*rsa.PrivateKey, 0, len(pems))
	for i, p := range pems {
		k, _, err := ParsePEM(p)
		if err != nil {
			return nil, fmt.Errorf("signing: key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return FromKeys(host, keys...)
}

// Generate makes a key set with one fresh RSA-2048 key, for tenants that name no key.
func Generate(host string) (*KeySet, error) {
	k, err := rsa.GenerateKey(rand.Reader, MinBits)
	if err != nil {
		return nil, fmt.Errorf("signing: generate key: %w", err)
	}
	return FromKeys(host, k)
}

// FromKeys builds a key set from parsed keys; the first signs.
func FromKeys(host string, private ...*rsa.PrivateKey) (*KeySet, error) {
	if len(private) == 0 {
		return nil, errors.New("signing: no keys given")
	}
	ks := &KeySet{byKID: make(map[string]*Key, len(private))}
	for _, p := range private {
		if p.N.BitLen() < MinBits {
			return nil, fmt.Errorf("signing: RSA key of %d bits, at least %d required", p.N.BitLen(), MinBits)
		}
		kid, err := keyID(&p.PublicKey)
		if err != nil {
			return nil, err
		}
		if _, dup := ks.byKID[kid]; dup {
			return nil, fmt.Errorf("signing: key %s given twice", kid)
		}
		cert, err := selfSigned(p, host, kid)
		if err != nil {
			return nil, err
		}
		k := &Key{Private: p, KID: kid, Cert: cert}
		ks.keys = append(ks.keys, k)
		ks.byKID[kid] = k
	}
	var err error
	if ks.signer, err = ks.newSigner("JWT"); err != nil {
		return nil, err
	}
	if ks.atSigner, err = ks.newSigner("at+jwt"); err != nil {
		return nil, err
	}
	if ks.jwks, err = ks.marshalJWKS(); err != nil {
		return nil, err
	}
	return ks, nil
}

func (ks *KeySet) newSigner(typ jose.ContentType) (jose.Signer, error) {
	k := ks.keys[0]
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.Private, KeyID: k.KID}},
		(&jose.SignerOptions{}).WithType(typ),
	)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return signer, nil
}

// keyFileWant says what a key file must hold and how to make one; every ParsePEM error ends with it.
var keyFileWant = fmt.Sprintf("an RSA private key in PEM form, PKCS#1 (BEGIN RSA PRIVATE KEY) or PKCS#8 (BEGIN PRIVATE KEY), "+
	"of %d to %d bits; make one with: openssl genrsa -out key.pem %d", MinBits, MaxBits, MinBits)

// ParsePEM reads the one unencrypted RSA private key of MinBits to MaxBits in PEM data (PKCS#1
// "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY"); other blocks, such as a certificate kept next to
// the key, are skipped. It returns the key and the PEM encoding of its block alone, which a
// tenant keeps instead of the whole file. An error names what the data holds instead, as in
// "an encrypted key", so that a caller can write "key.pem holds " before it.
func ParsePEM(data []byte) (*rsa.PrivateKey, []byte, error) {
	var found *pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "RSA PRIVATE KEY", "PRIVATE KEY":
			if found != nil {
				return nil, nil, errors.New("more than one private key; put one key in each file")
			}
			found = b
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, errors.New("an encrypted key; the emulator needs it unencrypted: " + keyFileWant)
		case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY":
			return nil, nil, fmt.Errorf("a %q block; tokens are signed with RS256, which needs %s", b.Type, keyFileWant)
		}
	}
	if found == nil {
		return nil, nil, errors.New("no private key; expected " + keyFileWant)
	}
	if _, encrypted := found.Headers["Proc-Type"]; encrypted {
		return nil, nil, errors.New("an encrypted key; the emulator needs it unencrypted: " + keyFileWant)
	}
	var key *rsa.PrivateKey
	if found.Type == "RSA PRIVATE KEY" {
		k, err := x509.ParsePKCS1PrivateKey(found.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("a PKCS#1 key that does not parse (%v); expected %s", err, keyFileWant)
		}
		key = k
	} else {
		k, err := x509.ParsePKCS8PrivateKey(found.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("a PKCS#8 key that does not parse (%v); expected %s", err, keyFileWant)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("a %T key; tokens are signed with RS256, which needs %s", k, keyFileWant)
		}
		key = rk
	}
	if bits := key.N.BitLen(); bits < MinBits || bits > MaxBits {
		return nil, nil, fmt.Errorf("a %d-bit RSA key; expected %s", bits, keyFileWant)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: found.Type, Bytes: found.Bytes}), nil
}

// keyID derives a stable 21-character URL-safe id (the length of Auth0's) from the public key, so
// the same key file gives the same kid on every start.
func keyID(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])[:21], nil
}

func selfSigned(k *rsa.PrivateKey, host, kid string) ([]byte, error) {
	serial := new(big.Int).SetBytes([]byte(kid))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host},
		Issuer:                pkix.Name{CommonName: host},
		NotBefore:             certNotBefore,
		NotAfter:              certNotBefore.AddDate(14, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, fmt.Errorf("signing: certificate: %w", err)
	}
	return der, nil
}

// jwk is a published key with Auth0's member order.
type jwk struct {
	Kty string   `json:"kty"`
	Use string   `json:"use"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	KID string   `json:"kid"`
	X5t string   `json:"x5t"`
	X5c []string `json:"x5c"`
	Alg string   `json:"alg"`
}

func (ks *KeySet) marshalJWKS() ([]byte, error) {
	doc := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range ks.keys {
		thumb := sha1.Sum(k.Cert)
		pub := k.Private.PublicKey
		doc.Keys = append(doc.Keys, jwk{
			Kty: "RSA",
			Use: "sig",
			N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			KID: k.KID,
			X5t: base64.RawURLEncoding.EncodeToString(thumb[:]),
			X5c: []string{base64.StdEncoding.EncodeToString(k.Cert)},
			Alg: "RS256",
		})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return b, nil
}

// JWKS returns the JSON Web Key Set document. It is computed once; callers must not modify it.
func (ks *KeySet) JWKS() []byte { return ks.jwks }

// KID is the id of the signing key.
func (ks *KeySet) KID() string { return ks.keys[0].KID }

// Keys lists the keys, signing key first.
func (ks *KeySet) Keys() []*Key { return ks.keys }

// Sign serialises claims (anything encoding/json accepts) as a compact RS256 JWT whose header is
// {"alg":"RS256","kid":…,"typ":"JWT"}.
func (ks *KeySet) Sign(claims any) (string, error) {
	return sign(ks.signer, claims)
}

// SignAccessToken is Sign with the RFC 9068 header {"typ":"at+jwt"}, for APIs whose token
// dialect is rfc9068_profile.
func (ks *KeySet) SignAccessToken(claims any) (string, error) {
	return sign(ks.atSigner, claims)
}

func sign(s jose.Signer, claims any) (string, error) {
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	return tok, nil
}

// ErrUnknownKey is returned by Verify for a token whose kid is not in the set.
var ErrUnknownKey = errors.New("signing: token signed by an unknown key")

// Verify checks a compact JWT's RS256 signature against the key its kid names and decodes the
// claims into out. It checks nothing else: callers validate the claims they rely on.
func (ks *KeySet) Verify(token string, out any) error {
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if len(parsed.Headers) != 1 {
		return errors.New("signing: want exactly one signature")
	}
	k, ok := ks.byKID[parsed.Headers[0].KeyID]
	if !ok {
		return ErrUnknownKey
	}
	if err := parsed.Claims(&k.Private.PublicKey, out); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	return nil
}
