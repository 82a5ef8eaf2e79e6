package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	keysOnce sync.Once
	testKeys [2]*rsa.PrivateKey
)

func keys(t testing.TB) [2]*rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys
}

func pkcs1(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func pkcs8(t *testing.T, k any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestJWKSIsStableAndPublicOnly(t *testing.T) {
	k := keys(t)
	a, err := New("localhost", pkcs1(k[0]), pkcs8(t, k[1]))
	require.NoError(t, err)
	b, err := New("localhost", pkcs8(t, k[0]), pkcs1(k[1]))
	require.NoError(t, err)
	assert.Equal(t, string(a.JWKS()), string(b.JWKS()), "same keys must publish the same document")
	assert.Len(t, a.KID(), 21)

	var raw struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(a.JWKS(), &raw))
	require.Len(t, raw.Keys, 2)
	for _, key := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			assert.NotContains(t, key, private)
		}
	}
	assert.True(t, strings.HasPrefix(string(a.JWKS()), `{"keys":[{"kty":"RSA","use":"sig","n":"`), "Auth0's member order")

	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(a.JWKS(), &set), "go-jose must accept the document, x5c and x5t included")
	require.Len(t, set.Keys, 2)
	assert.Equal(t, a.KID(), set.Keys[0].KeyID)
	assert.Equal(t, "RS256", set.Keys[0].Algorithm)
	assert.Equal(t, "localhost", set.Keys[0].Certificates[0].Subject.CommonName)
}

func TestSignAndVerify(t *testing.T) {
	k := keys(t)
	ks, err := FromKeys("localhost", k[0], k[1])
	require.NoError(t, err)
	tok, err := ks.Sign(map[string]any{"sub": "auth0|alice"})
	require.NoError(t, err)

	parsed, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	h := parsed.Signatures[0].Protected
	assert.Equal(t, "RS256", h.Algorithm)
	assert.Equal(t, ks.KID(), h.KeyID)
	assert.Equal(t, "JWT", h.ExtraHeaders[jose.HeaderType])

	at, err := ks.SignAccessToken(map[string]any{"sub": "auth0|alice"})
	require.NoError(t, err)
	parsedAT, err := jose.ParseSigned(at, []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	assert.Equal(t, "at+jwt", parsedAT.Signatures[0].Protected.ExtraHeaders[jose.HeaderType])

	var claims map[string]any
	require.NoError(t, ks.Verify(tok, &claims))
	assert.Equal(t, "auth0|alice", claims["sub"])

	other, err := FromKeys("localhost", k[1])
	require.NoError(t, err)
	assert.ErrorIs(t, other.Verify(tok, &claims), ErrUnknownKey)

	parts := strings.Split(tok, ".")
	assert.Error(t, ks.Verify(parts[0]+"."+parts[1]+".", &claims), "empty signature")
	assert.Error(t, ks.Verify("a.b", &claims))
}

func TestRejectsBadKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	cases := map[string][]byte{
		"not PEM":        []byte("hello"),
		"public key":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}),
		"garbage PKCS#1": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2}}),
		"1024 bits":      pkcs1(small),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New("localhost", data)
			assert.Error(t, err)
		})
	}
	_, err = New("localhost")
	assert.Error(t, err)
	k := keys(t)
	_, err = FromKeys("localhost", k[0], k[0])
	assert.ErrorContains(t, err, "given twice")
}

func TestGenerate(t *testing.T) {
	ks, err := Generate("localhost")
	require.NoError(t, err)
	tok, err := ks.Sign(map[string]any{"a": 1})
	require.NoError(t, err)
	var out map[string]any
	assert.NoError(t, ks.Verify(tok, &out))
}
