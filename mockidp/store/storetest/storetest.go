// Package storetest is the conformance suite of store.Store: every backend runs it, so that the
// emulator behaves the same on each. Its times are whole milliseconds in UTC, as the Redis
// store keeps them, so that records compare equal after a round trip through any backend.
package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// t0 is the suite's "now". It is far from the real time on purpose: backends must check expiry
// against the caller's clock, not their own.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// Run runs the suite; newStore returns an empty store for each case and arranges its cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"logins", loginCases},
		{"codes", codeCases},
		{"sessions", sessionCases},
		{"refresh", refreshCases},
		{"opaque", opaqueCases},
		{"access", accessCases},
		{"failures", failureCases},
		{"reset", resetCases},
		{"concurrency", concurrencyCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, newStore(t))
				})
			}
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

var ctx = context.Background()

// state is a caller's state of the kind a browser may send: long, and not valid UTF-8, which a
// store must keep byte for byte.
var state = strings.Repeat("s", 16<<10) + "\xff\xfe"

func login(id string) store.PendingLogin {
	return store.PendingLogin{
		ID: id, ClientID: "spa", RedirectURI: "http://localhost:3000/", ResponseMode: "query",
		State: state, Nonce: "n-0S6_WzA2Mj", Scope: "openid profile offline_access",
		Audience: "https://api.example.com", Challenge: strings.Repeat("c", 43),
		MaxAge: 90 * time.Second, HasMaxAge: true, PromptNone: false, PromptLogin: true,
		LoginHint: "alice@example.com", CSRF: "csrf-token", Binding: "binding-cookie",
		Expires: t0.Add(10 * time.Minute),
		Query:   "client_id=spa&ui_locales=fr-CA+en&x=%FF",
	}
}

func code(value, grant string) store.AuthCode {
	return store.AuthCode{
		Code: value, ClientID: "spa", RedirectURI: "http://localhost:3000/",
		Challenge: strings.Repeat("c", 43), Scope: "openid offline_access",
		Audience: "https://api.example.com", Nonce: "nonce", UserID: "auth0|alice",
		SessionID: "sess-1", AuthTime: t0.Add(-time.Minute), MaxAge: true,
		Expires: t0.Add(time.Minute), Grant: grant,
	}
}

func session(id string) store.Session {
	return store.Session{
		ID: id, UserID: "auth0|alice", AuthTime: t0,
		Expires: t0.Add(72 * time.Hour), IdleExpires: t0.Add(time.Hour),
	}
}

func refresh(token, grant, sid string) store.RefreshToken {
	return store.RefreshToken{
		Token: token, ClientID: "spa", UserID: "auth0|alice", Audience: "https://api.example.com",
		Scope: "openid offline_access read:protected", SessionID: sid, Grant: grant,
		AuthTime: t0.Add(-time.Minute), WithAuthTime: true,
		Expires: t0.Add(30 * 24 * time.Hour), IdleExpires: t0.Add(15 * 24 * time.Hour),
	}
}

func opaque(token, grant string) store.OpaqueToken {
	return store.OpaqueToken{
		Token: token, ClientID: "spa", UserID: "auth0|alice", Scope: "openid profile",
		Grant: grant, Expires: t0.Add(24 * time.Hour),
	}
}

var (
	rotating    = tenant.RefreshTokenPolicy{Rotating: true, Lifetime: 30 * 24 * time.Hour, IdleLifetime: 15 * 24 * time.Hour}
	nonRotating = tenant.RefreshTokenPolicy{Rotating: false, Lifetime: 30 * 24 * time.Hour, IdleLifetime: 15 * 24 * time.Hour}
)

// assertRefused asserts that err is ErrNotFound for the reason why.
func assertRefused(t *testing.T, err error, why store.Reason, msgAndArgs ...any) bool {
	t.Helper()
	refused, ok := errors.AsType[*store.RefusedError](err)
	if !assert.True(t, ok, "want a *store.RefusedError (%s), got %v", why, err) {
		return false
	}
	return assert.ErrorIs(t, err, store.ErrNotFound, msgAndArgs...) &&
		assert.Equal(t, why, refused.Reason, msgAndArgs...)
}

// grantRevoked reports, through the tokens that name it, whether a grant is revoked: an opaque
// token put under the grant is refused once it is.
func grantRevoked(t *testing.T, s store.Store, grant string) bool {
	t.Helper()
	tok := "probe-" + grant
	require.NoError(t, s.PutOpaqueToken(ctx, opaque(tok, grant), t0))
	_, err := s.OpaqueToken(ctx, tok, t0)
	if err == nil {
		return false
	}
	if !assertRefused(t, err, store.ReasonRevoked) {
		t.FailNow()
	}
	return true
}

