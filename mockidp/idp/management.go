package idp

import (
	"context"
	"time"

	"github.com/tenantless/tenantless/mockidp/mgmt"
	statestore "github.com/tenantless/tenantless/mockidp/store"
)

// management is the tenant's Management API, on the Server's tenant, keys and clock.
func (s *Server) management() (*mgmt.Handler, error) {
	return mgmt.New(mgmt.Config{
		Issuer: s.issuer, Tenant: s.tenant, Keys: s.keys, Now: s.now, Logger: s.log,
		Blocks: loginBlocks{s.store}, MaxBodyBytes: s.maxBody,
	})
}

// loginBlocks shows the login lockouts of the Server's store to the Management API's
// user-blocks endpoints.
type loginBlocks struct{ st *store }

func (b loginBlocks) Locks(_ context.Context, identifier string, now time.Time) ([]statestore.Lock, error) {
	key := failureKey(identifier)
	b.st.mu.Lock()
	defer b.st.mu.Unlock()
	f, ok := b.st.failures.get(key)
	if !ok || !now.Before(f.lockedUntil) {
		return nil, nil
	}
	return []statestore.Lock{{Identifier: identifier, Failures: f.n, Until: f.lockedUntil}}, nil
}

func (b loginBlocks) Unlock(_ context.Context, identifier string) error {
	b.st.mu.Lock()
	defer b.st.mu.Unlock()
	b.st.failures.del(failureKey(identifier))
	return nil
}
