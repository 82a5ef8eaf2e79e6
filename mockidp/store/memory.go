package store

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// SweepInterval is how often the memory store collects expired records. A ticker rather than
// work on writes: an emulator left idle after a flood must give its memory back without
// waiting for another request.
const SweepInterval = time.Minute

// gcTime is a moment on the store's own clock (Unix nanoseconds of real time), when a record
// may be collected. It is kept apart from the records' logical times, which are on the
// caller's clock.
type gcTime int64

func (g gcTime) due(at gcTime) bool { return g <= at }

// maxTTL caps a record's life as the backends count it, so that a far-future expiry cannot
// overflow a duration or a Redis TTL. Two centuries outlast tenant.Forever.
const maxTTL = 200 * 365 * 24 * time.Hour

// ttl is how long after now, on any clock, a record that expires at expires may be collected.
func ttl(expires, now time.Time) time.Duration {
	return min(expires.Sub(now), maxTTL) + ExpiryMargin
}

// Memory is the in-process store, the emulator's default. One lock guards it, so every
// check-and-consume is atomic. Expired records are swept every SweepInterval until Close.
type Memory struct {
	limits Limits
	// clock is real time, for collection only; tests move it.
	clock func() time.Time

	mu sync.Mutex
	memoryTables

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type memoryTables struct {
	logins   *fifo[PendingLogin]
	codes    *fifo[AuthCode]
	sessions *fifo[Session]
	opaque   *fifo[OpaqueToken]

	grants table[string, *memGrant]
	// spent maps a taken code to its grant; the marker lives as long as the grant.
	spent table[string, string]
	// sessionGrants maps a session id to the grants of the refresh tokens issued in it.
	sessionGrants table[string, map[string]struct{}]
	refresh       table[string, *memRefresh]
	// access maps a JWT access token's signature (hashed: signatures are long) to its grant.
	access   table[[sha256.Size]byte, memAccess]
	failures table[[sha256.Size]byte, *memFailures]
}

// memGrant is a grant: revoked is the revocation, gc the latest collection time of the
// records that name it, codes the spent-code markers that point to it.
type memGrant struct {
	revoked bool
	gc      gcTime
	codes   []string
}

type memRefresh struct {
	rt RefreshToken
	gc gcTime
}

type memAccess struct {
	grant string
	gc    gcTime
}

type memFailures struct {
	identifier string
	n          int
	last       time.Time // the latest failure counted
	until      time.Time // the lock, zero while none is set
	gc         gcTime
}

// NewMemory returns an empty memory store with the given bounds (zero fields take their
// defaults) and starts its sweeper; Close stops it.
func NewMemory(l Limits) *Memory { return newMemory(l, time.Now, SweepInterval) }

// NewMemoryOn is NewMemory collecting on clock rather than real time. An emulator whose clock
// can be moved passes it, so that moving it forward collects what it has expired; as the
// callers check expiry on the same clock, no record is collected while it is still valid.
func NewMemoryOn(l Limits, clock func() time.Time) *Memory {
	return newMemory(l, clock, SweepInterval)
}

// newMemory is NewMemory on a given collection clock and sweep interval.
func newMemory(l Limits, clock func() time.Time, every time.Duration) *Memory {
	m := &Memory{
		limits: l.withDefaults(),
		clock:  clock,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	m.memoryTables = newMemoryTables(m.limits)
	go m.sweeper(every)
	return m
}

func newMemoryTables(l Limits) memoryTables {
	return memoryTables{
		logins:        newFIFO[PendingLogin](l.Logins),
		codes:         newFIFO[AuthCode](l.Codes),
		sessions:      newFIFO[Session](l.Sessions),
		opaque:        newFIFO[OpaqueToken](l.OpaqueTokens),
		grants:        newTable[string, *memGrant](),
		spent:         newTable[string, string](),
		sessionGrants: newTable[string, map[string]struct{}](),
		refresh:       newTable[string, *memRefresh](),
		access:        newTable[[sha256.Size]byte, memAccess](),
		failures:      newTable[[sha256.Size]byte, *memFailures](),
	}
}

func (m *Memory) sweeper(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep(m.now())
		}
	}
}

// Close stops the sweeper. The store keeps answering, without collecting.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}

// Sweep collects now what the sweeper would collect at its next tick.
func (m *Memory) Sweep() { m.sweep(m.now()) }

// now is the current collection time.
func (m *Memory) now() gcTime { return gcTime(m.clock().UnixNano()) }

// gcAt is when a record that expires at expires, by the caller's now, may be collected.
func (m *Memory) gcAt(expires, now time.Time) gcTime {
	return m.now() + gcTime(ttl(expires, now))
}