var loginCases = []testCase{
	{"put then peek returns it byte for byte", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutLogin(ctx, login("l1"), t0))
		got, err := s.PeekLogin(ctx, "l1", t0)
		require.NoError(t, err)
		assert.Equal(t, login("l1"), got)
		got, err = s.PeekLogin(ctx, "l1", t0.Add(time.Minute))
		require.NoError(t, err, "a peek does not spend it")
		assert.Equal(t, state, got.State)
	}},
	{"unknown is not found", func(t *testing.T, s store.Store) {
		_, err := s.PeekLogin(ctx, "nope", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.TakeLogin(ctx, "nope", t0)
		assertRefused(t, err, store.ReasonUnknown)
	}},
	{"expired at its deadline on the caller's clock", func(t *testing.T, s store.Store) {
		l := login("l1")
		require.NoError(t, s.PutLogin(ctx, l, t0))
		_, err := s.PeekLogin(ctx, "l1", l.Expires.Add(-time.Millisecond))
		require.NoError(t, err)
		_, err = s.PeekLogin(ctx, "l1", l.Expires)
		assertRefused(t, err, store.ReasonExpired)
	}},
	{"taken once", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutLogin(ctx, login("l1"), t0))
		got, err := s.TakeLogin(ctx, "l1", t0)
		require.NoError(t, err)
		assert.Equal(t, login("l1"), got)
		_, err = s.TakeLogin(ctx, "l1", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.PeekLogin(ctx, "l1", t0)
		assertRefused(t, err, store.ReasonUnknown)
	}},
	{"taking an expired one removes it", func(t *testing.T, s store.Store) {
		l := login("l1")
		require.NoError(t, s.PutLogin(ctx, l, t0))
		_, err := s.TakeLogin(ctx, "l1", l.Expires)
		assertRefused(t, err, store.ReasonExpired)
		_, err = s.PeekLogin(ctx, "l1", t0)
		assertRefused(t, err, store.ReasonUnknown, "gone, even for a clock set back")
	}},
	{"put again replaces", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutLogin(ctx, login("l1"), t0))
		l := login("l1")
		l.State, l.PromptLogin = "second", false
		require.NoError(t, s.PutLogin(ctx, l, t0))
		got, err := s.PeekLogin(ctx, "l1", t0)
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}},
	{"refused without an id or an expiry", func(t *testing.T, s store.Store) {
		l := login("")
		assert.ErrorIs(t, s.PutLogin(ctx, l, t0), store.ErrInvalid)
		l = login("l1")
		l.Expires = time.Time{}
		assert.ErrorIs(t, s.PutLogin(ctx, l, t0), store.ErrInvalid)
		_, err := s.PeekLogin(ctx, "l1", t0)
		assertRefused(t, err, store.ReasonUnknown)
	}},
}

