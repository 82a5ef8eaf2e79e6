package idp

import (
	"container/list"
	"context"
	"crypto/sha256"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Brute-force protection, after Auth0's: ten failed logins in a row for one login name lock
// it. Auth0 keeps the lock until an unblock e-mail or a password change; a test tenant must
// recover on its own, so here the lock lifts lockoutDuration after the failure that set it.
const (
	maxFailedLogins = 10
	lockoutDuration = 15 * time.Minute
)

// authCode is an issued authorization code and everything it is bound to.
type authCode struct {
	ClientID string
	// RedirectURI is the redirect_uri sent to /authorize, "" when none was sent; the token
	// request must repeat it exactly (RFC 6749 §4.1.3).
	RedirectURI string
	Challenge   string // S256 code_challenge, "" without PKCE
	Scope       string
	Audience    string
	Nonce       string
	UserID      string
	SessionID   string
	AuthTime    time.Time
	// MaxAge is set when /authorize had max_age: the ID token must then carry auth_time.
	MaxAge  bool
	Expires time.Time
	// Grant groups what this code mints, so that a reuse revokes all of it.
	Grant string
}

// session is an SSO session; its id is the ID token's `sid`.
type session struct {
	ID          string
	UserID      string
	AuthTime    time.Time
	Expires     time.Time // absolute (tenant session_lifetime)
	IdleExpires time.Time // moves on each use (idle_session_lifetime)
}

// refreshToken is an issued refresh token. Rotation keeps the Grant: every token of one family
// shares it, and reuse of a rotated one revokes the grant.
type refreshToken struct {
	ClientID  string
	UserID    string
	Audience  string
	Scope     string
	SessionID string
	Grant     string
	// AuthTime is the login the family descends from; WithAuthTime is set when /authorize had
	// max_age, so that every ID token of the family carries auth_time.
	AuthTime     time.Time
	WithAuthTime bool
	// Expires is the family's absolute deadline (token_lifetime from the login): rotation
	// hands it on, as Auth0's absolute lifetime is the family's.
	Expires time.Time
	// IdleExpires is the inactivity deadline (idle_token_lifetime).
	IdleExpires time.Time
	// Used is set once the token has been rotated away, at RotatedAt.
	Used      bool
	RotatedAt time.Time
}

// opaqueToken is an access token issued without an API audience: usable only at /userinfo.
type opaqueToken struct {
	ClientID string
	UserID   string
	Scope    string
	Grant    string
	Expires  time.Time
}

type limits struct{ codes, sessions, tokens int }

// store is the emulator's live state. One lock guards it: every check-and-consume (codes,
// refresh tokens) happens under it, so a code or a refresh token is spent exactly once.
type store struct {
	mu            sync.Mutex
	codes         bounded[*authCode]
	spentCodes    bounded[string] // code → grant, to revoke on reuse
	sessions      bounded[*session]
	refresh       bounded[*refreshToken]
	opaque        bounded[*opaqueToken]
	accessGrants  bounded[string] // JWT access token signature → grant
	revokedGrants bounded[struct{}]
	failures      bounded[*failureCount]
	// logins are /authorize requests waiting for the user to log in.
	logins bounded[*authRequest]
}

// failureCount is a login name's run of failed logins.
type failureCount struct {
	n           int       // consecutive failures
	lockedUntil time.Time // set by the maxFailedLogins-th failure
}

func newStore(l limits) *store {
	return &store{
		codes:         newBounded[*authCode](l.codes),
		spentCodes:    newBounded[string](l.codes),
		sessions:      newBounded[*session](l.sessions),
		refresh:       newBounded[*refreshToken](l.tokens),
		opaque:        newBounded[*opaqueToken](l.tokens),
		accessGrants:  newBounded[string](l.tokens),
		revokedGrants: newBounded[struct{}](l.tokens),
		failures:      newBounded[*failureCount](l.sessions),
		logins:        newBounded[*authRequest](l.codes),
	}
}

// Reset drops every record, as store.Store's Reset does.
func (st *store) Reset(context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, b := range []interface{ clear() }{&st.codes, &st.spentCodes, &st.sessions, &st.refresh,
		&st.opaque, &st.accessGrants, &st.revokedGrants, &st.failures, &st.logins} {
		b.clear()
	}
	return nil
}

func (st *store) putCode(code string, c *authCode) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.codes.put(code, c)
}

// codeUse is the outcome of redeeming a code.
type codeUse int

const (
	codeOK codeUse = iota
	codeUnknown
	codeExpired
	// codeReused means a spent code came back: what it minted is now revoked.
	codeReused
)

