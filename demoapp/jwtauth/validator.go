package jwtauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Defaults for the zero values of Config.
const (
	DefaultLeeway          = 60 * time.Second
	DefaultMaxTokenBytes   = 8 << 10
	DefaultMaxJWKSBytes    = 1 << 20
	DefaultFetchTimeout    = 5 * time.Second
	DefaultRefetchInterval = 10 * time.Second
	DefaultTokenCacheSize  = 1024
	DefaultTokenCacheTTL   = time.Minute
)

// Config says which tokens a Validator accepts and how it reaches the issuer's keys. Issuer and
// Audience are required; every other zero value selects the default named after it.
type Config struct {
	// Issuer is compared byte for byte with "iss". Auth0's ends with a slash:
	// "https://YOUR_TENANT.auth0.com/".
	Issuer string
	// Audience must be one of the values of "aud": the API identifier in Auth0.
	Audience string
	// JWKSURL is where the signing keys are fetched; default Issuer + ".well-known/jwks.json",
	// which needs Issuer to end with "/".
	JWKSURL string
	// Leeway is the clock skew allowed on "exp", "nbf" and "iat". Negative means none.
	Leeway time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTPClient fetches the JWKS; default a client with FetchTimeout as its timeout.
	HTTPClient *http.Client
	// MaxTokenBytes bounds the length of a token before any parsing.
	MaxTokenBytes int
	// MaxJWKSBytes bounds the JWKS response body; a larger one is a failed fetch.
	MaxJWKSBytes int64
	// FetchTimeout bounds one JWKS fetch, including reading the body.
	FetchTimeout time.Duration
	// RefetchInterval is the least time between two fetches caused by unknown "kid"s, and the
	// wait after a failed fetch.
	RefetchInterval time.Duration
	// TokenCacheSize is how many verified tokens are remembered. Below 2 (negative, or 1) the
	// cache is off: it keeps two generations of half the size each.
	TokenCacheSize int
	// TokenCacheTTL bounds how long a verified token is remembered.
	TokenCacheTTL time.Duration
}

// Claims are the verified claims of an access token.
type Claims struct {
	jwt.Claims
	// AuthorizedParty is the client the token was issued to.
	AuthorizedParty string `json:"azp"`
	// Scope is the space-separated "scope" claim.
	Scope string `json:"scope"`
	// Permissions is the Auth0 RBAC "permissions" claim.
	Permissions []string `json:"permissions"`
}

// Validator checks access tokens. It is safe for concurrent use.
type Validator struct {
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
	maxToken int
	keys     *keySet
	cache    *tokenCache
}

// algorithms is the allow-list handed to go-jose: Auth0 signs access tokens with RS256 only, and
// accepting anything else invites algorithm confusion (RFC 8725 §3.1).
var algorithms = []jose.SignatureAlgorithm{jose.RS256}

// New returns a Validator, or an error saying which setting to fix.
func New(cfg Config) (*Validator, error) {
	if cfg.Issuer == "" {
		return nil, errors.New(`jwtauth: Issuer is empty; set it to the exact "iss" of your tokens, e.g. https://YOUR_TENANT.auth0.com/`)
	}
	if cfg.Audience == "" {
		return nil, errors.New("jwtauth: Audience is empty; set it to your API identifier, e.g. https://api.example.com")
	}
	if cfg.JWKSURL == "" {
		if !strings.HasSuffix(cfg.Issuer, "/") {
			return nil, fmt.Errorf("jwtauth: JWKSURL is empty and Issuer %q does not end with /, so the JWKS location is unknown", cfg.Issuer)
		}
		cfg.JWKSURL = cfg.Issuer + ".well-known/jwks.json"
	}
	if u, err := url.Parse(cfg.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("jwtauth: JWKSURL %q is not an absolute http(s) URL", cfg.JWKSURL)
	}
	if cfg.MaxTokenBytes < 0 || cfg.MaxJWKSBytes < 0 || cfg.FetchTimeout < 0 || cfg.RefetchInterval < 0 || cfg.TokenCacheTTL < 0 {
		return nil, errors.New("jwtauth: MaxTokenBytes, MaxJWKSBytes, FetchTimeout, RefetchInterval and TokenCacheTTL must not be negative")
	}

	cfg.Leeway = orDefault(cfg.Leeway, DefaultLeeway)
	cfg.MaxTokenBytes = orDefault(cfg.MaxTokenBytes, DefaultMaxTokenBytes)
	cfg.MaxJWKSBytes = orDefault(cfg.MaxJWKSBytes, DefaultMaxJWKSBytes)
	cfg.FetchTimeout = orDefault(cfg.FetchTimeout, DefaultFetchTimeout)
	cfg.RefetchInterval = orDefault(cfg.RefetchInterval, DefaultRefetchInterval)
	cfg.TokenCacheSize = orDefault(cfg.TokenCacheSize, DefaultTokenCacheSize)
	cfg.TokenCacheTTL = orDefault(cfg.TokenCacheTTL, DefaultTokenCacheTTL)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.FetchTimeout}
	}

	return &Validator{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   max(cfg.Leeway, 0),
		now:      cfg.Now,
		maxToken: cfg.MaxTokenBytes,
		keys:     newKeySet(cfg),
		cache:    newTokenCache(cfg.TokenCacheSize, cfg.TokenCacheTTL),
	}, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Validate verifies token and returns its claims. Errors match ErrInvalidToken when the token is
// refused and ErrKeysUnavailable when the issuer's keys could not be fetched. The returned Claims
// belong to the caller.
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	if len(token) > v.maxToken {
		return nil, errTokenTooLarge
	}
	if claims, answered, err := v.fromCache(ctx, token); answered {
		return claims, err
	}

	claims, kid, key, err := v.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if v.cache == nil {
		return claims, nil
	}
	v.cache.put(token, claims, kid, key, claims.Expiry.Time().Add(v.leeway), v.now())
	return claims.clone(), nil
}