// sweep collects every record collectable at at, grants first: a record whose grant is gone
// goes too, as it could not be used any more.
func (m *Memory) sweep(at gcTime) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logins.sweep(at, nil)
	m.codes.sweep(at, nil)
	m.sessions.sweep(at, nil)
	for id, g := range m.grants.m {
		if g.gc.due(at) {
			m.grants.del(id)
			for _, c := range g.codes {
				m.spent.del(c)
			}
		}
	}
	m.grants.compact()
	m.spent.compact()
	m.opaque.sweep(at, func(t OpaqueToken) bool {
		_, ok := m.grants.get(t.Grant)
		return !ok
	})
	for sid, set := range m.sessionGrants.m {
		for g := range set {
			if _, ok := m.grants.get(g); !ok {
				delete(set, g)
			}
		}
		if len(set) == 0 {
			m.sessionGrants.del(sid)
		}
	}
	m.sessionGrants.compact()
	for tok, e := range m.refresh.m {
		if _, ok := m.grants.get(e.rt.Grant); !ok || e.gc.due(at) {
			m.refresh.del(tok)
		}
	}
	m.refresh.compact()
	for k, e := range m.access.m {
		if _, ok := m.grants.get(e.grant); !ok || e.gc.due(at) {
			m.access.del(k)
		}
	}
	m.access.compact()
	for k, e := range m.failures.m {
		if e.gc.due(at) {
			m.failures.del(k)
		}
	}
	m.failures.compact()
}

// Reset drops every record.
func (m *Memory) Reset(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memoryTables = newMemoryTables(m.limits)
	return nil
}

func (m *Memory) PutLogin(_ context.Context, l PendingLogin, now time.Time) error {
	if l.ID == "" || l.Expires.IsZero() {
		return invalid("pending login needs an id and an expiry")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logins.put(l.ID, l, m.gcAt(l.Expires, now))
	return nil
}

func (m *Memory) PeekLogin(_ context.Context, id string, now time.Time) (PendingLogin, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.logins.get(id)
	switch {
	case !ok:
		return PendingLogin{}, notFound("pending login", ReasonUnknown)
	case !now.Before(e.val.Expires):
		return PendingLogin{}, notFound("pending login", ReasonExpired)
	}
	return e.val, nil
}

func (m *Memory) TakeLogin(_ context.Context, id string, now time.Time) (PendingLogin, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.logins.get(id)
	if !ok {
		return PendingLogin{}, notFound("pending login", ReasonUnknown)
	}
	m.logins.del(id)
	if !now.Before(e.val.Expires) {
		return PendingLogin{}, notFound("pending login", ReasonExpired)
	}
	return e.val, nil
}

func (m *Memory) PutCode(_ context.Context, c AuthCode, now time.Time) error {
	if err := checkCode(c); err != nil {
		return err
	}
	// The store keeps its own copy of the Actions' result, as the Redis store does, so that
	// neither the caller's maps nor the ones handed back are shared with the store.
	actions, err := encodeActions(c.Actions)
	if err != nil {
		return err
	}
	if c.Actions, err = decodeActions(actions); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, live := m.codes.get(c.Code)
	_, spent := m.spent.get(c.Code)
	if live || spent {
		return invalid("code exists")
	}
	m.codes.put(c.Code, c, m.gcAt(c.Expires, now))
	return nil
}

func (m *Memory) TakeCode(_ context.Context, code string, now time.Time) (AuthCode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.codes.get(code); ok {
		c := e.val
		// The marker needs room before the code is consumed, so that a full store refuses
		// the redemption and leaves the code as it was.
		if m.spent.len() >= m.limits.Grants {
			return AuthCode{}, &FullError{Bound: "Grants", Max: m.limits.Grants}
		}
		g, err := m.grant(c.Grant, c.Expires, now)
		if err != nil {
			return AuthCode{}, err
		}
		m.codes.del(code)
		m.spent.set(code, c.Grant)
		g.codes = append(g.codes, code)
		if !now.Before(c.Expires) {
			return AuthCode{}, notFound("code", ReasonExpired)
		}
		return c, nil
	}
	if grant, ok := m.spent.get(code); ok {
		m.revoke(grant)
		return AuthCode{}, errReused("code")
	}
	return AuthCode{}, notFound("code", ReasonUnknown)
}

func (m *Memory) PutSession(_ context.Context, s Session, now time.Time) error {
	if err := checkSession(s); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions.put(s.ID, s, m.gcAt(earliest(s.Expires, s.IdleExpires), now))
	return nil
}

func (m *Memory) TouchSession(_ context.Context, id string, idle time.Duration, now time.Time) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.sessions.get(id)
	if !ok {
		return Session{}, notFound("session", ReasonUnknown)
	}
	if why := pastDeadline(e.val.Expires, e.val.IdleExpires, now); why != "" {
		m.sessions.del(id)
		return Session{}, notFound("session", why)
	}
	e.val.IdleExpires = now.Add(idle)
	e.gc = m.gcAt(earliest(e.val.Expires, e.val.IdleExpires), now)
	return e.val, nil
}

