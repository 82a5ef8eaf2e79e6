package actions

import (
	"sync"
	"time"
)

// api.cache limits, from "Cached data" at https://auth0.com/docs/customize/actions/limitations,
// and the default lifetime from api.cache.set on the post-login and credentials-exchange API
// object pages.
const (
	cacheMaxEntries       = 20
	cacheMaxKeyBytes      = 64
	cacheMaxValueBytes    = 4 * 1024
	cacheMaxTotalBytes    = 8 * 1024
	cacheMaxLifetime      = 24 * time.Hour
	cacheDefaultLifetime  = 24 * time.Hour
	cacheErrKeyTooLarge   = "key_too_large"
	cacheErrValueTooLarge = "value_too_large"
	cacheErrInvalidValue  = "invalid_value"
)

// cache is one trigger's api.cache: "Values stored in this cache are scoped to the Trigger in
// which they are set", shared by its Actions and kept across executions. Auth0 does not document
// its error codes; the cacheErr constants are the emulator's.
type cache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]cacheEntry
	size    int
}

type cacheEntry struct {
	value     string
	expiresAt time.Time
}

func newCache(now func() time.Time) *cache {
	return &cache{now: now, entries: map[string]cacheEntry{}}
}

func (c *cache) get(key string) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok && !c.now().Before(e.expiresAt) {
		c.remove(key)
		return cacheEntry{}, false
	}
	return e, ok
}

// set stores value until expiresAt, capped at the maximum lifetime. It returns an error code when
// the record breaks a limit on its own; when only the cache's totals would, it evicts the records
// closest to expiry, which Auth0 allows: "cached records may be evicted earlier".
func (c *cache) set(key, value string, expiresAt time.Time) (errCode string) {
	switch {
	case len(key) > cacheMaxKeyBytes:
		return cacheErrKeyTooLarge
	case len(value) > cacheMaxValueBytes:
		return cacheErrValueTooLarge
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if limit := now.Add(cacheMaxLifetime); expiresAt.After(limit) {
		expiresAt = limit
	}
	c.remove(key)
	if !now.Before(expiresAt) {
		return ""
	}
	for k, e := range c.entries {
		if !now.Before(e.expiresAt) {
			c.remove(k)
		}
	}
	for len(c.entries) > 0 && (len(c.entries)+1 > cacheMaxEntries || c.size+len(key)+len(value) > cacheMaxTotalBytes) {
		c.remove(c.soonestExpiring())
	}
	c.entries[key] = cacheEntry{value: value, expiresAt: expiresAt}
	c.size += len(key) + len(value)
	return ""
}

func (c *cache) delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(key)
}

func (c *cache) remove(key string) {
	if e, ok := c.entries[key]; ok {
		c.size -= len(key) + len(e.value)
		delete(c.entries, key)
	}
}

func (c *cache) soonestExpiring() string {
	var key string
	var at time.Time
	found := false
	for k, e := range c.entries {
		if !found || e.expiresAt.Before(at) || (e.expiresAt.Equal(at) && k < key) {
			key, at, found = k, e.expiresAt, true
		}
	}
	return key
}
