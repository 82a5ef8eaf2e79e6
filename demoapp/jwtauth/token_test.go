package jwtauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedToken runs one token through the protected route and checks it is a 401 with the
// expected description.
func refusedToken(t *testing.T, f *fixture, token string, want tokenError) {
	t.Helper()
	rec := f.get("/protected", bearer(token))
	requireInvalidToken(t, rec)
	assert.Equal(t, string(want), decodeError(t, rec).Description)
}

func header(alg string, extra ...string) string {
	h := `{"alg":"` + alg + `","typ":"JWT","kid":"` + victimKID + `"`
	for _, e := range extra {
		h += "," + e
	}
	return h + "}"
}

func TestValidTokenPasses(t *testing.T) {
	f := newFixture(t)
	rec := f.get("/protected", bearer(f.token(t, nil)))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, int64(1), f.jwks.Hits())
}

// A6: "none" in any spelling is refused before any key is looked up.
func TestAlgNone(t *testing.T) {
	f := newFixture(t)
	payload := b64([]byte(mustJSON(t, f.claims())))
	for _, alg := range []string{"none", "None", "NONE", "nOnE", ""} {
		unsigned := b64([]byte(header(alg))) + "." + payload + "."
		t.Run(alg+" empty signature", func(t *testing.T) { refusedToken(t, f, unsigned, errAlgorithm) })
		t.Run(alg+" with a signature", func(t *testing.T) { refusedToken(t, f, unsigned+"c2ln", errAlgorithm) })
	}
	assert.Zero(t, f.jwks.Hits(), "no key lookup for alg none")
}

// A7: RS256 with an empty signature (CVE-2020-28042).
func TestEmptySignature(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	refusedToken(t, f, token[:strings.LastIndexByte(token, '.')+1], errSignature)
}

// A8: HS256 keyed with the RSA public key in every encoding an attacker might guess (CVE-2016-10555).
func TestHMACKeyConfusion(t *testing.T) {
	f := newFixture(t)
	pub := &rsaKey(t, "victim").PublicKey
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	secrets := map[string][]byte{
		"PEM":   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"DER":   der,
		"JWK n": pub.N.Bytes(),
		"PKCS1": x509.MarshalPKCS1PublicKey(pub),
	}
	for name, secret := range secrets {
		t.Run(name, func(t *testing.T) {
			input := b64([]byte(header("HS256"))) + "." + b64([]byte(mustJSON(t, f.claims())))
			mac := hmac.New(sha256.New, secret)
			mac.Write([]byte(input))
			refusedToken(t, f, input+"."+b64(mac.Sum(nil)), errAlgorithm)
		})
	}
	assert.Zero(t, f.jwks.Hits())
}

// A9: other algorithms, validly signed, are refused; and a JWKS key published for another
// algorithm does not verify RS256.
func TestOtherAlgorithms(t *testing.T) {
	f := newFixture(t)
	victim := rsaKey(t, "victim")
	claims := mustJSON(t, f.claims())

	t.Run("RS384", func(t *testing.T) {
		refusedToken(t, f, signRaw(t, victim, crypto.SHA384, header("RS384"), claims), errAlgorithm)
	})
	t.Run("PS256", func(t *testing.T) {
		input := b64([]byte(header("PS256"))) + "." + b64([]byte(claims))
		digest := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPSS(rand.Reader, victim, crypto.SHA256, digest[:], nil)
		require.NoError(t, err)
		refusedToken(t, f, input+"."+b64(sig), errAlgorithm)
	})
	t.Run("EdDSA", func(t *testing.T) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		input := b64([]byte(header("EdDSA"))) + "." + b64([]byte(claims))
		refusedToken(t, f, input+"."+b64(ed25519.Sign(priv, []byte(input))), errAlgorithm)
	})
	assert.Zero(t, f.jwks.Hits())

	for _, published := range []jose.JSONWebKey{
		{Key: &rsaKey(t, "other").PublicKey, KeyID: "k-ps", Algorithm: string(jose.PS256), Use: "sig"},
		{Key: &rsaKey(t, "other").PublicKey, KeyID: "k-enc", Algorithm: string(jose.RS256), Use: "enc"},
	} {
		t.Run("JWK alg "+published.Algorithm+" use "+published.Use, func(t *testing.T) {
			g := newFixture(t)
			g.jwks.publish(t, "", jwk(victim, victimKID), published)
			token := signRaw(t, rsaKey(t, "other"), crypto.SHA256, `{"alg":"RS256","kid":"`+published.KeyID+`"}`, claims)
			refusedToken(t, g, token, errUnknownKey)
		})
	}
}

