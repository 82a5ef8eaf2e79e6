package jwtauth

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (c *tokenCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

func TestRepeatedTokenIsServedFromTheCache(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, nil)
	first, err := f.v.Validate(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, 1, f.v.cache.len())

	hit, answered, err := f.v.fromCache(t.Context(), token)
	require.NoError(t, err)
	require.True(t, answered)
	assert.Equal(t, first, hit)
	assert.NotSame(t, first, hit, "each caller gets its own copy")
}

// A cache hit re-runs the time checks: a clock that steps back before "nbf" refuses the token
// even though it was verified a moment ago.
func TestCacheHitRechecksTime(t *testing.T) {
	f := newFixture(t)
	token := f.token(t, func(_, c map[string]any) { c["nbf"] = f.clock.Now().Unix() })
	_, err := f.v.Validate(t.Context(), token)
	require.NoError(t, err)

	f.clock.Advance(-2 * time.Minute)
	_, err = f.v.Validate(t.Context(), token)
	assert.ErrorIs(t, err, errNotYetValid)
}

// A cached token past its expiry (plus leeway) is refused, however long the cache TTL.
func TestCachedTokenExpires(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TokenCacheTTL = 24 * time.Hour })
	token := f.token(t, func(_, c map[string]any) { c["exp"] = f.clock.Now().Add(2 * time.Minute).Unix() })
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)

	f.clock.Advance(2*time.Minute + DefaultLeeway)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code, "inside the leeway")
	f.clock.Advance(time.Second)
	refusedToken(t, f, token, errExpired)
}

func TestCacheTTL(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TokenCacheTTL = time.Minute })
	token := f.token(t, nil)
	_, err := f.v.Validate(t.Context(), token)
	require.NoError(t, err)

	f.clock.Advance(time.Minute)
	_, ok := f.v.cache.get(token, f.clock.Now())
	assert.False(t, ok, "entry outlived the TTL")
	_, err = f.v.Validate(t.Context(), token)
	assert.NoError(t, err, "a full verification still accepts it")
}

func TestCacheIsBounded(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TokenCacheSize = 8 })
	hot := f.token(t, nil)
	for i := range 100 {
		token := f.token(t, func(_, c map[string]any) { c["jti"] = fmt.Sprint(i) })
		_, err := f.v.Validate(t.Context(), token)
		require.NoError(t, err)
		_, err = f.v.Validate(t.Context(), hot)
		require.NoError(t, err)
		require.LessOrEqual(t, f.v.cache.len(), 8)
	}
	_, ok := f.v.cache.get(hot, f.clock.Now())
	assert.True(t, ok, "a token in constant use stays cached")
}

func TestCacheDisabled(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TokenCacheSize = -1 })
	token := f.token(t, nil)
	for range 3 {
		require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)
	}
	assert.Nil(t, f.v.cache)
	assert.Zero(t, f.v.cache.len())
}

func TestConcurrentValidation(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TokenCacheSize = 4 })
	tokens := make([]string, 6)
	for i := range tokens {
		tokens[i] = f.token(t, func(_, c map[string]any) { c["jti"] = fmt.Sprint(i) })
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				_, err := f.v.Validate(t.Context(), tokens[(g+i)%len(tokens)])
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

// A kid reused for a different key invalidates what the old key verified, even while the entry
// is young enough to be used.
func TestCacheHitNeedsTheSameKey(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TokenCacheTTL = time.Hour })
	token := f.token(t, nil)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)

	f.jwks.publish(t, "", jwk(rsaKey(t, "other"), victimKID))
	f.clock.Advance(DefaultKeyTTL)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code, "the stale set answers while it is refreshed")
	f.v.keys.settle()
	refusedToken(t, f, token, errSignature)
	assert.Equal(t, int64(2), f.jwks.Hits())
}