func (m *Memory) CheckSession(_ context.Context, id string, now time.Time) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.sessions.get(id)
	if !ok {
		return Session{}, notFound("session", ReasonUnknown)
	}
	if why := pastDeadline(e.val.Expires, e.val.IdleExpires, now); why != "" {
		return Session{}, notFound("session", why)
	}
	return e.val, nil
}

func (m *Memory) EndSession(_ context.Context, id string, revokeGrants bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions.del(id)
	if !revokeGrants {
		return nil
	}
	set, _ := m.sessionGrants.get(id)
	for g := range set {
		m.revoke(g)
	}
	return nil
}

func (m *Memory) PutRefreshToken(_ context.Context, rt RefreshToken, now time.Time) error {
	if err := checkRefresh(rt); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.refresh.get(rt.Token); ok {
		return invalid("refresh token exists")
	}
	if m.refresh.len() >= m.limits.RefreshTokens {
		return &FullError{Bound: "RefreshTokens", Max: m.limits.RefreshTokens}
	}
	if rt.SessionID != "" {
		if _, ok := m.sessionGrants.get(rt.SessionID); !ok && m.sessionGrants.len() >= m.limits.Grants {
			return &FullError{Bound: "Grants", Max: m.limits.Grants}
		}
	}
	if _, err := m.grant(rt.Grant, earliest(rt.Expires, rt.IdleExpires), now); err != nil {
		return err
	}
	m.refresh.set(rt.Token, &memRefresh{rt: rt, gc: m.gcAt(refreshKeep(rt), now)})
	if rt.SessionID != "" {
		set, ok := m.sessionGrants.get(rt.SessionID)
		if !ok {
			set = make(map[string]struct{})
			m.sessionGrants.set(rt.SessionID, set)
		}
		set[rt.Grant] = struct{}{}
	}
	return nil
}

func (m *Memory) SpendRefreshToken(_ context.Context, token, clientID string, policy tenant.RefreshTokenPolicy, now time.Time) (RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.refresh.get(token)
	switch {
	case !ok:
		return RefreshToken{}, notFound("refresh token", ReasonUnknown)
	case e.rt.ClientID != clientID:
		return RefreshToken{}, notFound("refresh token", ReasonOtherClient)
	}
	g, ok := m.grants.get(e.rt.Grant)
	switch {
	case !ok:
		return RefreshToken{}, notFound("refresh token", ReasonExpired)
	case g.revoked:
		return RefreshToken{}, notFound("refresh token", ReasonRevoked)
	}
	rt := &e.rt
	if rt.Used && !now.Before(rt.RotatedAt.Add(policy.Leeway)) {
		g.revoked = true
		return RefreshToken{}, errReused("refresh token")
	}
	if why := pastDeadline(rt.Expires, rt.IdleExpires, now); why != "" {
		m.refresh.del(token)
		return RefreshToken{}, notFound("refresh token", why)
	}
	switch {
	case !policy.Rotating:
		rt.IdleExpires = now.Add(policy.IdleLifetime)
		g.gc = max(g.gc, m.gcAt(earliest(rt.Expires, rt.IdleExpires), now))
	case !rt.Used:
		rt.Used, rt.RotatedAt = true, now
	}
	e.gc = m.gcAt(refreshKeep(*rt), now)
	return *rt, nil
}

func (m *Memory) RefreshTokenScope(_ context.Context, token, clientID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.refresh.get(token)
	switch {
	case !ok:
		return "", notFound("refresh token", ReasonUnknown)
	case e.rt.ClientID != clientID:
		return "", notFound("refresh token", ReasonOtherClient)
	}
	return e.rt.Scope, nil
}

func (m *Memory) RevokeRefreshToken(_ context.Context, token, clientID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.refresh.get(token); ok && e.rt.ClientID == clientID {
		m.revoke(e.rt.Grant)
	}
	return nil
}

func (m *Memory) PutOpaqueToken(_ context.Context, t OpaqueToken, now time.Time) error {
	if t.Token == "" || t.Expires.IsZero() {
		return invalid("opaque token needs a value and an expiry")
	}
	if err := checkID("grant", t.Grant); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.grant(t.Grant, t.Expires, now); err != nil {
		return err
	}
	m.opaque.put(t.Token, t, m.gcAt(t.Expires, now))
	return nil
}

