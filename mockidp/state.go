package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
)

// defaultMaxConnections caps open connections. An idle keep-alive connection holds about 19 KB,
// so the cap keeps a flood of them near 10 MB, beside the store's bounds; a browser opens six
// per origin and an SDK test suite a few dozen.
const defaultMaxConnections = 512

// storeOpenTimeout bounds reaching the store at start.
const storeOpenTimeout = 10 * time.Second

// limitFlag is the flag and environment variable that set one bound of store.Limits.
type limitFlag struct {
	name, env string
	// field is the store.Limits field, as a *store.FullError names it.
	field string
	usage string
	def   int
	bound func(*store.Limits) *int
}

var limitFlags = []limitFlag{
	{"max-pending-logins", "MOCKIDP_MAX_PENDING_LOGINS", "Logins",
		"pending logins (/authorize waiting for its user); the oldest is dropped at the bound",
		store.DefaultLogins, func(l *store.Limits) *int { return &l.Logins }},
	{"max-codes", "MOCKIDP_MAX_CODES", "Codes",
		"unredeemed authorization codes; the oldest is dropped at the bound",
		store.DefaultCodes, func(l *store.Limits) *int { return &l.Codes }},
	{"max-sessions", "MOCKIDP_MAX_SESSIONS", "Sessions",
		"SSO sessions; the oldest is dropped at the bound",
		store.DefaultSessions, func(l *store.Limits) *int { return &l.Sessions }},
	{"max-opaque-tokens", "MOCKIDP_MAX_OPAQUE_TOKENS", "OpaqueTokens",
		"access tokens without an API (usable at /userinfo); the oldest is dropped at the bound",
		store.DefaultOpaqueTokens, func(l *store.Limits) *int { return &l.OpaqueTokens }},
	{"max-grants", "MOCKIDP_MAX_GRANTS", "Grants",
		"grants, which carry revocations and spent codes; new ones are refused (429) at the bound",
		store.DefaultGrants, func(l *store.Limits) *int { return &l.Grants }},
	{"max-refresh-tokens", "MOCKIDP_MAX_REFRESH_TOKENS", "RefreshTokens",
		"refresh tokens, rotated ones included; new ones are refused (429) at the bound",
		store.DefaultRefreshTokens, func(l *store.Limits) *int { return &l.RefreshTokens }},
	{"max-access-tokens", "MOCKIDP_MAX_ACCESS_TOKENS", "AccessGrants",
		"live JWT access tokens of a revocable grant; new ones are refused (429) at the bound",
		store.DefaultAccessGrants, func(l *store.Limits) *int { return &l.AccessGrants }},
	{"max-login-failures", "MOCKIDP_MAX_LOGIN_FAILURES", "Failures",
		"login names with failed logins or a lockout; failures of new names are refused (429) at the bound",
		store.DefaultFailures, func(l *store.Limits) *int { return &l.Failures }},
}

// stateFlags are serve's flags for the store and the bounds.
type stateFlags struct {
	store          *string
	limits         store.Limits
	maxConnections *int
}

// addStateFlags registers the store's flags on fs; their defaults come from env.
func addStateFlags(fs *flag.FlagSet, env func(string) string) (*stateFlags, error) {
	sf := &stateFlags{
		store: fs.String("store", envOr(env, "MOCKIDP_STORE", "memory"),
			"where live state is kept: memory, or redis://[USER:PASSWORD@]HOST:PORT/DB for a Valkey or Redis server that replicas share and that outlives a restart [MOCKIDP_STORE]"),
	}
	for _, lf := range limitFlags {
		def, err := envInt(env, lf.env, lf.def)
		if err != nil {
			return nil, err
		}
		fs.IntVar(lf.bound(&sf.limits), lf.name, def, fmt.Sprintf("%s (memory store) [%s]", lf.usage, lf.env))
	}
	conns, err := envInt(env, "MOCKIDP_MAX_CONNECTIONS", defaultMaxConnections)
	if err != nil {
		return nil, err
	}
	sf.maxConnections = fs.Int("max-connections", conns, "open connections served at once; more wait to be accepted [MOCKIDP_MAX_CONNECTIONS]")
	return sf, nil
}

// check refuses a bound that is not positive.
func (sf *stateFlags) check() error {
	for _, lf := range limitFlags {
		if *lf.bound(&sf.limits) <= 0 {
			return fmt.Errorf("--%s (%s) must be positive", lf.name, lf.env)
		}
	}
	if *sf.maxConnections <= 0 {
		return fmt.Errorf("--max-connections (MOCKIDP_MAX_CONNECTIONS) must be positive")
	}
	return nil
}

// open returns the store --store names; nil for memory, which idp.New makes on the Server's
// clock.
func (sf *stateFlags) open(ctx context.Context) (store.Store, error) {
	if *sf.store == "memory" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
	defer cancel()
	st, err := store.Open(ctx, *sf.store, store.Options{Limits: sf.limits})
	if err != nil {
		return nil, fmt.Errorf("--store (MOCKIDP_STORE): %w", err)
	}
	return st, nil
}

// limitFlagNames maps each bound to the flag that raises it, for the log line of a request
// refused at it.
func limitFlagNames() map[string]string {
	m := make(map[string]string, len(limitFlags))
	for _, lf := range limitFlags {
		m[lf.field] = fmt.Sprintf("--%s (%s)", lf.name, lf.env)
	}
	return m
}

// envInt is an environment variable's integer, else def.
func envInt(env func(string) string, name string, def int) (int, error) {
	v := env(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a whole number", name, v)
	}
	return n, nil
}
