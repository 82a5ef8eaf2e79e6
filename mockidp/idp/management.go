package idp

import "github.com/tenantless/tenantless/mockidp/mgmt"

// management is the tenant's Management API, on the Server's tenant, keys, clock and store (its
// user-blocks endpoints list and clear the store's login lockouts).
func (s *Server) management() (*mgmt.Handler, error) {
	return mgmt.New(mgmt.Config{
		Issuer: s.issuer, Tenant: s.tenant, Keys: s.keys, Now: s.now, Logger: s.log,
		Blocks: s.store, MaxBodyBytes: s.maxBody,
	})
}
