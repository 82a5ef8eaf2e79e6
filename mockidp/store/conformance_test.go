package store_test

import (
	"testing"

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
