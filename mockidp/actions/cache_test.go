package actions

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheLimits(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, c *cache, clk *clock)
	}{
		{"a record lives until its expiry", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("k", "v", fixedNow.Add(time.Minute)))
			e, ok := c.get("k")
			require.True(t, ok)
			assert.Equal(t, cacheEntry{value: "v", expiresAt: fixedNow.Add(time.Minute)}, e)
			clk.Advance(time.Minute - time.Millisecond)
			_, ok = c.get("k")
			assert.True(t, ok)
			clk.Advance(time.Millisecond)
			_, ok = c.get("k")
			assert.False(t, ok, "gone at its expiry")
			assert.Zero(t, c.size)
		}},
		{"no record outlives Auth0's 24 hours", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("k", "v", fixedNow.Add(72*time.Hour)))
			e, _ := c.get("k")
			assert.Equal(t, fixedNow.Add(24*time.Hour), e.expiresAt)
		}},
		{"an expiry in the past stores nothing and drops the old record", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("k", "old", fixedNow.Add(time.Hour)))
			require.Empty(t, c.set("k", "new", fixedNow.Add(-time.Second)))
			_, ok := c.get("k")
			assert.False(t, ok)
			assert.Zero(t, c.size)
		}},
		{"a key of 64 bytes is the largest", func(t *testing.T, c *cache, clk *clock) {
			assert.Empty(t, c.set(strings.Repeat("k", 64), "v", fixedNow.Add(time.Hour)))
			assert.Equal(t, cacheErrKeyTooLarge, c.set(strings.Repeat("k", 65), "v", fixedNow.Add(time.Hour)))
			assert.Len(t, c.entries, 1)
		}},
		{"a value of 4 kB is the largest", func(t *testing.T, c *cache, clk *clock) {
			assert.Empty(t, c.set("k", strings.Repeat("v", 4096), fixedNow.Add(time.Hour)))
			assert.Equal(t, cacheErrValueTooLarge, c.set("k", strings.Repeat("v", 4097), fixedNow.Add(time.Hour)))
			e, _ := c.get("k")
			assert.Len(t, e.value, 4096, "a refused write leaves the record as it was")
		}},
		{"the 21st record evicts the one closest to expiry", func(t *testing.T, c *cache, clk *clock) {
			for i := range 20 {
				require.Empty(t, c.set(fmt.Sprint("k", i), "v", fixedNow.Add(time.Duration(20-i)*time.Minute)))
			}
			require.Empty(t, c.set("new", "v", fixedNow.Add(time.Hour)))
			assert.Len(t, c.entries, 20)
			_, ok := c.get("k19")
			assert.False(t, ok, "k19 expired soonest")
			_, ok = c.get("k0")
			assert.True(t, ok)
		}},
		{"expired records make room before live ones are evicted", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("short", "v", fixedNow.Add(time.Second)))
			for i := range 19 {
				require.Empty(t, c.set(fmt.Sprint("k", i), "v", fixedNow.Add(time.Hour)))
			}
			clk.Advance(time.Second)
			require.Empty(t, c.set("new", "v", fixedNow.Add(time.Hour)))
			assert.Len(t, c.entries, 20)
		}},
		{"keys and values together stay within 8 kB", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("a", strings.Repeat("v", 4096), fixedNow.Add(time.Hour)))
			require.Empty(t, c.set("b", strings.Repeat("v", 4000), fixedNow.Add(2*time.Hour)))
			require.Empty(t, c.set("c", strings.Repeat("v", 200), fixedNow.Add(3*time.Hour)))
			_, ok := c.get("a")
			assert.False(t, ok, "a expired soonest")
			assert.Equal(t, 1+4000+1+200, c.size)
			assert.LessOrEqual(t, c.size, cacheMaxTotalBytes)
		}},
		{"replacing a record frees its old size", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("k", strings.Repeat("v", 4000), fixedNow.Add(time.Hour)))
			require.Empty(t, c.set("k", "short", fixedNow.Add(time.Hour)))
			assert.Equal(t, len("k")+len("short"), c.size)
		}},
		{"the empty key is a key", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("", "v", fixedNow.Add(time.Minute)))
			for i := range 20 {
				require.Empty(t, c.set(fmt.Sprint("k", i), "v", fixedNow.Add(time.Hour)))
			}
			_, ok := c.get("")
			assert.False(t, ok, "evicted as the soonest to expire")
			assert.Len(t, c.entries, 20)
		}},
		{"delete", func(t *testing.T, c *cache, clk *clock) {
			require.Empty(t, c.set("k", "v", fixedNow.Add(time.Minute)))
			c.delete("k")
			c.delete("absent")
			_, ok := c.get("k")
			assert.False(t, ok)
			assert.Zero(t, c.size)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{now: fixedNow}
			tc.run(t, newCache(clk.Now), clk)
		})
	}
}