// takeCode consumes a code. It returns the code's record once; afterwards (reuse) it returns
// nil and revokes everything the code minted.
func (st *store) takeCode(code string, now time.Time) (*authCode, codeUse) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.codes.get(code)
	if !ok {
		if grant, spent := st.spentCodes.get(code); spent {
			st.revokedGrants.put(grant, struct{}{})
			return nil, codeReused
		}
		return nil, codeUnknown
	}
	st.codes.del(code)
	st.spentCodes.put(code, c.Grant)
	if !now.Before(c.Expires) {
		return nil, codeExpired
	}
	return c, codeOK
}

func (st *store) putSession(s *session) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sessions.put(s.ID, s)
}

// session returns a live session and extends its idle deadline by idle.
func (st *store) session(id string, now time.Time, idle time.Duration) (*session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions.get(id)
	if !ok {
		return nil, false
	}
	if !now.Before(s.Expires) || !now.Before(s.IdleExpires) {
		st.sessions.del(id)
		return nil, false
	}
	s.IdleExpires = now.Add(idle)
	return s, true
}

// liveSession reports whether a session is alive without counting as activity: a refresh
// token grant is not a visit to the tenant, so it does not extend the idle deadline.
func (st *store) liveSession(id string, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions.get(id)
	return ok && now.Before(s.Expires) && now.Before(s.IdleExpires)
}

// endSession removes a session; with revokeTokens it also revokes the grants of the refresh
// tokens issued in it.
func (st *store) endSession(id string, revokeTokens bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sessions.del(id)
	if !revokeTokens {
		return
	}
	for rt := range st.refresh.values() {
		if rt.SessionID == id {
			st.revokedGrants.put(rt.Grant, struct{}{})
		}
	}
}

func (st *store) putRefresh(token string, rt *refreshToken) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.refresh.put(token, rt)
}

// refreshUse is the outcome of spending a refresh token.
type refreshUse int

const (
	refreshOK refreshUse = iota
	refreshUnknown
	refreshOtherClient
	refreshRevoked
	refreshExpired // past its absolute lifetime
	refreshIdle    // past its idle lifetime
	// refreshReused means a rotated token came back: the grant is now revoked (RFC 9700 §4.14.2).
	refreshReused
)

// useRefresh spends a refresh token for clientID under the client's policy. A rotating token
// is marked used, so that presenting it again revokes its whole family, unless it comes back
// within the policy's leeway of its rotation (the reuse interval, for retries after a lost
// response). A non-rotating token stays the client's, and each use moves its idle deadline.
func (st *store) useRefresh(token, clientID string, policy tenant.RefreshTokenPolicy, now time.Time) (*refreshToken, refreshUse) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rt, ok := st.refresh.get(token)
	switch {
	case !ok:
		return nil, refreshUnknown
	case rt.ClientID != clientID:
		return nil, refreshOtherClient
	}
	if _, revoked := st.revokedGrants.get(rt.Grant); revoked {
		return nil, refreshRevoked
	}
	if rt.Used && !now.Before(rt.RotatedAt.Add(policy.Leeway)) {
		st.revokedGrants.put(rt.Grant, struct{}{})
		return nil, refreshReused
	}
	switch {
	case !now.Before(rt.Expires):
		st.refresh.del(token)
		return nil, refreshExpired
	case !now.Before(rt.IdleExpires):
		st.refresh.del(token)
		return nil, refreshIdle
	}
	switch {
	case !policy.Rotating:
		rt.IdleExpires = now.Add(policy.IdleLifetime)
	case !rt.Used:
		rt.Used, rt.RotatedAt = true, now
	}
	cp := *rt
	return &cp, refreshOK
}

// refreshScope returns the scope a client's refresh token was issued with, without spending
// it, so that a down-scoping request can be checked first. The scope of a token never changes.
func (st *store) refreshScope(token, clientID string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rt, ok := st.refresh.get(token)
	if !ok || rt.ClientID != clientID {
		return "", false
	}
	return rt.Scope, true
}

// revokeRefresh revokes the grant of a refresh token if clientID owns it; unknown tokens are
// ignored, as Auth0's /oauth/revoke answers 200 for them.
func (st *store) revokeRefresh(token, clientID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rt, ok := st.refresh.get(token); ok && rt.ClientID == clientID {
		st.revokedGrants.put(rt.Grant, struct{}{})
	}
}

func (st *store) putOpaque(token string, t *opaqueToken) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.opaque.put(token, t)
}

// opaqueToken returns a live, unrevoked opaque access token.
func (st *store) opaqueToken(token string, now time.Time) (*opaqueToken, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.opaque.get(token)
	if !ok || !now.Before(t.Expires) {
		return nil, false
	}
	if _, revoked := st.revokedGrants.get(t.Grant); revoked {
		return nil, false
	}
	return t, true
}