var codeCases = []testCase{
	{"put then take returns it", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCode(ctx, code("c1", "g1"), t0))
		got, err := s.TakeCode(ctx, "c1", t0)
		require.NoError(t, err)
		assert.Equal(t, code("c1", "g1"), got)
	}},
	{"the post-login Actions' result comes back as put", func(t *testing.T, s store.Store) {
		c := code("c1", "g1")
		c.Actions = &store.ActionResult{
			IDTokenClaims: map[string]any{"https://example.com/profile": map[string]any{
				"plan": "gold", "seats": float64(5), "beta": true, "tags": []any{"a", nil, 1.5},
			}},
			AccessTokenClaims: map[string]any{"https://example.com/roles": []any{"admin"}, "tier": nil},
			ScopesAdded:       []string{"read:reports"},
			ScopesRemoved:     []string{"offline_access"},
		}
		require.NoError(t, s.PutCode(ctx, c, t0))
		c.Actions.IDTokenClaims["https://example.com/profile"].(map[string]any)["plan"] = "changed after the put"
		got, err := s.TakeCode(ctx, "c1", t0)
		require.NoError(t, err)
		want := code("c1", "g1")
		want.Actions = &store.ActionResult{
			IDTokenClaims: map[string]any{"https://example.com/profile": map[string]any{
				"plan": "gold", "seats": float64(5), "beta": true, "tags": []any{"a", nil, 1.5},
			}},
			AccessTokenClaims: map[string]any{"https://example.com/roles": []any{"admin"}, "tier": nil},
			ScopesAdded:       []string{"read:reports"},
			ScopesRemoved:     []string{"offline_access"},
		}
		assert.Equal(t, want, got)
	}},
	{"an empty Actions result is not lost", func(t *testing.T, s store.Store) {
		c := code("c1", "g1")
		c.Actions = &store.ActionResult{}
		require.NoError(t, s.PutCode(ctx, c, t0))
		got, err := s.TakeCode(ctx, "c1", t0)
		require.NoError(t, err)
		assert.Equal(t, &store.ActionResult{}, got.Actions)
	}},
	{"a claim JSON cannot carry is refused", func(t *testing.T, s store.Store) {
		c := code("c1", "g1")
		c.Actions = &store.ActionResult{IDTokenClaims: map[string]any{"bad": make(chan int)}}
		assert.ErrorIs(t, s.PutCode(ctx, c, t0), store.ErrInvalid)
		_, err := s.TakeCode(ctx, "c1", t0)
		assert.ErrorIs(t, err, store.ErrNotFound)
	}},
	{"unknown is not found and revokes nothing", func(t *testing.T, s store.Store) {
		_, err := s.TakeCode(ctx, "nope", t0)
		assertRefused(t, err, store.ReasonUnknown)
	}},
	{"second take is reuse and revokes what the code minted", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCode(ctx, code("c1", "g1"), t0))
		_, err := s.TakeCode(ctx, "c1", t0)
		require.NoError(t, err)
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		require.NoError(t, s.PutOpaqueToken(ctx, opaque("ot1", "g1"), t0))
		require.NoError(t, s.PutAccessGrant(ctx, "sig1", "g1", t0.Add(time.Hour), t0))
		require.NoError(t, s.PutOpaqueToken(ctx, opaque("other", "g2"), t0))

		_, err = s.TakeCode(ctx, "c1", t0.Add(time.Second))
		assert.ErrorIs(t, err, store.ErrReused)

		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0.Add(time.Second))
		assertRefused(t, err, store.ReasonRevoked)
		_, err = s.OpaqueToken(ctx, "ot1", t0.Add(time.Second))
		assertRefused(t, err, store.ReasonRevoked)
		revoked, err := s.AccessRevoked(ctx, "sig1")
		require.NoError(t, err)
		assert.True(t, revoked)
		_, err = s.OpaqueToken(ctx, "other", t0.Add(time.Second))
		assert.NoError(t, err, "another grant's token is untouched")
	}},
	{"reuse long after the code expired still revokes the family", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCode(ctx, code("c1", "g1"), t0))
		_, err := s.TakeCode(ctx, "c1", t0)
		require.NoError(t, err)
		later := t0.Add(10 * 24 * time.Hour)
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		_, err = s.TakeCode(ctx, "c1", later)
		assert.ErrorIs(t, err, store.ErrReused)
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, later)
		assertRefused(t, err, store.ReasonRevoked)
	}},
	{"an expired code is spent by the take that finds it expired", func(t *testing.T, s store.Store) {
		c := code("c1", "g1")
		require.NoError(t, s.PutCode(ctx, c, t0))
		_, err := s.TakeCode(ctx, "c1", c.Expires)
		assertRefused(t, err, store.ReasonExpired)
		_, err = s.TakeCode(ctx, "c1", t0)
		assert.ErrorIs(t, err, store.ErrReused, "even with the clock set back")
	}},
	{"a code cannot be put twice, live or spent", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCode(ctx, code("c1", "g1"), t0))
		assert.ErrorIs(t, s.PutCode(ctx, code("c1", "g2"), t0), store.ErrInvalid)
		_, err := s.TakeCode(ctx, "c1", t0)
		require.NoError(t, err)
		assert.ErrorIs(t, s.PutCode(ctx, code("c1", "g3"), t0), store.ErrInvalid)
		_, err = s.TakeCode(ctx, "c1", t0)
		assert.ErrorIs(t, err, store.ErrReused, "the marker survives the refused put")
	}},
	{"refused without a grant or an expiry", func(t *testing.T, s store.Store) {
		assert.ErrorIs(t, s.PutCode(ctx, code("c1", ""), t0), store.ErrInvalid)
		assert.ErrorIs(t, s.PutCode(ctx, code("c1", strings.Repeat("g", store.MaxIDBytes+1)), t0), store.ErrInvalid)
		c := code("c1", "g1")
		c.Expires = time.Time{}
		assert.ErrorIs(t, s.PutCode(ctx, c, t0), store.ErrInvalid)
		_, err := s.TakeCode(ctx, "c1", t0)
		assertRefused(t, err, store.ReasonUnknown)
	}},
}

