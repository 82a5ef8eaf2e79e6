package store

import (
	"context"
	"fmt"
	"strings"
)

// Options configure the store Open returns.
type Options struct {
	// Limits bound the memory store.
	Limits Limits
	// Prefix starts the Redis store's keys; empty means DefaultPrefix.
	Prefix string
}

// Open returns the store spec names: "memory" (or "") for a memory store, a redis:// or
// rediss:// URL for a Redis store on that server (see OpenRedis).
func Open(ctx context.Context, spec string, opts Options) (Store, error) {
	switch {
	case spec == "" || spec == "memory":
		return NewMemory(opts.Limits), nil
	case strings.HasPrefix(spec, "redis://") || strings.HasPrefix(spec, "rediss://"):
		return OpenRedis(ctx, spec, RedisOptions{Prefix: opts.Prefix})
	default:
		// Only the scheme is shown: the rest may hold a password.
		scheme, _, _ := strings.Cut(spec, ":")
		return nil, fmt.Errorf("store: %q is not a store; use memory or redis://HOST:PORT/DB", scheme)
	}
}