// A10: the "psychic signature" (r = s = 0) is refused before crypto, and would still fail
// verification if ES256 were allowed.
func TestPsychicSignature(t *testing.T) {
	f := newFixture(t)
	input := b64([]byte(header("ES256"))) + "." + b64([]byte(mustJSON(t, f.claims())))
	token := input + "." + b64(make([]byte, 64))
	refusedToken(t, f, token, errAlgorithm)
	assert.Zero(t, f.jwks.Hits())

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	_, err = jws.Verify(&ec.PublicKey)
	assert.Error(t, err, "go-jose with ES256 enabled must reject r = s = 0")
}

// A11: the attacker signs with their own key but names the victim's kid.
func TestAttackerKeyWithVictimKID(t *testing.T) {
	f := newFixture(t)
	token := signRaw(t, rsaKey(t, "attacker"), crypto.SHA256, header("RS256"), mustJSON(t, f.claims()))
	refusedToken(t, f, token, errSignature)
}

// A12: a changed payload breaks the signature. The last character is mutated too: go-jose's
// decoder would read some such changes as the same bytes, so the canonical-spelling check has to.
func TestTamperedToken(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	parts := strings.Split(token, ".")

	t.Run("middle of the payload", func(t *testing.T) {
		payload := []byte(parts[1])
		i := len(payload) / 2
		payload[i] = flip(payload[i])
		refusedToken(t, f, parts[0]+"."+string(payload)+"."+parts[2], errSignature)
	})
	t.Run("elevated claims, signature kept", func(t *testing.T) {
		claims := f.claims()
		claims["permissions"] = []string{"read:protected", "admin"}
		refusedToken(t, f, parts[0]+"."+b64([]byte(mustJSON(t, claims)))+"."+parts[2], errSignature)
	})
	for i, part := range parts {
		if len(part)%4 == 0 {
			continue
		}
		t.Run("non-canonical last character of segment "+string(rune('0'+i)), func(t *testing.T) {
			alt := sameBytesDifferentSpelling(t, part)
			edited := append([]string(nil), parts...)
			edited[i] = alt
			refusedToken(t, f, strings.Join(edited, "."), errMalformed)
		})
	}
}

func flip(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// sameBytesDifferentSpelling sets unused low bits of the last character: lenient base64 decodes
// the result to the same bytes.
func sameBytesDifferentSpelling(t *testing.T, segment string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, segment[len(segment)-1])
	alt := segment[:len(segment)-1] + string(alphabet[last|1])
	a, errA := base64.RawURLEncoding.DecodeString(segment)
	b, errB := base64.RawURLEncoding.DecodeString(alt)
	require.NoError(t, errA)
	require.NoError(t, errB)
	require.Equal(t, a, b, "lenient decoding must see the same bytes")
	return alt
}

// A14: Auth0 always sets kid; a token without one is refused without a JWKS fetch.
func TestNoKID(t *testing.T) {
	f := newFixture(t)
	refusedToken(t, f, f.token(t, func(h, _ map[string]any) { delete(h, "kid") }), errNoKeyID)
	refusedToken(t, f, f.token(t, func(h, _ map[string]any) { h["kid"] = "" }), errNoKeyID)
	assert.Zero(t, f.jwks.Hits())
}

