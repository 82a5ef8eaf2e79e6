package jwtauth

import (
	"crypto"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzValidate feeds arbitrary strings to the validator. Nothing may panic, every error must be
// one of the two documented kinds, and only a seed the issuer signed can be accepted: no mutation
// of one may pass.
func FuzzValidate(f *testing.F) {
	fx := newFixture(f)
	valid := fx.token(f, nil)
	parts := strings.Split(valid, ".")
	victim := rsaKey(f, "victim")
	claims := mustJSON(f, fx.claims())

	unsigned := []string{
		"", ".", "..", "...", strings.Repeat(".", 100),
		b64([]byte(header("none"))) + "." + parts[1] + ".",
		b64([]byte(header("HS256"))) + "." + parts[1] + "." + parts[2],
		b64([]byte(header("ES256"))) + "." + parts[1] + "." + b64(make([]byte, 64)),
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1] + "==." + parts[2],
		parts[0] + "." + parts[1],
		valid + "." + parts[2],
		signRaw(f, rsaKey(f, "attacker"), crypto.SHA256, `{"alg":"RS256","kid":"k1"}`, claims),
	}
	issuerSigned := []string{
		valid,
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1","crit":["exp"]}`, claims),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1","b64":false,"crit":["b64"]}`, claims),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256"}`, claims),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1"}`, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":"9999999999"}`),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1"}`, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":1e300}`),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1"}`, `{"iss":"`+testIssuer+`","aud":[],"exp":1,"exp":2}`),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1"}`, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","permissions":"x"}`),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"k1","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}`, claims),
		signRaw(f, victim, crypto.SHA256, `{"alg":"RS256","kid":"../../dev/null"}`, claims),
	}
	for _, seed := range append(unsigned, issuerSigned...) {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, token string) {
		claims, err := fx.v.Validate(t.Context(), token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if !slices.Contains(issuerSigned, token) {
			t.Fatalf("accepted a token the issuer did not sign: %q", token)
		}
		if claims.Issuer != testIssuer || !claims.Audience.Contains(testAudience) {
			t.Fatalf("accepted claims %+v", claims)
		}
	})
}
