package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/internal/redistest"
	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		m := store.NewMemory(store.Limits{})
		t.Cleanup(func() { m.Close() })
		return m
	})
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.New(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		r, err := store.OpenRedis(context.Background(), srv.URL, store.RedisOptions{Prefix: redistest.Prefix(t)})
		require.NoError(t, err)
		t.Cleanup(func() {
			require.NoError(t, r.Reset(context.Background()))
			r.Close()
		})
		return r
	})
}
