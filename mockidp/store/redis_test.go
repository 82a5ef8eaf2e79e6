package store

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/internal/redistest"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// openTestRedis opens a Redis store under a prefix of its own on srv and drops its keys at the
// end.
func openTestRedis(t *testing.T, srv *redistest.Server) *Redis {
	t.Helper()
	r, err := OpenRedis(ctx, srv.URL, RedisOptions{Prefix: redistest.Prefix(t)})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, r.Reset(ctx))
		r.Close()
	})
	return r
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

func TestOpenErrors(t *testing.T) {
	port := closedPort(t)
	tests := []struct {
		name     string
		spec     string
		is       error
		mentions []string
	}{
		{
			name:     "unreachable server",
			spec:     fmt.Sprintf("redis://alice:s3cret@127.0.0.1:%d/0", port),
			is:       ErrUnavailable,
			mentions: []string{fmt.Sprintf("127.0.0.1:%d", port), "alice:xxxxx@"},
		},
		{
			name:     "URL that does not parse",
			spec:     "redis://alice:s3cret@[::1/0",
			mentions: []string{"redis://HOST:PORT/DB"},
		},
		{
			name:     "database that is not a number",
			spec:     "redis://alice:s3cret@127.0.0.1:6379/first",
			mentions: []string{"alice:xxxxx@127.0.0.1:6379/first"},
		},
		{
			name:     "unknown kind",
			spec:     "postgres://alice:s3cret@db/tenant",
			mentions: []string{`"postgres"`, "memory or redis://"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(ctx, tt.spec, Options{})
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			for _, m := range tt.mentions {
				assert.Contains(t, err.Error(), m)
			}
			assert.NotContains(t, err.Error(), "s3cret", "the password is never shown")
		})
	}
}

func TestOpenMemory(t *testing.T) {
	for _, spec := range []string{"", "memory"} {
		s, err := Open(ctx, spec, Options{Limits: Limits{Codes: 7}})
		require.NoError(t, err)
		m, ok := s.(*Memory)
		require.True(t, ok, "%q opens a %T", spec, s)
		assert.Equal(t, 7, m.limits.Codes)
		require.NoError(t, s.Close())
	}
}

// TestRedisRefusesEvictingServer: a server that evicts keys under memory pressure could drop a
// revocation, so it is refused at start.
func TestRedisRefusesEvictingServer(t *testing.T) {
	srv := redistest.Start(t)
	o, err := redis.ParseURL(srv.URL)
	require.NoError(t, err)
	c := redis.NewClient(o)
	defer c.Close()
	require.NoError(t, c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err())
	_, err = OpenRedis(ctx, srv.URL, RedisOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "allkeys-lru")
	assert.Contains(t, err.Error(), "noeviction")
}

// TestRedisOutage: a server that goes away makes every call fail with ErrUnavailable; when it
// is back, the client reconnects by itself (the server kept no data: it persists nothing).
func TestRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	r := openTestRedis(t, srv)
	sess := Session{ID: "s1", UserID: "auth0|alice", Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}
	require.NoError(t, r.PutSession(ctx, sess, t0))

	srv.Stop(t)
	calls := []struct {
		name string
		call func() error
	}{
		{"check session", func() error { _, err := r.CheckSession(ctx, "s1", t0); return err }},
		{"take code", func() error { _, err := r.TakeCode(ctx, "c1", t0); return err }},
		{"spend refresh token", func() error {
			_, err := r.SpendRefreshToken(ctx, "rt1", "spa", tenant.RefreshTokenPolicy{Rotating: true}, t0)
			return err
		}},
		{"count a failure", func() error { return r.LoginFailed(ctx, "alice", t0) }},
		{"reset", func() error { return r.Reset(ctx) }},
	}
	for _, c := range calls {
		assert.ErrorIs(t, c.call(), ErrUnavailable, c.name)
	}

	srv.Restart(t)
	// After repeated failed dials go-redis stops dialing on demand and probes the server in
	// the background, once a second, so the way back is polled for.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	err := r.PutSession(ctx, sess, t0)
	for err != nil && time.Now().Before(deadline) {
		require.ErrorIs(t, err, ErrUnavailable)
		<-tick.C
		err = r.PutSession(ctx, sess, t0)
	}
	require.NoError(t, err, "reconnected")
	got, err := r.CheckSession(ctx, "s1", t0)
	require.NoError(t, err)
	assert.Equal(t, sess, got)
	_, err = r.TakeCode(ctx, "c1", t0)
	assert.ErrorIs(t, err, ErrNotFound, "scripts load again on the new server")
}