// fromCache answers for a token verified earlier, after re-running the checks whose outcome can
// change: the time claims, and whether the key that verified the token is still the one published
// under its kid (a refresh may have dropped or replaced it). answered is false when the token
// must be verified in full.
func (v *Validator) fromCache(ctx context.Context, token string) (claims *Claims, answered bool, err error) {
	if v.cache == nil {
		return nil, false, nil
	}
	now := v.now()
	e, ok := v.cache.get(token, now)
	if !ok {
		return nil, false, nil
	}
	key, err := v.keys.key(ctx, e.kid)
	if err == nil && key != e.key {
		v.cache.remove(token)
		return nil, false, nil
	}
	if err == nil {
		err = v.checkTime(e.claims, now)
	}
	if err != nil {
		v.cache.remove(token)
		return nil, true, err
	}
	return e.claims.clone(), true, nil
}

func (v *Validator) verify(ctx context.Context, token string) (*Claims, string, *rsa.PublicKey, error) {
	if !isCompactJWS(token) {
		return nil, "", nil, errMalformed
	}
	tok, err := jwt.ParseSigned(token, algorithms)
	if err != nil {
		if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return nil, "", nil, errAlgorithm
		}
		return nil, "", nil, errMalformed
	}
	// Compact serialization has exactly one, integrity-protected header.
	h := tok.Headers[0]
	// RFC 7515 §4.1.11: "crit" names extensions we would have to understand; RFC 7797 "b64"
	// changes what is signed. Auth0 sends neither.
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, "", nil, errHeader
	}
	if _, ok := h.ExtraHeaders["b64"]; ok {
		return nil, "", nil, errHeader
	}
	if h.KeyID == "" {
		return nil, "", nil, errNoKeyID
	}
	// The key comes from the issuer's JWKS only, by kid; "jwk", "jku", "x5u" and "x5c" in the
	// header are attacker-controlled and never looked at (RFC 8725 §3.10).
	key, err := v.keys.key(ctx, h.KeyID)
	if err != nil {
		return nil, "", nil, err
	}
	var claims Claims
	if err := tok.Claims(key, &claims); err != nil {
		if errors.Is(err, jose.ErrCryptoFailure) {
			return nil, "", nil, errSignature
		}
		return nil, "", nil, errClaims
	}
	if err := v.checkClaims(&claims, v.now()); err != nil {
		return nil, "", nil, err
	}
	return &claims, h.KeyID, key, nil
}

// checkClaims does not use go-jose's ValidateWithLeeway: it skips an empty expected issuer and a
// missing "exp", and both must fail here.
func (v *Validator) checkClaims(c *Claims, now time.Time) error {
	if c.Issuer != v.issuer {
		return errIssuer
	}
	if !c.Audience.Contains(v.audience) {
		return errAudience
	}
	return v.checkTime(c, now)
}

func (v *Validator) checkTime(c *Claims, now time.Time) error {
	switch {
	case c.Expiry == nil:
		return errNoExpiry
	case now.Add(-v.leeway).After(c.Expiry.Time()):
		return errExpired
	case c.NotBefore != nil && now.Add(v.leeway).Before(c.NotBefore.Time()):
		return errNotYetValid
	case c.IssuedAt != nil && now.Add(v.leeway).Before(c.IssuedAt.Time()):
		return errIssuedInFuture
	}
	return nil
}

// isCompactJWS accepts a non-empty header, a non-empty payload and a signature, each in
// base64url's one canonical spelling. go-jose would also accept a last character whose unused low
// bits are set, which gives one token many spellings; refusing them keeps "same token" meaning
// "same string" for the cache.
func isCompactJWS(token string) bool {
	header, rest, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	payload, signature, ok := strings.Cut(rest, ".")
	// A fourth segment fails canonicalBase64URL: '.' is not in the alphabet.
	return ok && header != "" && payload != "" &&
		canonicalBase64URL(header) && canonicalBase64URL(payload) && canonicalBase64URL(signature)
}

// canonicalBase64URL reports whether s is unpadded base64url whose last character carries no
// unused bits (RFC 4648 §3.5).
func canonicalBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if base64URLValue[s[i]] < 0 {
			return false
		}
	}
	if len(s) == 0 {
		return true
	}
	last := base64URLValue[s[len(s)-1]]
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return last&0x0f == 0
	case 3:
		return last&0x03 == 0
	}
	return true
}

// base64URLValue maps a byte to its value in the base64url alphabet, or -1.
var base64URLValue = func() (values [256]int8) {
	for i := range values {
		values[i] = -1
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		values[c] = int8(i)
	}
	return values
}()

// clone copies everything a caller could write through, the time claims' pointers included: the
// original may be the cached copy that later requests are answered from.
func (c *Claims) clone() *Claims {
	out := *c
	out.Audience = slices.Clone(c.Audience)
	out.Permissions = slices.Clone(c.Permissions)
	out.Expiry = cloneDate(c.Expiry)
	out.NotBefore = cloneDate(c.NotBefore)
	out.IssuedAt = cloneDate(c.IssuedAt)
	return &out
}

func cloneDate(d *jwt.NumericDate) *jwt.NumericDate {
	if d == nil {
		return nil
	}
	copied := *d
	return &copied
}

// HasPermission reports whether the "permissions" claim lists p.
func (c *Claims) HasPermission(p string) bool {
	return slices.Contains(c.Permissions, p)
}

// HasScope reports whether the space-separated "scope" claim lists s.
func (c *Claims) HasScope(s string) bool {
	return slices.Contains(strings.Fields(c.Scope), s)
}
