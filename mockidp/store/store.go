package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Brute-force protection, after Auth0's (https://auth0.com/docs/secure/attack-protection/brute-force-protection):
// MaxFailedLogins failed logins in a row for one identifier lock it. Auth0 keeps the lock until
// an unblock e-mail or a password change; a test tenant must recover on its own, so here the
// lock lifts LockoutDuration after the failure that set it.
const (
	MaxFailedLogins = 10
	LockoutDuration = 15 * time.Minute
	// FailureWindow is how long a run of failures below the threshold is remembered after its
	// latest failure. Auth0 documents no window, so a day keeps slow guessing slow while a
	// flood of made-up names cannot hold the table for longer than that.
	FailureWindow = 24 * time.Hour
)

// ExpiryMargin is added to every record's logical expiry to get the moment the backend may
// collect it (a Redis TTL, the memory store's sweep). Logical expiry is checked against the
// caller's now; the backends count real time from the write. The margin absorbs the time
// between the caller reading its clock and the write landing, and the millisecond rounding of
// Redis TTLs, so that no record is collected while it is still valid.
const ExpiryMargin = time.Minute

// Lengths the store refuses, with ErrInvalid, so that a caller cannot make one record or key
// arbitrarily large. Lookups by a longer id or identifier find nothing.
const (
	// MaxIDBytes bounds grant and session ids, which the emulator generates.
	MaxIDBytes = 256
	// MaxIdentifierBytes bounds a login identifier (an e-mail address or a username). RFC 5321
	// §4.5.3.1 caps a mail path at 256 octets; Auth0's usernames are shorter still.
	MaxIdentifierBytes = 512
)

// Errors the store returns, wrapped with what failed. Callers test them with errors.Is.
var (
	// ErrNotFound: the record is unknown, expired, idle, revoked, or another client's. The
	// error is a *RefusedError naming which.
	ErrNotFound = errors.New("store: not found")
	// ErrReused: a spent code or a rotated refresh token came back; what it minted is now
	// revoked (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
	ErrReused = errors.New("store: already used")
	// ErrFull: a bound of the memory store (or the Redis server's memory) is reached by
	// records that must not be dropped before they expire, so the operation is refused. The
	// error is a *FullError naming the bound.
	ErrFull = errors.New("store: full")
	// ErrUnavailable: the backend cannot be reached. go-redis reconnects on its own, so a
	// later call may succeed.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrInvalid: the record cannot be stored (no expiry, no grant, an id too long, a code
	// or refresh token that already exists).
	ErrInvalid = errors.New("store: invalid record")
)

// FullError is ErrFull with the bound that was reached.
type FullError struct {
	// Bound is the name of the Limits field, or "redis maxmemory" for the Redis store.
	Bound string
	// Max is the bound's value; 0 when the store does not know it.
	Max int
}

func (e *FullError) Error() string {
	if e.Max == 0 {
		return fmt.Sprintf("store: full: %s reached", e.Bound)
	}
	return fmt.Sprintf("store: full: %s bound of %d reached", e.Bound, e.Max)
}

// Is makes errors.Is(err, ErrFull) true.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// Reason is why a record was refused as ErrNotFound. It is for the caller's log: callers
// answer every reason alike, so that no reply tells them apart.
type Reason string

const (
	// ReasonUnknown: the store holds no such record: it was never stored, was spent (a
	// pending login), or was collected some time after it expired.
	ReasonUnknown Reason = "unknown"
	// ReasonExpired: past its (absolute) deadline, or its grant is gone, which the grant
	// only is once every record that names it has expired.
	ReasonExpired Reason = "expired"
	// ReasonIdle: past its idle deadline (a session's or a refresh token's).
	ReasonIdle Reason = "idle"
	// ReasonRevoked: its grant is revoked (a logout, a revocation, or a reused code or
	// refresh token of the grant).
	ReasonRevoked Reason = "revoked"
	// ReasonOtherClient: a refresh token presented by a client it was not issued to.
	ReasonOtherClient Reason = "another client's"
)

