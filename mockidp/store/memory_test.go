package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

var ctx = context.Background()

// t0 is the callers' clock in these tests; the collection clock is a fakeClock.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeClock is the memory store's collection clock, moved by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) at(d time.Duration) gcTime { return gcTime(c.Now().Add(d).UnixNano()) }

// newTestMemory returns a memory store on a fake collection clock whose sweeper never runs by
// itself: the tests sweep.
func newTestMemory(t *testing.T, l Limits) (*Memory, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := newMemory(l, clock.Now, time.Hour*24*365)
	t.Cleanup(func() { m.Close() })
	return m, clock
}

func refreshToken(token, grant string) RefreshToken {
	return RefreshToken{
		Token: token, ClientID: "spa", UserID: "auth0|alice", Scope: "openid offline_access",
		Grant: grant, Expires: t0.Add(30 * 24 * time.Hour), IdleExpires: t0.Add(15 * 24 * time.Hour),
	}
}

func requireFull(t *testing.T, err error, bound string) {
	t.Helper()
	require.ErrorIs(t, err, ErrFull)
	var full *FullError
	require.ErrorAs(t, err, &full)
	assert.Equal(t, bound, full.Bound)
}

// TestMemoryRevocationSurvivesFlood: a revoked refresh token stays refused however many grants
// are revoked after it. Revocation is a flag on the grant, not an entry in a table of its own
// that a flood could push the first one out of; at the bound new grants are refused instead.
func TestMemoryRevocationSurvivesFlood(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
	}{
		{"small bounds", Limits{Grants: 500, RefreshTokens: 300, AccessGrants: 300, Codes: 100}},
		{"default bounds", Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMemory(t, tt.limits)
			require.NoError(t, m.PutRefreshToken(ctx, refreshToken("victim", "g-victim"), t0))
			require.NoError(t, m.PutAccessGrant(ctx, "victim-signature", "g-victim", t0.Add(time.Hour), t0))
			require.NoError(t, m.RevokeRefreshToken(ctx, "victim", "spa"))

			full := 0
			countFull := func(err error) {
				if errors.Is(err, ErrFull) {
					full++
					return
				}
				require.NoError(t, err)
			}
			for i := range 100_001 {
				g := fmt.Sprintf("g-%d", i)
				switch i % 3 {
				case 0:
					countFull(m.PutRefreshToken(ctx, refreshToken(fmt.Sprintf("rt-%d", i), g), t0))
					require.NoError(t, m.RevokeRefreshToken(ctx, fmt.Sprintf("rt-%d", i), "spa"))
				case 1:
					countFull(m.PutAccessGrant(ctx, fmt.Sprintf("sig-%d", i), g, t0.Add(time.Hour), t0))
					require.NoError(t, m.RevokeGrant(ctx, g))
				case 2:
					// A reused code revokes its grant.
					c := AuthCode{Code: fmt.Sprintf("c-%d", i), Grant: g, Expires: t0.Add(time.Minute)}
					require.NoError(t, m.PutCode(ctx, c, t0))
					if _, err := m.TakeCode(ctx, c.Code, t0); err != nil {
						countFull(err)
						continue
					}
					_, err := m.TakeCode(ctx, c.Code, t0)
					require.ErrorIs(t, err, ErrReused)
				}
			}
			assert.Positive(t, full, "the flood reached a bound")

			_, err := m.SpendRefreshToken(ctx, "victim", "spa", tenant.RefreshTokenPolicy{Rotating: true}, t0)
			assert.ErrorIs(t, err, ErrNotFound, "the first revoked token is still refused")
			revoked, err := m.AccessRevoked(ctx, "victim-signature")
			require.NoError(t, err)
			assert.True(t, revoked)
		})
	}
}

// TestMemoryLockoutSurvivesFlood: failures for made-up names cannot unlock a locked name; at
// the bound new names are refused instead.
func TestMemoryLockoutSurvivesFlood(t *testing.T) {
	tests := []struct {
		name     string
		limits   Limits
		wantFull bool
	}{
		{"small bound", Limits{Failures: 100}, true},
		{"default bound", Limits{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMemory(t, tt.limits)
			for range MaxFailedLogins {
				require.NoError(t, m.LoginFailed(ctx, "victim@example.com", t0))
			}
			full := 0
			for i := range 10_000 {
				err := m.LoginFailed(ctx, fmt.Sprintf("made-up-%d@example.com", i), t0)
				if errors.Is(err, ErrFull) {
					requireFull(t, err, "Failures")
					full++
					continue
				}
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantFull, full > 0, "refusals: %d", full)
			locked, err := m.LoginLocked(ctx, "victim@example.com", t0.Add(time.Minute))
			require.NoError(t, err)
			assert.True(t, locked)
			locks, err := m.Locks(ctx, "Victim@example.com", t0.Add(time.Minute))
			require.NoError(t, err)
			assert.Len(t, locks, 1)
			require.NoError(t, m.LoginFailed(ctx, "victim@example.com", t0.Add(time.Minute)),
				"a known name is still counted at the bound")
		})
	}
}