// A15: kid is a map key and nothing else; hostile values are unknown kids that count toward the
// refetch limiter, and non-string ones do not parse.
func TestHostileKID(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	require.Equal(t, int64(1), f.jwks.Hits())

	for name, kid := range map[string]string{
		"path":      "../../dev/null",
		"sql":       "' OR '1'='1",
		"shell":     "$(sleep 10)",
		"4 KiB":     strings.Repeat("k", 4<<10),
		"NUL":       "k1\x00",
		"near miss": "K1",
	} {
		t.Run(name, func(t *testing.T) {
			refusedToken(t, f, f.token(t, func(h, _ map[string]any) { h["kid"] = kid }), errUnknownKey)
		})
	}
	assert.Equal(t, int64(2), f.jwks.Hits(), "one refetch for all the unknown kids, then the limiter")

	for name, tc := range map[string]struct {
		kid  any
		want tokenError
	}{
		"number": {1, errMalformed},
		"object": {map[string]string{"a": "b"}, errMalformed},
		"array":  {[]string{victimKID}, errMalformed},
		"null":   {nil, errNoKeyID},
	} {
		t.Run(name, func(t *testing.T) {
			refusedToken(t, f, f.token(t, func(h, _ map[string]any) { h["kid"] = tc.kid }), tc.want)
		})
	}
	assert.Equal(t, int64(2), f.jwks.Hits(), "a kid that is not a string is never looked up")
}

// A16: jku and x5u pointing at the attacker are never fetched.
func TestJKUAndX5UAreNeverFetched(t *testing.T) {
	f := newFixture(t)
	attacker := newJWKSServer(t)
	attacker.publish(t, "", jwk(rsaKey(t, "attacker"), "evil"))
	attackerKey := rsaKey(t, "attacker")
	claims := mustJSON(t, f.claims())

	for name, tc := range map[string]struct {
		kid  string
		want tokenError
	}{
		"attacker kid": {"evil", errUnknownKey},
		"victim kid":   {victimKID, errSignature},
	} {
		for _, param := range []string{"jku", "x5u"} {
			t.Run(name+" "+param, func(t *testing.T) {
				h := `{"alg":"RS256","kid":"` + tc.kid + `","` + param + `":"` + attacker.URL + `"}`
				refusedToken(t, f, signRaw(t, attackerKey, crypto.SHA256, h, claims), tc.want)
			})
		}
	}
	assert.Zero(t, attacker.Hits(), "the attacker's server must get no request")
	assert.Equal(t, int64(2), f.jwks.Hits(), "the issuer's JWKS: first fetch, then one refetch for the unknown kid")
}

// A17: a self-signed token carrying its own key in "jwk" (CVE-2018-0114).
func TestEmbeddedJWK(t *testing.T) {
	f := newFixture(t)
	attackerKey := rsaKey(t, "attacker")
	embedded := mustJSON(t, jwk(attackerKey, victimKID))
	for name, tc := range map[string]struct {
		kid  string
		want tokenError
	}{
		"victim kid":   {victimKID, errSignature},
		"attacker kid": {"evil", errUnknownKey},
	} {
		t.Run(name, func(t *testing.T) {
			h := `{"alg":"RS256","kid":"` + tc.kid + `","jwk":` + embedded + `}`
			refusedToken(t, f, signRaw(t, attackerKey, crypto.SHA256, h, mustJSON(t, f.claims())), tc.want)
		})
	}
}

// A18: an x5c chain in the header is ignored: it neither makes an attacker's token valid nor a
// victim-signed one invalid.
func TestX5CHeaderIgnored(t *testing.T) {
	f := newFixture(t)
	attackerKey := rsaKey(t, "attacker")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tenant.example.com"},
		NotBefore:    f.clock.Now().Add(-time.Hour),
		NotAfter:     f.clock.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attackerKey.PublicKey, attackerKey)
	require.NoError(t, err)
	x5c := `"x5c":["` + base64.StdEncoding.EncodeToString(der) + `"]`
	claims := mustJSON(t, f.claims())

	refusedToken(t, f, signRaw(t, attackerKey, crypto.SHA256, header("RS256", x5c), claims), errSignature)
	victimSigned := signRaw(t, rsaKey(t, "victim"), crypto.SHA256, header("RS256", x5c), claims)
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(victimSigned)).Code)
}

