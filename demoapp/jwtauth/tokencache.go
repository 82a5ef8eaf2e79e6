package jwtauth

import (
	"crypto/rsa"
	"sync"
	"time"
)

// tokenCache remembers tokens whose signature and claims were verified, so that a client that
// sends the same token again does not cost another RSA verification. It is bounded without a
// linked list: entries live in two generations of at most half the capacity each; when the
// current one is full it becomes the old one and the previous old one is dropped, and a hit in
// the old generation moves the entry back. Recently used tokens survive, like an LRU.
type tokenCache struct {
	mu       sync.Mutex
	perGen   int
	ttl      time.Duration
	cur, old map[string]*cachedToken
}

type cachedToken struct {
	claims *Claims
	kid    string
	key    *rsa.PublicKey // the key that verified the token; it must still be published on a hit
	until  time.Time
}

// newTokenCache returns nil, a disabled cache, for size < 2.
func newTokenCache(size int, ttl time.Duration) *tokenCache {
	if size < 2 {
		return nil
	}
	return &tokenCache{
		perGen: size / 2,
		ttl:    ttl,
		cur:    make(map[string]*cachedToken),
		old:    make(map[string]*cachedToken),
	}
}

func (c *tokenCache) get(token string, now time.Time) (*cachedToken, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[token]
	if !ok {
		if e, ok = c.old[token]; !ok {
			return nil, false
		}
		delete(c.old, token)
		c.insert(token, e)
	}
	if !now.Before(e.until) {
		delete(c.cur, token)
		return nil, false
	}
	return e, true
}

// put stores a verified token until its expiry (leeway included) or the cache TTL, whichever
// comes first.
func (c *tokenCache) put(token string, claims *Claims, kid string, key *rsa.PublicKey, expires, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	c.insert(token, &cachedToken{claims: claims, kid: kid, key: key, until: until})
}

func (c *tokenCache) remove(token string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, token)
	delete(c.old, token)
}

func (c *tokenCache) insert(token string, e *cachedToken) {
	if len(c.cur) >= c.perGen {
		c.old, c.cur = c.cur, make(map[string]*cachedToken, c.perGen)
	}
	c.cur[token] = e
}