// TestMemoryDropsOldestAtBound: records whose loss only costs a retry make room by dropping
// the oldest.
func TestMemoryDropsOldestAtBound(t *testing.T) {
	tests := []struct {
		name string
		put  func(m *Memory, id string) error
		has  func(m *Memory, id string) bool
	}{
		{
			name: "pending logins",
			put: func(m *Memory, id string) error {
				return m.PutLogin(ctx, PendingLogin{ID: id, Expires: t0.Add(time.Hour)}, t0)
			},
			has: func(m *Memory, id string) bool { _, err := m.PeekLogin(ctx, id, t0); return err == nil },
		},
		{
			name: "codes",
			put: func(m *Memory, id string) error {
				return m.PutCode(ctx, AuthCode{Code: id, Grant: "g-" + id, Expires: t0.Add(time.Hour)}, t0)
			},
			has: func(m *Memory, id string) bool { _, ok := m.codes.get(id); return ok },
		},
		{
			name: "sessions",
			put: func(m *Memory, id string) error {
				return m.PutSession(ctx, Session{ID: id, Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}, t0)
			},
			has: func(m *Memory, id string) bool { _, err := m.CheckSession(ctx, id, t0); return err == nil },
		},
		{
			name: "opaque tokens",
			put: func(m *Memory, id string) error {
				return m.PutOpaqueToken(ctx, OpaqueToken{Token: id, Grant: "g-" + id, Expires: t0.Add(time.Hour)}, t0)
			},
			has: func(m *Memory, id string) bool { _, err := m.OpaqueToken(ctx, id, t0); return err == nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMemory(t, Limits{Logins: 3, Codes: 3, Sessions: 3, OpaqueTokens: 3})
			for _, id := range []string{"a", "b", "c", "d"} {
				require.NoError(t, tt.put(m, id))
			}
			assert.False(t, tt.has(m, "a"), "the oldest is dropped")
			for _, id := range []string{"b", "c", "d"} {
				assert.True(t, tt.has(m, id), id)
			}
		})
	}
}

// TestMemoryFailsClosedAtBound: records whose loss would weaken security are never dropped
// for new ones; the operation that needs room fails with the bound's name.
func TestMemoryFailsClosedAtBound(t *testing.T) {
	limits := Limits{Grants: 2, RefreshTokens: 2, AccessGrants: 2, Failures: 2}
	tests := []struct {
		name  string
		fill  func(m *Memory, i int) error
		extra func(m *Memory) error
		bound string
		kept  func(t *testing.T, m *Memory)
	}{
		{
			name: "refresh tokens",
			fill: func(m *Memory, i int) error {
				return m.PutRefreshToken(ctx, refreshToken(fmt.Sprint("rt", i), "g"), t0)
			},
			extra: func(m *Memory) error { return m.PutRefreshToken(ctx, refreshToken("rt-extra", "g"), t0) },
			bound: "RefreshTokens",
			kept: func(t *testing.T, m *Memory) {
				_, err := m.RefreshTokenScope(ctx, "rt0", "spa")
				assert.NoError(t, err)
			},
		},
		{
			name: "grants",
			fill: func(m *Memory, i int) error {
				return m.PutAccessGrant(ctx, fmt.Sprint("sig", i), fmt.Sprint("g", i), t0.Add(time.Hour), t0)
			},
			extra: func(m *Memory) error {
				return m.PutOpaqueToken(ctx, OpaqueToken{Token: "ot", Grant: "g-new", Expires: t0.Add(time.Hour)}, t0)
			},
			bound: "Grants",
		},
		{
			name: "access grants",
			fill: func(m *Memory, i int) error {
				return m.PutAccessGrant(ctx, fmt.Sprint("sig", i), "g", t0.Add(time.Hour), t0)
			},
			extra: func(m *Memory) error { return m.PutAccessGrant(ctx, "sig-extra", "g", t0.Add(time.Hour), t0) },
			bound: "AccessGrants",
			kept: func(t *testing.T, m *Memory) {
				require.NoError(t, m.RevokeGrant(ctx, "g"))
				revoked, err := m.AccessRevoked(ctx, "sig0")
				require.NoError(t, err)
				assert.True(t, revoked)
			},
		},
		{
			name:  "failures",
			fill:  func(m *Memory, i int) error { return m.LoginFailed(ctx, fmt.Sprint("user", i), t0) },
			extra: func(m *Memory) error { return m.LoginFailed(ctx, "someone-else", t0) },
			bound: "Failures",
		},
		{
			name: "a code's take when grants are full",
			fill: func(m *Memory, i int) error {
				return m.PutAccessGrant(ctx, fmt.Sprint("sig", i), fmt.Sprint("g", i), t0.Add(time.Hour), t0)
			},
			extra: func(m *Memory) error {
				if err := m.PutCode(ctx, AuthCode{Code: "c", Grant: "g-code", Expires: t0.Add(time.Hour)}, t0); err != nil {
					return err
				}
				_, err := m.TakeCode(ctx, "c", t0)
				return err
			},
			bound: "Grants",
			kept: func(t *testing.T, m *Memory) {
				_, ok := m.codes.get("c")
				assert.True(t, ok, "the refused take left the code")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMemory(t, limits)
			for i := range 2 {
				require.NoError(t, tt.fill(m, i))
			}
			requireFull(t, tt.extra(m), tt.bound)
			if tt.kept != nil {
				tt.kept(t, m)
			}
		})
	}
}

