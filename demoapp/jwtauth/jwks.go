package jwtauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/json"
	"golang.org/x/time/rate"
)

// Bounds on how long a fetched key set is used before it is fetched again. Auth0 sends a short
// max-age; an issuer might send none, zero or ten years. Below MinKeyTTL a busy service would keep
// asking the issuer for its keys; above MaxKeyTTL a key the issuer revoked would be
// trusted too long.
const (
	DefaultKeyTTL = 10 * time.Minute
	MinKeyTTL     = time.Minute
	MaxKeyTTL     = 24 * time.Hour
)

// minRSABits refuses keys that RFC 7518 §3.3 calls too small for RS256.
const minRSABits = 2048

// keySet fetches an issuer's JSON Web Key Set and keeps the keys in it that may verify RS256.
type keySet struct {
	url      string
	client   *http.Client
	now      func() time.Time
	timeout  time.Duration
	maxBytes int64
	backoff  time.Duration
	// unknownKID rate-limits the refetches that a token with an unknown "kid" may trigger, so that
	// a stream of made-up kids cannot turn this service into a load generator for the issuer.
	unknownKID *rate.Limiter

	current atomic.Pointer[keys]

	mu       sync.Mutex
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
	retryAt  time.Time     // after a failed fetch, no new fetch starts before this
	lastErr  error
}

// keys is one fetched key set. It is never modified once stored, so readers need no lock.
type keys struct {
	byID    map[string]*rsa.PublicKey
	expires time.Time
}

func (k *keys) stale(now time.Time) bool { return !now.Before(k.expires) }

// newKeySet takes a Config whose defaults New has already filled in.
func newKeySet(cfg Config) *keySet {
	return &keySet{
		url:        cfg.JWKSURL,
		client:     cfg.HTTPClient,
		now:        cfg.Now,
		timeout:    cfg.FetchTimeout,
		maxBytes:   cfg.MaxJWKSBytes,
		backoff:    cfg.RefetchInterval,
		unknownKID: rate.NewLimiter(rate.Every(cfg.RefetchInterval), 1),
	}
}

// key returns the verification key published under kid. A kid in the cached set is answered from
// it at once; when the set is past its lifetime a fetch starts in the background (RFC 5861 §3,
// stale-while-revalidate), because those keys were the issuer's a moment ago and a slow JWKS must
// not make every request wait. The set is fetched and waited for when there is none yet, and when
// kid is unknown, because that is how a key rotation shows up (OpenID Connect Core §10.1.1): if
// the set is fresh, at most once per limiter window.
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	now := s.now()
	set := s.current.Load()
	switch {
	case set == nil:
		set = s.refresh(ctx)
	case set.byID[kid] != nil:
		if set.stale(now) {
			s.start()
		}
	case set.stale(now) || s.unknownKID.AllowN(now, 1):
		set = s.refresh(ctx)
	}
	if set == nil {
		return nil, s.unavailable(ctx, now)
	}
	if k := set.byID[kid]; k != nil {
		return k, nil
	}
	return nil, errUnknownKey
}

// refresh waits for a fetch, starting one if start does, and returns the key set it leaves
// behind: the new one, or on failure the previous one, which stays in use (a JWKS outage must
// not log everyone out).
func (s *keySet) refresh(ctx context.Context) *keys {
	if done := s.start(); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	return s.current.Load()
}

// start begins a fetch unless one is running or a failed one is too recent, and returns the
// channel the running fetch closes when it ends, or nil when none runs.
func (s *keySet) start() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == nil {
		if s.now().Before(s.retryAt) {
			return nil
		}
		s.inflight = make(chan struct{})
		go s.fetch(s.inflight)
	}
	return s.inflight
}

// fetch runs detached from any one request: a caller that gives up must not fail the fetch for
// the others waiting on it, and a stale set is refetched with nobody waiting. s.timeout bounds
// it, so no fetch outlives its timeout.
func (s *keySet) fetch(done chan struct{}) {
	set, err := s.download()

	s.mu.Lock()
	if err != nil {
		s.retryAt = s.now().Add(s.backoff)
		s.lastErr = err
	} else {
		s.current.Store(set)
		s.lastErr = nil
	}
	s.inflight = nil
	s.mu.Unlock()
	close(done)
}

func (s *keySet) unavailable(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := &keysUnavailableError{retryAfter: s.retryAt.Sub(now), cause: s.lastErr}
	if err.cause == nil {
		err.cause = ctx.Err()
	}
	err.retryAfter = max(err.retryAfter, time.Second)
	return err
}

func (s *keySet) download() (*keys, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("JWKS fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS fetch: %s answered %s", s.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("JWKS fetch: reading body: %w", err)
	}
	if int64(len(body)) > s.maxBytes {
		return nil, fmt.Errorf("JWKS fetch: %s sent more than %d bytes", s.url, s.maxBytes)
	}
	byID, err := parseKeys(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS fetch: %s: %w", s.url, err)
	}
	return &keys{byID: byID, expires: s.now().Add(keyTTL(resp.Header.Get("Cache-Control")))}, nil
}

// parseKeys keeps the RS256 signing keys of a JWKS document and skips the rest, as RFC 7517 §5
// asks of keys an implementation does not understand: an issuer may publish encryption keys or
// other algorithms next to its signing keys.
func parseKeys(body []byte) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	byID := make(map[string]*rsa.PublicKey, len(doc.Keys))
	ambiguous := make(map[string]bool)
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		// A private key in a public document means the issuer is broken; do not use it.
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || k.KeyID == "" || pub.N.BitLen() < minRSABits {
			continue
		}
		// RFC 7517 §4.2, §4.4: a key meant for encryption or another algorithm must not verify RS256.
		if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != string(jose.RS256)) {
			continue
		}
		if _, dup := byID[k.KeyID]; dup {
			ambiguous[k.KeyID] = true
		}
		byID[k.KeyID] = pub
	}
	// Two keys under one kid: we cannot know which one the issuer means, so trust neither.
	for kid := range ambiguous {
		delete(byID, kid)
	}
	if len(byID) == 0 {
		return nil, errors.New("no usable RS256 signing key")
	}
	return byID, nil
}

// keyTTL reads max-age from a Cache-Control header and clamps it.
func keyTTL(cacheControl string) time.Duration {
	for directive := range strings.SplitSeq(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(name) {
		case "no-cache", "no-store":
			return MinKeyTTL
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err != nil || secs < 0 {
				return DefaultKeyTTL
			}
			if secs > int64(MaxKeyTTL/time.Second) {
				return MaxKeyTTL
			}
			return max(time.Duration(secs)*time.Second, MinKeyTTL)
		}
	}
	return DefaultKeyTTL
}