var sessionCases = []testCase{
	{"touch moves the idle deadline", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		now := t0.Add(30 * time.Minute)
		got, err := s.TouchSession(ctx, "s1", time.Hour, now)
		require.NoError(t, err)
		want := session("s1")
		want.IdleExpires = now.Add(time.Hour)
		assert.Equal(t, want, got)
		_, err = s.CheckSession(ctx, "s1", t0.Add(80*time.Minute))
		assert.NoError(t, err, "alive past its first idle deadline")
	}},
	{"check is no visit", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		got, err := s.CheckSession(ctx, "s1", t0.Add(30*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, session("s1"), got)
		_, err = s.CheckSession(ctx, "s1", t0.Add(time.Hour))
		assertRefused(t, err, store.ReasonIdle)
		_, err = s.CheckSession(ctx, "s1", t0)
		assert.NoError(t, err, "a check of a dead session removes nothing")
	}},
	{"touch past the idle deadline ends it", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		_, err := s.TouchSession(ctx, "s1", time.Hour, t0.Add(time.Hour))
		assertRefused(t, err, store.ReasonIdle)
		_, err = s.CheckSession(ctx, "s1", t0)
		assertRefused(t, err, store.ReasonUnknown, "removed")
	}},
	{"touch past the absolute deadline ends it", func(t *testing.T, s store.Store) {
		sess := session("s1")
		sess.IdleExpires = sess.Expires.Add(time.Hour)
		require.NoError(t, s.PutSession(ctx, sess, t0))
		_, err := s.TouchSession(ctx, "s1", time.Hour, sess.Expires)
		assertRefused(t, err, store.ReasonExpired)
	}},
	{"past both deadlines the absolute one is named", func(t *testing.T, s store.Store) {
		sess := session("s1")
		require.NoError(t, s.PutSession(ctx, sess, t0))
		_, err := s.CheckSession(ctx, "s1", sess.Expires)
		assertRefused(t, err, store.ReasonExpired)
		_, err = s.TouchSession(ctx, "s1", time.Hour, sess.Expires)
		assertRefused(t, err, store.ReasonExpired)
	}},
	{"unknown is not found", func(t *testing.T, s store.Store) {
		_, err := s.TouchSession(ctx, "nope", time.Hour, t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.CheckSession(ctx, "nope", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.CheckSession(ctx, strings.Repeat("s", store.MaxIDBytes+1), t0)
		assertRefused(t, err, store.ReasonUnknown)
		assert.NoError(t, s.EndSession(ctx, "nope", true))
	}},
	{"put again renews", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		renewed := session("s1")
		renewed.AuthTime, renewed.IdleExpires = t0.Add(time.Hour), t0.Add(2*time.Hour)
		require.NoError(t, s.PutSession(ctx, renewed, t0.Add(time.Hour)))
		got, err := s.CheckSession(ctx, "s1", t0.Add(90*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, renewed, got)
	}},
	{"end without revoking leaves its tokens", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", "s1"), t0))
		require.NoError(t, s.EndSession(ctx, "s1", false))
		_, err := s.CheckSession(ctx, "s1", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		assert.NoError(t, err)
	}},
	{"end with revoking revokes the grants of its refresh tokens only", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", "s1"), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt2", "g2", "s1"), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt3", "g3", "s2"), t0))
		require.NoError(t, s.PutAccessGrant(ctx, "sig4", "g4", t0.Add(time.Hour), t0))
		require.NoError(t, s.EndSession(ctx, "s1", true))
		for _, rt := range []string{"rt1", "rt2"} {
			_, err := s.SpendRefreshToken(ctx, rt, "spa", rotating, t0)
			assertRefused(t, err, store.ReasonRevoked, rt)
		}
		assert.True(t, grantRevoked(t, s, "g1"), "the grant's other tokens too")
		_, err := s.SpendRefreshToken(ctx, "rt3", "spa", rotating, t0)
		assert.NoError(t, err, "another session's token")
		revoked, err := s.AccessRevoked(ctx, "sig4")
		require.NoError(t, err)
		assert.False(t, revoked, "a grant with no refresh token in the session")
	}},
	{"end with revoking works after the session is gone", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", "s1"), t0))
		require.NoError(t, s.EndSession(ctx, "s1", false))
		require.NoError(t, s.EndSession(ctx, "s1", true))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		assertRefused(t, err, store.ReasonRevoked)
	}},
	{"refused without deadlines or with a bad id", func(t *testing.T, s store.Store) {
		for name, sess := range map[string]store.Session{
			"no id":         session(""),
			"long id":       session(strings.Repeat("s", store.MaxIDBytes+1)),
			"no expiry":     {ID: "s1", IdleExpires: t0.Add(time.Hour)},
			"no idle limit": {ID: "s1", Expires: t0.Add(time.Hour)},
		} {
			assert.ErrorIs(t, s.PutSession(ctx, sess, t0), store.ErrInvalid, name)
		}
		_, err := s.CheckSession(ctx, "s1", t0)
		assertRefused(t, err, store.ReasonUnknown)
	}},
}