// A19: "crit" and "b64" are refused even when validly signed.
func TestCriticalHeaders(t *testing.T) {
	f := newFixture(t)
	victim := rsaKey(t, "victim")
	claims := mustJSON(t, f.claims())
	for name, extra := range map[string]string{
		"crit exp":         `"crit":["exp"]`,
		"crit unknown":     `"crit":["https://example.com/ext"],"https://example.com/ext":true`,
		"b64 false + crit": `"b64":false,"crit":["b64"]`,
		"b64 false alone":  `"b64":false`,
		"b64 true + crit":  `"b64":true,"crit":["b64"]`,
	} {
		t.Run(name, func(t *testing.T) {
			refusedToken(t, f, signRaw(t, victim, crypto.SHA256, header("RS256", extra), claims), errHeader)
		})
	}
}

// A20–A23: time claims, with the injected clock and the default 60 s leeway.
func TestTimeClaims(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	set := func(k string, v any) func(_, c map[string]any) {
		return func(_, c map[string]any) { c[k] = v }
	}
	refused := map[string]struct {
		edit func(_, c map[string]any)
		want tokenError
	}{
		"A20 exp now-61s":         {set("exp", now.Add(-61*time.Second).Unix()), errExpired},
		"A20 exp long ago":        {set("exp", 1), errExpired},
		"A21 no exp":              {func(_, c map[string]any) { delete(c, "exp") }, errNoExpiry},
		"A21 exp null":            {set("exp", nil), errNoExpiry},
		"A22 exp string":          {set("exp", "9999999999"), errClaims},
		"A22 exp 1e300":           {set("exp", 1e300), errClaims},
		"A22 exp max int64":       {set("exp", int64(9223372036854775807)), errClaims},
		"A22 exp -1e300":          {set("exp", -1e300), errClaims},
		"A22 exp bool":            {set("exp", true), errClaims},
		"A22 nbf max int64":       {set("nbf", int64(9223372036854775807)), errClaims},
		"A23 nbf now+61s":         {set("nbf", now.Add(61*time.Second).Unix()), errNotYetValid},
		"A23 iat now+61s":         {set("iat", now.Add(61*time.Second).Unix()), errIssuedInFuture},
		"A23 iat far in future":   {set("iat", now.Add(24*time.Hour).Unix()), errIssuedInFuture},
		"A23 nbf far in future":   {set("nbf", now.Add(24*time.Hour).Unix()), errNotYetValid},
		"A23 iat string":          {set("iat", "now"), errClaims},
		"exp 4611686018427387904": {set("exp", int64(1)<<62), errClaims},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) { refusedToken(t, f, f.token(t, tc.edit), tc.want) })
	}

	accepted := map[string]func(_, c map[string]any){
		"A20 exp now-30s (inside leeway)": set("exp", now.Add(-30*time.Second).Unix()),
		"A20 exp now-60s (edge)":          set("exp", now.Add(-60*time.Second).Unix()),
		"A23 nbf now+30s (inside leeway)": set("nbf", now.Add(30*time.Second).Unix()),
		"A23 iat now+30s (inside leeway)": set("iat", now.Add(30*time.Second).Unix()),
		"fractional exp":                  set("exp", float64(now.Add(time.Hour).Unix())+0.5),
		"no iat, no nbf":                  func(_, c map[string]any) { delete(c, "iat") },
	}
	for name, edit := range accepted {
		t.Run(name, func(t *testing.T) {
			rec := f.get("/protected", bearer(f.token(t, edit)))
			assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		})
	}
}