// RefusedError is ErrNotFound with the reason.
type RefusedError struct {
	// Record is the kind of record refused: "code", "refresh token", and so on.
	Record string
	Reason Reason
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s: %v (%s)", e.Record, ErrNotFound, e.Reason)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *RefusedError) Is(target error) bool { return target == ErrNotFound }

func notFound(record string, why Reason) error { return &RefusedError{Record: record, Reason: why} }

// PendingLogin is an /authorize request waiting for its user to log in, as Auth0's Universal
// Login keeps its transaction.
type PendingLogin struct {
	ID           string
	ClientID     string
	RedirectURI  string
	ResponseMode string
	State        string
	Nonce        string
	Scope        string
	// Audience is the API identifier, "" for none (an opaque access token).
	Audience    string
	Challenge   string
	MaxAge      time.Duration
	HasMaxAge   bool
	PromptNone  bool
	PromptLogin bool
	LoginHint   string
	// CSRF is the login forms' hidden token; Binding the browser's login cookie.
	CSRF    string
	Binding string
	Expires time.Time
	// Query is the /authorize query as the application sent it, for the post-login Actions'
	// event.request.query once the login completes.
	Query string
}

// AuthCode is an issued authorization code and everything it is bound to.
type AuthCode struct {
	Code     string
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
	// Actions is what the login's post-login Actions asked for, nil when none ran. They run
	// at the login, not at the exchange, so the tokens this code mints carry it.
	Actions *ActionResult
}

// ActionResult is what a login's post-login Actions asked for, to apply to the tokens of the
// login. Claims are JSON values (map[string]any, []any, string, float64, bool, nil), which is
// what the backends give back.
type ActionResult struct {
	IDTokenClaims     map[string]any `json:"id,omitempty"`
	AccessTokenClaims map[string]any `json:"access,omitempty"`
	ScopesAdded       []string       `json:"added,omitempty"`
	ScopesRemoved     []string       `json:"removed,omitempty"`
}

// Session is an SSO session; its id is the ID token's `sid`.
type Session struct {
	ID          string
	UserID      string
	AuthTime    time.Time
	Expires     time.Time // absolute (tenant session_lifetime)
	IdleExpires time.Time // moves on each visit (idle_session_lifetime)
}

// RefreshToken is an issued refresh token. Every token of one rotation family shares its
// Grant, and reuse of a rotated one revokes the grant.
type RefreshToken struct {
	Token     string
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

// OpaqueToken is an access token issued without an API audience: usable only at /userinfo.
type OpaqueToken struct {
	Token    string
	ClientID string
	UserID   string
	Scope    string
	Grant    string
	Expires  time.Time
}

// Lock is a login identifier locked out after MaxFailedLogins failures in a row, the record a
// Management API user-blocks answer lists.
type Lock struct {
	Identifier string
	Failures   int
	Until      time.Time
}

// Store is the emulator's live state. Every method is atomic in the backend, takes the
// caller's now where expiry matters, and returns values, never references into the store.
// Errors other than the ones documented wrap ErrUnavailable when the backend cannot be
// reached, ErrFull when it is full, or ErrInvalid.
type Store interface {
	// PutLogin parks an authorization request until its login completes or expires.
	PutLogin(ctx context.Context, l PendingLogin, now time.Time) error
	// PeekLogin returns a live pending login without spending it; ErrNotFound otherwise
	// (ReasonUnknown, ReasonExpired).
	PeekLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error)
	// TakeLogin spends a pending login: one login completes it exactly once, however many
	// times its form is posted. An expired one is removed and reported as ErrNotFound
	// (ReasonExpired); a spent one is ReasonUnknown.
	TakeLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error)

	// PutCode stores a new code; a code that exists, live or spent, is ErrInvalid.
	PutCode(ctx context.Context, c AuthCode, now time.Time) error
	// TakeCode consumes a code and leaves a marker of it on its grant. The first take returns
	// the code, or ErrNotFound (ReasonExpired) when it has expired; a later take is ErrReused
	// and revokes the grant, and with it everything the code minted. A code never stored is
	// ReasonUnknown.
	TakeCode(ctx context.Context, code string, now time.Time) (AuthCode, error)

	// PutSession stores a session, replacing one with the same id.
	PutSession(ctx context.Context, s Session, now time.Time) error
	// TouchSession returns a live session and moves its idle deadline to now+idle: a visit.
	// A session past a deadline is removed and reported as ErrNotFound (ReasonExpired,
	// ReasonIdle).
	TouchSession(ctx context.Context, id string, idle time.Duration, now time.Time) (Session, error)
	// CheckSession returns a live session without counting as activity (a refresh token
	// grant is not a visit to the tenant); ErrNotFound (ReasonUnknown, ReasonExpired,
	// ReasonIdle) otherwise.
	CheckSession(ctx context.Context, id string, now time.Time) (Session, error)
	// EndSession removes a session; with revokeGrants it also revokes the grants of every
	// refresh token issued in it, whether the session record is still there or not.
	EndSession(ctx context.Context, id string, revokeGrants bool) error

	// PutRefreshToken stores a new refresh token; one that exists is ErrInvalid.
	PutRefreshToken(ctx context.Context, rt RefreshToken, now time.Time) error
	// SpendRefreshToken spends a refresh token for clientID under the client's policy. A
	// rotating token is marked used, so that presenting it again revokes its whole family
	// (ErrReused), unless it comes back within the policy's leeway of its rotation (the reuse
	// interval, for retries after a lost response). A non-rotating token stays the client's,
	// and each use moves its idle deadline. A token that is unknown, another client's, or of a
	// revoked grant is ErrNotFound with that reason, checked in that order and before reuse:
	// another client learns nothing of a token but that it is not its own, and a revoked
	// family reports no further reuse. A token past its absolute or its idle deadline is then
	// ErrNotFound (ReasonExpired, ReasonIdle). The token is returned as it is after the spend.
	SpendRefreshToken(ctx context.Context, token, clientID string, policy tenant.RefreshTokenPolicy, now time.Time) (RefreshToken, error)
	// RefreshTokenScope returns the scope a client's refresh token was issued with, without
	// spending it, so that a down-scoping request can be checked first; ErrNotFound
	// (ReasonUnknown, ReasonOtherClient) otherwise. The scope of a token never changes.
	RefreshTokenScope(ctx context.Context, token, clientID string) (string, error)
	// RevokeRefreshToken revokes the grant of a refresh token if clientID owns it. Unknown
	// tokens are no error: Auth0's /oauth/revoke answers 200 for them (RFC 7009 §2.2).
	RevokeRefreshToken(ctx context.Context, token, clientID string) error

	// PutOpaqueToken stores an opaque access token.
	PutOpaqueToken(ctx context.Context, t OpaqueToken, now time.Time) error
	// OpaqueToken returns a live opaque token whose grant is not revoked; ErrNotFound
	// (ReasonUnknown, ReasonExpired, ReasonRevoked, checked in that order) otherwise.
	OpaqueToken(ctx context.Context, token string, now time.Time) (OpaqueToken, error)

	// PutAccessGrant remembers which grant a JWT access token belongs to (keyed by its
	// signature) until the token expires, so that /userinfo refuses it once the grant is
	// revoked.
	PutAccessGrant(ctx context.Context, signature, grant string, expires, now time.Time) error
	// AccessRevoked reports whether the grant of a remembered access token is revoked. A
	// token the store does not know is not revoked.
	AccessRevoked(ctx context.Context, signature string) (bool, error)
	// RevokeGrant revokes a grant: every token that names it stops working. A grant no live
	// record names is no error, as there is nothing left to revoke.
	RevokeGrant(ctx context.Context, grant string) error

	// LoginFailed counts a failed login for an identifier (matched case-insensitively, as
	// Auth0's database connections do). The MaxFailedLogins-th failure in a row locks the
	// identifier for LockoutDuration; failures while it is locked are not counted and do not
	// extend the lock; once a lock is over, or FailureWindow after the latest failure, the
	// next failure starts a new run.
	LoginFailed(ctx context.Context, identifier string, now time.Time) error
	// LoginSucceeded clears an identifier's failures.
	LoginSucceeded(ctx context.Context, identifier string) error
	// LoginLocked reports whether an identifier is locked out.
	LoginLocked(ctx context.Context, identifier string, now time.Time) (bool, error)
	// Locks lists the locks in force for an identifier.
	Locks(ctx context.Context, identifier string, now time.Time) ([]Lock, error)
	// Unlock clears an identifier's lock and failures.
	Unlock(ctx context.Context, identifier string) error

	// Reset drops every record.
	Reset(ctx context.Context) error
	// Close releases the store's resources (the memory store's sweeper, Redis connections).
	Close() error
}