// recordAccess remembers which grant a JWT access token belongs to (keyed by its signature), so
// that /userinfo refuses it once the grant is revoked.
func (st *store) recordAccess(signature, grant string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.accessGrants.put(signature, grant)
}

func (st *store) accessRevoked(signature string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	grant, ok := st.accessGrants.get(signature)
	if !ok {
		return false
	}
	_, revoked := st.revokedGrants.get(grant)
	return revoked
}

// putLogin parks an authorization request until its login completes or expires.
func (st *store) putLogin(req *authRequest) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.logins.put(req.ID, req)
}

// pendingLogin returns a live pending request; it is read-only once stored.
func (st *store) pendingLogin(id string, now time.Time) (*authRequest, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	req, ok := st.logins.get(id)
	if !ok || !now.Before(req.Expires) {
		return nil, false
	}
	return req, true
}

// takeLogin spends a pending request: one login completes it exactly once, however many
// times its form is posted.
func (st *store) takeLogin(id string, now time.Time) (*authRequest, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	req, ok := st.logins.get(id)
	if !ok {
		return nil, false
	}
	st.logins.del(id)
	if !now.Before(req.Expires) {
		return nil, false
	}
	return req, true
}

// loginLocked reports whether a login name is locked out after too many failures. A lock
// that is over is forgotten, so the next failure starts a new run.
func (st *store) loginLocked(username string, now time.Time) bool {
	key := failureKey(username)
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.failures.get(key)
	if !ok || f.lockedUntil.IsZero() {
		return false
	}
	if now.Before(f.lockedUntil) {
		return true
	}
	st.failures.del(key)
	return false
}

// loginResult counts a failure, locking the name at the maxFailedLogins-th in a row, or clears
// the count on success. Callers check loginLocked first: attempts during a lock are not counted
// and do not extend it.
func (st *store) loginResult(username string, ok bool, now time.Time) {
	key := failureKey(username)
	st.mu.Lock()
	defer st.mu.Unlock()
	if ok {
		st.failures.del(key)
		return
	}
	f, found := st.failures.get(key)
	if !found {
		f = &failureCount{}
	}
	f.n++
	if f.n >= maxFailedLogins {
		f.lockedUntil = now.Add(lockoutDuration)
	}
	st.failures.put(key, f)
}

// failureKey is what failures are counted under: login names match case-insensitively, as
// Auth0's database connections do, and hashing makes every key 32 bytes, so that a flood of
// long made-up names cannot grow the store past its entry cap times a small constant.
func failureKey(username string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(username)))
	return string(sum[:])
}

// bounded is a map that keeps at most max entries, dropping the one put longest ago first.
// Entries that expire are dropped on read by the store, so the cap only bites under a flood. A
// put always makes its key the newest, whether the key was live, deleted or never seen, and a
// delete forgets the key entirely: eviction can never take a fresh entry for a stale one.
type bounded[V any] struct {
	max   int
	m     map[string]*list.Element // each element's Value is a *boundedEntry[V]
	order *list.List               // oldest at the front
}

type boundedEntry[V any] struct {
	key   string
	value V
}

func newBounded[V any](max int) bounded[V] {
	return bounded[V]{max: max, m: make(map[string]*list.Element), order: list.New()}
}

func (b *bounded[V]) get(k string) (V, bool) {
	if e, ok := b.m[k]; ok {
		return e.Value.(*boundedEntry[V]).value, true
	}
	var zero V
	return zero, false
}

func (b *bounded[V]) put(k string, v V) {
	if e, ok := b.m[k]; ok {
		e.Value.(*boundedEntry[V]).value = v
		b.order.MoveToBack(e)
		return
	}
	b.m[k] = b.order.PushBack(&boundedEntry[V]{key: k, value: v})
	for len(b.m) > b.max {
		oldest := b.order.Front()
		b.order.Remove(oldest)
		delete(b.m, oldest.Value.(*boundedEntry[V]).key)
	}
}

func (b *bounded[V]) del(k string) {
	if e, ok := b.m[k]; ok {
		b.order.Remove(e)
		delete(b.m, k)
	}
}

func (b *bounded[V]) clear() {
	clear(b.m)
	b.order.Init()
}

func (b *bounded[V]) len() int { return len(b.m) }

// values yields the live values, oldest first.
func (b *bounded[V]) values() iter.Seq[V] {
	return func(yield func(V) bool) {
		for e := b.order.Front(); e != nil; e = e.Next() {
			if !yield(e.Value.(*boundedEntry[V]).value) {
				return
			}
		}
	}
}