func (m *Memory) OpaqueToken(_ context.Context, token string, now time.Time) (OpaqueToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.opaque.get(token)
	switch {
	case !ok:
		return OpaqueToken{}, notFound("opaque token", ReasonUnknown)
	case !now.Before(e.val.Expires):
		return OpaqueToken{}, notFound("opaque token", ReasonExpired)
	}
	switch g, ok := m.grants.get(e.val.Grant); {
	case !ok:
		return OpaqueToken{}, notFound("opaque token", ReasonExpired)
	case g.revoked:
		return OpaqueToken{}, notFound("opaque token", ReasonRevoked)
	}
	return e.val, nil
}

func (m *Memory) PutAccessGrant(_ context.Context, signature, grant string, expires, now time.Time) error {
	if signature == "" || expires.IsZero() {
		return invalid("access token needs a signature and an expiry")
	}
	if err := checkID("grant", grant); err != nil {
		return err
	}
	k := sha256.Sum256([]byte(signature))
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.access.get(k); !ok && m.access.len() >= m.limits.AccessGrants {
		return &FullError{Bound: "AccessGrants", Max: m.limits.AccessGrants}
	}
	if _, err := m.grant(grant, expires, now); err != nil {
		return err
	}
	m.access.set(k, memAccess{grant: grant, gc: m.gcAt(expires, now)})
	return nil
}

func (m *Memory) AccessRevoked(_ context.Context, signature string) (bool, error) {
	k := sha256.Sum256([]byte(signature))
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.access.get(k)
	if !ok {
		return false, nil
	}
	g, ok := m.grants.get(e.grant)
	return !ok || g.revoked, nil
}

func (m *Memory) RevokeGrant(_ context.Context, grant string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revoke(grant)
	return nil
}

func (m *Memory) LoginFailed(_ context.Context, identifier string, now time.Time) error {
	k, err := failureKey(identifier)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.failures.get(k)
	if !ok {
		// A new identifier needs room: an old one is never dropped for it, so that a flood
		// of made-up names cannot unlock a locked one.
		if m.failures.len() >= m.limits.Failures {
			return &FullError{Bound: "Failures", Max: m.limits.Failures}
		}
		f = &memFailures{}
		m.failures.set(k, f)
	}
	if now.Before(f.until) {
		return nil
	}
	if !f.until.IsZero() || !now.Before(f.last.Add(FailureWindow)) {
		f.n, f.until = 0, time.Time{}
	}
	f.identifier, f.last = identifier, now
	f.n++
	if f.n >= MaxFailedLogins {
		f.until = now.Add(LockoutDuration)
	}
	f.gc = m.gcAt(now.Add(FailureWindow), now)
	return nil
}

func (m *Memory) LoginSucceeded(ctx context.Context, identifier string) error {
	return m.Unlock(ctx, identifier)
}

func (m *Memory) LoginLocked(_ context.Context, identifier string, now time.Time) (bool, error) {
	k, err := failureKey(identifier)
	if err != nil {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.failures.get(k)
	return ok && now.Before(f.until), nil
}

func (m *Memory) Locks(_ context.Context, identifier string, now time.Time) ([]Lock, error) {
	k, err := failureKey(identifier)
	if err != nil {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.failures.get(k)
	if !ok || !now.Before(f.until) {
		return nil, nil
	}
	return []Lock{{Identifier: f.identifier, Failures: f.n, Until: f.until}}, nil
}

func (m *Memory) Unlock(_ context.Context, identifier string) error {
	k, err := failureKey(identifier)
	if err != nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures.del(k)
	return nil
}

// grant returns a grant, created when new, extended so that it lives at least as long as a
// record that expires at expires. A new grant needs room; a full table refuses it.
func (m *Memory) grant(id string, expires, now time.Time) (*memGrant, error) {
	gc := m.gcAt(expires, now)
	if g, ok := m.grants.get(id); ok {
		g.gc = max(g.gc, gc)
		return g, nil
	}
	if m.grants.len() >= m.limits.Grants {
		return nil, &FullError{Bound: "Grants", Max: m.limits.Grants}
	}
	g := &memGrant{gc: gc}
	m.grants.set(id, g)
	return g, nil
}

// revoke flags a grant revoked; a grant no record names any more has nothing to revoke.
func (m *Memory) revoke(id string) {
	if g, ok := m.grants.get(id); ok {
		g.revoked = true
	}
}

// failureKey is what failures are counted under: identifiers match case-insensitively, as
// Auth0's database connections do, and hashing makes every key 32 bytes.
func failureKey(identifier string) ([sha256.Size]byte, error) {
	if len(identifier) > MaxIdentifierBytes {
		return [sha256.Size]byte{}, invalid("identifier longer than MaxIdentifierBytes")
	}
	return sha256.Sum256([]byte(strings.ToLower(identifier))), nil
}
