package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// DefaultPrefix starts every key of a Redis store opened without a prefix, so that Reset only
// ever deletes the emulator's keys.
const DefaultPrefix = "tenantless:"

// RedisOptions configure a Redis store.
type RedisOptions struct {
	// Prefix starts every key, so that several tenants or tests share one server; empty means
	// DefaultPrefix.
	Prefix string
}

// Redis is the store on a Valkey or Redis server, for replicas that share a tenant and for
// state that outlives a restart. Records are hashes under hashed keys (a dump of the server
// holds no usable code or token), each with a native TTL that only collects garbage. Every
// check-and-consume is one Lua script, atomic in the server; scripts reach the grant keys a
// record names, so the server must be a single Redis or Valkey instance, not a cluster.
type Redis struct {
	c      *redis.Client
	prefix string
	shown  string // the URL, password redacted, for errors
}

// OpenRedis connects to the server at rawURL (redis://[USER:PASSWORD@]HOST:PORT/DB, or
// rediss:// for TLS) and checks that it answers and that it does not evict keys under memory
// pressure, which would forget revocations and lockouts.
func OpenRedis(ctx context.Context, rawURL string, opts RedisOptions) (*Redis, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// The parser's message quotes the whole URL, password included.
		return nil, errors.New("store: the Redis URL cannot be parsed; write it as redis://HOST:PORT/DB")
	}
	shown := u.Redacted()
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: Redis URL %s: %v", shown, err)
	}
	// Maintenance notifications are a Redis Cloud feature; a plain server only answers the
	// handshake with an error.
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	// A command that failed on the network may have run: a retried take of a code would find
	// its own marker and revoke the grant it just minted. Calls fail instead, and the caller
	// answers 503.
	o.MaxRetries = -1
	r := &Redis{c: redis.NewClient(o), prefix: opts.Prefix, shown: shown}
	if r.prefix == "" {
		r.prefix = DefaultPrefix
	}
	if err := r.c.Ping(ctx).Err(); err != nil {
		r.c.Close()
		return nil, fmt.Errorf("store: cannot reach Redis: %w", r.fail(err))
	}
	// A server that refuses CONFIG (some hosted ones do) is taken at its word.
	if cfg, err := r.c.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
		if p := cfg["maxmemory-policy"]; p != "" && p != "noeviction" {
			r.c.Close()
			return nil, fmt.Errorf("store: Redis at %s has maxmemory-policy %s, which may evict revocations and lockouts; set it to noeviction", shown, p)
		}
	}
	return r, nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.c.Close() }

//go:embed lua/*.lua
var luaFiles embed.FS

// script builds a script from its file and the shared prelude.
func script(name string) *redis.Script {
	prelude, err := luaFiles.ReadFile("lua/prelude.lua")
	if err != nil {
		panic(err)
	}
	src, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(prelude) + "\n" + string(src))
}

var (
	luaPut           = script("put")
	luaPutNew        = script("put_new")
	luaPutGranted    = script("put_granted")
	luaTake          = script("take")
	luaTakeCode      = script("take_code")
	luaTouchSession  = script("touch_session")
	luaEndSession    = script("end_session")
	luaPutRefresh    = script("put_refresh")
	luaSpendRefresh  = script("spend_refresh")
	luaRevokeRefresh = script("revoke_refresh")
	luaOpaqueToken   = script("opaque_token")
	luaAccessRevoked = script("access_revoked")
	luaRevokeGrant   = script("revoke_grant")
	luaLoginFailed   = script("login_failed")
)

// key is a record's key. Secrets (codes, tokens, login ids, signatures) and identifiers are
// hashed, which also bounds the key's length; grant and session ids are the emulator's own.
func (r *Redis) key(kind, id string) string {
	sum := sha256.Sum256([]byte(id))
	return r.prefix + kind + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (r *Redis) sessionKey(id string) string       { return r.prefix + "session:" + id }
func (r *Redis) sessionGrantsKey(id string) string { return r.prefix + "session-grants:" + id }

// fail classifies an error of the client: the server's own replies stay as they are (they are
// bugs), except running out of memory, which is ErrFull; everything else (refused or broken
// connections, timeouts, a server loading its data) is ErrUnavailable.
func (r *Redis) fail(err error) error {
	var rerr redis.Error
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case redis.HasErrorPrefix(err, "OOM"):
		return fmt.Errorf("%w: %w", &FullError{Bound: "redis maxmemory"}, err)
	case errors.As(err, &rerr) && !transient(err):
		return fmt.Errorf("store: redis: %w", err)
	default:
		return fmt.Errorf("%w: redis at %s: %w", ErrUnavailable, r.shown, err)
	}
}