var refreshCases = []testCase{
	{"non-rotating: each use moves the idle deadline", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		now := t0.Add(10 * 24 * time.Hour)
		got, err := s.SpendRefreshToken(ctx, "rt1", "spa", nonRotating, now)
		require.NoError(t, err)
		want := refresh("rt1", "g1", "")
		want.IdleExpires = now.Add(nonRotating.IdleLifetime)
		assert.Equal(t, want, got)
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", nonRotating, t0.Add(20*24*time.Hour))
		assert.NoError(t, err, "alive past its first idle deadline, and usable again")
	}},
	{"rotating: the first use marks it used", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		got, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0.Add(time.Minute))
		require.NoError(t, err)
		want := refresh("rt1", "g1", "")
		want.Used, want.RotatedAt = true, t0.Add(time.Minute)
		assert.Equal(t, want, got)
	}},
	{"rotating: reuse revokes the family", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		require.NoError(t, err)
		successor := refresh("rt2", "g1", "")
		successor.IdleExpires = t0.Add(rotating.IdleLifetime)
		require.NoError(t, s.PutRefreshToken(ctx, successor, t0))
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0.Add(time.Second))
		assert.ErrorIs(t, err, store.ErrReused)
		_, err = s.SpendRefreshToken(ctx, "rt2", "spa", rotating, t0.Add(time.Second))
		assertRefused(t, err, store.ReasonRevoked, "the successor is revoked with its family")
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0.Add(2*time.Second))
		assertRefused(t, err, store.ReasonRevoked, "a revoked family reports no further reuse")
	}},
	{"rotating: reuse within the leeway is allowed", func(t *testing.T, s store.Store) {
		policy := rotating
		policy.Leeway = 10 * time.Second
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", policy, t0)
		require.NoError(t, err)
		got, err := s.SpendRefreshToken(ctx, "rt1", "spa", policy, t0.Add(10*time.Second-time.Millisecond))
		require.NoError(t, err)
		assert.Equal(t, t0, got.RotatedAt, "a retry does not move the rotation")
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", policy, t0.Add(10*time.Second))
		assert.ErrorIs(t, err, store.ErrReused, "at the end of the leeway")
	}},
	{"rotating: reuse after the token's own idle deadline still revokes", func(t *testing.T, s store.Store) {
		rt := refresh("rt1", "g1", "")
		rt.IdleExpires = t0.Add(time.Hour)
		require.NoError(t, s.PutRefreshToken(ctx, rt, t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		require.NoError(t, err)
		successor := refresh("rt2", "g1", "")
		require.NoError(t, s.PutRefreshToken(ctx, successor, t0))
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0.Add(2*time.Hour))
		assert.ErrorIs(t, err, store.ErrReused)
		_, err = s.SpendRefreshToken(ctx, "rt2", "spa", rotating, t0.Add(2*time.Hour))
		assertRefused(t, err, store.ReasonRevoked)
	}},
	{"another client's token is refused as such and stays its owner's", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "other", rotating, t0)
		assertRefused(t, err, store.ReasonOtherClient)
		_, err = s.RefreshTokenScope(ctx, "rt1", "other")
		assertRefused(t, err, store.ReasonOtherClient)
		require.NoError(t, s.RevokeRefreshToken(ctx, "rt1", "other"))
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		require.NoError(t, err)
		_, err = s.SpendRefreshToken(ctx, "rt1", "other", rotating, t0.Add(time.Second))
		assertRefused(t, err, store.ReasonOtherClient, "another client presenting a used token revokes nothing")
		assert.False(t, grantRevoked(t, s, "g1"))
	}},
	{"expired at the absolute deadline", func(t *testing.T, s store.Store) {
		rt := refresh("rt1", "g1", "")
		rt.IdleExpires = rt.Expires.Add(time.Hour)
		require.NoError(t, s.PutRefreshToken(ctx, rt, t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", nonRotating, rt.Expires)
		assertRefused(t, err, store.ReasonExpired)
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", nonRotating, t0)
		assertRefused(t, err, store.ReasonUnknown, "removed")
	}},
	{"expired at the idle deadline", func(t *testing.T, s store.Store) {
		rt := refresh("rt1", "g1", "")
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		assertRefused(t, err, store.ReasonUnknown, "unknown")
		require.NoError(t, s.PutRefreshToken(ctx, rt, t0))
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, rt.IdleExpires)
		assertRefused(t, err, store.ReasonIdle)
	}},
	{"past both deadlines the absolute one is named", func(t *testing.T, s store.Store) {
		rt := refresh("rt1", "g1", "")
		require.NoError(t, s.PutRefreshToken(ctx, rt, t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", nonRotating, rt.Expires)
		assertRefused(t, err, store.ReasonExpired)
	}},
	{"another client learns no more than that the token is not its own", func(t *testing.T, s store.Store) {
		rt := refresh("rt1", "g1", "")
		require.NoError(t, s.PutRefreshToken(ctx, rt, t0))
		require.NoError(t, s.RevokeGrant(ctx, "g1"))
		_, err := s.SpendRefreshToken(ctx, "rt1", "other", rotating, rt.Expires)
		assertRefused(t, err, store.ReasonOtherClient, "revoked and expired, but not its own")
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, rt.Expires)
		assertRefused(t, err, store.ReasonRevoked, "the revocation before the expiry")
	}},
	{"scope without spending", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		scope, err := s.RefreshTokenScope(ctx, "rt1", "spa")
		require.NoError(t, err)
		assert.Equal(t, refresh("", "", "").Scope, scope)
		_, err = s.RefreshTokenScope(ctx, "nope", "spa")
		assertRefused(t, err, store.ReasonUnknown)
		got, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		require.NoError(t, err)
		assert.True(t, got.Used, "the scope look-up did not spend it")
	}},
	{"revoke by its owner revokes the family", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt2", "g1", ""), t0))
		require.NoError(t, s.PutAccessGrant(ctx, "sig1", "g1", t0.Add(time.Hour), t0))
		require.NoError(t, s.RevokeRefreshToken(ctx, "rt1", "spa"))
		_, err := s.SpendRefreshToken(ctx, "rt2", "spa", rotating, t0)
		assertRefused(t, err, store.ReasonRevoked)
		revoked, err := s.AccessRevoked(ctx, "sig1")
		require.NoError(t, err)
		assert.True(t, revoked)
		assert.NoError(t, s.RevokeRefreshToken(ctx, "unknown", "spa"))
	}},
	{"a revoked grant's token is refused", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		require.NoError(t, s.RevokeGrant(ctx, "g1"))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", nonRotating, t0)
		assertRefused(t, err, store.ReasonRevoked)
	}},
	{"a token cannot be put twice", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		_, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		require.NoError(t, err)
		assert.ErrorIs(t, s.PutRefreshToken(ctx, refresh("rt1", "g2", ""), t0), store.ErrInvalid)
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0.Add(time.Second))
		assert.ErrorIs(t, err, store.ErrReused, "the used token was not overwritten")
	}},
	{"refused without a grant or deadlines", func(t *testing.T, s store.Store) {
		noIdle := refresh("rt1", "g1", "")
		noIdle.IdleExpires = time.Time{}
		usedNoTime := refresh("rt1", "g1", "")
		usedNoTime.Used = true
		for name, rt := range map[string]store.RefreshToken{
			"no grant":              refresh("rt1", "", ""),
			"no value":              refresh("", "g1", ""),
			"no idle deadline":      noIdle,
			"used without its time": usedNoTime,
			"long session id":       refresh("rt1", "g1", strings.Repeat("s", store.MaxIDBytes+1)),
		} {
			assert.ErrorIs(t, s.PutRefreshToken(ctx, rt, t0), store.ErrInvalid, name)
		}
		_, err := s.RefreshTokenScope(ctx, "rt1", "spa")
		assertRefused(t, err, store.ReasonUnknown)
	}},
}