// TestMemorySweep: a record is collected ExpiryMargin after its expiry on the collection
// clock, never before; records that name a grant go with it.
func TestMemorySweep(t *testing.T) {
	const life = time.Hour
	tests := []struct {
		name string
		put  func(m *Memory) error
		len  func(m *Memory) int
		life time.Duration // life by default
	}{
		{
			name: "pending login",
			put:  func(m *Memory) error { return m.PutLogin(ctx, PendingLogin{ID: "l", Expires: t0.Add(life)}, t0) },
			len:  func(m *Memory) int { return m.logins.len() },
		},
		{
			name: "code",
			put: func(m *Memory) error {
				return m.PutCode(ctx, AuthCode{Code: "c", Grant: "g", Expires: t0.Add(life)}, t0)
			},
			len: func(m *Memory) int { return m.codes.len() },
		},
		{
			name: "session at its idle deadline",
			put: func(m *Memory) error {
				return m.PutSession(ctx, Session{ID: "s", Expires: t0.Add(72 * time.Hour), IdleExpires: t0.Add(life)}, t0)
			},
			len: func(m *Memory) int { return m.sessions.len() },
		},
		{
			name: "refresh token, its grant and its session index",
			put: func(m *Memory) error {
				rt := refreshToken("rt", "g")
				rt.SessionID, rt.IdleExpires = "s", t0.Add(life)
				return m.PutRefreshToken(ctx, rt, t0)
			},
			len: func(m *Memory) int { return m.refresh.len() + m.grants.len() + m.sessionGrants.len() },
		},
		{
			name: "spent code marker with its grant",
			put: func(m *Memory) error {
				if err := m.PutCode(ctx, AuthCode{Code: "c", Grant: "g", Expires: t0.Add(time.Minute)}, t0); err != nil {
					return err
				}
				if _, err := m.TakeCode(ctx, "c", t0); err != nil {
					return err
				}
				return m.PutAccessGrant(ctx, "sig", "g", t0.Add(life), t0)
			},
			len: func(m *Memory) int { return m.spent.len() + m.grants.len() + m.access.len() },
		},
		{
			name: "opaque token",
			put: func(m *Memory) error {
				return m.PutOpaqueToken(ctx, OpaqueToken{Token: "ot", Grant: "g", Expires: t0.Add(life)}, t0)
			},
			len: func(m *Memory) int { return m.opaque.len() + m.grants.len() },
		},
		{
			name: "failures",
			put:  func(m *Memory) error { return m.LoginFailed(ctx, "alice", t0) },
			len:  func(m *Memory) int { return m.failures.len() },
			life: FailureWindow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clock := newTestMemory(t, Limits{})
			require.NoError(t, tt.put(m))
			before := tt.len(m)
			require.Positive(t, before)
			life := cmp.Or(tt.life, life)
			m.sweep(clock.at(life + ExpiryMargin - time.Millisecond))
			assert.Equal(t, before, tt.len(m), "kept until the margin has passed")
			m.sweep(clock.at(life + ExpiryMargin))
			assert.Zero(t, tt.len(m), "collected")
		})
	}
}