// transient reports the server replies that mean "not now" rather than "wrong".
func transient(err error) bool {
	for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// run runs a script and returns its reply, errors classified.
func (r *Redis) run(ctx context.Context, s *redis.Script, keys []string, args ...any) (any, error) {
	v, err := s.Run(ctx, r.c, keys, args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, r.fail(err)
	}
	return v, nil
}

// runRecord runs a script that answers {status, field, value, ...}.
func (r *Redis) runRecord(ctx context.Context, s *redis.Script, keys []string, args ...any) (string, hash, error) {
	v, err := r.run(ctx, s, keys, args...)
	if err != nil {
		return "", nil, err
	}
	reply, _ := v.([]any)
	if len(reply) == 0 {
		return "", nil, errors.New("store: redis: empty script reply")
	}
	status, _ := reply[0].(string)
	return status, pairs(reply[1:]), nil
}

// refused is the error for a script's status that is neither "ok" nor "reused": the name of
// the Reason the record was refused for.
func refused(record, status string) error {
	switch why := Reason(status); why {
	case ReasonUnknown, ReasonExpired, ReasonIdle, ReasonRevoked, ReasonOtherClient:
		return notFound(record, why)
	}
	return fmt.Errorf("store: redis: %s: unexpected script status %q", record, status)
}

// pairs turns a flat HGETALL reply into a hash.
func pairs(flat []any) hash {
	h := make(hash, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		h[k] = v
	}
	return h
}

// getAll reads a hash; nil when the key is absent.
func (r *Redis) getAll(ctx context.Context, key string) (hash, error) {
	m, err := r.c.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, r.fail(err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// args are TTL and time arguments of the scripts, in milliseconds.
func msArgs(now time.Time) (nowMS, marginMS, capMS int64) {
	return now.UnixMilli(), ExpiryMargin.Milliseconds(), maxTTL.Milliseconds()
}

func ttlMS(expires, now time.Time) int64 { return max(ttl(expires, now).Milliseconds(), 1) }

func (r *Redis) PutLogin(ctx context.Context, l PendingLogin, now time.Time) error {
	if l.ID == "" || l.Expires.IsZero() {
		return invalid("pending login needs an id and an expiry")
	}
	return r.replace(ctx, r.key("login", l.ID), loginFields(l), ttlMS(l.Expires, now))
}

// replace writes a hash, dropping what was there.
func (r *Redis) replace(ctx context.Context, key string, fields []any, ttl int64) error {
	_, err := r.run(ctx, luaPut, []string{key}, append([]any{ttl}, fields...)...)
	return err
}

func (r *Redis) PeekLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error) {
	h, err := r.getAll(ctx, r.key("login", id))
	if err != nil {
		return PendingLogin{}, err
	}
	if h == nil {
		return PendingLogin{}, notFound("pending login", ReasonUnknown)
	}
	l := h.login(id)
	if !now.Before(l.Expires) {
		return PendingLogin{}, notFound("pending login", ReasonExpired)
	}
	return l, nil
}

func (r *Redis) TakeLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error) {
	v, err := r.run(ctx, luaTake, []string{r.key("login", id)})
	if err != nil {
		return PendingLogin{}, err
	}
	flat, _ := v.([]any)
	if len(flat) == 0 {
		return PendingLogin{}, notFound("pending login", ReasonUnknown)
	}
	l := pairs(flat).login(id)
	if !now.Before(l.Expires) {
		return PendingLogin{}, notFound("pending login", ReasonExpired)
	}
	return l, nil
}

func (r *Redis) PutCode(ctx context.Context, c AuthCode, now time.Time) error {
	if err := checkCode(c); err != nil {
		return err
	}
	actions, err := encodeActions(c.Actions)
	if err != nil {
		return err
	}
	args := append([]any{ttlMS(c.Expires, now)}, codeFields(c, actions)...)
	v, err := r.run(ctx, luaPutNew, []string{r.key("code", c.Code)}, args...)
	if err != nil {
		return err
	}
	if v != int64(1) {
		return invalid("code exists")
	}
	return nil
}

func (r *Redis) TakeCode(ctx context.Context, code string, now time.Time) (AuthCode, error) {
	nowMS, marginMS, capMS := msArgs(now)
	status, h, err := r.runRecord(ctx, luaTakeCode, []string{r.key("code", code)}, r.prefix, nowMS, marginMS, capMS)
	switch {
	case err != nil:
		return AuthCode{}, err
	case status == "reused":
		return AuthCode{}, errReused("code")
	case status != "ok":
		return AuthCode{}, refused("code", status)
	}
	c := h.code(code)
	if !now.Before(c.Expires) {
		return AuthCode{}, notFound("code", ReasonExpired)
	}
	if c.Actions, err = decodeActions(h["actions"]); err != nil {
		return AuthCode{}, err
	}
	return c, nil
}

func (r *Redis) PutSession(ctx context.Context, s Session, now time.Time) error {
	if err := checkSession(s); err != nil {
		return err
	}
	return r.replace(ctx, r.sessionKey(s.ID), sessionFields(s), ttlMS(earliest(s.Expires, s.IdleExpires), now))
}

func (r *Redis) TouchSession(ctx context.Context, id string, idle time.Duration, now time.Time) (Session, error) {
	if len(id) > MaxIDBytes {
		return Session{}, notFound("session", ReasonUnknown)
	}
	nowMS, marginMS, capMS := msArgs(now)
	status, h, err := r.runRecord(ctx, luaTouchSession, []string{r.sessionKey(id)}, nowMS, marginMS, capMS, idle.Milliseconds())
	if err != nil {
		return Session{}, err
	}
	if status != "ok" {
		return Session{}, refused("session", status)
	}
	return h.session(id), nil
}

func (r *Redis) CheckSession(ctx context.Context, id string, now time.Time) (Session, error) {
	if len(id) > MaxIDBytes {
		return Session{}, notFound("session", ReasonUnknown)
	}
	h, err := r.getAll(ctx, r.sessionKey(id))
	if err != nil {
		return Session{}, err
	}
	if h == nil {
		return Session{}, notFound("session", ReasonUnknown)
	}
	s := h.session(id)
	if why := pastDeadline(s.Expires, s.IdleExpires, now); why != "" {
		return Session{}, notFound("session", why)
	}
	return s, nil
}

func (r *Redis) EndSession(ctx context.Context, id string, revokeGrants bool) error {
	if len(id) > MaxIDBytes {
		return nil
	}
	_, err := r.run(ctx, luaEndSession, []string{r.sessionKey(id), r.sessionGrantsKey(id)}, r.prefix, boolField(revokeGrants))
	return err
}

func (r *Redis) PutRefreshToken(ctx context.Context, rt RefreshToken, now time.Time) error {
	if err := checkRefresh(rt); err != nil {
		return err
	}
	keys := []string{r.key("refresh", rt.Token)}
	if rt.SessionID != "" {
		keys = append(keys, r.sessionGrantsKey(rt.SessionID))
	}
	args := append([]any{r.prefix, rt.Grant, ttlMS(refreshKeep(rt), now), ttlMS(earliest(rt.Expires, rt.IdleExpires), now)}, refreshFields(rt)...)
	v, err := r.run(ctx, luaPutRefresh, keys, args...)
	if err != nil {
		return err
	}
	if v != int64(1) {
		return invalid("refresh token exists")
	}
	return nil
}

func (r *Redis) SpendRefreshToken(ctx context.Context, token, clientID string, policy tenant.RefreshTokenPolicy, now time.Time) (RefreshToken, error) {
	nowMS, marginMS, capMS := msArgs(now)
	status, h, err := r.runRecord(ctx, luaSpendRefresh, []string{r.key("refresh", token)},
		r.prefix, nowMS, marginMS, capMS, clientID, boolField(policy.Rotating),
		min(policy.IdleLifetime, maxTTL).Milliseconds(), min(policy.Leeway, maxTTL).Milliseconds())
	switch {
	case err != nil:
		return RefreshToken{}, err
	case status == "reused":
		return RefreshToken{}, errReused("refresh token")
	case status != "ok":
		return RefreshToken{}, refused("refresh token", status)
	}
	return h.refresh(token), nil
}

func (r *Redis) RefreshTokenScope(ctx context.Context, token, clientID string) (string, error) {
	v, err := r.c.HMGet(ctx, r.key("refresh", token), "client", "scope").Result()
	if err != nil {
		return "", r.fail(err)
	}
	if v[0] == nil {
		return "", notFound("refresh token", ReasonUnknown)
	}
	if c, _ := v[0].(string); c != clientID {
		return "", notFound("refresh token", ReasonOtherClient)
	}
	scope, _ := v[1].(string)
	return scope, nil
}

func (r *Redis) RevokeRefreshToken(ctx context.Context, token, clientID string) error {
	_, err := r.run(ctx, luaRevokeRefresh, []string{r.key("refresh", token)}, r.prefix, clientID)
	return err
}

func (r *Redis) PutOpaqueToken(ctx context.Context, t OpaqueToken, now time.Time) error {
	if t.Token == "" || t.Expires.IsZero() {
		return invalid("opaque token needs a value and an expiry")
	}
	if err := checkID("grant", t.Grant); err != nil {
		return err
	}
	args := append([]any{r.prefix, t.Grant, ttlMS(t.Expires, now)}, opaqueFields(t)...)
	_, err := r.run(ctx, luaPutGranted, []string{r.key("opaque", t.Token)}, args...)
	return err
}

func (r *Redis) OpaqueToken(ctx context.Context, token string, now time.Time) (OpaqueToken, error) {
	status, h, err := r.runRecord(ctx, luaOpaqueToken, []string{r.key("opaque", token)}, r.prefix)
	switch {
	case err != nil:
		return OpaqueToken{}, err
	case status == string(ReasonUnknown):
		return OpaqueToken{}, notFound("opaque token", ReasonUnknown)
	}
	t := h.opaque(token)
	switch {
	case !now.Before(t.Expires):
		return OpaqueToken{}, notFound("opaque token", ReasonExpired)
	case status != "ok":
		return OpaqueToken{}, refused("opaque token", status)
	}
	return t, nil
}

func (r *Redis) PutAccessGrant(ctx context.Context, signature, grant string, expires, now time.Time) error {
	if signature == "" || expires.IsZero() {
		return invalid("access token needs a signature and an expiry")
	}
	if err := checkID("grant", grant); err != nil {
		return err
	}
	_, err := r.run(ctx, luaPutGranted, []string{r.key("access", signature)}, r.prefix, grant, ttlMS(expires, now), grant)
	return err
}

func (r *Redis) AccessRevoked(ctx context.Context, signature string) (bool, error) {
	v, err := r.run(ctx, luaAccessRevoked, []string{r.key("access", signature)}, r.prefix)
	if err != nil {
		return false, err
	}
	return v == int64(1), nil
}

func (r *Redis) RevokeGrant(ctx context.Context, grant string) error {
	if checkID("grant", grant) != nil {
		return nil
	}
	_, err := r.run(ctx, luaRevokeGrant, nil, r.prefix, grant)
	return err
}

func (r *Redis) failureKey(identifier string) (string, error) {
	if len(identifier) > MaxIdentifierBytes {
		return "", invalid("identifier longer than MaxIdentifierBytes")
	}
	return r.key("failures", strings.ToLower(identifier)), nil
}

func (r *Redis) LoginFailed(ctx context.Context, identifier string, now time.Time) error {
	k, err := r.failureKey(identifier)
	if err != nil {
		return err
	}
	_, err = r.run(ctx, luaLoginFailed, []string{k}, now.UnixMilli(), ExpiryMargin.Milliseconds(), identifier,
		MaxFailedLogins, LockoutDuration.Milliseconds(), FailureWindow.Milliseconds())
	return err
}

func (r *Redis) LoginSucceeded(ctx context.Context, identifier string) error {
	return r.Unlock(ctx, identifier)
}

func (r *Redis) LoginLocked(ctx context.Context, identifier string, now time.Time) (bool, error) {
	locks, err := r.Locks(ctx, identifier, now)
	return len(locks) > 0, err
}

func (r *Redis) Locks(ctx context.Context, identifier string, now time.Time) ([]Lock, error) {
	k, err := r.failureKey(identifier)
	if err != nil {
		return nil, nil
	}
	h, err := r.getAll(ctx, k)
	if err != nil || h == nil {
		return nil, err
	}
	l := Lock{Identifier: h["id"], Failures: h.int("n"), Until: h.time("until")}
	if !now.Before(l.Until) {
		return nil, nil
	}
	return []Lock{l}, nil
}

func (r *Redis) Unlock(ctx context.Context, identifier string) error {
	k, err := r.failureKey(identifier)
	if err != nil {
		return nil
	}
	if err := r.c.Del(ctx, k).Err(); err != nil {
		return r.fail(err)
	}
	return nil
}

// Reset deletes every key under the prefix. It is not atomic: records written meanwhile may
// survive it.
func (r *Redis) Reset(ctx context.Context) error {
	iter := r.c.Scan(ctx, 0, globEscape(r.prefix)+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.c.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return r.fail(err)
			}
		}
	}
	if err := iter.Err(); err != nil {
		return r.fail(err)
	}
	if err := flush(); err != nil {
		return r.fail(err)
	}
	return nil
}

// globEscape quotes the characters SCAN's MATCH pattern gives a meaning to.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