// TestRedisFull: a server out of memory refuses writes; that is ErrFull, not an outage.
func TestRedisFull(t *testing.T) {
	srv := redistest.Start(t)
	r := openTestRedis(t, srv)
	require.NoError(t, r.c.ConfigSet(ctx, "maxmemory", "4mb").Err())
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		err = r.PutLogin(ctx, PendingLogin{ID: fmt.Sprint(i), State: strings.Repeat("x", 16<<10), Expires: t0.Add(time.Hour)}, t0)
	}
	require.ErrorIs(t, err, ErrFull)
	var full *FullError
	require.ErrorAs(t, err, &full)
	assert.Equal(t, "redis maxmemory", full.Bound)
	assert.NotErrorIs(t, err, ErrUnavailable)
}

// pttl returns a key's TTL.
func pttl(t *testing.T, r *Redis, key string) time.Duration {
	t.Helper()
	d, err := r.c.PTTL(ctx, key).Result()
	require.NoError(t, err)
	return d
}

// assertTTL checks that a key lives for life plus the margin, give or take the test's run time.
func assertTTL(t *testing.T, r *Redis, key string, life time.Duration, msg string) {
	t.Helper()
	want := life + ExpiryMargin
	got := pttl(t, r, key)
	assert.True(t, got <= want && got > want-10*time.Second, "%s: TTL %s, want about %s", msg, got, want)
}

// TestRedisTTLs: every key expires ExpiryMargin after its record, and a grant, its spent-code
// marker and its session index live as long as the longest-lived record that names the grant.
func TestRedisTTLs(t *testing.T) {
	r := openTestRedis(t, redistest.New(t))

	require.NoError(t, r.PutLogin(ctx, PendingLogin{ID: "l1", Expires: t0.Add(10 * time.Minute)}, t0))
	assertTTL(t, r, r.key("login", "l1"), 10*time.Minute, "pending login")

	require.NoError(t, r.PutSession(ctx, Session{ID: "s1", Expires: t0.Add(72 * time.Hour), IdleExpires: t0.Add(time.Hour)}, t0))
	assertTTL(t, r, r.sessionKey("s1"), time.Hour, "session: its idle deadline")
	_, err := r.TouchSession(ctx, "s1", 3*time.Hour, t0)
	require.NoError(t, err)
	assertTTL(t, r, r.sessionKey("s1"), 3*time.Hour, "touched session")

	require.NoError(t, r.PutCode(ctx, AuthCode{Code: "c1", Grant: "g1", Expires: t0.Add(time.Minute)}, t0))
	assertTTL(t, r, r.key("code", "c1"), time.Minute, "code")
	_, err = r.TakeCode(ctx, "c1", t0)
	require.NoError(t, err)
	grant := r.prefix + "grant:g1"
	assertTTL(t, r, grant, time.Minute, "grant of a taken code")
	assertTTL(t, r, r.key("code", "c1"), time.Minute, "spent-code marker")

	rt := RefreshToken{Token: "rt1", ClientID: "spa", SessionID: "s1", Grant: "g1",
		Expires: t0.Add(30 * 24 * time.Hour), IdleExpires: t0.Add(15 * 24 * time.Hour)}
	require.NoError(t, r.PutRefreshToken(ctx, rt, t0))
	assertTTL(t, r, r.key("refresh", "rt1"), 15*24*time.Hour, "refresh token: its idle deadline")
	assertTTL(t, r, grant, 15*24*time.Hour, "grant extended by its refresh token")
	assertTTL(t, r, r.key("code", "c1"), 15*24*time.Hour, "marker extended with its grant")
	assertTTL(t, r, r.sessionGrantsKey("s1"), 15*24*time.Hour, "session index lives with its grant")

	require.NoError(t, r.PutAccessGrant(ctx, "sig1", "g1", t0.Add(time.Hour), t0))
	assertTTL(t, r, r.key("access", "sig1"), time.Hour, "access token's grant")
	assertTTL(t, r, grant, 15*24*time.Hour, "a shorter-lived token does not shorten the grant")

	_, err = r.SpendRefreshToken(ctx, "rt1", "spa", tenant.RefreshTokenPolicy{Rotating: true}, t0)
	require.NoError(t, err)
	assertTTL(t, r, r.key("refresh", "rt1"), 30*24*time.Hour, "rotated token: its family's deadline")

	require.NoError(t, r.PutRefreshToken(ctx, RefreshToken{Token: "rt2", ClientID: "spa", Grant: "g2",
		Expires: t0.Add(tenant.Forever), IdleExpires: t0.Add(tenant.Forever)}, t0))
	assertTTL(t, r, r.key("refresh", "rt2"), tenant.Forever, "a token that never expires")

	require.NoError(t, r.LoginFailed(ctx, "alice", t0))
	assertTTL(t, r, r.key("failures", "alice"), FailureWindow, "failures")
}