// TestMemorySweepKeepsRotatedTokensWithTheirFamily: a rotated token is kept while its family
// lives, however long after its own deadlines, and collected with the family's grant.
func TestMemorySweepKeepsRotatedTokensWithTheirFamily(t *testing.T) {
	m, clock := newTestMemory(t, Limits{})
	policy := tenant.RefreshTokenPolicy{Rotating: true, IdleLifetime: time.Hour}
	first := refreshToken("rt1", "g")
	first.IdleExpires = t0.Add(time.Hour)
	require.NoError(t, m.PutRefreshToken(ctx, first, t0))
	_, err := m.SpendRefreshToken(ctx, "rt1", "spa", policy, t0)
	require.NoError(t, err)
	second := refreshToken("rt2", "g")
	second.IdleExpires = t0.Add(10 * time.Hour)
	require.NoError(t, m.PutRefreshToken(ctx, second, t0))

	m.sweep(clock.at(5 * time.Hour))
	_, err = m.SpendRefreshToken(ctx, "rt1", "spa", policy, t0.Add(5*time.Hour))
	require.ErrorIs(t, err, ErrReused, "the rotated token outlived its own idle deadline")

	m.sweep(clock.at(10*time.Hour + ExpiryMargin))
	assert.Zero(t, m.refresh.len()+m.grants.len(), "family and grant collected together")
}

// TestMemoryTouchMovesCollection: a visit moves a session's collection with its idle deadline.
func TestMemoryTouchMovesCollection(t *testing.T) {
	m, clock := newTestMemory(t, Limits{})
	require.NoError(t, m.PutSession(ctx, Session{ID: "s", Expires: t0.Add(72 * time.Hour), IdleExpires: t0.Add(time.Hour)}, t0))
	_, err := m.TouchSession(ctx, "s", 2*time.Hour, t0)
	require.NoError(t, err)
	m.sweep(clock.at(time.Hour + ExpiryMargin))
	_, err = m.CheckSession(ctx, "s", t0.Add(90*time.Minute))
	assert.NoError(t, err)
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryGivesMemoryBack: after a flood the sweep gives the memory back, maps included.
func TestMemoryGivesMemoryBack(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the store")
	}
	m, clock := newTestMemory(t, Limits{})
	base := heapInUse()
	const n = 20_000
	for i := range n {
		id := fmt.Sprint(i)
		require.NoError(t, m.PutSession(ctx, Session{ID: "s" + id, Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}, t0))
		rt := refreshToken("rt"+id, "g"+id)
		rt.SessionID = "s" + id
		require.NoError(t, m.PutRefreshToken(ctx, rt, t0))
		require.NoError(t, m.PutAccessGrant(ctx, "sig"+id, "g"+id, t0.Add(time.Hour), t0))
		require.NoError(t, m.LoginFailed(ctx, "user"+id, t0))
	}
	flooded := heapInUse()
	require.Greater(t, flooded, base+5<<20, "the flood takes memory")

	m.sweep(clock.at(31 * 24 * time.Hour))
	after := heapInUse()
	t.Logf("heap: %d KiB before, %d KiB flooded, %d KiB swept", base>>10, flooded>>10, after>>10)
	assert.Less(t, after, base+(flooded-base)/10, "at most a tenth of the flood stays")
}