func TestLeewayIsConfigurable(t *testing.T) {
	expiredBy := func(f *fixture, d time.Duration) string {
		return f.token(t, func(_, c map[string]any) { c["exp"] = f.clock.Now().Add(-d).Unix() })
	}
	none := newFixture(t, func(c *Config) { c.Leeway = -1 })
	refusedToken(t, none, expiredBy(none, time.Second), errExpired)

	wide := newFixture(t, func(c *Config) { c.Leeway = 5 * time.Minute })
	assert.Equal(t, http.StatusOK, wide.get("/protected", bearer(expiredBy(wide, 4*time.Minute))).Code)
	refusedToken(t, wide, expiredBy(wide, 6*time.Minute), errExpired)
}

// A24: the issuer must match byte for byte, trailing slash included.
func TestIssuerExact(t *testing.T) {
	f := newFixture(t)
	for _, iss := range []any{
		"https://other.example.com/",
		"http://tenant.example.com/",
		"https://tenant.example.com",
		"https://TENANT.example.com/",
		"https://tenant.example.com/extra/",
		"https://tenant.example.com//",
		"https://tenant.example.com/ ",
		"",
		nil,
	} {
		t.Run(strings.TrimSpace(mustJSON(t, iss)), func(t *testing.T) {
			refusedToken(t, f, f.token(t, func(_, c map[string]any) { c["iss"] = iss }), errIssuer)
		})
	}
	t.Run("missing", func(t *testing.T) {
		refusedToken(t, f, f.token(t, func(_, c map[string]any) { delete(c, "iss") }), errIssuer)
	})
	t.Run("array", func(t *testing.T) {
		refusedToken(t, f, f.token(t, func(_, c map[string]any) { c["iss"] = []string{testIssuer} }), errClaims)
	})
}

// A25: aud as a string or an array containing the API; anything else is refused.
func TestAudience(t *testing.T) {
	f := newFixture(t)
	refused := map[string]struct {
		aud  any
		want tokenError
	}{
		"wrong":          {"https://other.example.com", errAudience},
		"prefix":         {"https://api.example.com/", errAudience},
		"empty array":    {[]string{}, errAudience},
		"empty string":   {"", errAudience},
		"number":         {42, errClaims},
		"array of other": {[]string{"https://other.example.com", testIssuer + "userinfo"}, errAudience},
		"array mixed":    {[]any{testAudience, 1}, errClaims},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) {
			refusedToken(t, f, f.token(t, func(_, c map[string]any) { c["aud"] = tc.aud }), tc.want)
		})
	}
	t.Run("missing", func(t *testing.T) {
		refusedToken(t, f, f.token(t, func(_, c map[string]any) { delete(c, "aud") }), errAudience)
	})
	for name, aud := range map[string]any{
		"string":              testAudience,
		"array with userinfo": []string{testAudience, testIssuer + "userinfo"},
		"array, API second":   []string{testIssuer + "userinfo", testAudience},
		"array of one":        []string{testAudience},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, func(_, c map[string]any) { c["aud"] = aud }))).Code)
		})
	}
}

// A26: an ID token (aud = client id, nonce) is not an access token for this API.
func TestIDTokenAsAccessToken(t *testing.T) {
	f := newFixture(t)
	idToken := f.token(t, func(_, c map[string]any) {
		c["aud"] = "demo-spa"
		c["nonce"] = "n-0S6_WzA2Mj"
		c["name"] = "Alice"
		delete(c, "scope")
		delete(c, "permissions")
	})
	refusedToken(t, f, idToken, errAudience)
}