var opaqueCases = []testCase{
	{"put then get", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutOpaqueToken(ctx, opaque("ot1", "g1"), t0))
		got, err := s.OpaqueToken(ctx, "ot1", t0)
		require.NoError(t, err)
		assert.Equal(t, opaque("ot1", "g1"), got)
	}},
	{"unknown, expired and revoked are not found", func(t *testing.T, s store.Store) {
		ot := opaque("ot1", "g1")
		require.NoError(t, s.PutOpaqueToken(ctx, ot, t0))
		_, err := s.OpaqueToken(ctx, "nope", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.OpaqueToken(ctx, "ot1", ot.Expires)
		assertRefused(t, err, store.ReasonExpired)
		require.NoError(t, s.RevokeGrant(ctx, "g1"))
		_, err = s.OpaqueToken(ctx, "ot1", t0)
		assertRefused(t, err, store.ReasonRevoked)
		_, err = s.OpaqueToken(ctx, "ot1", ot.Expires)
		assertRefused(t, err, store.ReasonExpired, "the expiry before the revocation")
	}},
	{"refused without a grant or an expiry", func(t *testing.T, s store.Store) {
		assert.ErrorIs(t, s.PutOpaqueToken(ctx, opaque("ot1", ""), t0), store.ErrInvalid)
		ot := opaque("ot1", "g1")
		ot.Expires = time.Time{}
		assert.ErrorIs(t, s.PutOpaqueToken(ctx, ot, t0), store.ErrInvalid)
	}},
}

var accessCases = []testCase{
	{"unknown tokens are not revoked", func(t *testing.T, s store.Store) {
		revoked, err := s.AccessRevoked(ctx, "nope")
		require.NoError(t, err)
		assert.False(t, revoked)
	}},
	{"revoked with its grant", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutAccessGrant(ctx, "sig1", "g1", t0.Add(time.Hour), t0))
		require.NoError(t, s.PutAccessGrant(ctx, "sig2", "g2", t0.Add(time.Hour), t0))
		revoked, err := s.AccessRevoked(ctx, "sig1")
		require.NoError(t, err)
		assert.False(t, revoked)
		require.NoError(t, s.RevokeGrant(ctx, "g1"))
		revoked, err = s.AccessRevoked(ctx, "sig1")
		require.NoError(t, err)
		assert.True(t, revoked)
		revoked, err = s.AccessRevoked(ctx, "sig2")
		require.NoError(t, err)
		assert.False(t, revoked)
	}},
	{"revoking an unknown grant is no error", func(t *testing.T, s store.Store) {
		assert.NoError(t, s.RevokeGrant(ctx, "nope"))
		assert.NoError(t, s.RevokeGrant(ctx, strings.Repeat("g", store.MaxIDBytes+1)))
	}},
	{"refused without a grant or an expiry", func(t *testing.T, s store.Store) {
		assert.ErrorIs(t, s.PutAccessGrant(ctx, "sig1", "", t0.Add(time.Hour), t0), store.ErrInvalid)
		assert.ErrorIs(t, s.PutAccessGrant(ctx, "sig1", "g1", time.Time{}, t0), store.ErrInvalid)
		assert.ErrorIs(t, s.PutAccessGrant(ctx, "", "g1", t0.Add(time.Hour), t0), store.ErrInvalid)
	}},
}