func TestCacheAPI(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  const out = {};
  out.missing = typeof api.cache.get('nothing');
  out.set = api.cache.set('token', 'abc');
  out.got = api.cache.get('token');
  out.ttl = api.cache.set('ttl', 'x', { ttl: 60000 });
  out.ttl_at = api.cache.get('ttl').expires_at;
  out.both = api.cache.set('both', 'x', { ttl: 60000, expires_at: Date.now() + 1000 });
  out.both_at = api.cache.get('both').expires_at;
  out.number = api.cache.set('n', 42);
  out.long_key = api.cache.set('k'.repeat(65), 'x');
  out.long_value = api.cache.set('big', 'v'.repeat(4097));
  out.deleted = api.cache.delete('token');
  out.after_delete = typeof api.cache.get('token');
  api.idToken.setCustomClaim('https://example.com/cache', out);
};`
	e, _ := newEngine(t, setup{clock: &clock{now: fixedNow}}, postLogin(code))
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	ms := func(d time.Duration) float64 { return float64(fixedNow.Add(d).UnixMilli()) }
	success := map[string]any{"type": "success"}
	assert.Equal(t, map[string]any{
		"missing":      "undefined",
		"set":          success,
		"got":          map[string]any{"value": "abc", "expires_at": ms(24 * time.Hour)},
		"ttl":          success,
		"ttl_at":       ms(time.Minute),
		"both":         success,
		"both_at":      ms(time.Second),
		"number":       map[string]any{"type": "error", "code": "invalid_value"},
		"long_key":     map[string]any{"type": "error", "code": "key_too_large"},
		"long_value":   map[string]any{"type": "error", "code": "value_too_large"},
		"deleted":      success,
		"after_delete": "undefined",
	}, res.IDTokenClaims["https://example.com/cache"])
}

func TestCacheIsSharedWithinATriggerOnly(t *testing.T) {
	counter := `exports.onExecutePostLogin = async (event, api) => {
  const rec = api.cache.get('logins');
  const n = rec ? Number(rec.value) + 1 : 1;
  api.cache.set('logins', String(n), { ttl: 60000 });
  api.idToken.setCustomClaim('https://example.com/' + event.secrets.NAME, n);
};`
	exchange := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/logins', typeof api.cache.get('logins'));
};`
	clk := &clock{now: fixedNow}
	e, _ := newEngine(t, setup{clock: clk}, map[Trigger][]Action{
		TriggerPostLogin: {
			{Name: "first", Code: counter, Secrets: map[string]string{"NAME": "first"}},
			{Name: "second", Code: counter, Secrets: map[string]string{"NAME": "second"}},
		},
		TriggerCredentialsExchange: {{Name: "m2m", Code: exchange}},
	})
	for run := range 2 {
		res, err := e.PostLogin(context.Background(), aliceLogin())
		require.NoError(t, err)
		assert.Equal(t, map[string]any{
			"https://example.com/first":  float64(2*run + 1),
			"https://example.com/second": float64(2*run + 2),
		}, res.IDTokenClaims, "the trigger's Actions share one cache, kept across runs")
	}
	res, err := e.CredentialsExchange(context.Background(), m2mExchange())
	require.NoError(t, err)
	assert.Equal(t, "undefined", res.AccessTokenClaims["https://example.com/logins"], "another trigger has its own cache")

	clk.Advance(time.Minute)
	res, err = e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	assert.Equal(t, 1.0, res.IDTokenClaims["https://example.com/first"], "the record expired with the engine's clock")
}