// A27: duplicate members are refused; a differently-cased member is a different claim.
func TestDuplicateAndCaseVariantMembers(t *testing.T) {
	f := newFixture(t)
	victim := rsaKey(t, "victim")
	now := f.clock.Now()
	base := `"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"auth0|bob","exp":` + itoa(now.Add(time.Hour).Unix())

	t.Run("duplicate permissions", func(t *testing.T) {
		payload := `{` + base + `,"permissions":[],"permissions":["read:protected"]}`
		refusedToken(t, f, signRaw(t, victim, crypto.SHA256, header("RS256"), payload), errClaims)
	})
	t.Run("duplicate exp", func(t *testing.T) {
		payload := `{` + base + `,"exp":` + itoa(now.Add(100*time.Hour).Unix()) + `}`
		refusedToken(t, f, signRaw(t, victim, crypto.SHA256, header("RS256"), payload), errClaims)
	})
	t.Run("duplicate alg", func(t *testing.T) {
		h := `{"alg":"none","alg":"RS256","kid":"` + victimKID + `"}`
		refusedToken(t, f, signRaw(t, victim, crypto.SHA256, h, `{`+base+`}`), errMalformed)
	})
	t.Run("Permissions is not permissions", func(t *testing.T) {
		payload := `{` + base + `,"Permissions":["read:protected"]}`
		token := signRaw(t, victim, crypto.SHA256, header("RS256"), payload)
		assert.Equal(t, http.StatusOK, f.get("/members", bearer(token)).Code)
		rec := f.get("/protected", bearer(token))
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="read:protected"`, rec.Header().Get("WWW-Authenticate"))
	})
	t.Run("ISS is not iss", func(t *testing.T) {
		payload := `{"ISS":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + itoa(now.Add(time.Hour).Unix()) + `}`
		refusedToken(t, f, signRaw(t, victim, crypto.SHA256, header("RS256"), payload), errIssuer)
	})
}

func itoa(n int64) string { return big.NewInt(n).String() }

// A28: malformed encodings are 401 invalid_token, never 500. A token with a comma is not one
// RFC 6750 §2.1 b64token but a list, so it is a malformed request (400), like "Bearer a b".
func TestMalformedEncodings(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	parts := strings.Split(token, ".")
	std := strings.NewReplacer("-", "+", "_", "/")
	// A payload segment of length 4n+1, which no byte string encodes to.
	overlong := parts[1] + strings.Repeat("A", (5-len(parts[1])%4)%4)
	require.Equal(t, 1, len(overlong)%4)
	refused := map[string]struct {
		token string
		want  tokenError
	}{
		"padding on payload":        {parts[0] + "." + parts[1] + "==." + parts[2], errMalformed},
		"padding on signature":      {token + "=", errMalformed},
		"standard alphabet":         {std.Replace(parts[0]) + "+." + std.Replace(parts[1]) + "/." + parts[2], errMalformed},
		"plus in the middle":        {parts[0] + "." + parts[1][:5] + "+" + parts[1][6:] + "." + parts[2], errMalformed},
		"two segments":              {parts[0] + "." + parts[1], errMalformed},
		"four segments":             {token + "." + parts[2], errMalformed},
		"one segment":               {parts[1], errMalformed},
		"10 000 dots, over the cap": {strings.Repeat(".", 10000), errTokenTooLarge},
		"8 000 dots":                {strings.Repeat(".", 8000), errMalformed},
		"dots only":                 {"..", errMalformed},
		"non-ASCII":                 {parts[0] + "." + parts[1][:10] + "é" + parts[1][10:] + "." + parts[2], errMalformed},
		"NUL":                       {parts[0] + "\x00." + parts[1] + "." + parts[2], errMalformed},
		"header not JSON":           {b64([]byte("not json")) + "." + parts[1] + "." + parts[2], errMalformed},
		"header JSON array":         {b64([]byte(`["RS256"]`)) + "." + parts[1] + "." + parts[2], errMalformed},
		"empty header":              {"." + parts[1] + "." + parts[2], errMalformed},
		"empty payload":             {parts[0] + ".." + parts[2], errMalformed},
		"segment length 4n+1":       {parts[0] + "." + overlong + "." + parts[2], errMalformed},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) { refusedToken(t, f, tc.token, tc.want) })
	}
	t.Run("JSON serialization", func(t *testing.T) {
		bad := `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`
		requireInvalidRequest(t, f.get("/protected", bearer(bad)))
	})
	assert.Zero(t, f.jwks.Hits(), "nothing malformed reaches the key lookup")
}