// fail counts n failures for identifier, one second apart from start.
func fail(t *testing.T, s store.Store, identifier string, n int, start time.Time) time.Time {
	t.Helper()
	now := start
	for range n {
		require.NoError(t, s.LoginFailed(ctx, identifier, now))
		now = now.Add(time.Second)
	}
	return now.Add(-time.Second)
}

func locked(t *testing.T, s store.Store, identifier string, now time.Time) bool {
	t.Helper()
	ok, err := s.LoginLocked(ctx, identifier, now)
	require.NoError(t, err)
	return ok
}

var failureCases = []testCase{
	{"the tenth failure in a row locks for fifteen minutes", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice@example.com", store.MaxFailedLogins-1, t0)
		assert.False(t, locked(t, s, "alice@example.com", last))
		last = fail(t, s, "alice@example.com", 1, last.Add(time.Second))
		assert.True(t, locked(t, s, "alice@example.com", last))
		until := last.Add(store.LockoutDuration)
		locks, err := s.Locks(ctx, "alice@example.com", last)
		require.NoError(t, err)
		assert.Equal(t, []store.Lock{{Identifier: "alice@example.com", Failures: store.MaxFailedLogins, Until: until}}, locks)
		assert.True(t, locked(t, s, "alice@example.com", until.Add(-time.Millisecond)))
		assert.False(t, locked(t, s, "alice@example.com", until))
		assert.False(t, locked(t, s, "bob@example.com", last), "other identifiers are not locked")
	}},
	{"identifiers match case-insensitively", func(t *testing.T, s store.Store) {
		last := fail(t, s, "Alice@Example.COM", store.MaxFailedLogins, t0)
		assert.True(t, locked(t, s, "alice@example.com", last))
		locks, err := s.Locks(ctx, "ALICE@example.com", last)
		require.NoError(t, err)
		assert.Len(t, locks, 1)
	}},
	{"a success clears the run", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice", store.MaxFailedLogins-1, t0)
		require.NoError(t, s.LoginSucceeded(ctx, "alice"))
		last = fail(t, s, "alice", store.MaxFailedLogins-1, last.Add(time.Second))
		assert.False(t, locked(t, s, "alice", last))
		last = fail(t, s, "alice", 1, last.Add(time.Second))
		assert.True(t, locked(t, s, "alice", last))
	}},
	{"failures during a lock neither count nor extend it", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice", store.MaxFailedLogins, t0)
		fail(t, s, "alice", 5, last.Add(10*time.Minute))
		until := last.Add(store.LockoutDuration)
		assert.False(t, locked(t, s, "alice", until))
		locks, err := s.Locks(ctx, "alice", until.Add(-time.Second))
		require.NoError(t, err)
		require.Len(t, locks, 1)
		assert.Equal(t, store.MaxFailedLogins, locks[0].Failures)
	}},
	{"after a lock the next failure starts a new run", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice", store.MaxFailedLogins, t0)
		after := last.Add(store.LockoutDuration)
		last = fail(t, s, "alice", store.MaxFailedLogins-1, after)
		assert.False(t, locked(t, s, "alice", last))
		last = fail(t, s, "alice", 1, last.Add(time.Second))
		assert.True(t, locked(t, s, "alice", last))
	}},
	{"a run is forgotten a failure window after its latest failure", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice", store.MaxFailedLogins-1, t0)
		last = fail(t, s, "alice", 1, last.Add(store.FailureWindow))
		assert.False(t, locked(t, s, "alice", last))
		last = fail(t, s, "alice", store.MaxFailedLogins-2, t0.Add(store.FailureWindow+time.Hour))
		assert.False(t, locked(t, s, "alice", last))
		last = fail(t, s, "alice", 1, last.Add(time.Second))
		assert.True(t, locked(t, s, "alice", last), "within the window failures add up")
	}},
	{"unlock clears the lock and the count", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice", store.MaxFailedLogins, t0)
		require.NoError(t, s.Unlock(ctx, "ALICE"))
		assert.False(t, locked(t, s, "alice", last))
		locks, err := s.Locks(ctx, "alice", last)
		require.NoError(t, err)
		assert.Empty(t, locks)
		last = fail(t, s, "alice", store.MaxFailedLogins-1, last.Add(time.Second))
		assert.False(t, locked(t, s, "alice", last))
		assert.NoError(t, s.Unlock(ctx, "nobody"))
	}},
	{"no locks for an identifier with failures below the threshold", func(t *testing.T, s store.Store) {
		last := fail(t, s, "alice", 3, t0)
		locks, err := s.Locks(ctx, "alice", last)
		require.NoError(t, err)
		assert.Empty(t, locks)
	}},
	{"an overlong identifier is refused and never locked", func(t *testing.T, s store.Store) {
		long := strings.Repeat("a", store.MaxIdentifierBytes+1)
		assert.ErrorIs(t, s.LoginFailed(ctx, long, t0), store.ErrInvalid)
		assert.False(t, locked(t, s, long, t0))
		fail(t, s, strings.Repeat("a", store.MaxIdentifierBytes), store.MaxFailedLogins, t0)
		assert.True(t, locked(t, s, strings.Repeat("a", store.MaxIdentifierBytes), t0.Add(time.Minute)))
	}},
}

