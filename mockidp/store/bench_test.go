package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenantless/tenantless/internal/redistest"
	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

var benchNow = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// benchStores runs bench on each backend, with room for n records of every kind.
func benchStores(b *testing.B, bench func(b *testing.B, s store.Store)) {
	b.Run("memory", func(b *testing.B) {
		n := b.N + 1
		m := store.NewMemory(store.Limits{Codes: n, Grants: n, RefreshTokens: n})
		defer m.Close()
		bench(b, m)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.New(b)
		r, err := store.OpenRedis(context.Background(), srv.URL, store.RedisOptions{Prefix: redistest.Prefix(b)})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		defer r.Reset(context.Background())
		bench(b, r)
	})
}

// BenchmarkTakeCode is the redemption of one code: consume it and leave its marker.
func BenchmarkTakeCode(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		ctx := context.Background()
		for i := range b.N {
			c := store.AuthCode{Code: fmt.Sprintf("code-%043d", i), ClientID: "demo-spa", Scope: "openid offline_access",
				UserID: "auth0|alice", Grant: fmt.Sprintf("grant-%d", i), Expires: benchNow.Add(time.Minute)}
			if err := s.PutCode(ctx, c, benchNow); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.TakeCode(ctx, fmt.Sprintf("code-%043d", i), benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSpendRefreshToken is one rotation: a refresh token spent under a rotating policy.
func BenchmarkSpendRefreshToken(b *testing.B) {
	policy := tenant.RefreshTokenPolicy{Rotating: true, Lifetime: 30 * 24 * time.Hour, IdleLifetime: 15 * 24 * time.Hour}
	benchStores(b, func(b *testing.B, s store.Store) {
		ctx := context.Background()
		for i := range b.N {
			rt := store.RefreshToken{Token: fmt.Sprintf("rt-%043d", i), ClientID: "demo-spa", UserID: "auth0|alice",
				Scope: "openid offline_access", Grant: fmt.Sprintf("grant-%d", i),
				Expires: benchNow.Add(policy.Lifetime), IdleExpires: benchNow.Add(policy.IdleLifetime)}
			if err := s.PutRefreshToken(ctx, rt, benchNow); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.SpendRefreshToken(ctx, fmt.Sprintf("rt-%043d", i), "demo-spa", policy, benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
}