// TestRedisKeys: keys hold no secret, every key expires, and Reset deletes only the store's
// own keys, whatever its prefix.
func TestRedisKeys(t *testing.T) {
	srv := redistest.New(t)
	prefix := redistest.Prefix(t)
	r, err := OpenRedis(ctx, srv.URL, RedisOptions{Prefix: prefix + "a*b:"})
	require.NoError(t, err)
	defer r.Close()
	neighbour := prefix + "aXb:keep"
	require.NoError(t, r.c.Set(ctx, neighbour, "1", time.Minute).Err())
	defer r.c.Del(ctx, neighbour)

	require.NoError(t, r.PutLogin(ctx, PendingLogin{ID: "login-secret", Expires: t0.Add(time.Hour)}, t0))
	require.NoError(t, r.PutCode(ctx, AuthCode{Code: "code-secret", Grant: "g1", Expires: t0.Add(time.Hour)}, t0))
	_, err = r.TakeCode(ctx, "code-secret", t0)
	require.NoError(t, err)
	require.NoError(t, r.PutSession(ctx, Session{ID: "s1", Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}, t0))
	require.NoError(t, r.PutRefreshToken(ctx, RefreshToken{Token: "refresh-secret", ClientID: "spa", SessionID: "s1", Grant: "g1",
		Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}, t0))
	require.NoError(t, r.PutOpaqueToken(ctx, OpaqueToken{Token: "opaque-secret", Grant: "g1", Expires: t0.Add(time.Hour)}, t0))
	require.NoError(t, r.PutAccessGrant(ctx, "signature-secret", "g1", t0.Add(time.Hour), t0))
	require.NoError(t, r.LoginFailed(ctx, "alice@example.com", t0))

	keys, err := r.c.Keys(ctx, globEscape(r.prefix)+"*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 9, "%v", keys)
	for _, k := range keys {
		assert.NotContains(t, k, "secret")
		assert.NotContains(t, k, "alice")
		assert.Positive(t, pttl(t, r, k), "%s expires", k)
	}

	require.NoError(t, r.Reset(ctx))
	keys, err = r.c.Keys(ctx, globEscape(r.prefix)+"*").Result()
	require.NoError(t, err)
	assert.Empty(t, keys)
	n, err := r.c.Exists(ctx, neighbour).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "a key the pattern would match unquoted survives")
}