var resetCases = []testCase{
	{"reset drops everything", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutLogin(ctx, login("l1"), t0))
		require.NoError(t, s.PutCode(ctx, code("c1", "g1"), t0))
		require.NoError(t, s.PutCode(ctx, code("c2", "g2"), t0))
		_, err := s.TakeCode(ctx, "c2", t0)
		require.NoError(t, err)
		require.NoError(t, s.PutSession(ctx, session("s1"), t0))
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", "s1"), t0))
		require.NoError(t, s.PutOpaqueToken(ctx, opaque("ot1", "g1"), t0))
		require.NoError(t, s.PutAccessGrant(ctx, "sig1", "g1", t0.Add(time.Hour), t0))
		require.NoError(t, s.RevokeGrant(ctx, "g1"))
		fail(t, s, "alice", store.MaxFailedLogins, t0)

		require.NoError(t, s.Reset(ctx))

		_, err = s.PeekLogin(ctx, "l1", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.TakeCode(ctx, "c1", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.TakeCode(ctx, "c2", t0)
		assertRefused(t, err, store.ReasonUnknown, "spent markers go too")
		_, err = s.CheckSession(ctx, "s1", t0)
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.RefreshTokenScope(ctx, "rt1", "spa")
		assertRefused(t, err, store.ReasonUnknown)
		_, err = s.OpaqueToken(ctx, "ot1", t0)
		assertRefused(t, err, store.ReasonUnknown)
		revoked, err := s.AccessRevoked(ctx, "sig1")
		require.NoError(t, err)
		assert.False(t, revoked, "forgotten with the token")
		assert.False(t, locked(t, s, "alice", t0))

		require.NoError(t, s.PutCode(ctx, code("c2", "g5"), t0), "a spent code's value is free again")
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		_, err = s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
		assert.NoError(t, err, "a grant id revoked before the reset is a new grant after it")
	}},
}

// concurrently runs f n times at once and returns the errors.
func concurrently(n int, f func() error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = f()
		})
	}
	start.Done()
	done.Wait()
	return errs
}

// count returns how many errors are nil and how many match target.
func count(errs []error, target error) (ok, matching int) {
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, target):
			matching++
		}
	}
	return ok, matching
}

const racers = 20

var concurrencyCases = []testCase{
	{"one of concurrent takes of a code wins", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCode(ctx, code("c1", "g1"), t0))
		errs := concurrently(racers, func() error {
			_, err := s.TakeCode(ctx, "c1", t0)
			return err
		})
		ok, reused := count(errs, store.ErrReused)
		assert.Equal(t, 1, ok, "%v", errs)
		assert.Equal(t, racers-1, reused, "%v", errs)
	}},
	{"one of concurrent spends of a rotating refresh token wins", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutRefreshToken(ctx, refresh("rt1", "g1", ""), t0))
		errs := concurrently(racers, func() error {
			_, err := s.SpendRefreshToken(ctx, "rt1", "spa", rotating, t0)
			return err
		})
		ok, failed := count(errs, store.ErrReused)
		_, notFound := count(errs, store.ErrNotFound)
		assert.Equal(t, 1, ok, "%v", errs)
		assert.Equal(t, racers-1, failed+notFound, "%v", errs)
		assert.Positive(t, failed, "the first reuse is reported")
	}},
	{"one of concurrent takes of a pending login wins", func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutLogin(ctx, login("l1"), t0))
		errs := concurrently(racers, func() error {
			_, err := s.TakeLogin(ctx, "l1", t0)
			return err
		})
		ok, notFound := count(errs, store.ErrNotFound)
		assert.Equal(t, 1, ok, "%v", errs)
		assert.Equal(t, racers-1, notFound, "%v", errs)
	}},
	{"concurrent failures lock exactly at the threshold", func(t *testing.T, s store.Store) {
		errs := concurrently(racers, func() error { return s.LoginFailed(ctx, "alice", t0) })
		ok, _ := count(errs, nil)
		require.Equal(t, racers, ok, "%v", errs)
		locks, err := s.Locks(ctx, "alice", t0)
		require.NoError(t, err)
		require.Len(t, locks, 1)
		assert.Equal(t, store.MaxFailedLogins, locks[0].Failures, "failures during the lock were not counted")
	}},
}
