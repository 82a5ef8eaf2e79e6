package jwtauth

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signatureCases are compact tokens that reach the signature check (canonical segments, a header
// go-jose parses, RS256, no "b64" or "crit"), each with whether the victim key signed it.
func signatureCases(t testing.TB) map[string]struct {
	token  string
	signed bool
} {
	f := newFixture(t)
	victim, attacker := rsaKey(t, "victim"), rsaKey(t, "attacker")
	claims := mustJSON(t, f.claims())
	valid := f.token(t, nil)
	parts := strings.Split(valid, ".")
	tamper := func(i int) string { // a middle character, in the payload or the signature
		edited := append([]string(nil), parts...)
		b := []byte(edited[i])
		b[len(b)/2] = flip(b[len(b)/2])
		edited[i] = string(b)
		return strings.Join(edited, ".")
	}
	sig := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	return map[string]struct {
		token  string
		signed bool
	}{
		"valid":                       {valid, true},
		"header with spaces":          {signRaw(t, victim, crypto.SHA256, `{ "alg" : "RS256", "kid" : "k1" }`, claims), true},
		"header with escapes":         {signRaw(t, victim, crypto.SHA256, `{"alg":"RS\u0032\u00356","kid":"k\u0031"}`, claims), true},
		"header with extra members":   {signRaw(t, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1","x":[1,{"y":null}]}`, claims), true},
		"payload not JSON":            {signRaw(t, victim, crypto.SHA256, header("RS256"), "not JSON"), true},
		"attacker's key":              {signRaw(t, attacker, crypto.SHA256, header("RS256"), claims), false},
		"SHA-384 under RS256":         {signRaw(t, victim, crypto.SHA384, header("RS256"), claims), false},
		"header edited":               {b64([]byte(`{"alg":"RS256","kid":"k1","typ":"JWS"}`)) + "." + parts[1] + "." + parts[2], false},
		"payload tampered":            {tamper(1), false},
		"signature tampered":          {tamper(2), false},
		"empty signature":             {parts[0] + "." + parts[1] + ".", false},
		"signature one byte short":    {parts[0] + "." + parts[1] + "." + b64(sig(parts[2])[1:]), false},
		"signature with a zero first": {parts[0] + "." + parts[1] + "." + b64(append([]byte{0}, sig(parts[2])...)), false},
		"signature of another token":  {parts[0] + "." + parts[1] + "." + strings.Split(signRaw(t, victim, crypto.SHA256, header("RS256"), `{}`), ".")[2], false},
		"payload only signed":         {parts[0] + "." + parts[1] + "." + strings.Split(signRaw(t, victim, crypto.SHA256, "", claims), ".")[2], false},
	}
}

// signedBy hashes the token text instead of letting go-jose re-encode what it parsed; for every
// token that reaches it, both must give the same answer, with the right key and with a wrong one.
func TestSignedByAgreesWithGoJose(t *testing.T) {
	victim, other := &rsaKey(t, "victim").PublicKey, &rsaKey(t, "other").PublicKey
	for name, tc := range signatureCases(t) {
		t.Run(name, func(t *testing.T) {
			jws := reachesSignatureCheck(t, tc.token)
			require.NotNil(t, jws, "the case must get as far as the signature check")
			assert.Equal(t, tc.signed, signedBy(victim, tc.token, jws.Signatures[0].Signature))
			assert.Equal(t, tc.signed, goJoseVerifies(jws, victim))
			assert.False(t, signedBy(other, tc.token, jws.Signatures[0].Signature))
			assert.False(t, goJoseVerifies(jws, other))
		})
	}
}

func FuzzSignedByAgreesWithGoJose(f *testing.F) {
	for _, tc := range signatureCases(f) {
		f.Add(tc.token)
	}
	keys := []*rsa.PublicKey{&rsaKey(f, "victim").PublicKey, &rsaKey(f, "other").PublicKey}
	f.Fuzz(func(t *testing.T, token string) {
		jws := reachesSignatureCheck(t, token)
		if jws == nil {
			return
		}
		for _, key := range keys {
			if ours, theirs := signedBy(key, token, jws.Signatures[0].Signature), goJoseVerifies(jws, key); ours != theirs {
				t.Fatalf("signedBy says %v, go-jose says %v for %q", ours, theirs, token)
			}
		}
	})
}

// reachesSignatureCheck parses token as verify does before it checks the signature, or returns
// nil where verify would have refused it already.
func reachesSignatureCheck(t testing.TB, token string) *jose.JSONWebSignature {
	t.Helper()
	if !isCompactJWS(token) {
		return nil
	}
	jws, err := jose.ParseSignedCompact(token, algorithms)
	if err != nil {
		return nil
	}
	extra := jws.Signatures[0].Header.ExtraHeaders
	if _, ok := extra["crit"]; ok {
		return nil
	}
	if _, ok := extra["b64"]; ok {
		return nil
	}
	return jws
}

func goJoseVerifies(jws *jose.JSONWebSignature, key *rsa.PublicKey) bool {
	_, err := jws.Verify(key)
	return err == nil
}
