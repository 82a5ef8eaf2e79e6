package idp

import "github.com/tenantless/tenantless/mockidp/mgmt"

// management is the tenant's Management API, on the snapshot's tenant and keys and the Server's
// clock; its user-blocks are the store's login lockouts.
func (s *Server) management() (*mgmt.Handler, error) {
	return mgmt.New(mgmt.Config{
		Issuer: s.issuer, Tenant: s.tenant, Keys: s.keys, Now: s.now, Logger: s.log,
		Blocks: s.store, MaxBodyBytes: s.maxBody,
	})
}