// TestRecordSizes measures what each kind of record costs in the memory store, worst case,
// and checks that the default Limits keep a store flooded to every bound under 100 MiB.
func TestRecordSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the store")
	}
	// Each request brings its own copy of its state: one string shared by every record
	// would be counted once.
	big := func(i int) string { return fmt.Sprintf("%d%s", i, strings.Repeat("x", 16<<10)) }
	identifier := strings.Repeat("i", MaxIdentifierBytes)
	d := Limits{}.withDefaults()
	tests := []struct {
		name  string
		bound int
		put   func(m *Memory, i int) error
	}{
		{"pending login (16 KiB state)", d.Logins, func(m *Memory, i int) error {
			return m.PutLogin(ctx, PendingLogin{ID: fmt.Sprintf("%032d", i), ClientID: "demo-spa", RedirectURI: "http://localhost:3000/",
				State: big(i), Scope: "openid profile email offline_access", CSRF: fmt.Sprintf("%032d", i), Binding: fmt.Sprintf("%043d", i),
				Expires: t0.Add(time.Hour)}, t0)
		}},
		{"code (16 KiB nonce)", d.Codes, func(m *Memory, i int) error {
			return m.PutCode(ctx, AuthCode{Code: fmt.Sprintf("%043d", i), ClientID: "demo-spa", RedirectURI: "http://localhost:3000/",
				Nonce: big(i), Scope: "openid profile email offline_access", UserID: "auth0|alice", SessionID: fmt.Sprintf("%032d", 0),
				Grant: fmt.Sprintf("%022d", i), Expires: t0.Add(time.Hour)}, t0)
		}},
		{"session", d.Sessions, func(m *Memory, i int) error {
			return m.PutSession(ctx, Session{ID: fmt.Sprintf("%032d", i), UserID: "auth0|alice", AuthTime: t0,
				Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}, t0)
		}},
		{"opaque token with its grant", d.OpaqueTokens, func(m *Memory, i int) error {
			return m.PutOpaqueToken(ctx, OpaqueToken{Token: fmt.Sprintf("%032d", i), ClientID: "demo-spa", UserID: "auth0|alice",
				Scope: "openid profile email", Grant: fmt.Sprintf("%022d", i), Expires: t0.Add(time.Hour)}, t0)
		}},
		{"spent code: grant and marker", d.Grants, func(m *Memory, i int) error {
			c := AuthCode{Code: fmt.Sprintf("%043d", i), Grant: fmt.Sprintf("%022d", i), Expires: t0.Add(time.Hour)}
			if err := m.PutCode(ctx, c, t0); err != nil {
				return err
			}
			_, err := m.TakeCode(ctx, c.Code, t0)
			return err
		}},
		{"refresh token in a session", d.RefreshTokens, func(m *Memory, i int) error {
			return m.PutRefreshToken(ctx, RefreshToken{Token: fmt.Sprintf("%043d", i), ClientID: "demo-spa", UserID: "auth0|alice",
				Audience: "https://api.example.com", Scope: "openid profile email offline_access read:protected",
				SessionID: fmt.Sprintf("%032d", i), Grant: "g", AuthTime: t0,
				Expires: t0.Add(time.Hour), IdleExpires: t0.Add(time.Hour)}, t0)
		}},
		{"access token's grant", d.AccessGrants, func(m *Memory, i int) error {
			return m.PutAccessGrant(ctx, fmt.Sprintf("%0342d", i), "g", t0.Add(time.Hour), t0)
		}},
		{"failures (longest identifier)", d.Failures, func(m *Memory, i int) error {
			return m.LoginFailed(ctx, fmt.Sprintf("%d%s", i, identifier)[:MaxIdentifierBytes], t0)
		}},
	}
	const n = 2_000
	var total float64
	for _, tt := range tests {
		m, _ := newTestMemory(t, Limits{Logins: n, Codes: n, Grants: 2 * n})
		base := heapInUse()
		for i := range n {
			require.NoError(t, tt.put(m, i), tt.name)
		}
		per := float64(heapInUse()-base) / n
		runtime.KeepAlive(m)
		total += per * float64(tt.bound)
		t.Logf("%-32s %8.0f bytes  x %6d = %6.1f MiB", tt.name, per, tt.bound, per*float64(tt.bound)/(1<<20))
	}
	t.Logf("%-32s %41.1f MiB", "flooded to every bound", total/(1<<20))
	assert.Less(t, total, float64(100<<20))
}

// TestMemoryClose: Close stops the sweeper and may be called again.
func TestMemoryClose(t *testing.T) {
	m := NewMemory(Limits{})
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	select {
	case <-m.done:
	default:
		t.Fatal("the sweeper still runs")
	}
}

// A store collecting on the caller's clock collects what moving that clock has expired, and
// nothing before it has expired on that clock.
func TestMemoryOnCallersClock(t *testing.T) {
	clock := &fakeClock{now: t0}
	m := NewMemoryOn(Limits{}, clock.Now)
	t.Cleanup(func() { m.Close() })
	require.NoError(t, m.PutLogin(ctx, PendingLogin{ID: "l", Expires: t0.Add(time.Hour)}, t0))

	clock.mu.Lock()
	clock.now = t0.Add(time.Hour)
	clock.mu.Unlock()
	m.Sweep()
	assert.Equal(t, 1, m.logins.len(), "kept for ExpiryMargin after its expiry")

	clock.mu.Lock()
	clock.now = t0.Add(time.Hour + ExpiryMargin)
	clock.mu.Unlock()
	m.Sweep()
	assert.Zero(t, m.logins.len(), "collected once the moved clock passes expiry and margin")
}