// Limits bound the memory store. A zero field takes its default. Records whose loss fails safe
// are dropped oldest first at their bound: a pending login or an unredeemed code costs the user
// a new login, a session a logout (the revocation of its refresh tokens at logout does not
// need it), an opaque token an early refusal. Records whose loss would let something through
// (grants with their revocations and spent-code markers, refresh tokens, which carry reuse
// detection, access tokens' grants, failed-login counts) are never dropped before they
// expire: at their bound the operation that needs a new one fails with a *FullError.
//
// The defaults keep a flooded emulator under about 100 MB; the figures are measured per record
// by TestRecordSizes (worst case: pending logins and codes holding 16 KiB of state and nonce,
// which /authorize allows; identifiers of MaxIdentifierBytes).
type Limits struct {
	Logins        int // pending logins, default DefaultLogins
	Codes         int // unredeemed codes, default DefaultCodes
	Sessions      int // SSO sessions, default DefaultSessions
	OpaqueTokens  int // opaque access tokens, default DefaultOpaqueTokens
	Grants        int // grants (and spent-code markers), default DefaultGrants
	RefreshTokens int // refresh tokens, rotated ones included, default DefaultRefreshTokens
	AccessGrants  int // JWT access tokens' grants, default DefaultAccessGrants
	Failures      int // identifiers with failed logins, default DefaultFailures
}

// Defaults of Limits. Measured worst-case bytes per record (TestRecordSizes, Go 1.26, amd64):
// pending login or code with 16 KiB of state or nonce 18.9 KB, session 0.3 KB, opaque token
// with its grant 0.4 KB, grant with a spent-code marker 0.3 KB, refresh token with its session
// index 0.7 KB, access token's grant 0.13 KB, failures under the longest identifier 0.75 KB:
// about 92 MiB with every bound reached.
const (
	DefaultLogins        = 1_000
	DefaultCodes         = 1_000
	DefaultSessions      = 10_000
	DefaultOpaqueTokens  = 20_000
	DefaultGrants        = 30_000
	DefaultRefreshTokens = 30_000
	DefaultAccessGrants  = 30_000
	DefaultFailures      = 20_000
)

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Logins, DefaultLogins)
	def(&l.Codes, DefaultCodes)
	def(&l.Sessions, DefaultSessions)
	def(&l.OpaqueTokens, DefaultOpaqueTokens)
	def(&l.Grants, DefaultGrants)
	def(&l.RefreshTokens, DefaultRefreshTokens)
	def(&l.AccessGrants, DefaultAccessGrants)
	def(&l.Failures, DefaultFailures)
	return l
}
